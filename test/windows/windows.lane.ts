// The Windows lane: the packed package, installed as npm lays it out on Windows (the win32 keyring
// binding from the lockfile), run by the registry's Windows Node under Wine, against the Windows
// Credential Manager that Wine implements. scripts/windows-lane.sh prepares all of it and runs this
// file (`vitest --config vitest.windows.config.ts`); it is not part of `npm test`.
//
// Wine gives Node EBADF on a pipe, so every standard stream here is a file. A Linux path is
// `Z:\...` for node.exe. Secrets go to the Windows programs through files and environment
// variables, as they would on Windows.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOctopiaEmulator, type OctopiaEmulator } from "../support/octopia-emulator.js";

/** Where scripts/windows-lane.sh put things. */
function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`${name} is not set: run scripts/windows-lane.sh`);
  return value;
}
const NODE_EXE = required("CDCREDS_LANE_NODE");
const CLI = join(required("CDCREDS_LANE_APP"), "node_modules", "cdcreds", "bin", "cdcreds.cjs");
const TOOLS = required("CDCREDS_LANE_TOOLS");

/** The path node.exe sees for a Linux path. */
const win = (path: string): string => `Z:${path.replaceAll("/", "\\")}`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let work: string;
let runs = 0;

/** Runs a Windows program under Wine with its standard streams as files. */
async function wine(program: string, args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const base = join(work, `run-${++runs}`);
  await writeFile(`${base}.in`, options.input ?? "");
  const files = await Promise.all([open(`${base}.in`, "r"), open(`${base}.out`, "w"), open(`${base}.err`, "w")]);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn("wine", [program, ...args], {
        cwd: work,
        env: { ...process.env, ...options.env },
        stdio: files.map((f) => f.fd),
      });
      child.on("error", reject);
      child.on("close", resolve);
    });
    return { code, stdout: await readFile(`${base}.out`, "utf8"), stderr: await readFile(`${base}.err`, "utf8") };
  } finally {
    await Promise.all(files.map((f) => f.close()));
  }
}

