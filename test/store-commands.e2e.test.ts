// set / get / list / delete / doctor, run as the built binary against the private test keyring of
// scripts/with-keyring.sh and a loopback token-service emulator. Each test has its own config
// folder and unique logins, and hunts for its sentinel password wherever it must not be.
import { spawnSync } from "node:child_process";
import { beforeEach, describe, expect, it } from "vitest";
import { runCli, type CliOptions } from "./support/cli.js";
import { filesUnder, pythonKeyring, secretToolLookup, sentinel, uniqueLogin } from "./support/store-helpers.js";
import { useSandbox } from "./support/sandbox.js";

let outputs: string[];

const login = (name: string): { seller: string; api: string } => {
  const seller = uniqueLogin(name);
  apiLogins.push(`${seller}-api`);
  return { seller, api: `${seller}-api` };
};

/** Runs cdcreds with this test's config folder and emulator, and keeps stderr (and stdout) to search. */
async function cdcreds(args: string[], options: CliOptions & { keepStdout?: boolean } = {}) {
  const result = await runCli(["--auth-url", box.sts.url, "--retries", "0", ...args], {
    ...options,
    env: { XDG_CONFIG_HOME: box.config.dir, ...options.env },
  });
  outputs.push(result.stderr);
  if (options.keepStdout !== false) outputs.push(result.stdout);
  return result;
}

const box = useSandbox();
const { apiLogins } = box;
beforeEach(() => {
  outputs = [];
});

/** The sentinel is nowhere: not in what cdcreds printed (but `get`), nor in any file it wrote. */
async function expectNowhere(secret: string): Promise<void> {
  for (const output of outputs) expect(output).not.toContain(secret);
  for (const [path, content] of await filesUnder(box.config.dir)) expect(content, path).not.toContain(secret);
}

describe("set then get", () => {
  it("stores a verified password that get, secret-tool and Python's keyring read back", async () => {
    const { seller, api } = login("roundtrip");
    const password = sentinel();
    box.sts.setCredentials(api, password);
    const set = await cdcreds(["set", "--password-stdin", seller], { input: `${password}\n` });
    expect(set).toMatchObject({ code: 0, stdout: "", stderr: `✓ ${api} (prod): password verified and stored in the keychain\n` });
    expect(box.sts.requests.map((r) => [r.login, r.password])).toEqual([[api, password]]);

    const get = await cdcreds(["get", seller], { keepStdout: false });
    expect(get).toMatchObject({ code: 0, stdout: `${password}\n`, stderr: "" });
    const json = await cdcreds(["get", "--json", api], { keepStdout: false });
    expect(JSON.parse(json.stdout)).toEqual({ apiLogin: api, password, env: "prod" });

    expect(secretToolLookup("cdcreds:prod", api)).toBe(password);
    const python = pythonKeyring(`sys.stdout.write(keyring.get_password("cdcreds:prod", ${JSON.stringify(api)}))`);
    expect(python).toMatchObject({ status: 0, stdout: password });

    const index = JSON.parse((await filesUnder(box.config.dir)).get(`${box.config.dir}/cdcreds/accounts.json`)!) as {
      accounts: { lastVerified?: string }[];
    };
    expect(index.accounts).toEqual([
      {
        apiLogin: api,
        env: "prod",
        store: "keychain",
        lastVerified: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
        secretSetAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
      },
    ]);
    await expectNowhere(password);
  });

  it("reads an entry that Python's keyring wrote", async () => {
    const { api } = login("python");
    const password = sentinel();
    expect(pythonKeyring(`keyring.set_password("cdcreds:preprod", ${JSON.stringify(api)}, ${JSON.stringify(password)})`).status).toBe(0);
    expect(await cdcreds(["get", "--env", "preprod", api], { keepStdout: false })).toMatchObject({
      code: 0,
      stdout: `${password}\n`,
      stderr: "",
    });
  });

  it("stores nothing when Cdiscount rejects the password (exit 1), and says what to check", async () => {
    const { seller, api } = login("rejected");
    box.sts.setCredentials(api, "the-right-one");
    const password = sentinel();
    const result = await cdcreds(["set", "--password-stdin", seller], { input: password });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`error: ${api}: credentials rejected by Cdiscount (HTTP 401); nothing was stored`);
    expect(result.stderr).toContain("hint: check that the login ends in -api");
    expect(box.sts.requests).toHaveLength(1); // a rejected password is never sent twice
    expect(secretToolLookup("cdcreds:prod", api)).toBeUndefined();
    expect(await cdcreds(["list", "--json"])).toMatchObject({ code: 0, stdout: "[]\n" });
    await expectNowhere(password);
  });

  it("stores without asking Cdiscount with --no-verify, and refuses to prompt without a terminal", async () => {
    const { seller, api } = login("noverify");
    const password = sentinel();
    expect(await cdcreds(["set", "--no-verify", "--password-stdin", seller], { input: `${password}\r\n` })).toMatchObject({
      code: 0,
      stdout: "",
    });
    expect(box.sts.requests).toHaveLength(0);
    expect(secretToolLookup("cdcreds:prod", api)).toBe(password);
    const noTty = await cdcreds(["set", seller]);
    expect(noTty).toMatchObject({ code: 2, stdout: "" });
    expect(noTty.stderr).toContain("--password-stdin");
    await expectNowhere(password);
  });

  it("exits 3 for an unknown login, with nothing on stdout", async () => {
    const { api } = login("unknown");
    expect(await cdcreds(["get", api])).toMatchObject({
      code: 3,
      stdout: "",
      stderr: `error: no password stored for ${api} (prod) in the keychain\nhint: store it with \`cdcreds set ${api}\`, or run \`cdcreds list\`\n`,
    });
  });
});

