// The `octopia` kind from the built binary, as a seller or an agency runs it: against a loopback
// emulator of Octopia's Keycloak token endpoint and of the seller API's GET /sellers, with the
// real test keychain (read back with secret-tool and Python's keyring), the file store and a
// pseudo-terminal. Every output is searched for the client secret and the access token.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli, type CliOptions, type CliResult } from "./support/cli.js";
import { startOctopiaEmulator, type OctopiaEmulator } from "./support/octopia-emulator.js";
import { ptyRun } from "./support/pty.js";
import { clearLogins, filesUnder, pythonKeyring, secretToolLookup, tempConfig, uniqueLogin } from "./support/store-helpers.js";

const CTRL_C = "\u0003";
const clients: string[] = [];
let config: Awaited<ReturnType<typeof tempConfig>>;
let auth: OctopiaEmulator;
/** Every output of this file's runs, searched for secrets after the last test. */
const outputs: { args: string[]; stdout: string; stderr: string; secretExpected: boolean }[] = [];
const secrets: string[] = [];

beforeEach(async () => {
  config = await tempConfig();
  auth = await startOctopiaEmulator();
  secrets.push(auth.token);
});
afterEach(async () => {
  await auth.close();
  await config.remove();
});
afterAll(() => clearLogins(clients));

/** Runs cdcreds with the emulator's URLs, no retries and this test's config folder (`--kind` only when given). */
async function cdcreds(args: string[], options: CliOptions = {}, { secretExpected = false } = {}): Promise<CliResult> {
  const result = await runCli(["--auth-url", auth.url, "--api-url", auth.apiUrl, "--retries", "0", ...args], {
    ...options,
    env: { XDG_CONFIG_HOME: config.dir, ...options.env },
  });
  outputs.push({ args, stdout: result.stdout, stderr: result.stderr, secretExpected });
  return result;
}

/** A client ID as Octopia makes them (spaces and `@`), unique to this run. */
function newClient(name: string): string {
  const id = `Agency ${uniqueLogin(name)}@example.com`;
  clients.push(id);
  return id;
}

/** A client secret with the characters a form body must encode. */
function newSecret(): string {
  const secret = `S3cr+t&=%/: ${randomBytes(6).toString("hex")}`;
  secrets.push(secret);
  return secret;
}

/** Stores a client (checked against the emulator, which then accepts it) with these sellers. */
async function storedClient(name: string, sellerIds: string[] = []): Promise<{ clientId: string; secret: string }> {
  const clientId = newClient(name);
  const secret = newSecret();
  auth.accept(clientId, secret);
  auth.sellers(Object.fromEntries(sellerIds.map((id) => [id, 200 as const])));
  const stored = await cdcreds(
    ["--kind", "octopia", "set", "--secret-stdin", clientId, ...sellerIds.flatMap((id) => ["--seller-id", id])],
    {
      input: secret,
    },
  );
  expect(stored.code, stored.stderr).toBe(0);
  auth.requests.length = 0;
  auth.sellerRequests.length = 0;
  return { clientId, secret };
}

const indexFile = async () => JSON.parse(await readFile(join(config.dir, "cdcreds", "accounts.json"), "utf8")) as { accounts: unknown[] };

