// The library's entry points for credentials and tokens: the CLI's precedence, stores and errors,
// with no terminal: nothing is printed and nothing is asked (the file store needs CDCREDS_PASSPHRASE).
import { issueToken, openAccount, type AccountRequest } from "../core/credentials.js";
import { resolveOptions } from "../core/options.js";
import type { Environment } from "../kinds/environment.js";
import { loadKind } from "../kinds/index.js";

/** Options shared by {@link getCredentials} and {@link getToken}; each falls back as the CLI does. */
export interface CredentialOptions {
  /** Seller or API login; else CDCREDS_LOGIN, else the only stored account. */
  login?: string;
  /** `prod` or `preprod`; else CDCREDS_ENV, else `prod`. */
  env?: Environment;
  /** `keychain` or `file`; else CDCREDS_STORE, else `keychain`. */
  store?: "keychain" | "file";
  /** Replacement token URL: `https:`, or `http:` to a loopback host; else CDCREDS_AUTH_URL. */
  authUrl?: string | URL;
  /** Per attempt, 20 000 ms by default. */
  timeoutMs?: number;
  /** Retries when the token service is unreachable, 2 by default. */
  retries?: number;
  /** Where CDISCOUNT_API_*, CDCREDS_* and proxy variables are read: process.env by default. */
  processEnv?: NodeJS.ProcessEnv;
}

/** Credentials as {@link getCredentials} returns them. */
export interface ApiCredentials {
  apiLogin: string;
  password: string;
  env: Environment;
  /** `environment` when CDISCOUNT_API_LOGIN and CDISCOUNT_API_PASSWORD were used. */
  source: "environment" | "store";
}

/** A token as {@link getToken} returns it. */
export interface ApiToken {
  apiLogin: string;
  env: Environment;
  token: string;
  expiresAt: Date;
  /** True when it came from the cache, with no request. */
  fromCache: boolean;
}

/** The library's typed options, checked by the same rules as the CLI's and named as the library names them. */
async function requestOf(options: CredentialOptions): Promise<AccountRequest> {
  const processEnv = options.processEnv ?? process.env;
  const { login, authUrl, ...rest } = options;
  const resolved = resolveOptions({ ...rest, authUrl: authUrl === undefined ? undefined : String(authUrl) }, processEnv);
  return { kind: await loadKind(resolved.kind), options: resolved, processEnv, interactive: () => false, login };
}

/**
 * The API login and password: from CDISCOUNT_API_LOGIN + CDISCOUNT_API_PASSWORD when both are set,
 * else from the store.
 * @throws {UsageError} (exitCode 2), {NotFoundError} (3), {StoreError} (5).
 */
export async function getCredentials(options: CredentialOptions = {}): Promise<ApiCredentials> {
  const request = await requestOf(options);
  const { account, source, secret } = await openAccount(request);
  return { apiLogin: account, password: await secret(), source, env: request.options.env };
}

/**
 * A valid token: the cached one while it has more than an hour left, else a new one from the
 * token service, cached in the store (never for environment credentials).
 * @throws {UsageError} (2), {RejectedError} (1), {NotFoundError} (3), {ServiceError} (4), {StoreError} (5).
 */
export async function getToken(options: CredentialOptions & { refresh?: boolean } = {}): Promise<ApiToken> {
  const { refresh, ...rest } = options;
  const request = await requestOf(rest);
  const opened = await openAccount(request);
  const { token, expiresAt, fromCache } = await issueToken(request, opened, { refresh: refresh === true });
  return { apiLogin: opened.account, env: request.options.env, token, expiresAt, fromCache };
}
