// Leak audit: every command, success and failure paths, with --debug on and a sentinel
// password (and passphrase, for the file store). The password may reach stdout only where it is the
// data asked for (`get`, `get --json`, the program `exec` runs); it must never reach stderr, a file
// in the config folder, the temp folder or the throwaway HOME/XDG folders, nor in its HTTP Basic form.
// The token must never reach stderr or a file in clear either.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli, type CliResult } from "./support/cli.js";
import { startEmulator, type Emulator, type EmulatorMode } from "./support/emulator.js";
import { clearLogins, filesUnder, PRINT_API_CREDENTIALS, sentinel, tempConfig, uniqueLogin } from "./support/store-helpers.js";

const apiLogins: string[] = [];
let config: Awaited<ReturnType<typeof tempConfig>>;
let temp: string;
/** The runs' own HOME, XDG_CACHE_HOME and XDG_STATE_HOME: other test files write in the shared ones meanwhile. */
let home: string;
let sts: Emulator;

beforeEach(async () => {
  config = await tempConfig();
  temp = await mkdtemp(join(tmpdir(), "cdcreds-leak-tmp-"));
  home = await mkdtemp(join(tmpdir(), "cdcreds-leak-home-"));
  sts = await startEmulator();
});
afterEach(async () => {
  await sts.close();
  await config.remove();
  await rm(temp, { recursive: true, force: true });
  await rm(home, { recursive: true, force: true });
});
afterAll(() => clearLogins(apiLogins));

/** One run of the audit: what was run, and whether its stdout may carry the password. */
interface Audited {
  label: string;
  result: CliResult;
  passwordOnStdoutAllowed: boolean;
}

const PRINTS_PASSWORD = (args: string[]): boolean => args.includes("get") || args.includes("exec");

