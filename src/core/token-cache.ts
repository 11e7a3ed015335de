// The token cache (SPEC sections 3 and 4): a token lives 48 hours and many may be valid at once, so
// one is cached in the secret store and handed out while it has more than an hour left. It knows
// nothing of prompts or output; the store, the clock, the fetch and the lock are injected.
import type { Environment } from "../kinds/environment.js";
import { tokenService } from "../kinds/api-login/layout.js";
import type { SecretStore } from "../stores/types.js";

/** How long Cdiscount's tokens are valid. */
export const TOKEN_LIFETIME_MS = 48 * 60 * 60 * 1000;
/** A cached token with less than this left is replaced, so a caller never gets one about to die. */
export const MIN_REMAINING_MS = 60 * 60 * 1000;

/** A token and when it stops working. */
export interface Token {
  token: string;
  expiresAt: Date;
}

/** What {@link obtainToken} needs. */
export interface TokenSource {
  env: Environment;
  apiLogin: string;
  /** Where the token is cached; undefined for environment credentials, whose tokens are never stored. */
  cache: SecretStore | undefined;
  /** Asks the token service for a new token; throws the typed error when it cannot. */
  fetchToken: () => Promise<{ token: string; issuedAt: Date }>;
  now: () => Date;
  /** Ignore the cache and get a new token. */
  refresh?: boolean;
  /** Runs the refresh exclusively across processes, so many callers at once make one request. */
  exclusive?: <T>(work: () => Promise<T>) => Promise<T>;
  /** Runs once the cache has no fresh token, before the lock: a refresh's failures come first. */
  beforeRefresh?: () => Promise<unknown>;
}

const TOKEN = /^[A-Za-z0-9]{16,256}$/;
// What cacheToken writes (Date#toISOString), and other ISO-8601 date-times with a zone; not the
// many other spellings Date accepts ("9999-12-31", "Dec 31 9999"), which no cdcreds ever wrote.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Parses a cached entry; anything malformed (or absent) is undefined, never an error. */
export function parseCachedToken(raw: string | undefined): Token | undefined {
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(raw) as { token?: unknown; expiresAt?: unknown };
    if (typeof value.token !== "string" || !TOKEN.test(value.token) || typeof value.expiresAt !== "string" || !ISO_8601.test(value.expiresAt)) return undefined;
    const expiresAt = new Date(value.expiresAt);
    return Number.isNaN(expiresAt.getTime()) ? undefined : { token: value.token, expiresAt };
  } catch {
    return undefined;
  }
}

/**
 * True while the token has more than {@link MIN_REMAINING_MS} left, and no more than a token can
 * live: an expiry further ahead was not written by cdcreds (or the clock went back) and is not
 * trusted, or an entry saying "9999" would be served forever.
 */
function isFresh(token: Token, now: Date): boolean {
  const left = token.expiresAt.getTime() - now.getTime();
  return left > MIN_REMAINING_MS && left <= TOKEN_LIFETIME_MS;
}

/** Stores a token just issued, under the public layout `cdcreds-token:<env>` / API login. */
export async function cacheToken(store: SecretStore, env: Environment, apiLogin: string, token: string, issuedAt: Date): Promise<Token> {
  const entry: Token = { token, expiresAt: new Date(issuedAt.getTime() + TOKEN_LIFETIME_MS) };
  await store.set(tokenService(env), apiLogin, JSON.stringify({ token, expiresAt: entry.expiresAt.toISOString() }));
  return entry;
}

async function readFresh(source: TokenSource): Promise<Token | undefined> {
  if (source.cache === undefined || source.refresh === true) return undefined;
  const cached = parseCachedToken(await source.cache.get(tokenService(source.env), source.apiLogin));
  return cached !== undefined && isFresh(cached, source.now()) ? cached : undefined;
}

/**
 * A valid token: the cached one while it has more than an hour left, else a new one from the
 * token service, cached for the next caller. A corrupt or expired entry is simply replaced.
 */
export async function obtainToken(source: TokenSource): Promise<Token & { fromCache: boolean }> {
  const cached = await readFresh(source);
  if (cached !== undefined) return { ...cached, fromCache: true };
  await source.beforeRefresh?.();
  const refresh = async (): Promise<Token & { fromCache: boolean }> => {
    // Another process may have refreshed while this one waited for the lock.
    const again = await readFresh(source);
    if (again !== undefined) return { ...again, fromCache: true };
    const { token, issuedAt } = await source.fetchToken();
    if (source.cache === undefined) return { token, expiresAt: new Date(issuedAt.getTime() + TOKEN_LIFETIME_MS), fromCache: false };
    return { ...(await cacheToken(source.cache, source.env, source.apiLogin, token, issuedAt)), fromCache: false };
  };
  return source.exclusive === undefined ? refresh() : source.exclusive(refresh);
}
