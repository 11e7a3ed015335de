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

/** test/windows/pycred.c: the Credential Manager calls Python's keyring makes, and single ones. */
const pycred = (args: string[]): Promise<Run> => wine(join(TOOLS, "pycred.exe"), args);

/** A file holding a secret, as node.exe names it: secrets never go on a command line. */
async function secretFile(secret: string | Buffer): Promise<string> {
  const file = join(work, `secret-${++runs}`);
  await writeFile(file, secret);
  return win(file);
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

  it("reads what Python's keyring wrote, and Python reads what cdcreds wrote, whoever wrote last", async () => {
    const set = (env: string, account: string, secret: string) =>
      cdcreds(["--env", env, "set", "--no-verify", "--secret-stdin", account], { input: `${secret}\n` });
    expect((await set("prod", "cd-api", "written by cdcreds €")).code).toBe(0);
    expect(await pycred(["get", "cdcreds:prod", "cd-api"])).toMatchObject({ code: 0, stdout: "written by cdcreds €" });
    expect(await pycred(["read", "cd-api@cdcreds:prod"])).toMatchObject({ code: 0, stdout: "cd-api\nwritten by cdcreds €" });

    // Python's first account of a service is at target <service>; its second moves the first to <user>@<service>.
    expect((await pycred(["set", "cdcreds:preprod", "py-api", await secretFile("python A é")])).code).toBe(0);
    expect(await cdcreds(["--env", "preprod", "get", "py-api"])).toMatchObject({ code: 0, stdout: "python A é\n" });
    expect((await pycred(["set", "cdcreds:preprod", "py2-api", await secretFile("python B")])).code).toBe(0);
    expect(await cdcreds(["--env", "preprod", "get", "py-api"])).toMatchObject({ code: 0, stdout: "python A é\n" });
    expect(await cdcreds(["--env", "preprod", "get", "py2-api"])).toMatchObject({ code: 0, stdout: "python B\n" });

    // cdcreds changes Python's latest account: Python reads the change, and its copy at <service> is gone.
    expect((await set("preprod", "py2-api", "changed by cdcreds")).code).toBe(0);
    expect(await pycred(["get", "cdcreds:preprod", "py2-api"])).toMatchObject({ code: 0, stdout: "changed by cdcreds" });
    expect((await pycred(["read", "cdcreds:preprod"])).code).toBe(3);
    // Python changes an account cdcreds wrote (it writes <service>, leaving cdcreds' copy): cdcreds reads the change.
    expect((await pycred(["set", "cdcreds:prod", "cd-api", await secretFile("changed by python")])).code).toBe(0);
    expect(await cdcreds(["get", "cd-api"])).toMatchObject({ code: 0, stdout: "changed by python\n" });

    // delete removes every name: Python finds nothing either.
    expect((await cdcreds(["--env", "preprod", "delete", "py-api"])).code).toBe(0);
    expect((await cdcreds(["delete", "cd-api"])).code).toBe(0);
    expect((await pycred(["get", "cdcreds:preprod", "py-api"])).code).toBe(3);
    expect((await pycred(["get", "cdcreds:prod", "cd-api"])).code).toBe(3);
    expect((await pycred(["list", "cd-api*"])).code).toBe(3);
  });

  it("reads an entry of the name cdcreds used before, and moves it on the next write", async () => {
    expect((await pycred(["write", "oldshop-api.cdcreds:prod", "oldshop-api", await secretFile("legacy secret")])).code).toBe(0);
    expect(await cdcreds(["get", "oldshop-api"])).toMatchObject({ code: 0, stdout: "legacy secret\n" });
    expect((await cdcreds(["set", "--no-verify", "--secret-stdin", "oldshop-api"], { input: "moved secret\n" })).code).toBe(0);
    expect((await pycred(["read", "oldshop-api.cdcreds:prod"])).code).toBe(3);
    expect(await pycred(["get", "cdcreds:prod", "oldshop-api"])).toMatchObject({ code: 0, stdout: "moved secret" });

    // Python changes, then deletes, an account still under the old name: it stays deleted for cdcreds too.
    expect((await pycred(["write", "ghost-api.cdcreds:prod", "ghost-api", await secretFile("old secret")])).code).toBe(0);
    expect((await pycred(["set", "cdcreds:prod", "ghost-api", await secretFile("python's secret")])).code).toBe(0);
    expect(await cdcreds(["get", "ghost-api"])).toMatchObject({ code: 0, stdout: "python's secret\n" });
    for (const target of ["cdcreds:prod", "ghost-api@cdcreds:prod"]) await pycred(["delete", target]); // Python's delete_password
    expect((await cdcreds(["get", "ghost-api"])).code).toBe(3);
  });

  it("refuses an account whose name differs from a stored one only in case (Windows names ignore it)", async () => {
    expect((await cdcreds(["set", "--no-verify", "--secret-stdin", "caseshop-api"], { input: "the first\n" })).code).toBe(0);
    const variant = await cdcreds(["set", "--no-verify", "--secret-stdin", "CaseShop-api"], { input: "the second\n" });
    expect(variant.code).toBe(2);
    expect(variant.stderr).toMatch(/ignore case/);
    expect(await cdcreds(["get", "caseshop-api"])).toMatchObject({ code: 0, stdout: "the first\n" });
  });

  it("lists every entry beside another program's credential that is not UTF-16, and one removed behind its back as MISSING", async () => {
    const stored = async (): Promise<Record<string, unknown>> => {
      const list = await cdcreds(["list", "--json"]);
      expect(list.code, list.stderr).toBe(0);
      return Object.fromEntries((JSON.parse(list.stdout) as { apiLogin: string; stored: unknown }[]).map((r) => [r.apiLogin, r.stored]));
    };
    expect((await pycred(["write-raw", "foreign-tool-entry", "someone", await secretFile("odd")])).code).toBe(0);
    try {
      expect(await stored()).toMatchObject({ "oldshop-api": true, "caseshop-api": true });
      expect(await cdcreds(["get", "caseshop-api"])).toMatchObject({ code: 0, stdout: "the first\n" });
      expect((await pycred(["delete", "oldshop-api@cdcreds:prod"])).code).toBe(0);
      expect(await stored()).toMatchObject({ "oldshop-api": false, "caseshop-api": true });
    } finally {
      await pycred(["delete", "foreign-tool-entry"]);
    }
  });

  describe("an Octopia client", () => {
    let octopia: OctopiaEmulator;
    beforeAll(async () => {
      octopia = await startOctopiaEmulator();
    });
    afterAll(() => octopia.close());
    const octopiaCli = (args: string[], input?: string) =>
      cdcreds(["--kind", "octopia", "--auth-url", octopia.url, "--api-url", octopia.apiUrl, ...args], input === undefined ? {} : { input });

    it("caches tokens of 4 KB and 16 KB over several credentials, fetching a new one when a part is lost", async () => {
      for (const [client, length] of [
        ["Lane Client", 4096],
        ["Big Client", 16_384],
      ] as const) {
        octopia.tokenLength(length);
        const fetched = octopia.requests.length;
        expect(
          (await octopiaCli(["set", "--no-verify", "--secret-stdin", "--seller-id", "12345", client], "client secret of the lane\n")).code,
        ).toBe(0);
        const first = await octopiaCli(["token", client]);
        expect(first.code, first.stderr).toBe(0);
        expect(first.stdout.trim()).toBe(octopia.token);
        expect(octopia.token.length).toBeGreaterThanOrEqual(length - 100);
        expect(await octopiaCli(["token", client])).toMatchObject({ code: 0, stdout: first.stdout });
        expect(octopia.requests.length - fetched).toBe(1);
      }
      // One part of the 4 KB token lost: "not stored", so a new token, cached again.
      const parts = "Lane Client@cdcreds-octopia-token:prod";
      expect((await pycred(["read", `${parts}~4`])).code).toBe(0);
      expect((await pycred(["delete", `${parts}~3`])).code).toBe(0);
      const fetched = octopia.requests.length;
      expect((await octopiaCli(["token", "Lane Client"])).code).toBe(0);
      expect(octopia.requests.length - fetched).toBe(1);
      // Another program replacing the main entry leaves its parts behind: delete still leaves nothing of the client.
      expect((await pycred(["write", parts, "Lane Client", await secretFile("not a token")])).code).toBe(0);
      expect((await octopiaCli(["delete", "Lane Client"])).code).toBe(0);
      expect((await pycred(["list", "Lane Client@*"])).code).toBe(3);
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

    it("writes the file while another program holds it open, gives up intact when it never lets go, and waits for a held index", async () => {
      const users = join(required("WINEPREFIX"), "drive_c", "users");
      const folder = (await readdir(users)).map((user) => join(users, user, "AppData", "Roaming", "cdcreds")).find(existsSync);
      if (folder === undefined) throw new Error("no %APPDATA%\\cdcreds in the prefix");
      const secrets = join(folder, "secrets.enc");
      const [ready, release] = [join(work, "held"), join(work, "release")];
      /** hold-file.exe (test/windows/hold-file.c) holding a file (secrets.enc) open: resolves once it holds it. */
      const hold = async (ms: number, share: "none" | "read", path = secrets): Promise<{ done: Promise<Run> }> => {
        await rm(ready, { force: true });
        const holder = wine(join(TOOLS, "hold-file.exe"), [win(path), String(ms), share, win(ready), win(release)]);
        let ended = false;
        void holder.finally(() => (ended = true));
        while (!existsSync(ready)) {
          if (ended) throw new Error(`hold-file ended without holding the file: ${(await holder).stderr}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
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

      // The account index locked while `get` names a client with no --kind: its kind is read from
      // the index once it is let go, not taken for an API login's because the index seemed absent.
      await rm(release, { force: true });
      const client = "Lane Client@agency.example";
      const stored = await cdcreds([...file, "--kind", "octopia", "set", "--no-verify", "--secret-stdin", client], {
        env,
        input: "client secret\n",
      });
      expect(stored.code, stored.stderr).toBe(0);
      const indexHolder = await hold(1500, "none", join(folder, "accounts.json"));
      const got = await cdcreds([...file, "get", client], { env });
      expect((await indexHolder.done).code).toBe(0);
      expect(got, got.stderr).toMatchObject({ code: 0, stdout: "client secret\n" });
    });

    it("says that doctor cannot check file permissions on Windows", async () => {
      const doctor = await cdcreds([...file, "doctor"], { env });
      expect(doctor.code, doctor.stderr).toBe(0);
      expect(doctor.stderr).toMatch(/^note: file permissions: unchecked on Windows/m);
    });
  });
});