describe.each(["keychain", "file"] as const)("--store %s", (store) => {
  it("no secret leaks from any command, on success or failure", async () => {
    const seller = uniqueLogin(`leak-${store}`);
    const api = `${seller}-api`;
    apiLogins.push(api);
    const password = sentinel();
    const passphrase = `Passphrase-${sentinel()}`;
    const basic = Buffer.from(`${api}:${password}`, "utf8").toString("base64");
    sts.setCredentials(api, password);
    const audited: Audited[] = [];

    const baseEnv = {
      XDG_CONFIG_HOME: config.dir,
      TMPDIR: temp,
      HOME: join(home, "home"),
      XDG_CACHE_HOME: join(home, "cache"),
      XDG_STATE_HOME: join(home, "state"),
      CDCREDS_PASSPHRASE: store === "file" ? passphrase : undefined,
    };
    const run = async (
      label: string,
      args: string[],
      {
        expect: code,
        env = {},
        input,
        mode,
      }: { expect: number; env?: Record<string, string | undefined>; input?: string; mode?: EmulatorMode },
    ): Promise<CliResult> => {
      if (mode !== undefined) sts.answer(mode);
      const result = await runCli(["--debug", "--store", store, "--auth-url", sts.url, "--retries", "0", ...args], {
        input,
        env: { ...baseEnv, ...env },
      });
      if (mode !== undefined) sts.setCredentials(api, password); // back to checking the real password
      expect({ label, code: result.code }, result.stderr).toEqual({ label, code });
      audited.push({ label, result, passwordOnStdoutAllowed: PRINTS_PASSWORD(args) });
      return result;
    };

    // What a user does, in order, with --debug on everywhere.
    await run("derive", ["derive", seller], { expect: 0 });
    await run("set --password-stdin (verified)", ["set", "--password-stdin", seller], { expect: 0, input: `${password}\n` });
    await run("set --no-verify", ["set", "--no-verify", "--password-stdin", seller], { expect: 0, input: password });
    await run("verify (stored)", ["verify", seller], { expect: 0 });
    await run("verify --json (stored)", ["--json", "verify", seller], { expect: 0 });
    await run("verify --password-stdin", ["verify", "--password-stdin", seller], { expect: 0, input: password });
    await run("verify (environment credentials)", ["verify"], {
      expect: 0,
      env: { CDISCOUNT_API_LOGIN: api, CDISCOUNT_API_PASSWORD: password },
    });
    const got = await run("get", ["get", seller], { expect: 0 });
    expect(got.stdout).toBe(`${password}\n`);
    const gotJson = await run("get --json", ["--json", "get", seller], { expect: 0 });
    expect(JSON.parse(gotJson.stdout)).toMatchObject({ password });
    await run("token (new)", ["token", seller], { expect: 0 });
    await run("token (cached)", ["token", seller], { expect: 0 });
    await run("token --json --refresh", ["--json", "token", "--refresh", seller], { expect: 0 });
    const child = await run("exec", ["exec", "--login", seller, "--", ...PRINT_API_CREDENTIALS], { expect: 0 });
    expect(child.stdout).toBe(`${password} ${sts.token}`);
    await run("exec, the program fails", ["exec", "--login", seller, "--", process.execPath, "-e", "process.exit(3)"], { expect: 3 });
    await run("list", ["list"], { expect: 0 });
    await run("list --json", ["--json", "list"], { expect: 0 });
    await run("doctor", ["doctor"], { expect: 0 });
    await run("doctor --online", ["doctor", "--online"], { expect: 0 });
    await run("doctor --json --online", ["--json", "doctor", "--online"], { expect: 0 });
    await run("completion", ["completion", "bash"], { expect: 0 });
    await run("verify --all", ["verify", "--all"], { expect: 0 });
    await run("verify --all --json", ["--json", "verify", "--all"], { expect: 0 });
    await run("verify --all --max-age", ["verify", "--all", "--max-age", "1y"], { expect: 0 });
    await run("list --older-than", ["list", "--older-than", "1d"], { expect: 0 });
    await run("rotate, the stored password again", ["rotate", "--password-stdin", seller], { expect: 2, input: password });
    const csv = `login,password\n${seller},"${password.replaceAll('"', '""')}"\n`;
    await run("import (verified)", ["import", "-"], { expect: 0, input: csv });
    await run("import --no-verify", ["import", "--no-verify", "-"], { expect: 0, input: csv });
    await run("import, malformed", ["import", "-"], { expect: 2, input: `${csv}${seller}-two,"${password}\n` });

    // Failure paths: the password was sent, the answer is not a token.
    await run("verify, rejected", ["verify", seller], { expect: 1, mode: "401" });
    await run("verify --all, rejected", ["verify", "--all"], { expect: 1, mode: "401" });
    await run("import, rejected", ["import", "-"], { expect: 1, input: csv, mode: "401" });
    await run("set, rejected", ["set", "--password-stdin", seller], { expect: 1, input: password, mode: "403" });
    // The new password holds the sentinel: a leak of either shows.
    await run("rotate, rejected", ["rotate", "--password-stdin", seller], { expect: 1, input: `${password}2`, mode: "401" });
    await run("verify, unreachable", ["verify", seller], { expect: 4, mode: "503" });
    await run("token --refresh, unreachable", ["token", "--refresh", seller], { expect: 4, mode: "500" });
    await run("set, challenge page", ["set", "--password-stdin", seller], { expect: 4, input: password, mode: "challenge" });
    await run("token --refresh, challenge page", ["token", "--refresh", seller], { expect: 4, mode: "challenge" });
    await run("verify, gzip answer", ["verify", seller], { expect: 4, mode: "gzip-bomb" });
    await run("verify, connection reset", ["verify", seller], { expect: 4, mode: "reset" });
    await run("get, nothing stored for that login", ["get", `${seller}-other`], { expect: 3 });
    if (store === "file") {
      const wrong = { CDCREDS_PASSPHRASE: `${passphrase}-wrong` };
      await run("get, wrong passphrase", ["get", seller], { expect: 5, env: wrong });
      await run("set, wrong passphrase", ["set", "--no-verify", "--password-stdin", seller], { expect: 5, input: password, env: wrong });
      await run("token, wrong passphrase", ["token", seller], { expect: 5, env: wrong });
      await run("doctor, wrong passphrase", ["doctor"], { expect: 5, env: wrong });
    } else {
      const noBus = { DBUS_SESSION_BUS_ADDRESS: undefined };
      await run("get, no Secret Service", ["get", seller], { expect: 5, env: noBus });
      await run("set, no Secret Service", ["set", "--no-verify", "--password-stdin", seller], { expect: 5, input: password, env: noBus });
      await run("token, no Secret Service", ["token", seller], { expect: 5, env: noBus });
    }
    await run("delete", ["delete", seller], { expect: 0 });
    await run("get, after delete", ["get", seller], { expect: 3 });

    // The password was really used (so its absence elsewhere means something).
    expect(sts.requests.filter((r) => r.password === password).length).toBeGreaterThan(10);
    const secrets: [string, string][] = [
      ["password", password],
      ["Basic form", basic],
      ...(store === "file" ? ([["passphrase", passphrase]] as [string, string][]) : []),
    ];
    for (const { label, result, passwordOnStdoutAllowed } of audited) {
      for (const [what, secret] of secrets) {
        expect(result.stderr, `${what} on stderr of ${label}`).not.toContain(secret);
        if (!(passwordOnStdoutAllowed && what === "password")) expect(result.stdout, `${what} on stdout of ${label}`).not.toContain(secret);
      }
      expect(result.stderr, `token on stderr of ${label}`).not.toContain(sts.token);
    }
    // --debug did say things (the audit would prove nothing on silent runs).
    expect(audited.find((a) => a.label === "token (new)")?.result.stderr).toMatch(/^debug: /m);

    for (const folder of [config.dir, temp, home]) {
      for (const [path, content] of await filesUnder(folder)) {
        for (const [what, secret] of [...secrets, ["token", sts.token]]) expect(content, `${what} in ${path}`).not.toContain(secret);
        const latin1 = Buffer.from(content, "utf8").toString("latin1");
        expect(latin1, `password in ${path} (latin-1)`).not.toContain(password);
      }
    }
    expect((await filesUnder(temp)).size, "files left in TMPDIR").toBe(0);
  }, 180_000);
});