describe("which login", () => {
  it("uses the only stored account, then CDCREDS_LOGIN, and lists the accounts when it cannot choose", async () => {
    const one = login("only");
    const two = login("second");
    const [p1, p2] = [sentinel(), sentinel()];
    await cdcreds(["set", "--no-verify", "--password-stdin", one.seller], { input: p1 });
    expect(await cdcreds(["get"], { keepStdout: false })).toMatchObject({ code: 0, stdout: `${p1}\n` });
    await cdcreds(["set", "--no-verify", "--password-stdin", two.seller], { input: p2 });
    const ambiguous = await cdcreds(["get"]);
    expect(ambiguous).toMatchObject({ code: 2, stdout: "" });
    expect(ambiguous.stderr).toContain(`several accounts are stored for prod: ${[one.api, two.api].sort().join(", ")}`);
    expect(await cdcreds(["get"], { env: { CDCREDS_LOGIN: two.seller }, keepStdout: false })).toMatchObject({ code: 0, stdout: `${p2}\n` });
    await expectNowhere(p1);
    await expectNowhere(p2);
  });

  it("prefers environment credentials and does not touch the store for them", async () => {
    const env = { CDISCOUNT_API_LOGIN: "envshop", CDISCOUNT_API_PASSWORD: "from-env", DBUS_SESSION_BUS_ADDRESS: undefined };
    expect(await cdcreds(["get", "--json"], { env, keepStdout: false })).toMatchObject({
      code: 0,
      stdout: '{"apiLogin":"envshop-api","password":"from-env","env":"prod"}\n',
    });
  });
});

