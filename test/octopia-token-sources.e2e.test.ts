// Where an Octopia token comes from and where it goes, from the built binary and the library:
// a replaced seller API base is announced like a replaced token URL (the token and seller IDs go
// there), an `expires_in` out of range is refused before anything is stored (or clamped to a day),
// and a cached token is served only to runs against the token URL it came from. Loopback
// emulators, a forward proxy that routes real-looking names to an HTTPS server trusted through
// NODE_EXTRA_CA_CERTS, and the real test keychain. Every output is searched for the secrets.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:https";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli, type CliResult } from "./support/cli.js";
import { startProxy, type Proxy } from "./support/emulator.js";
import { listenOnLoopback } from "./support/loopback-server.js";
import { startOctopiaEmulator, type OctopiaEmulator } from "./support/octopia-emulator.js";
import { clearLogins, secretToolLookup, tempConfig, uniqueLogin } from "./support/store-helpers.js";
import { throwawayCertificate, type TestCertificate } from "./support/tls.js";

const execFileAsync = promisify(execFile);
const clients: string[] = [];
const secrets: string[] = [];
/** Every output of this file's runs, searched for secrets after the last test. */
const outputs: { stdout: string; stderr: string; tokenExpected: boolean }[] = [];
let config: Awaited<ReturnType<typeof tempConfig>>;
let auth: OctopiaEmulator;

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

/** Runs cdcreds with no retries, this test's config folder and these variables; no URL unless given. */
async function cdcreds(args: string[], env: Record<string, string> = {}, input?: string, tokenExpected = false): Promise<CliResult> {
  const result = await runCli(["--retries", "0", ...args], { input, env: { XDG_CONFIG_HOME: config.dir, ...env } });
  outputs.push({ stdout: result.stdout, stderr: result.stderr, tokenExpected });
  return result;
}

function newClient(name: string): string {
  const id = `Agency ${uniqueLogin(name)}@example.com`;
  clients.push(id);
  return id;
}

function newSecret(): string {
  const secret = `S3cr+t&= ${randomBytes(6).toString("hex")}`;
  secrets.push(secret);
  return secret;
}

/** Stores a client through `service` (which then accepts it), with these sellers checked against `apiUrl`. */
async function storedClient(name: string, service = auth, sellerIds: string[] = []): Promise<{ clientId: string; secret: string }> {
  const clientId = newClient(name);
  const secret = newSecret();
  service.accept(clientId, secret);
  service.sellers(Object.fromEntries(sellerIds.map((id) => [id, 200 as const])));
  const args = ["--kind", "octopia", "--auth-url", service.url, "--api-url", service.apiUrl, "set", "--secret-stdin", clientId];
  const stored = await cdcreds([...args, ...sellerIds.flatMap((id) => ["--seller-id", id])], {}, secret);
  expect(stored.code, stored.stderr).toBe(0);
  service.requests.length = 0;
  return { clientId, secret };
}

const cachedEntry = (clientId: string): Record<string, unknown> | undefined => {
  const raw = secretToolLookup("cdcreds-octopia-token:prod", clientId);
  return raw === undefined ? undefined : (JSON.parse(raw) as Record<string, unknown>);
};

/** Runs an ES module that imports "cdcreds" (the built package, by name) and parses what it prints. */
async function library(code: string, env: Record<string, string>): Promise<unknown> {
  const { stdout, stderr } = await execFileAsync(process.execPath, ["--input-type=module", "-e", code], {
    env: { ...process.env, XDG_CONFIG_HOME: config.dir, ...env },
  });
  outputs.push({ stdout, stderr, tokenExpected: true });
  return JSON.parse(stdout);
}

/** The seller the HTTPS seller API denies. */
const DENIED = "999";

/** An HTTPS seller API (GET /seller/v2/sellers answers the emulator's token: 200, or 403 for DENIED), recording what it was sent. */
async function startSellerApi(
  tls: TestCertificate,
): Promise<{ port: number; seen: { authorization?: string; sellerId?: string }[]; close: () => Promise<void> }> {
  const seen: { authorization?: string; sellerId?: string }[] = [];
  const server: Server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    seen.push({ authorization: req.headers.authorization, sellerId: req.headers.sellerid as string | undefined });
    const ok = req.url?.startsWith("/seller/v2/sellers") === true && req.headers.authorization === `Bearer ${auth.token}`;
    const status = !ok ? 401 : req.headers.sellerid === DENIED ? 403 : 200;
    res.writeHead(status, { "content-type": "application/json" }).end("{}");
  });
  const { port, close } = await listenOnLoopback(server);
  return { port, seen, close };
}

