import { deadPid } from "./support/processes.js";
import { spawn } from "node:child_process";
import { watch } from "node:fs";
import { readdir, readFile, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { StoreError } from "../src/errors.js";
import { acquireLock } from "../src/platform/file-lock.js";
import { fileStore, freeze, PASSPHRASE, snapshot, useTempDirs } from "./support/file-store.js";

const tempDir = useTempDirs();
const WRITERS = 10;
const ENTRIES_EACH = 5;

/** Bundles the writer script so plain `node` child processes can run the real store code. */
async function bundleWriter(dir: string): Promise<string> {
  const outfile = join(dir, "writer.mjs");
  await build({
    entryPoints: [fileURLToPath(new URL("./support/file-store-writer.ts", import.meta.url))],
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "warning",
  });
  return outfile;
}

function runNode(args: string[], processEnv: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: processEnv, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

const lockRecord = (pid: number, ageMs: number): string =>
  JSON.stringify({ pid, host: hostname(), time: Date.now() - ageMs, token: "someone-else" });

describe("concurrent writers", () => {
  it(`keeps every entry when ${WRITERS} processes write at once`, async () => {
    const dir = await tempDir();
    const writer = await bundleWriter(dir);
    const path = join(dir, "store", "secrets.enc");
    const env = { ...process.env, CDCREDS_PASSPHRASE: "shared passphrase" };
    const results = await Promise.all(
      Array.from({ length: WRITERS }, (_, id) => runNode([writer, path, String(id), String(ENTRIES_EACH)], env)),
    );
    expect(results).toEqual(Array.from({ length: WRITERS }, () => ({ code: 0, stderr: "" })));
    const store = await fileStore(path, { processEnv: { CDCREDS_PASSPHRASE: "shared passphrase" } });
    for (let id = 0; id < WRITERS; id++) {
      for (let i = 0; i < ENTRIES_EACH; i++) {
        expect(await store.get(`cdcreds:${i % 2 === 0 ? "prod" : "preprod"}`, `shop${id}-${i}-api`)).toBe(`secret ${id}/${i} €`);
      }
    }
    expect(await readdir(join(dir, "store"))).toEqual(["secrets.enc"]);
  }, 60_000);

  it("keeps every entry when one process writes many at once", async () => {
    const path = join(await tempDir(), "secrets.enc");
    const store = await fileStore(path);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.set("cdcreds:prod", `shop${i}-api`, `s${i}`)));
    const reader = await fileStore(path);
    expect(await Promise.all(Array.from({ length: 20 }, (_, i) => reader.get("cdcreds:prod", `shop${i}-api`)))).toEqual(
      Array.from({ length: 20 }, (_, i) => `s${i}`),
    );
  });
});