describe("list, delete, verify, doctor", () => {
  it("lists accounts without a secret, and flags one whose password is gone", async () => {
    const kept = login("kept");
    const gone = login("gone");
    const [p1, p2] = [sentinel(), sentinel()];
    await cdcreds(["set", "--no-verify", "--password-stdin", kept.seller], { input: p1 });
    await cdcreds(["set", "--no-verify", "--password-stdin", gone.seller], { input: p2 });
    spawnSync("secret-tool", ["clear", "service", "cdcreds:prod", "username", gone.api]);
    const json = await cdcreds(["list", "--json"]);
    expect(JSON.parse(json.stdout)).toEqual(
      [kept.api, gone.api].sort().map((apiLogin) => ({
        apiLogin,
        env: "prod",
        store: "keychain",
        lastVerified: null,
        secretSetAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
        stored: apiLogin === kept.api,
      })),
    );
    const text = await cdcreds(["list"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^API LOGIN +ENV +STORE +LAST VERIFIED +SET +PASSWORD\n`));
    expect(text.stdout).toMatch(new RegExp(`${gone.api} +prod +keychain +never +< 1 day +MISSING\n`));
    expect(text.stderr).toContain(`warning: ${gone.api} (prod) is in the account index but its password is gone`);
    await expectNowhere(p1);
    await expectNowhere(p2);
  });

  it("deletes the password and the cached token, then exits 3 when nothing is left", async () => {
    const { seller, api } = login("delete");
    await cdcreds(["set", "--no-verify", "--password-stdin", seller], { input: sentinel() });
    spawnSync("secret-tool", ["store", "--label=token", "service", "cdcreds-token:prod", "username", api], {
      input: '{"token":"abc","expiresAt":"2099-01-01T00:00:00Z"}',
    });
    expect(secretToolLookup("cdcreds-token:prod", api)).toBeDefined();
    expect(await cdcreds(["delete", seller])).toMatchObject({
      code: 0,
      stdout: "",
      stderr: `✓ ${api} (prod): removed the password and cached token from the keychain\n`,
    });
    expect(secretToolLookup("cdcreds:prod", api)).toBeUndefined();
    expect(secretToolLookup("cdcreds-token:prod", api)).toBeUndefined();
    expect(await cdcreds(["list", "--json"])).toMatchObject({ stdout: "[]\n" });
    expect(await cdcreds(["delete", seller])).toMatchObject({ code: 3, stdout: "" });
  });

  it("verify checks the stored password", async () => {
    const { seller, api } = login("verify");
    const password = sentinel();
    await cdcreds(["set", "--no-verify", "--password-stdin", seller], { input: password });
    box.sts.setCredentials(api, password);
    expect(await cdcreds(["verify", seller])).toMatchObject({ code: 0, stdout: "" });
    expect(box.sts.requests.map((r) => r.password)).toEqual([password]);
    await expectNowhere(password);
  });

  it("doctor reports a working keychain, and with --online whether the service answers", async () => {
    box.sts.answer("401");
    const ok = await cdcreds(["doctor", "--online"]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain("✓ keychain reachable: connected\n✓ keychain unlocked: a test entry was written and removed\n");
    expect(ok.stderr).toContain("✓ token service: answers (HTTP 401 to a made-up login, as expected)");
    expect(ok.stderr).toContain(`token URL: ${box.sts.url}`);
    box.sts.answer("503");
    const down = await cdcreds(["doctor", "--online", "--json"]);
    expect(down.code).toBe(4);
    expect(JSON.parse(down.stdout)).toMatchObject({
      store: "keychain",
      env: "prod",
      checks: expect.arrayContaining([expect.objectContaining({ name: "token service", ok: false })]) as unknown,
    });
  });

  it("keeps every account when several set runs write the index at once", async () => {
    const logins = Array.from({ length: 4 }, (_, i) => login(`concurrent${i}`));
    const results = await Promise.all(
      logins.map(({ seller }) => cdcreds(["set", "--no-verify", "--password-stdin", seller], { input: `pw-${seller}` })),
    );
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const index = JSON.parse((await filesUnder(box.config.dir)).get(`${box.config.dir}/cdcreds/accounts.json`)!) as {
      accounts: { apiLogin: string }[];
    };
    expect(index.accounts.map((a) => a.apiLogin).sort()).toEqual(logins.map((l) => l.api).sort());
    for (const { seller, api } of logins) expect(secretToolLookup("cdcreds:prod", api)).toBe(`pw-${seller}`);
  });
});