describe("set --kind octopia", () => {
  it("checks the client and each seller, stores the secret where secret-tool and Python's keyring read it", async () => {
    const clientId = newClient("set");
    const secret = newSecret();
    auth.accept(clientId, secret);
    auth.sellers({ "12345": 200, "67890": 200 });
    const result = await cdcreds(["--kind", "octopia", "set", "--secret-stdin", clientId, "--seller-id", "12345", "--seller-id", "67890"], {
      input: `${secret}\n`,
    });
    expect(result).toMatchObject({ code: 0, stdout: "" });
    expect(result.stderr).toBe(`✓ ${clientId} (prod): client secret verified and stored in the keychain (sellers 12345, 67890, checked)\n`);
    // Exactly what Keycloak expects, sent once: the form decodes back to the very characters.
    expect(auth.requests).toEqual([
      {
        method: "POST",
        contentType: "application/x-www-form-urlencoded; charset=utf-8",
        form: { grant_type: "client_credentials", client_id: clientId, client_secret: secret },
      },
    ]);
    expect(auth.sellerRequests).toEqual(
      ["12345", "67890"].map((sellerId) => ({ path: "/seller/v2/sellers", authorization: `Bearer ${auth.token}`, sellerId })),
    );
    expect(secretToolLookup("cdcreds-octopia:prod", clientId)).toBe(secret);
    const python = pythonKeyring(`print(keyring.get_password("cdcreds-octopia:prod", ${JSON.stringify(clientId)}), end="")`);
    expect(python).toMatchObject({ status: 0, stdout: secret });
    const cached = JSON.parse(secretToolLookup("cdcreds-octopia-token:prod", clientId)!) as Record<string, string>;
    expect(cached.token).toBe(auth.token);
    expect(Date.parse(cached.expiresAt!) - Date.parse(cached.issuedAt!)).toBe(7200 * 1000);
    expect((await indexFile()).accounts).toEqual([
      {
        kind: "octopia",
        clientId,
        env: "prod",
        store: "keychain",
        lastVerified: cached.issuedAt,
        secretSetAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
        sellerIds: ["12345", "67890"],
      },
    ]);
  });

  it.each(["401", "401-unauthorized", "400-unauthorized"] as const)(
    "stores nothing when Keycloak rejects the secret (%s), sent exactly once",
    async (mode) => {
      const clientId = newClient("rejected");
      auth.answer(mode);
      const result = await cdcreds(["--kind", "octopia", "set", "--secret-stdin", clientId], { input: newSecret() });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: .*: client ID or secret rejected by Octopia \(HTTP 40[01] \w+\); nothing was stored$/m);
      expect(result.stderr).toContain('"API Credentials Management"');
      expect(auth.requests).toHaveLength(1);
      expect(secretToolLookup("cdcreds-octopia:prod", clientId)).toBeUndefined();
    },
  );

  it.each([
    [403, "not allowed to act for seller 666", "the seller must authorise this client"],
    [404, "Octopia knows no seller 666", "an account Octopia has not validated yet"],
  ] as const)("stores nothing when a seller answers %i", async (status, message, hint) => {
    const clientId = newClient("seller");
    const secret = newSecret();
    auth.accept(clientId, secret);
    auth.sellers({ "12345": 200, "666": status });
    const result = await cdcreds(["--kind", "octopia", "set", "--secret-stdin", clientId, "--seller-id", "12345", "--seller-id", "666"], {
      input: secret,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${message} (HTTP ${status}); nothing was stored`);
    expect(result.stderr).toContain(hint);
    expect(secretToolLookup("cdcreds-octopia:prod", clientId)).toBeUndefined();
  });

  it("refuses a bad client ID or seller ID before anything is sent (exit 2)", async () => {
    for (const args of [
      ["short"],
      ["1starts-with-a-digit"],
      ["Good client id", "--seller-id", "12 34"],
      ["Good client id", "--seller-id", "a\nb"],
    ]) {
      const result = await cdcreds(["--kind", "octopia", "set", "--secret-stdin", ...args], { input: "s" });
      expect(result.code, result.stderr).toBe(2);
    }
    expect(auth.requests).toHaveLength(0);
  });
});

describe("token, get and exec for a stored client", () => {
  it("serves a cached token with no --kind (the index knows), with the headers of a seller API call", async () => {
    const { clientId } = await storedClient("token", ["12345"]);
    const plain = await cdcreds(["token", clientId], {}, { secretExpected: true });
    expect(plain).toMatchObject({ code: 0, stdout: `${auth.token}\n`, stderr: "" });
    const json = await cdcreds(["token", "--json", clientId], {}, { secretExpected: true });
    expect(JSON.parse(json.stdout)).toEqual({
      kind: "octopia",
      clientId,
      env: "prod",
      token: auth.token,
      expiresAt: expect.stringMatching(/^\d{4}-/) as unknown,
      sellerId: "12345",
      headers: { Authorization: `Bearer ${auth.token}`, SellerId: "12345" },
    });
    expect(auth.requests).toHaveLength(0); // set cached the token it was issued
  });

  it("renews a token with a minute left, or a tenth of its lifetime, whichever is more", async () => {
    const { clientId } = await storedClient("lifetime");
    const cache = (issuedAgoS: number, leftS: number) =>
      JSON.stringify({
        token: "old.cached.token",
        expiresAt: new Date(Date.now() + leftS * 1000).toISOString(),
        issuedAt: new Date(Date.now() - issuedAgoS * 1000).toISOString(),
        authUrl: auth.url, // from the emulator: this run's token URL
      });
    // Written with secret-tool, as another tool could: the layout is public.
    const write = (value: string) =>
      spawnSync("secret-tool", ["store", "--label=test", "service", "cdcreds-octopia-token:prod", "username", clientId], { input: value });
    const cases: [number, number, boolean][] = [
      [60, 10, true], // a 70 s token with 10 s left: more than a tenth, less than a minute: renewed
      [0, 70, false], // a 70 s token just issued: more than a minute left: served
      [6500, 700, true], // a 7200 s token with 700 s left: less than a tenth (720 s): renewed
      [6300, 900, false], // ... with 900 s left: served
    ];
    for (const [issuedAgo, left, renewed] of cases) {
      write(cache(issuedAgo, left));
      auth.requests.length = 0;
      const result = await cdcreds(["token", clientId], {}, { secretExpected: true });
      expect(result.code, result.stderr).toBe(0);
      expect({ issuedAgo, left, stdout: result.stdout, requests: auth.requests.length }).toEqual({
        issuedAgo,
        left,
        stdout: renewed ? `${auth.token}\n` : "old.cached.token\n",
        requests: renewed ? 1 : 0,
      });
    }
  });

  const ago = (iso: string, seconds: number): string => new Date(Date.parse(iso) - seconds * 1000).toISOString();

  it("serves a 70 s token from expires_in, then gets a new one once a minute or less is left", async () => {
    const clientId = newClient("short");
    const secret = newSecret();
    auth.accept(clientId, secret);
    auth.expiresIn(70);
    expect((await cdcreds(["--kind", "octopia", "set", "--secret-stdin", clientId], { input: secret })).code).toBe(0);
    const cached = JSON.parse(secretToolLookup("cdcreds-octopia-token:prod", clientId)!) as { expiresAt: string; issuedAt: string };
    expect(Date.parse(cached.expiresAt) - Date.parse(cached.issuedAt)).toBe(70_000);
    expect((await cdcreds(["token", clientId], {}, { secretExpected: true })).stdout).toBe(`${auth.token}\n`);
    expect(auth.requests).toHaveLength(1); // served: 70 s left is more than a minute
    // The same entry 11 s older, as the cache would hold it 11 s later (waiting costs 11 s a run).
    const aged = { ...cached, issuedAt: ago(cached.issuedAt, 11), expiresAt: ago(cached.expiresAt, 11) };
    spawnSync("secret-tool", ["store", "--label=test", "service", "cdcreds-octopia-token:prod", "username", clientId], {
      input: JSON.stringify(aged),
    });
    expect((await cdcreds(["token", clientId], {}, { secretExpected: true })).code).toBe(0);
    expect(auth.requests).toHaveLength(2); // under a minute left: renewed
  });

  it("get prints the secret, --json adds the seller IDs", async () => {
    const { clientId, secret } = await storedClient("get", ["12345"]);
    expect(await cdcreds(["get", clientId], {}, { secretExpected: true })).toMatchObject({ code: 0, stdout: `${secret}\n`, stderr: "" });
    const json = await cdcreds(["get", "--json", clientId], {}, { secretExpected: true });
    expect(JSON.parse(json.stdout)).toEqual({ kind: "octopia", clientId, clientSecret: secret, sellerIds: ["12345"], env: "prod" });
  });

  it("exec hands the program the client, its secret, a token and its only seller", async () => {
    const { clientId, secret } = await storedClient("exec", ["12345"]);
    const print =
      "process.stdout.write(JSON.stringify(['OCTOPIA_CLIENT_ID','OCTOPIA_CLIENT_SECRET','OCTOPIA_ACCESS_TOKEN','OCTOPIA_SELLER_ID','CDISCOUNT_API_PASSWORD'].map((v) => process.env[v] ?? null)))";
    const result = await cdcreds(["exec", "--login", clientId, "--", process.execPath, "-e", print], {}, { secretExpected: true });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([clientId, secret, auth.token, "12345", null]);
    const other = await cdcreds(
      ["exec", "--login", clientId, "--seller-id", "777", "--", process.execPath, "-e", print],
      {},
      { secretExpected: true },
    );
    expect((JSON.parse(other.stdout) as string[])[3]).toBe("777");
  });

  it("delete removes the secret and the cached token, then says there is nothing (exit 3)", async () => {
    const { clientId } = await storedClient("delete");
    expect((await cdcreds(["delete", clientId])).code).toBe(0);
    expect(secretToolLookup("cdcreds-octopia:prod", clientId)).toBeUndefined();
    expect(secretToolLookup("cdcreds-octopia-token:prod", clientId)).toBeUndefined();
    expect((await cdcreds(["--kind", "octopia", "delete", clientId])).code).toBe(3);
  });

  it("thirty cold `token` runs at once make one token request", async () => {
    const { clientId } = await storedClient("many");
    await cdcreds(["--kind", "octopia", "delete", clientId]); // the secret goes too: store it again unverified
    const secret = newSecret();
    auth.accept(clientId, secret);
    expect((await cdcreds(["--kind", "octopia", "set", "--no-verify", "--secret-stdin", clientId], { input: secret })).code).toBe(0);
    const runs = await Promise.all(Array.from({ length: 30 }, () => cdcreds(["token", clientId], {}, { secretExpected: true })));
    expect(runs.map((r) => r.code)).toEqual(Array(30).fill(0));
    expect(new Set(runs.map((r) => r.stdout))).toEqual(new Set([`${auth.token}\n`]));
    expect(auth.requests).toHaveLength(1);
  }, 60_000);
});

describe("verify --kind octopia", () => {
  const verifyJson = async (clientId: string, secret: string, args: string[] = []) => {
    const result = await cdcreds(["--kind", "octopia", "verify", "--json", "--secret-stdin", clientId, ...args], { input: secret });
    return { code: result.code, ...(JSON.parse(result.stdout) as Record<string, unknown>), stderr: result.stderr };
  };

  it("answers each status with its exit code", async () => {
    const clientId = newClient("verify");
    const secret = newSecret();
    auth.accept(clientId, secret);
    auth.sellers({ "1": 200, "2": 403, "3": 404 });
    expect(await verifyJson(clientId, secret, ["--seller-id", "1"])).toMatchObject({
      code: 0,
      kind: "octopia",
      clientId,
      sellerId: "1",
      status: "valid",
    });
    expect(await verifyJson(clientId, secret, ["--seller-id", "2"])).toMatchObject({ code: 1, sellerId: "2", status: "seller-denied" });
    expect(await verifyJson(clientId, secret, ["--seller-id", "3"])).toMatchObject({ code: 1, sellerId: "3", status: "seller-unknown" });
    expect(await verifyJson(clientId, "wrong secret")).toMatchObject({ code: 1, status: "rejected", sellerId: null });
    auth.answer("html");
    expect(await verifyJson(clientId, secret)).toMatchObject({ code: 4, status: "unexpected" });
    auth.answer("503");
    expect(await verifyJson(clientId, secret)).toMatchObject({ code: 4, status: "unreachable" });
    auth.accept(clientId, secret);
    auth.sellerAnswer("503");
    expect(await verifyJson(clientId, secret, ["--seller-id", "1"])).toMatchObject({ code: 4, sellerId: "1", status: "unreachable" });
  });

  it.each([
    ["redirect", /HTTP 302 redirect, not followed/],
    ["huge", /answer larger than 64 KiB/],
    ["json-no-token", /HTTP 200 with JSON without an access token/],
    ["400-invalid-request", /HTTP 400 invalid_request/],
    ["hang", /timed out after 1 s/],
    ["stall", /timed out after 1 s/],
  ] as const)("a token answer %s is exit 4", async (mode, detail) => {
    auth.answer(mode);
    const result = await cdcreds(["--kind", "octopia", "--timeout", "1", "verify", "--secret-stdin", newClient("odd")], {
      input: newSecret(),
    });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(detail);
  });

  it("waits out a 429's Retry-After, then succeeds", async () => {
    const clientId = newClient("retry");
    const secret = newSecret();
    auth.retryAfter("1");
    auth.answer("429", "token");
    const result = await cdcreds(["--kind", "octopia", "--retries", "1", "verify", "--secret-stdin", clientId], { input: secret });
    expect(result.code, result.stderr).toBe(0);
    expect(auth.requests).toHaveLength(2);
  });

  it("checks the stored seller IDs when none is given", async () => {
    const { clientId } = await storedClient("stored-sellers", ["12345"]);
    auth.sellers({ "12345": 403 });
    const result = await cdcreds(["verify", clientId]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("not allowed to act for seller 12345");
  });
});

describe("the kind rule and environment credentials", () => {
  it("uses OCTOPIA_CLIENT_ID and OCTOPIA_CLIENT_SECRET (and OCTOPIA_SELLER_ID) with no --kind, and stores nothing", async () => {
    const clientId = newClient("env");
    const secret = newSecret();
    auth.accept(clientId, secret);
    const env = {
      OCTOPIA_CLIENT_ID: clientId,
      OCTOPIA_CLIENT_SECRET: secret,
      OCTOPIA_SELLER_ID: "12345",
      DBUS_SESSION_BUS_ADDRESS: undefined,
    };
    const token = await cdcreds(["token", "--json"], { env }, { secretExpected: true });
    expect(token.code, token.stderr).toBe(0);
    expect(JSON.parse(token.stdout)).toMatchObject({ kind: "octopia", clientId, sellerId: "12345", headers: { SellerId: "12345" } });
    expect(JSON.parse((await cdcreds(["get", "--json"], { env }, { secretExpected: true })).stdout)).toEqual({
      kind: "octopia",
      clientId,
      clientSecret: secret,
      sellerIds: ["12345"],
      env: "prod",
    });
    expect(secretToolLookup("cdcreds-octopia-token:prod", clientId)).toBeUndefined();
  });

  it("refuses to guess when both kinds' environment credentials are set, or a name is stored under both (exit 2)", async () => {
    const both = await cdcreds(["get"], {
      env: { OCTOPIA_CLIENT_ID: "Some client 1", OCTOPIA_CLIENT_SECRET: "x", CDISCOUNT_API_LOGIN: "shop-api", CDISCOUNT_API_PASSWORD: "y" },
    });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^error: environment credentials of two kinds are set/m);
    const name = `${uniqueLogin("twice")}-api`;
    clients.push(name);
    for (const kind of ["api-login", "octopia"]) {
      expect((await cdcreds(["--kind", kind, "set", "--no-verify", "--secret-stdin", name], { input: newSecret() })).code).toBe(0);
    }
    const ambiguous = await cdcreds(["get", name]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain(`${name} is stored under two kinds (api-login and octopia) for prod`);
    expect((await cdcreds(["--kind", "octopia", "get", name], {}, { secretExpected: true })).code).toBe(0);
  });

  it("preprod needs both URLs (exit 2): Octopia documents no preprod endpoint", async () => {
    const run = (args: string[]) =>
      runCli(["--kind", "octopia", "--env", "preprod", ...args, "token", "Some client 1"], { env: { XDG_CONFIG_HOME: config.dir } });
    expect((await run([])).stderr).toMatch(/^error: Octopia documents no preprod token endpoint$/m);
    expect((await run(["--auth-url", auth.url])).stderr).toMatch(/^error: Octopia documents no preprod seller API$/m);
    expect((await run(["--auth-url", auth.url])).code).toBe(2);
    expect((await run(["--auth-url", auth.url, "--api-url", auth.apiUrl])).code).toBe(3); // both given: no such client stored
    expect((await run(["--api-url", "http://example.com/seller/v2"])).stderr).toMatch(
      /--api-url refused: http: is only allowed to a loopback host/,
    );
  });
});

describe("list, doctor, the file store", () => {
  it("list shows both kinds with the seller IDs", async () => {
    const { clientId } = await storedClient("list", ["12345", "67890"]);
    const apiLogin = `${uniqueLogin("zz-listed")}-api`;
    clients.push(apiLogin);
    expect((await cdcreds(["set", "--no-verify", "--secret-stdin", apiLogin], { input: newSecret() })).code).toBe(0);
    const json = await cdcreds(["list", "--json"]);
    expect(JSON.parse(json.stdout)).toEqual([
      {
        kind: "octopia",
        clientId,
        env: "prod",
        store: "keychain",
        sellerIds: ["12345", "67890"],
        lastVerified: expect.any(String) as unknown,
        secretSetAt: expect.any(String) as unknown,
        stored: true,
      },
      { apiLogin, env: "prod", store: "keychain", lastVerified: null, secretSetAt: expect.any(String) as unknown, stored: true }, // as before there were two kinds
    ]);
    const table = await cdcreds(["list"]);
    expect(table.stdout).toMatch(new RegExp(`^octopia +${clientId.replace(/[.]/g, "\\.")} +prod +keychain +12345,67890 +\\d{4}-`, "m"));
    expect(table.stdout).toMatch(new RegExp(`^api-login +${apiLogin} +prod +keychain +- +never +< 1 day +ok$`, "m"));
  });

  it("doctor --online asks each token service with made-up credentials", async () => {
    auth.answer("401");
    const result = await cdcreds(["--kind", "octopia", "doctor", "--online"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("✓ token service: answers (HTTP 401 invalid_client to a made-up login, as expected)");
    expect(auth.requests[0]!.form.client_id).toBe("cdcreds doctor check");
  });

  it("the file store keeps a client like the keychain does", async () => {
    const clientId = newClient("file");
    const secret = newSecret();
    auth.accept(clientId, secret);
    const env = { CDCREDS_STORE: "file", CDCREDS_PASSPHRASE: "correct horse battery staple" };
    secrets.push(env.CDCREDS_PASSPHRASE);
    expect((await cdcreds(["--kind", "octopia", "set", "--secret-stdin", clientId], { input: secret, env })).code).toBe(0);
    expect((await cdcreds(["get", clientId], { env }, { secretExpected: true })).stdout).toBe(`${secret}\n`);
    expect((await cdcreds(["token", clientId], { env }, { secretExpected: true })).stdout).toBe(`${auth.token}\n`);
    expect(secretToolLookup("cdcreds-octopia:prod", clientId)).toBeUndefined();
    for (const [path, content] of await filesUnder(config.dir)) {
      expect(content, path).not.toContain(secret);
      expect(content, path).not.toContain(auth.token);
    }
  });
});

describe("set --kind octopia in a terminal", () => {
  const terminal = (args: string[]) =>
    ptyRun(["--kind", "octopia", "--auth-url", auth.url, "--api-url", auth.apiUrl, "--retries", "0", ...args], {
      XDG_CONFIG_HOME: config.dir,
    });

  it("asks the client ID, masks the secret, asks again after a rejection, then asks the seller IDs", async () => {
    const clientId = newClient("tty");
    const secret = newSecret();
    auth.accept(clientId, secret);
    auth.sellers({ "12345": 200 });
    const run = terminal(["set"]);
    let at = await run.waitFor(/Client ID/);
    run.type(`${clientId}\r`);
    at = await run.waitFor(/Client secret of /, at);
    run.type("wrong secret\r");
    at = await run.waitFor(/rejected by Octopia/, at);
    at = await run.waitFor(/Client secret of /, at);
    run.type(`${secret}\r`);
    await run.waitFor(/Seller IDs/, at);
    run.type("12345\r");
    expect(await run.exited).toBe(0);
    expect(run.screen).not.toContain(secret);
    expect(run.screen).not.toContain("wrong secret");
    expect(auth.requests.map((r) => r.form.client_secret)).toEqual(["wrong secret", secret]);
    expect(secretToolLookup("cdcreds-octopia:prod", clientId)).toBe(secret);
    expect(auth.sellerRequests.map((r) => r.sellerId)).toEqual(["12345"]);
  });

  it("stores nothing on Ctrl-C at the secret prompt (exit 130)", async () => {
    const clientId = newClient("ctrl-c");
    const run = terminal(["set", clientId]);
    await run.waitFor(/Client secret of /);
    run.type("half typed");
    run.type(CTRL_C);
    expect(await run.exited).toBe(130);
    expect(secretToolLookup("cdcreds-octopia:prod", clientId)).toBeUndefined();
    expect(auth.requests).toHaveLength(0);
  });
});

describe("--debug", () => {
  it("tells each step, never the secret or the token", async () => {
    const { clientId, secret } = await storedClient("debug", ["12345"]);
    const runs = [
      await cdcreds(["--debug", "token", "--refresh", clientId], {}, { secretExpected: true }),
      await cdcreds(["--debug", "verify", clientId]),
      await cdcreds(["--debug", "--kind", "octopia", "verify", "--secret-stdin", clientId, "--seller-id", "12345"], { input: secret }),
      await cdcreds(["--debug", "set", "--secret-stdin", clientId], { input: secret }),
    ];
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    expect(runs[1]!.stderr).toContain("debug: attempt 1: POST 127.0.0.1:");
    expect(runs[1]!.stderr).toContain("debug: seller 12345: valid");
    for (const run of runs) {
      expect(run.stderr).not.toContain(secret);
      expect(run.stderr).not.toContain(auth.token);
      expect(run.stderr).not.toContain(encodeURIComponent(secret));
    }
  });
});

describe("no secret leaks", () => {
  it("no client secret, passphrase or token on stderr, nor on stdout where none was asked for", () => {
    expect(outputs.length).toBeGreaterThan(40);
    for (const { args, stdout, stderr, secretExpected } of outputs) {
      for (const secret of secrets) {
        expect(stderr, args.join(" ")).not.toContain(secret);
        if (!secretExpected) expect(stdout, args.join(" ")).not.toContain(secret);
      }
    }
  });
});