describe("a replaced seller API base is announced: the token and the seller IDs go there", () => {
  let tls: TestCertificate;
  let api: Awaited<ReturnType<typeof startSellerApi>>;
  let proxy: Proxy;
  let via: Record<string, string>;
  beforeAll(async () => {
    tls = await throwawayCertificate(["api.example.test", "api.octopia-io.net"]);
  });
  beforeEach(async () => {
    api = await startSellerApi(tls);
    // The proxy resolves both names to the HTTPS server; the token URL, on loopback, goes straight there.
    proxy = await startProxy({ "api.example.test": api.port, "api.octopia-io.net": api.port });
    via = { HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: tls.certPath };
  });
  afterEach(async () => {
    await proxy.close();
    await api.close();
  });
  const NOTE =
    "note: the seller API was replaced (--api-url or CDCREDS_API_URL): the token and seller IDs go to api.example.test, not Octopia\n";

  it("set says so once, before the seller is checked, for --api-url and for CDCREDS_API_URL", async () => {
    for (const how of ["flag", "variable"] as const) {
      const clientId = newClient("api-note");
      const secret = newSecret();
      auth.accept(clientId, secret);
      const base = "https://api.example.test/seller/v2";
      const args = ["--kind", "octopia", "--auth-url", auth.url, ...(how === "flag" ? ["--api-url", base] : [])];
      const env = { ...via, ...(how === "variable" ? { CDCREDS_API_URL: base } : {}) };
      const result = await cdcreds([...args, "set", "--secret-stdin", clientId, "--seller-id", "12345", "--seller-id", "678"], env, secret);
      expect({ how, code: result.code, stderr: result.stderr }).toEqual({
        how,
        code: 0,
        stderr: `${NOTE}✓ ${clientId} (prod): client secret verified and stored in the keychain (sellers 12345, 678, checked)\n`,
      });
    }
    expect(api.seen).toEqual(
      [1, 2].flatMap(() => ["12345", "678"].map((sellerId) => ({ authorization: `Bearer ${auth.token}`, sellerId }))),
    );
  });

  it("verify --all says so once for every client it checks; a failed check is announced too", async () => {
    const one = await storedClient("api-all-1", auth, ["1"]);
    const two = await storedClient("api-all-2", auth, ["2"]);
    const args = ["--kind", "octopia", "--auth-url", auth.url, "--api-url", "https://api.example.test/seller/v2"];
    const all = await cdcreds([...args, "verify", "--all"], via);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stderr.split(NOTE)).toHaveLength(2); // exactly one note
    expect(all.stderr.startsWith(NOTE)).toBe(true);
    expect(api.seen).toHaveLength(2);
    expect(all.stderr).toContain(`✓ ${one.clientId}: credentials valid (prod), may act for seller 1\n`);
    expect(all.stderr).toContain(`✓ ${two.clientId}: credentials valid (prod), may act for seller 2\n`);
    // The API denies the seller: the token and the seller ID went there all the same, and the note says so.
    const denied = await cdcreds([...args, "verify", "--secret-stdin", one.clientId, "--seller-id", DENIED], via, one.secret);
    expect(denied.code).toBe(1);
    expect(denied.stderr.startsWith(NOTE)).toBe(true);
    expect(api.seen.at(-1)).toEqual({ authorization: `Bearer ${auth.token}`, sellerId: DENIED });
  });

  it("says nothing for Octopia's own API, replaced by its own URL or not replaced, nor for one on this machine", async () => {
    const own = "https://api.octopia-io.net/seller/v2";
    for (const apiArgs of [["--api-url", own], []]) {
      const clientId = newClient("api-own");
      const secret = newSecret();
      auth.accept(clientId, secret);
      const args = ["--kind", "octopia", "--auth-url", auth.url, ...apiArgs, "set", "--secret-stdin", clientId, "--seller-id", "12345"];
      const result = await cdcreds(args, via, secret);
      expect({ apiArgs, code: result.code, stderr: result.stderr }).toEqual({
        apiArgs,
        code: 0,
        stderr: `✓ ${clientId} (prod): client secret verified and stored in the keychain (seller 12345, checked)\n`,
      });
    }
    expect(api.seen).toHaveLength(2); // both reached "Octopia's" API, through the proxy
    const { clientId } = await storedClient("api-loopback", auth, ["12345"]); // loopback --api-url: no note either
    expect(outputs.at(-1)!.stderr).toBe(
      `✓ ${clientId} (prod): client secret verified and stored in the keychain (seller 12345, checked)\n`,
    );
  });
});