describe("what killed writers left", () => {
  /** A temporary file as a writer of pid `pid` names its copy of `path`. */
  const temporaryOf = (path: string, pid: number): string => join(path, "..", `.secrets.enc.${pid}-${Date.now().toString(36)}-1.tmp`);

  it("removes the temporary files of writers that died, or that are over a minute old, at the next write", async () => {
    const dir = await tempDir();
    const path = join(dir, "secrets.enc");
    await (await fileStore(path)).set("cdcreds:prod", "first-api", "1");
    const dead = temporaryOf(path, deadPid());
    const old = temporaryOf(path, process.pid);
    const live = join(dir, `.secrets.enc.${process.pid}-0-2.tmp`);
    for (const file of [dead, old, live]) await writeFile(file, "a whole encrypted copy", { mode: 0o600 });
    await utimes(old, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    const others = [".accounts.json.1-a-b.tmp", ".secrets.enc.notatemporary.tmp", "notes.txt"];
    for (const name of others) await writeFile(join(dir, name), "");

    await (await fileStore(path)).set("cdcreds:prod", "second-api", "2");
    // A live writer's fresh copy stays: under the lock, that is one whose lock was taken over as stale.
    expect((await readdir(dir)).sort()).toEqual([...others, "secrets.enc", basename(live)].sort());
    const store = await fileStore(path);
    expect([await store.get("cdcreds:prod", "first-api"), await store.get("cdcreds:prod", "second-api")]).toEqual(["1", "2"]);
  });

  it("removes the copy of a writer killed (kill -9) in the middle of a write at the next write", async () => {
    const dir = await tempDir();
    const writer = await bundleWriter(dir);
    const folder = join(dir, "store");
    const path = join(folder, "secrets.enc");
    const env = { ...process.env, CDCREDS_PASSPHRASE: PASSPHRASE };
    await (await fileStore(path)).set("cdcreds:prod", "before-api", "kept");
    // Killed the moment a temporary file appears; the write may still win the race: then again.
    let left: string[] = [];
    for (let attempt = 0; attempt < 20 && left.length === 0; attempt++) {
      const child = spawn(process.execPath, [writer, path, `k${attempt}`, "1000"], { env, stdio: "ignore" });
      const watcher = watch(folder, (_event, name) => {
        if (name?.endsWith(".tmp") === true) child.kill("SIGKILL");
      });
      await new Promise((resolve) => child.on("close", resolve));
      watcher.close();
      left = (await readdir(folder)).filter((name) => name.endsWith(".tmp"));
    }
    expect(left).toHaveLength(1);
    await (await fileStore(path)).set("cdcreds:prod", "after-api", "new");
    expect(await readdir(folder)).toEqual(["secrets.enc"]);
    const store = await fileStore(path);
    expect([await store.get("cdcreds:prod", "before-api"), await store.get("cdcreds:prod", "after-api")]).toEqual(["kept", "new"]);
  }, 60_000);
});

describe("the writers' lock", () => {
  it("takes over a lock left by a process that died", async () => {
    const path = join(await tempDir(), "secrets.enc");
    await writeFile(`${path}.lock`, lockRecord(deadPid(), 0));
    const started = Date.now();
    await (await fileStore(path, { lock: { timeoutMs: 5000 } })).set("cdcreds:prod", "bestshop-api", "x");
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await readdir(join(path, ".."))).toEqual(["secrets.enc"]);
  });

  it("takes over a lock older than the stale limit even if its holder still runs", async () => {
    const path = join(await tempDir(), "secrets.enc");
    await writeFile(`${path}.lock`, lockRecord(process.pid, 60_000));
    await (await fileStore(path, { lock: { timeoutMs: 5000 } })).set("cdcreds:prod", "bestshop-api", "x");
    expect(await readdir(join(path, ".."))).toEqual(["secrets.enc"]);
  });

  it("waits for a holder that has not written its record yet, as for any fresh lock", async () => {
    const lockPath = join(await tempDir(), "secrets.enc.lock");
    await writeFile(lockPath, ""); // created, record not written yet: a slow holder, not a dead one
    await utimes(lockPath, new Date(Date.now() - 5000), new Date(Date.now() - 5000));
    await expect(acquireLock(lockPath, { timeoutMs: 200 })).rejects.toThrow(/another process is still writing/);
    expect(await readFile(lockPath, "utf8")).toBe("");
    await utimes(lockPath, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    await (
      await acquireLock(lockPath, { timeoutMs: 2000 })
    )(); // abandoned long ago: taken over
  });

  it("waits for a live holder, then gives up with exit 5 and the file untouched", async () => {
    const path = join(await tempDir(), "secrets.enc");
    await (await fileStore(path)).set("cdcreds:prod", "bestshop-api", "x");
    const before = await freeze(path);
    const holder = lockRecord(process.pid, 0);
    await writeFile(`${path}.lock`, holder);
    const started = Date.now();
    const error = await (
      await fileStore(path, { lock: { timeoutMs: 300 } })
    )
      .set("cdcreds:prod", "other-api", "y")
      .catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).message).toMatch(new RegExp(`process ${process.pid} on .* is still writing the encrypted file`));
    expect(await snapshot(path)).toEqual(before);
    expect(await readFile(`${path}.lock`, "utf8")).toBe(holder); // still the holder's
  });

  it("proceeds as soon as the holder releases it", async () => {
    const lockPath = join(await tempDir(), "secrets.enc.lock");
    const releaseFirst = await acquireLock(lockPath);
    let secondHolds = false;
    const second = acquireLock(lockPath, { timeoutMs: 5000 }).then((release) => {
      secondHolds = true;
      return release;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(secondHolds).toBe(false);
    await releaseFirst();
    await (
      await second
    )();
    expect(secondHolds).toBe(true);
    expect(await readdir(join(lockPath, ".."))).toEqual([]);
  });

  it("never removes a lock that another process took over meanwhile", async () => {
    const lockPath = join(await tempDir(), "secrets.enc.lock");
    const release = await acquireLock(lockPath);
    const theirs = lockRecord(process.pid, 0);
    await writeFile(lockPath, theirs);
    await release();
    expect(await readFile(lockPath, "utf8")).toBe(theirs);
  });
});
