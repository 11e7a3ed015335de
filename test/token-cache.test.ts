// The cache rules of obtainToken with an injected clock, against the real test keychain and the
// loopback token-service emulator.
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { fetchToken } from "../src/core/credentials.js";
import { TOKEN_URLS } from "../src/kinds/api-login/endpoints.js";
import { kind } from "../src/kinds/api-login/index.js";
import { openKeychainStore } from "../src/stores/keychain/index.js";
import { obtainToken, parseCachedToken as parseWithKind, type TokenSource } from "../src/core/token-cache.js";

const TOKEN_LIFETIME_MS = kind.maxTokenLifetimeMs;
const MIN_REMAINING_MS = kind.minRemainingMs;
const tokenService = (env: "prod" | "preprod") => kind.tokenService(env);
const parseCachedToken = (raw: string | undefined) => parseWithKind(raw, kind);
import { startEmulator, type Emulator } from "./support/emulator.js";
import { clearLogins, uniqueLogin } from "./support/store-helpers.js";

const store = openKeychainStore();
const apiLogins: string[] = [];
let sts: Emulator;
let apiLogin: string;
let clock: Date;

function source(extra: Partial<TokenSource> = {}): TokenSource {
  return {
    kind,
    env: "prod",
    authUrl: new URL(sts.url),
    account: apiLogin,
    cache: store,
    now: () => clock,
    fetchToken: () =>
      fetchToken(
        kind,
        { account: apiLogin, secret: "pw" },
        { env: "prod", authUrl: new URL(sts.url), timeoutMs: 20_000, retries: 0, proxyEnv: {}, now: () => clock },
      ),
    ...extra,
  };
}

beforeEach(async () => {
  sts = await startEmulator();
  apiLogin = `${uniqueLogin("cache")}-api`;
  apiLogins.push(apiLogin);
  clock = new Date("2026-11-27T10:00:00.000Z");
});
afterEach(() => sts.close());
afterAll(() => clearLogins(apiLogins));

describe("obtainToken", () => {
  it("caches a new token for 48 hours from its issue", async () => {
    const first = await obtainToken(source());
    expect(first).toEqual({ token: sts.token, expiresAt: new Date(clock.getTime() + TOKEN_LIFETIME_MS), fromCache: false });
    expect(parseCachedToken(await store.get(tokenService("prod"), apiLogin))).toEqual({ token: sts.token, expiresAt: first.expiresAt });
  });

  it("serves the cache until one hour is left, then refreshes", async () => {
    const issued = clock.getTime();
    await obtainToken(source());
    clock = new Date(issued + TOKEN_LIFETIME_MS - MIN_REMAINING_MS - 1);
    expect(await obtainToken(source())).toMatchObject({ token: sts.token, fromCache: true });
    expect(sts.requests).toHaveLength(1);

    clock = new Date(issued + TOKEN_LIFETIME_MS - MIN_REMAINING_MS);
    const renewed = await obtainToken(source());
    expect(renewed).toMatchObject({ fromCache: false, expiresAt: new Date(clock.getTime() + TOKEN_LIFETIME_MS) });
    expect(sts.requests).toHaveLength(2);
  });

  it("refreshes on demand", async () => {
    await obtainToken(source());
    expect(await obtainToken(source({ refresh: true }))).toMatchObject({ fromCache: false });
    expect(sts.requests).toHaveLength(2);
  });

  it("never writes the cache without a store (environment credentials)", async () => {
    expect(await obtainToken(source({ cache: undefined }))).toMatchObject({ token: sts.token, fromCache: false });
    expect(await store.get(tokenService("prod"), apiLogin)).toBeUndefined();
    await obtainToken(source({ cache: undefined }));
    expect(sts.requests).toHaveLength(2);
  });

  it("leaves the cache alone when the service rejects the password", async () => {
    await store.set(tokenService("prod"), apiLogin, "not json");
    sts.answer("401");
    await expect(obtainToken(source())).rejects.toMatchObject({ exitCode: 1 });
    expect(await store.get(tokenService("prod"), apiLogin)).toBe("not json");
  });

  it.each([
    ["far in the future", "9999-12-31T23:59:59.000Z"],
    ["beyond the 48 h a token lives", () => new Date(clock.getTime() + TOKEN_LIFETIME_MS + 60_000).toISOString()],
    ["not ISO-8601", "9999-12-31"],
  ])("does not trust a cached expiry %s: the token is replaced", async (_what, expiry) => {
    const expiresAt = typeof expiry === "string" ? expiry : expiry();
    await store.set(tokenService("prod"), apiLogin, JSON.stringify({ token: "d".repeat(32), expiresAt }));
    expect(await obtainToken(source())).toMatchObject({ token: sts.token, fromCache: false });
    expect(sts.requests).toHaveLength(1);
    expect(parseCachedToken(await store.get(tokenService("prod"), apiLogin))?.token).toBe(sts.token);
  });

  it("checks the cache again once it holds the refresh lock", async () => {
    let calls = 0;
    const exclusive = async <T>(work: () => Promise<T>): Promise<T> => {
      calls += 1;
      // Another process refreshed while this one waited for the lock.
      await store.set(
        tokenService("prod"),
        apiLogin,
        JSON.stringify({
          token: "d".repeat(32),
          expiresAt: new Date(clock.getTime() + 10 * MIN_REMAINING_MS).toISOString(),
          authUrl: sts.url,
        }),
      );
      return work();
    };
    expect(await obtainToken(source({ exclusive }))).toMatchObject({ token: "d".repeat(32), fromCache: true });
    expect(calls).toBe(1);
    expect(sts.requests).toHaveLength(0);
  });
});

