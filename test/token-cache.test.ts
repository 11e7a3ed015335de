// The cache rules of obtainToken with an injected clock, against the real test keychain and the
// loopback token-service emulator.
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { fetchToken } from "../src/core/credentials.js";
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
        JSON.stringify({ token: "d".repeat(32), expiresAt: new Date(clock.getTime() + 10 * MIN_REMAINING_MS).toISOString() }),
      );
      return work();
    };
    expect(await obtainToken(source({ exclusive }))).toMatchObject({ token: "d".repeat(32), fromCache: true });
    expect(calls).toBe(1);
    expect(sts.requests).toHaveLength(0);
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
