// When the keychain cannot be used: no Secret Service, a locked keyring, one never unlocked. Each
// must fail with exit 5 and a message saying what to do, and store nothing anywhere; in particular
// never in the kernel keyring, where the library would otherwise fall back silently.
import { createRequire } from "node:module";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import type { KeyringBinding } from "../src/stores/keychain/index.js";
import { runCli, type CliOptions } from "./support/cli.js";
import { startPrivateKeyring } from "./support/private-keyring.js";
import { clearLogins, filesUnder, secretToolLookup, sentinel, tempConfig, uniqueLogin } from "./support/store-helpers.js";

const { Entry } = createRequire(import.meta.url)("@napi-rs/keyring") as KeyringBinding;
const apiLogins: string[] = [];
let config: Awaited<ReturnType<typeof tempConfig>>;

beforeEach(async () => {
  config = await tempConfig();
});
afterEach(async () => {
  await config.remove();
});
afterAll(() => clearLogins(apiLogins));

const cdcreds = (args: string[], options: CliOptions = {}) =>
  runCli(args, { ...options, env: { XDG_CONFIG_HOME: config.dir, ...options.env } });

/** What the kernel keyring holds for an entry: the password, null, or why it cannot be read here. */
function kernelKeyring(service: string, account: string): string | null {
  try {
    return new Entry(service, account, { linux: { store: "keyutils" } }).getPassword();
  } catch (error) {
    // Containers often forbid the keyctl system calls: then nothing can have been stored there either.
    return `unavailable: ${(error as Error).message}`;
  }
}

describe("no Secret Service (no D-Bus session bus)", () => {
  const noBus = { DBUS_SESSION_BUS_ADDRESS: undefined };

  it("set exits 5, says what to do, and stores nothing anywhere", async () => {
    const seller = uniqueLogin("nobus");
    const api = `${seller}-api`;
    apiLogins.push(api);
    const password = sentinel();
    const result = await cdcreds(["set", "--no-verify", "--password-stdin", seller], { input: password, env: noBus });
    expect(result.code).toBe(5);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^error: no Secret Service is reachable/);
    expect(result.stderr).toContain("--store file");
    expect(result.stderr).toContain("CDISCOUNT_API_LOGIN and CDISCOUNT_API_PASSWORD");
    expect(result.stderr).not.toContain(password);
    expect(secretToolLookup("cdcreds:prod", api)).toBeUndefined();
    expect(kernelKeyring("cdcreds:prod", api)).not.toBe(password);
    expect(kernelKeyring("cdcreds:prod", api) ?? "nothing").toMatch(/^(nothing|unavailable: )/);
    expect(await filesUnder(config.dir)).toEqual(new Map());
  });

  it("set without a terminal is told about the store before --secret-stdin: the server newcomer's first problem", async () => {
    const result = await cdcreds(["set", uniqueLogin("nobus-tty")], { env: noBus });
    expect(result.code, result.stderr).toBe(5);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^error: no Secret Service is reachable.*\nhint: .*`--store file`/);
  });

  it("list and verify with no account index say the keychain is unreachable (exit 5), not that nothing is stored", async () => {
    for (const args of [["list"], ["list", "--json"], ["verify"], ["verify", "--all"], ["get"]]) {
      const result = await cdcreds(args, { env: noBus });
      expect({ args, code: result.code }).toEqual({ args, code: 5 });
      expect(result.stdout).toBe(args.includes("--json") ? "[]\n" : "");
      expect(result.stderr).toMatch(/(^|: )no Secret Service is reachable.*\nhint: .*`--store file`/);
      expect(result.stderr).not.toContain("no stored accounts");
    }
    expect(await filesUnder(config.dir)).toEqual(new Map());
  });

  it("get, delete and doctor exit 5 too", async () => {
    for (const args of [["get", "someone"], ["delete", "someone"], ["doctor"]]) {
      const result = await cdcreds(args, { env: noBus });
      expect({ args, code: result.code, stdout: args[0] === "doctor" ? "" : result.stdout }).toEqual({ args, code: 5, stdout: "" });
      expect(result.stderr).toContain("no Secret Service is reachable");
    }
  });
});

describe("a locked keyring", () => {
  it("refuses set, get, delete and list with exit 5 (list still shows the index), and doctor says it is reachable but locked", async () => {
    const keyring = await startPrivateKeyring({ unlock: true });
    try {
      const env = keyring.env;
      const seller = uniqueLogin("locked");
      expect(await cdcreds(["set", "--no-verify", "--password-stdin", seller], { input: "before-lock", env })).toMatchObject({ code: 0 });
      keyring.lock();
      const password = sentinel();
      const set = await cdcreds(["set", "--no-verify", "--password-stdin", seller], { input: password, env });
      expect(set.code, set.stderr).toBe(5);
      expect(set.stdout).toBe("");
      expect(set.stderr).toMatch(/^error: the keyring is locked\nhint: unlock it/);
      const get = await cdcreds(["get", seller], { env });
      expect(get.code, get.stderr).toBe(5);
      expect(get.stdout).toBe("");
      expect(get.stderr).toContain("the keyring is locked");
      const del = await cdcreds(["delete", seller], { env });
      expect(del.code, del.stderr).toBe(5);
      // list still shows what the index knows, each secret marked unknown, and exits as get does.
      const list = await cdcreds(["list"], { env });
      expect(list.code, list.stderr).toBe(5);
      expect(list.stdout).toMatch(new RegExp(`^${seller}-api +prod +keychain +\\S.* unknown$`, "m"));
      expect(list.stderr).toMatch(/^error: cannot check the keychain store: the keyring is locked\nhint: unlock it/m);
      const listJson = await cdcreds(["list", "--json"], { env });
      expect(listJson.code).toBe(5);
      expect(JSON.parse(listJson.stdout)).toEqual([expect.objectContaining({ apiLogin: `${seller}-api`, stored: null })]);
      const doctor = await cdcreds(["doctor"], { env });
      expect(doctor.code).toBe(5);
      expect(doctor.stderr).toContain("✓ keychain reachable: connected\nerror: keychain unlocked: the keyring is locked\n");
      expect(secretToolLookup("cdcreds:prod", `${seller}-api`, { ...process.env, ...env })).toBeUndefined(); // still locked
    } finally {
      await keyring.close();
    }
  });
});

describe("a keyring that was never unlocked", () => {
  it("refuses set with exit 5 before any password is read", async () => {
    const keyring = await startPrivateKeyring({ unlock: false });
    try {
      const result = await cdcreds(["set", "--no-verify", "--password-stdin", uniqueLogin("never")], {
        input: sentinel(),
        env: keyring.env,
      });
      expect(result.code, result.stderr).toBe(5);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(/^error: the Secret Service has no unlocked default keyring/);
    } finally {
      await keyring.close();
    }
  });
});
