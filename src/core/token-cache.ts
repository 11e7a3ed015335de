// The token cache: a token is kept in the secret store and handed out while enough of it is left,
// under the kind's token service (`cdcreds-token:<env>` for api-login), as JSON
// `{"token","expiresAt","issuedAt","authUrl"}` (`issuedAt` tells the lifetime, `authUrl` the token
// URL it came from; readers may ignore both). A token is served only to a caller of the service it
// came from: a token one run got through `--auth-url` (an emulator, staging, a stray variable) is
// never handed to a run against another service, nor the real service's token to an emulator.
// The expiry comes from the kind's answer, never from a constant here; the store, the clock, the
// fetch and the lock are injected. It knows nothing of prompts or output.
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
  /** The replacement token URL (`--auth-url`), as the options hold it; undefined: the kind's own. */
  authUrl: URL | undefined;
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

/** What a cached entry says beyond the token: its lifetime, and the token URL it came from. */
function entryDetails(raw: string, expiresAt: Date): { lifetimeMs: number; authUrl: unknown } {
  try {
    const { issuedAt, authUrl } = JSON.parse(raw) as { issuedAt?: unknown; authUrl?: unknown };
    // The lifetime is 0 when the entry has no issue time, or one after the expiry.
    const lifetimeMs =
      typeof issuedAt === "string" && ISO_8601.test(issuedAt) ? Math.max(0, expiresAt.getTime() - new Date(issuedAt).getTime()) || 0 : 0;
    return { lifetimeMs, authUrl };
  } catch {
    return { lifetimeMs: 0, authUrl: undefined };
  }
}

/**
 * How a cached entry names the token URL a token came from: the URL in use (the replacement, else
 * the kind's own) but its fragment, which is never sent. The query stays: Cdiscount's realm is there.
 * @throws {UsageError} when the environment has no token URL and none was given.
 */
function tokenUrlKey(kind: CredentialKind, env: Environment, authUrl: URL | undefined): string {
  return withoutFragment(kind.tokenUrl(env, authUrl));
}

/** A URL's canonical spelling (WHATWG), but its fragment. */
function withoutFragment(value: URL | string): string {
  const url = new URL(value);
  url.hash = "";
  return url.href;
}

/**
 * Stores a token just issued by the token URL in use (`authUrl`: the replacement, else the kind's
 * own), under the kind's public layout. A token that would not be served from the cache (it lives
 * no longer than the kind's margin, or further ahead than a token of the kind lives) is not
 * written; the entry there (an older token) is removed instead.
 */
export async function cacheToken(
  store: SecretStore,
  kind: CredentialKind,
  env: Environment,
  account: string,
  token: Token & { issuedAt?: Date },
  authUrl: URL | undefined,
): Promise<void> {
  const service = kind.tokenService(env);
  const issuedAt = token.issuedAt ?? new Date();
  if (!isFresh(token, issuedAt, kind, token.expiresAt.getTime() - issuedAt.getTime())) {
    await store.delete(service, account);
    return;
  }
  const entry = {
    token: token.token,
    expiresAt: token.expiresAt.toISOString(),
    issuedAt: token.issuedAt?.toISOString(),
    authUrl: tokenUrlKey(kind, env, authUrl),
  };
  await store.set(service, account, JSON.stringify(entry));
}

/**
 * True when a cached entry came from the token URL in use. An entry without `authUrl` (written by
 * cdcreds before it kept one, or by another tool after the public layout) is trusted only when no
 * URL is replaced: it may have come from any `--auth-url`, and a token from the real service must
 * not reach a replaced one (an emulator, staging, a stray variable's host).
 */
function cameFrom(entryUrl: unknown, source: TokenSource): boolean {
  if (entryUrl === undefined) return source.authUrl === undefined;
  if (typeof entryUrl !== "string" || !URL.canParse(entryUrl)) return false;
  return withoutFragment(entryUrl) === tokenUrlKey(source.kind, source.env, source.authUrl);
}

async function readFresh(source: TokenSource): Promise<Token | undefined> {
  if (source.cache === undefined || source.refresh === true) return undefined;
  const raw = await source.cache.get(source.kind.tokenService(source.env), source.account);
  const cached = parseCachedToken(raw, source.kind);
  if (cached === undefined) return undefined;
  const { lifetimeMs, authUrl } = entryDetails(raw!, cached.expiresAt);
  return cameFrom(authUrl, source) && isFresh(cached, source.now(), source.kind, lifetimeMs) ? cached : undefined;
}

/**
 * A valid token: the cached one while enough of it is left, else a new one from the token service,
 * cached for the next caller. A corrupt, expired or untrusted entry, or one from another token URL,
 * is simply replaced.
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
    if (source.cache !== undefined) await cacheToken(source.cache, source.kind, source.env, source.account, fresh, source.authUrl);
    return { token: fresh.token, expiresAt: fresh.expiresAt, fromCache: false };
  };
  return source.exclusive === undefined ? refresh() : source.exclusive(refresh);
}
