// The token cache: a token is kept in the secret store and handed out while enough of it is left,
// under the kind's token service (`cdcreds-token:<env>` for api-login), as JSON
// `{"token","expiresAt","issuedAt"}` (`issuedAt` tells the lifetime; readers may ignore it). The expiry comes from the kind's answer, never from a constant here; the
// store, the clock, the fetch and the lock are injected. It knows nothing of prompts or output.
import type { CredentialKind, Environment } from "../kinds/types.js";
import type { SecretStore } from "../stores/types.js";

/** A token and when it stops working. */
export interface Token {
  token: string;
  expiresAt: Date;
}

/** What {@link obtainToken} needs. */
export interface TokenSource {
  kind: CredentialKind;
  env: Environment;
  account: string;
  /** Where the token is cached; undefined for environment credentials, whose tokens are never stored. */
  cache: SecretStore | undefined;
  /** Asks the token service for a new token (and when it was issued); throws the typed error when it cannot. */
  fetchToken: () => Promise<Token & { issuedAt?: Date }>;
  now: () => Date;
  /** Ignore the cache and get a new token. */
  refresh?: boolean;
  /** Runs the refresh exclusively across processes, so many callers at once make one request. */
  exclusive?: <T>(work: () => Promise<T>) => Promise<T>;
  /** Runs once the cache has no fresh token, before the lock: a refresh's failures come first. */
  beforeRefresh?: () => Promise<unknown>;
}

// What cacheToken writes (Date#toISOString), and other ISO-8601 date-times with a zone; not the
// many other spellings Date accepts ("9999-12-31", "Dec 31 9999"), which no cdcreds ever wrote.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Parses a cached entry; anything malformed (or absent) is undefined, never an error. */
export function parseCachedToken(raw: string | undefined, kind: CredentialKind): Token | undefined {
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(raw) as { token?: unknown; expiresAt?: unknown };
    if (
      typeof value.token !== "string" ||
      !kind.isToken(value.token) ||
      typeof value.expiresAt !== "string" ||
      !ISO_8601.test(value.expiresAt)
    )
      return undefined;
    const expiresAt = new Date(value.expiresAt);
    return Number.isNaN(expiresAt.getTime()) ? undefined : { token: value.token, expiresAt };
  } catch {
    return undefined;
  }
}

/**
 * True while the token has more than the kind's margin left, and no more than a token of the kind
 * can live: an expiry further ahead was not written by cdcreds (or the clock went back) and is not
 * trusted, or an entry saying "9999" would be served forever.
 */
function isFresh(token: Token, now: Date, kind: CredentialKind, lifetimeMs: number): boolean {
  const left = token.expiresAt.getTime() - now.getTime();
  return left > Math.max(kind.minRemainingMs, kind.minRemainingShare * lifetimeMs) && left <= kind.maxTokenLifetimeMs;
}

/** The lifetime a cached entry's `issuedAt` tells (0 when it has none, or one after the expiry). */
function cachedLifetimeMs(raw: string, expiresAt: Date): number {
  try {
    const { issuedAt } = JSON.parse(raw) as { issuedAt?: unknown };
    if (typeof issuedAt !== "string" || !ISO_8601.test(issuedAt)) return 0;
    return Math.max(0, expiresAt.getTime() - new Date(issuedAt).getTime()) || 0;
  } catch {
    return 0;
  }
}

/** Stores a token just issued, under the kind's public layout. */
export async function cacheToken(
  store: SecretStore,
  kind: CredentialKind,
  env: Environment,
  account: string,
  token: Token & { issuedAt?: Date },
): Promise<void> {
  const entry = { token: token.token, expiresAt: token.expiresAt.toISOString(), issuedAt: token.issuedAt?.toISOString() };
  await store.set(kind.tokenService(env), account, JSON.stringify(entry));
}

async function readFresh(source: TokenSource): Promise<Token | undefined> {
  if (source.cache === undefined || source.refresh === true) return undefined;
  const raw = await source.cache.get(source.kind.tokenService(source.env), source.account);
  const cached = parseCachedToken(raw, source.kind);
  return cached !== undefined && isFresh(cached, source.now(), source.kind, cachedLifetimeMs(raw!, cached.expiresAt)) ? cached : undefined;
}

/**
 * A valid token: the cached one while enough of it is left, else a new one from the token service,
 * cached for the next caller. A corrupt, expired or untrusted entry is simply replaced.
 */
export async function obtainToken(source: TokenSource): Promise<Token & { fromCache: boolean }> {
  const cached = await readFresh(source);
  if (cached !== undefined) return { ...cached, fromCache: true };
  await source.beforeRefresh?.();
  const refresh = async (): Promise<Token & { fromCache: boolean }> => {
    // Another process may have refreshed while this one waited for the lock.
    const again = await readFresh(source);
    if (again !== undefined) return { ...again, fromCache: true };
    const fresh = await source.fetchToken();
    if (source.cache !== undefined) await cacheToken(source.cache, source.kind, source.env, source.account, fresh);
    return { token: fresh.token, expiresAt: fresh.expiresAt, fromCache: false };
  };
  return source.exclusive === undefined ? refresh() : source.exclusive(refresh);
}
