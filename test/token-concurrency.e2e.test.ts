// Single-flight token refresh across processes: many `cdcreds token` started together
// with nothing cached make one request between them, through a per-account lock file that a
// crashed holder cannot leave blocking everyone.
import { deadPid } from "./support/processes.js";

import { createHash } from "node:crypto";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

import { secretToolLookup } from "./support/store-helpers.js";
import { useSandbox } from "./support/sandbox.js";

const box = useSandbox();

const { cdcreds } = box;
/** Stores a password for a new login (unchecked: the emulator must see only token requests). */
const storedAccount = async (name: string): Promise<string> => (await box.storedAccount(name)).api;

/** The lock file `cdcreds token` takes for this account (src/core/credentials.ts). */
const tokenLock = (api: string): string =>
  join(box.config.dir, "cdcreds", "locks", `token-prod-${createHash("sha256").update(api).digest("hex").slice(0, 16)}.lock`);

async function plantLock(api: string, pid: number, time = Date.now()): Promise<string> {
  const path = tokenLock(api);
  await mkdir(join(path, ".."), { recursive: true, mode: 0o700 });
  await writeFile(path, JSON.stringify({ pid, host: hostname(), time, token: "planted" }), { mode: 0o600 });
  return path;
}

describe("cdcreds token, many at once", () => {
  it("30 processes with nothing cached all print the same token, from one request", async () => {
    const api = await storedAccount("flight");
    const runs = await Promise.all(Array.from({ length: 30 }, () => cdcreds(["token", api])));
    for (const run of runs)
      expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({ code: 0, stdout: `${box.sts.token}\n`, stderr: "" });
    expect(box.sts.requests.length).toBeGreaterThanOrEqual(1);
    expect(box.sts.requests.length).toBeLessThanOrEqual(2);
    expect(JSON.parse(secretToolLookup("cdcreds-token:prod", api) ?? "{}")).toMatchObject({ token: box.sts.token });
    expect(await readdir(join(box.config.dir, "cdcreds", "locks"))).toEqual([]); // every lock released
  });
});

describe("the token lock", () => {
  it("left by a process that died is taken over at once", async () => {
    const api = await storedAccount("stale");
    const lock = await plantLock(api, deadPid());
    const run = await cdcreds(["token", api]);
    expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({ code: 0, stdout: `${box.sts.token}\n`, stderr: "" });
    expect(box.sts.requests).toHaveLength(1);
    expect(await readdir(join(lock, ".."))).toEqual([]);
  });

  it("held by a live process is waited for, and taken over once older than the longest refresh", async () => {
    const api = await storedAccount("held");
    // The longest refresh is timeout x attempts + 10 s: 12 s here (a shorter timeout fails when other
    // test files load the machine). A holder past it is stuck. The lock is dated 8 s back (taken
    // 8 s ago by this test process, alive for the whole run), so the wait is ~4 s, not 12: a run
    // that took it over at once would ask for its token at ~8 s.
    const planted = Date.now() - 8_000;
    const lock = await plantLock(api, process.pid, planted);
    const requested = box.sts.waitForRequests(1).then(() => Date.now());
    const run = await cdcreds(["--timeout", "2", "--retries", "0", "token", api]);
    expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({ code: 0, stdout: `${box.sts.token}\n`, stderr: "" });
    expect((await requested) - planted).toBeGreaterThanOrEqual(12_000); // it did wait for the holder
    expect(box.sts.requests).toHaveLength(1);
    expect(await readdir(join(lock, ".."))).toEqual([]);
  });
});

describe("lock messages name what the lock guards", () => {
  it("uses the label given, and the encrypted file by default", async () => {
    const path = join(box.config.dir, "some.lock");
    await writeFile(path, JSON.stringify({ pid: process.pid, host: hostname(), time: Date.now(), token: "held" }));
    const { acquireLock } = await import("../src/platform/file-lock.js");
    await expect(acquireLock(path, { timeoutMs: 50, label: "the account index" })).rejects.toThrow(
      new RegExp(`^process ${process.pid} on .+ is still writing the account index \\(lock some\\.lock still held after`),
    );
    await expect(acquireLock(path, { timeoutMs: 50 })).rejects.toThrow(/is still writing the encrypted file/);
  });
});