describe("an expires_in out of range", () => {
  const octopia = () => ["--kind", "octopia", "--auth-url", auth.url, "--api-url", auth.apiUrl];
  const REFUSED = "HTTP 200 with a token whose expires_in is not a lifetime from 1 s to 366 days";

  it.each([
    ["1e308", "1e308"],
    ["beyond what Date holds", "8.64e12"],
    ["past what a double holds (Infinity)", "1e400"],
    ["more than a year", "31622401"],
    ["the smallest double", "5e-324"],
    ["a tenth of a millisecond", "0.0001"],
    ["under a second", "0.999"],
    ["zero", "0"],
    ["negative", "-7200"],
    ["a string", '"7200"'],
    ["null", "null"],
  ])("%s (%s) is refused (exit 4) before anything is stored, by set, token and the library", async (_what, raw) => {
    const { clientId, secret } = await storedClient("lifetime");
    const before = cachedEntry(clientId);
    expect(before?.token).toBe(auth.token);
    auth.expiresIn(raw);
    // set with a new secret: refused, the previous secret and its token stay.
    const replacement = newSecret();
    auth.accept(clientId, replacement);
    const set = await cdcreds([...octopia(), "set", "--secret-stdin", clientId], {}, replacement);
    expect(set.code).toBe(4);
    expect(set.stderr).toMatch(
      new RegExp(`^error: cannot verify ${clientId}: ${new URL(auth.url).host} answered unexpectedly: ${REFUSED}; nothing was stored\n`),
    );
    expect(secretToolLookup("cdcreds-octopia:prod", clientId)).toBe(secret);
    expect(cachedEntry(clientId)).toEqual(before);
    // token --refresh: one line, exit 4, the cache untouched.
    auth.accept(clientId, secret);
    const token = await cdcreds([...octopia(), "token", "--refresh", clientId]);
    expect({ code: token.code, stdout: token.stdout, stderr: token.stderr }).toEqual({
      code: 4,
      stdout: "",
      stderr: `error: cannot verify ${clientId}: ${new URL(auth.url).host} answered unexpectedly: ${REFUSED}\n`,
    });
    expect(cachedEntry(clientId)).toEqual(before);
    // The library: a ServiceError (exit 4), not a bare RangeError.
    const thrown = await library(
      `import { getToken } from "cdcreds";
       try { await getToken({ kind: "octopia", login: ${JSON.stringify(clientId)}, refresh: true }); console.log("null"); }
       catch (e) { console.log(JSON.stringify({ name: e.name, exitCode: e.exitCode, message: e.message })); }`,
      { CDCREDS_AUTH_URL: auth.url, CDCREDS_API_URL: auth.apiUrl },
    );
    expect(thrown).toEqual({
      name: "ServiceError",
      exitCode: 4,
      message: `cannot verify ${clientId}: ${new URL(auth.url).host} answered unexpectedly: ${REFUSED}`,
    });
    expect(cachedEntry(clientId)).toEqual(before);
  });

  it.each([
    ["two days", 172_800],
    ["a year", 31_622_400],
  ])("of %s is clamped to 24 h: cached, and served from the cache", async (_what, seconds) => {
    auth.expiresIn(seconds);
    const { clientId } = await storedClient("clamped");
    const entry = cachedEntry(clientId)!;
    expect(Date.parse(entry.expiresAt as string) - Date.parse(entry.issuedAt as string)).toBe(24 * 3600 * 1000);
    const token = await cdcreds([...octopia(), "token", clientId], {}, undefined, true);
    expect({ code: token.code, stdout: token.stdout }).toEqual({ code: 0, stdout: `${auth.token}\n` });
    expect(auth.requests).toHaveLength(0);
    const lib = (await library(
      `import { getToken } from "cdcreds";
       const t = await getToken({ kind: "octopia", login: ${JSON.stringify(clientId)} });
       console.log(JSON.stringify({ fromCache: t.fromCache, expiresAt: t.expiresAt }));`,
      { CDCREDS_AUTH_URL: auth.url, CDCREDS_API_URL: auth.apiUrl },
    )) as { fromCache: boolean; expiresAt: string };
    expect(lib).toEqual({ fromCache: true, expiresAt: entry.expiresAt });
  });

  it("of a few seconds: the token is handed out with its true expiry, never cached (nor an older one kept)", async () => {
    const { clientId } = await storedClient("short");
    expect(cachedEntry(clientId)).toBeDefined();
    auth.expiresIn(30);
    const before = Date.now();
    const json = await cdcreds([...octopia(), "token", "--json", "--refresh", clientId], {}, undefined, true);
    expect(json.code, json.stderr).toBe(0);
    const { token, expiresAt } = JSON.parse(json.stdout) as { token: string; expiresAt: string };
    expect(token).toBe(auth.token);
    expect(Date.parse(expiresAt)).toBeGreaterThanOrEqual(before + 30_000);
    expect(Date.parse(expiresAt)).toBeLessThanOrEqual(Date.now() + 30_000);
    expect(cachedEntry(clientId)).toBeUndefined();
    expect((await cdcreds([...octopia(), "token", clientId], {}, undefined, true)).stdout).toBe(`${auth.token}\n`);
    expect(auth.requests).toHaveLength(2); // nothing cached: each run asks
    expect(cachedEntry(clientId)).toBeUndefined();
    // set with such a token: the secret is stored, the token is not.
    const again = newSecret();
    auth.accept(clientId, again);
    expect((await cdcreds([...octopia(), "set", "--secret-stdin", clientId], {}, again)).code).toBe(0);
    expect(secretToolLookup("cdcreds-octopia:prod", clientId)).toBe(again);
    expect(cachedEntry(clientId)).toBeUndefined();
  });
});