describe("a cached token is served only to runs against the token URL it came from", () => {
  let other: Emulator;
  beforeEach(async () => {
    other = await startEmulator();
  });
  afterEach(() => other.close());
  /** A source whose token URL is replaced by `url` (`--auth-url`). */
  const through = (url: string): TokenSource =>
    source({
      authUrl: new URL(url),
      fetchToken: () =>
        fetchToken(
          kind,
          { account: apiLogin, secret: "pw" },
          { env: "prod", authUrl: new URL(url), timeoutMs: 20_000, retries: 0, proxyEnv: {}, now: () => clock },
        ),
    });
  const cachedEntry = async () => JSON.parse((await store.get(tokenService("prod"), apiLogin))!) as Record<string, unknown>;

  it("a token got through one --auth-url is not served to a run through another: that one asks its own", async () => {
    expect(other.token).not.toBe(sts.token);
    expect(await obtainToken(through(sts.url))).toMatchObject({ token: sts.token, fromCache: false });
    expect(await cachedEntry()).toMatchObject({ token: sts.token, authUrl: sts.url });
    expect(await obtainToken(through(other.url))).toMatchObject({ token: other.token, fromCache: false });
    expect(await cachedEntry()).toMatchObject({ token: other.token, authUrl: other.url });
    expect(await obtainToken(through(other.url))).toMatchObject({ token: other.token, fromCache: true });
    expect([sts.requests.length, other.requests.length]).toEqual([1, 1]);
  });

  it("an emulator's token is not served to a run against the real service, nor the real service's to an emulator", async () => {
    const expiresAt = new Date(clock.getTime() + 10 * MIN_REMAINING_MS).toISOString();
    // Written by a run through the emulator: a run with no --auth-url does not serve it (and asks
    // Cdiscount, which this test cannot reach: the fetch it makes is the proof).
    await store.set(tokenService("prod"), apiLogin, JSON.stringify({ token: "e".repeat(32), expiresAt, authUrl: sts.url }));
    let asked = 0;
    const real = source({
      authUrl: undefined,
      fetchToken: () => {
        asked += 1;
        return Promise.resolve({ token: "r".repeat(32), expiresAt: new Date(clock.getTime() + TOKEN_LIFETIME_MS), issuedAt: clock });
      },
    });
    expect(await obtainToken(real)).toMatchObject({ token: "r".repeat(32), fromCache: false });
    expect(asked).toBe(1);
    expect(await cachedEntry()).toMatchObject({ token: "r".repeat(32), authUrl: new URL(TOKEN_URLS.prod).href });
    expect(await obtainToken(real)).toMatchObject({ token: "r".repeat(32), fromCache: true });
    // ... and the real service's token is not handed to a run through the emulator.
    expect(await obtainToken(through(sts.url))).toMatchObject({ token: sts.token, fromCache: false });
    expect(sts.requests).toHaveLength(1);
  });

  it("an entry without authUrl (an older cdcreds', another tool's) is served to runs against the kind's own URL only", async () => {
    const expiresAt = new Date(clock.getTime() + 10 * MIN_REMAINING_MS).toISOString();
    await store.set(tokenService("prod"), apiLogin, JSON.stringify({ token: "d".repeat(32), expiresAt }));
    const real = source({ authUrl: undefined, fetchToken: () => Promise.reject(new Error("not asked: the entry is served")) });
    expect(await obtainToken(real)).toMatchObject({ token: "d".repeat(32), fromCache: true });
    expect(await obtainToken(through(sts.url))).toMatchObject({ token: sts.token, fromCache: false });
  });

  it.each([
    ["a number", 42],
    ["not a URL", "somewhere"],
    ["another URL", "https://sts.example.test/token"],
  ])("an entry whose authUrl is %s is served to no one", async (_what, authUrl) => {
    const expiresAt = new Date(clock.getTime() + 10 * MIN_REMAINING_MS).toISOString();
    await store.set(tokenService("prod"), apiLogin, JSON.stringify({ token: "d".repeat(32), expiresAt, authUrl }));
    expect(await obtainToken(through(sts.url))).toMatchObject({ token: sts.token, fromCache: false });
    await store.set(tokenService("prod"), apiLogin, JSON.stringify({ token: "d".repeat(32), expiresAt, authUrl }));
    let asked = 0;
    const real = source({
      authUrl: undefined,
      fetchToken: () => {
        asked += 1;
        return Promise.resolve({ token: "r".repeat(32), expiresAt: new Date(clock.getTime() + TOKEN_LIFETIME_MS), issuedAt: clock });
      },
    });
    expect(await obtainToken(real)).toMatchObject({ token: "r".repeat(32), fromCache: false });
    expect(asked).toBe(1);
  });

  it("a token that could not be served from the cache is not written, and the entry there goes", async () => {
    await obtainToken(through(sts.url));
    // Lives no longer than the kind's margin (an hour for api-login): handed out once, not cached.
    const short = source({
      fetchToken: () =>
        Promise.resolve({ token: "s".repeat(32), expiresAt: new Date(clock.getTime() + MIN_REMAINING_MS), issuedAt: clock }),
      refresh: true,
    });
    expect(await obtainToken(short)).toMatchObject({ token: "s".repeat(32), fromCache: false });
    expect(await store.get(tokenService("prod"), apiLogin)).toBeUndefined();
  });
});

describe("parseCachedToken", () => {
  it.each([
    undefined,
    "",
    "null",
    "[]",
    '{"token":"abc"}',
    '{"token":"0123456789abcdef0123","expiresAt":"soon"}',
    "{",
    // Dates that Date.parse reads but cdcreds never writes.
    '{"token":"0123456789abcdef0123","expiresAt":"9999-12-31"}',
    '{"token":"0123456789abcdef0123","expiresAt":"Dec 31 9999"}',
    '{"token":"0123456789abcdef0123","expiresAt":"2026-12-01T10:00:00"}',
  ])("treats %j as no cache", (raw) => {
    expect(parseCachedToken(raw)).toBeUndefined();
  });
});