/** cdcreds, as a Windows user runs it. */
const cdcreds = (args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<Run> =>
  wine(NODE_EXE, [CLI, ...args], options);

/** Python's keyring, call for call (test/windows/pycred.c). */
async function python(
  command: "get" | "set" | "delete",
  service: string,
  user: string,
  secret?: string,
): Promise<{ code: number | null; value?: string }> {
  const file = join(work, `py-${++runs}.txt`);
  if (secret !== undefined) await writeFile(file, secret);
  const result = await wine(
    join(TOOLS, "pycred.exe"),
    command === "delete" ? [command, service, user] : [command, service, user, win(file)],
  );
  return command === "get" && result.code === 0 ? { code: 0, value: await readFile(file, "utf8") } : { code: result.code };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cdcreds-lane-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("cdcreds on Windows (Wine)", () => {
  it("derives an API login", async () => {
    expect(await cdcreds(["derive", "bestshop"])).toEqual({ code: 0, stdout: "bestshop-api\n", stderr: "" });
  });

  it("stores, reads, lists and removes a password in the Credential Manager", async () => {
    const secret = "pâssword of the lane";
    const set = await cdcreds(["set", "--no-verify", "--secret-stdin", "lane-api"], { input: `${secret}\n` });
    expect(set.code, set.stderr).toBe(0);
    expect(await cdcreds(["get", "lane-api"])).toMatchObject({ code: 0, stdout: `${secret}\n` });
    const list = await cdcreds(["list", "--json"]);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ apiLogin: "lane-api", stored: true })]));
    expect((await cdcreds(["delete", "lane-api"])).code).toBe(0);
    expect((await cdcreds(["get", "lane-api"])).code).toBe(3);
    for (const run of [set, list]) expect(run.stdout + run.stderr).not.toContain(secret);
  });

  it("reads what Python's keyring wrote, and Python reads what cdcreds wrote", async () => {
    expect((await python("set", "cdcreds:preprod", "py-api", "written by python é")).code).toBe(0);
    expect(await cdcreds(["--env", "preprod", "get", "py-api"])).toMatchObject({ code: 0, stdout: "written by python é\n" });

    expect((await cdcreds(["set", "--no-verify", "--secret-stdin", "cd-api"], { input: "written by cdcreds é\n" })).code).toBe(0);
    expect(await python("get", "cdcreds:prod", "cd-api")).toEqual({ code: 0, value: "written by cdcreds é" });

    // A second account under the same service: Python moves the first to its compound name.
    expect((await python("set", "cdcreds:preprod", "py2-api", "the second")).code).toBe(0);
    expect(await cdcreds(["--env", "preprod", "get", "py-api"])).toMatchObject({ code: 0, stdout: "written by python é\n" });
    expect(await cdcreds(["--env", "preprod", "get", "py2-api"])).toMatchObject({ code: 0, stdout: "the second\n" });

    // A change made by cdcreds is what Python then reads, and the other way round.
    expect(
      (await cdcreds(["--env", "preprod", "set", "--no-verify", "--secret-stdin", "py2-api"], { input: "changed by cdcreds\n" })).code,
    ).toBe(0);
    expect(await python("get", "cdcreds:preprod", "py2-api")).toEqual({ code: 0, value: "changed by cdcreds" });
    expect((await python("set", "cdcreds:prod", "cd-api", "changed by python")).code).toBe(0);
    expect(await cdcreds(["get", "cd-api"])).toMatchObject({ code: 0, stdout: "changed by python\n" });

    // Removed by cdcreds: gone for Python too.
    expect((await cdcreds(["--env", "preprod", "delete", "py-api"])).code).toBe(0);
    expect((await python("get", "cdcreds:preprod", "py-api")).code).toBe(1);
  });

  describe("an Octopia client", () => {
    let octopia: OctopiaEmulator;
    beforeAll(async () => {
      octopia = await startOctopiaEmulator();
    });
    afterAll(() => octopia.close());

    it("caches a 4 KB token and hands it out again without asking for another", async () => {
      octopia.tokenLength(4096);
      const urls = ["--kind", "octopia", "--auth-url", octopia.url, "--api-url", octopia.apiUrl];
      const set = await cdcreds([...urls, "set", "--no-verify", "--secret-stdin", "--seller-id", "12345", "Lane Client"], {
        input: "client secret of the lane\n",
      });
      expect(set.code, set.stderr).toBe(0);
      const first = await cdcreds([...urls, "token", "Lane Client"]);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout.trim()).toBe(octopia.token);
      expect(octopia.token.length).toBeGreaterThanOrEqual(4000);
      const second = await cdcreds([...urls, "token", "Lane Client"]);
      expect(second).toMatchObject({ code: 0, stdout: first.stdout });
      expect(octopia.requests).toHaveLength(1);
    });
  });

  describe("the encrypted file, exec and import", () => {
    // Windows ignores the case of a variable's name: a lower-case passphrase is still the passphrase.
    const env = { cdcreds_passphrase: "the passphrase of the lane" };
    const file = ["--store", "file"];

    it("runs what a Windows user types: a .cmd by path and by name, a .bat, its arguments intact, without the passphrase", async () => {
      expect((await cdcreds([...file, "set", "--no-verify", "--secret-stdin", "file-api"], { env, input: "file secret\n" })).code).toBe(0);
      const bin = join(work, "bin");
      await mkdir(bin);
      // args.js: what the program behind an npm-style shim received, and cdcreds' variables it saw in any case.
      await writeFile(
        join(bin, "args.js"),
        `const leaked = Object.keys(process.env).filter((n) => /^cdcreds_(passphrase|key_file)$/i.test(n));
require("fs").writeFileSync(process.env.ARGS_OUT, JSON.stringify({ args: process.argv.slice(2), leaked, login: process.env.CDISCOUNT_API_LOGIN }));`,
      );
      const shim = join(bin, "shim.cmd");
      await writeFile(shim, `@echo off\r\n"${win(NODE_EXE)}" "%~dp0args.js" %*\r\nexit /b 7\r\n`);
      await writeFile(join(bin, "echo1.bat"), '@echo off\r\necho %1> "%~dp0echo1.txt"\r\n');
      const argsOut = join(work, "args.json");
      const execEnv = { ...env, ARGS_OUT: win(argsOut), WINEPATH: win(bin) };
      const exec = (command: string[]) =>
        cdcreds([...file, "exec", "--no-token", "--login", "file-api", "--", ...command], { env: execEnv });
      const received = async (): Promise<unknown> => {
        const seen: unknown = JSON.parse(await readFile(argsOut, "utf8"));
        await rm(argsOut);
        return seen;
      };

      // By path: cmd.exe's metacharacters reach the program behind the .cmd as they were typed.
      const tricky = ['a&b"c', "x|y<z>w^v", '"&calc', "two words", "back\\slash\\"];
      const byPath = await exec([win(shim), ...tricky]);
      expect(byPath.code, byPath.stderr).toBe(7);
      expect(await received()).toEqual({ args: tricky, leaked: [], login: "file-api" });
      // By name, through PATH and PATHEXT.
      expect((await exec(["shim", 'a&b"c'])).code).toBe(7);
      expect(await received()).toEqual({ args: ['a&b"c'], leaked: [], login: "file-api" });
      // A .bat's %1 keeps & and " inside its quotes: cmd.exe ran nothing else.
      expect((await exec(["echo1.bat", 'a&b"c'])).code).toBe(0);
      expect(await readFile(join(bin, "echo1.txt"), "utf8")).toBe('"a&b""c"\r\n');
      // An .exe: the lower-case passphrase is not in its environment either.
      expect((await exec([win(NODE_EXE), win(join(bin, "args.js")), "%PATH%"])).code).toBe(0);
      expect(await received()).toEqual({ args: ["%PATH%"], leaked: [], login: "file-api" });
      // A command that does not exist: 127, as on Linux; a line break for cmd.exe: refused, nothing run.
      expect(await exec(["nosuchtool"])).toMatchObject({
        code: 127,
        stderr: expect.stringContaining('error: cannot run "nosuchtool": command not found') as unknown,
      });
      expect((await exec([win(shim), "two\nlines"])).code).toBe(2);
      expect(existsSync(argsOut)).toBe(false);
      // run, too.
      expect((await cdcreds([...file, "run", "--", win(shim), "x"], { env: execEnv })).code).toBe(7);
      expect(await received()).toEqual({ args: ["x"], leaked: [] });
    });

    it("imports a CSV that Excel saved with ; and one saved as Windows-1252", async () => {
      await writeFile(join(work, "semi.csv"), 'login;password\r\nsemi-api;"pa;ss"\r\n');
      const semi = await cdcreds([...file, "import", "--no-verify", win(join(work, "semi.csv"))], { env });
      expect(semi.code, semi.stderr).toBe(0);
      expect(await cdcreds([...file, "get", "semi-api"], { env })).toMatchObject({ code: 0, stdout: "pa;ss\n" });

      await writeFile(join(work, "latin.csv"), Buffer.from("login,password\r\nlatin-api,mot de passe é\r\n", "latin1"));
      const latin = await cdcreds([...file, "import", "--no-verify", win(join(work, "latin.csv"))], { env });
      expect(latin.code, latin.stderr).toBe(0);
      expect(latin.stderr).toMatch(/Windows-1252/);
      expect(await cdcreds([...file, "get", "latin-api"], { env })).toMatchObject({ code: 0, stdout: "mot de passe é\n" });
    });

    it("writes the file while another program holds it open, and gives up intact when it never lets go", async () => {
      const users = join(required("WINEPREFIX"), "drive_c", "users");
      const folder = (await readdir(users)).map((user) => join(users, user, "AppData", "Roaming", "cdcreds")).find(existsSync);
      if (folder === undefined) throw new Error("no %APPDATA%\\cdcreds in the prefix");
      const secrets = join(folder, "secrets.enc");
      const [ready, release] = [join(work, "held"), join(work, "release")];
      /** hold-file.exe (test/windows/hold-file.c) holding secrets.enc open: resolves once it holds it. */
      const hold = async (ms: number, share: "none" | "read"): Promise<{ done: Promise<Run> }> => {
        await rm(ready, { force: true });
        const holder = wine(join(TOOLS, "hold-file.exe"), [win(secrets), String(ms), share, win(ready), win(release)]);
        while (!existsSync(ready)) await new Promise((resolve) => setTimeout(resolve, 100));
        return { done: holder };
      };
      const set = (secret: string) => cdcreds([...file, "set", "--no-verify", "--secret-stdin", "file-api"], { env, input: `${secret}\n` });

      // Locked (no sharing), then as a scanner holds it (readable, not renamable over): both wait.
      for (const share of ["none", "read"] as const) {
        const holder = await hold(2000, share);
        const run = await set(`held ${share}`);
        expect(run.code, run.stderr).toBe(0);
        expect((await holder.done).code).toBe(0);
        expect(await cdcreds([...file, "get", "file-api"], { env })).toMatchObject({ code: 0, stdout: `held ${share}\n` });
      }

      // Held past the retries: exit 5, the file as it was, no temporary file left.
      const before = await readFile(secrets);
      const holder = await hold(120_000, "read");
      const refused = await set("never stored");
      await writeFile(release, "");
      expect((await holder.done).code).toBe(0);
      expect(refused.code).toBe(5);
      expect(refused.stderr).toMatch(/held the file open/);
      expect(await readFile(secrets)).toEqual(before);
      expect((await readdir(folder)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
      expect(await cdcreds([...file, "get", "file-api"], { env })).toMatchObject({ code: 0, stdout: "held read\n" });
    });

    it("says that doctor cannot check file permissions on Windows", async () => {
      const doctor = await cdcreds([...file, "doctor"], { env });
      expect(doctor.code, doctor.stderr).toBe(0);
      expect(doctor.stderr).toMatch(/^note: file permissions: unchecked on Windows/m);
    });
  });
});