describe("a cached token is served only to runs against the token URL it came from", () => {
  let other: OctopiaEmulator;
  beforeEach(async () => {
    other = await startOctopiaEmulator();
    secrets.push(other.token);
  });
  afterEach(() => other.close());
  const through = (service: OctopiaEmulator) => ["--kind", "octopia", "--auth-url", service.url, "--api-url", service.apiUrl];

  it("a token got through one --auth-url is not handed out by token, exec or the library through another", async () => {
    const { clientId, secret } = await storedClient("two-urls");
    other.accept(clientId, secret);
    expect(cachedEntry(clientId)).toMatchObject({ token: auth.token, authUrl: auth.url });
    // Through the first: served from the cache.
    expect((await cdcreds([...through(auth), "token", clientId], {}, undefined, true)).stdout).toBe(`${auth.token}\n`);
    expect(auth.requests).toHaveLength(0);
    // Through the second: asked there, and cached as its own.
    const second = await cdcreds([...through(other), "token", clientId], {}, undefined, true);
    expect({ code: second.code, stdout: second.stdout }).toEqual({ code: 0, stdout: `${other.token}\n` });
    expect(other.requests).toHaveLength(1);
    expect(cachedEntry(clientId)).toMatchObject({ token: other.token, authUrl: other.url });
    // exec through the first again: its program gets the first's token, not the cached one.
    const print = "process.stdout.write(process.env.OCTOPIA_ACCESS_TOKEN ?? '')";
    const exec = await cdcreds([...through(auth), "exec", "--login", clientId, "--", process.execPath, "-e", print], {}, undefined, true);
    expect({ code: exec.code, stdout: exec.stdout }).toEqual({ code: 0, stdout: auth.token });
    expect(auth.requests).toHaveLength(1);
    // The library through the second.
    const lib = await library(
      `import { getToken } from "cdcreds";
       const t = await getToken({ kind: "octopia", login: ${JSON.stringify(clientId)} });
       console.log(JSON.stringify({ token: t.token, fromCache: t.fromCache }));`,
      { CDCREDS_AUTH_URL: other.url, CDCREDS_API_URL: other.apiUrl },
    );
    expect(lib).toEqual({ token: other.token, fromCache: false });
    expect(other.requests).toHaveLength(2);
  });

  it("an entry without authUrl (an older cdcreds', another tool's) is not served through a replaced URL", async () => {
    const { clientId } = await storedClient("legacy");
    const now = Date.now();
    const legacy = JSON.stringify({ token: "old.cached.token", expiresAt: new Date(now + 3_600_000).toISOString() });
    const { spawnSync } = await import("node:child_process");
    spawnSync("secret-tool", ["store", "--label=test", "service", "cdcreds-octopia-token:prod", "username", clientId], { input: legacy });
    const result = await cdcreds([...through(auth), "token", clientId], {}, undefined, true);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 0, stdout: `${auth.token}\n` });
    expect(auth.requests).toHaveLength(1);
  });
});

describe("no secret leaks", () => {
  it("no client secret or token on stderr, nor a token on stdout where none was asked for", () => {
    expect(outputs.length).toBeGreaterThan(20);
    for (const { stdout, stderr, tokenExpected } of outputs) {
      for (const secret of secrets) {
        expect(stderr).not.toContain(secret);
        if (!tokenExpected) expect(stdout).not.toContain(secret);
      }
    }
  });
});
