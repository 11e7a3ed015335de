// The library's entry points for credentials and tokens: the CLI's precedence, kind rule, stores
// and errors, with no terminal: nothing is printed and nothing is asked (the file store needs
// CDCREDS_PASSPHRASE).
import { chooseSeller, issueToken, openAccount, sellerIdsOf, type AccountRequest } from "../core/credentials.js";
import { resolveKind } from "../core/kind-choice.js";
import { resolveOptions } from "../core/options.js";
import type { Environment } from "../kinds/environment.js";
import type { KindId } from "../kinds/index.js";
import type { StoreId } from "../stores/index.js";

/** Options shared by {@link getCredentials} and {@link getToken}; each falls back as the CLI does. */
export interface CredentialOptions {
  /** `api-login` or `octopia`; else CDCREDS_KIND, else the kind of the named stored account, of the environment credentials set, or `api-login`. */
  kind?: KindId;
  /** The account: a seller or API login, or an Octopia client ID; else CDCREDS_LOGIN, else the only stored account. */
  login?: string;
  /** `prod` or `preprod`; else CDCREDS_ENV, else `prod`. */
  env?: Environment;
  /** `keychain`, `file` or `pass`; else CDCREDS_STORE, else `keychain`. */
  store?: StoreId;
  /** Replacement token URL: `https:`, or `http:` to a loopback host; else CDCREDS_AUTH_URL. */
  authUrl?: string | URL;
  /** Replacement Octopia seller API base, same rule; else CDCREDS_API_URL. */
  apiUrl?: string | URL;
  /** Per attempt, 20 000 ms by default. */
  timeoutMs?: number;
  /** Retries when the token service is unreachable, 2 by default. */
  retries?: number;
  /** Where CDISCOUNT_API_*, OCTOPIA_*, CDCREDS_* and proxy variables are read: process.env by default. */
  processEnv?: NodeJS.ProcessEnv;
}

/** Where credentials came from: `environment` when the kind's variables were used. */
type Source = "environment" | "store";

/** An API login and its password, as {@link getCredentials} returns them. */
export interface ApiCredentials {
  /** Absent: API logins came first, and their shape is kept (an Octopia client's says `"octopia"`). */
  kind?: undefined;
  apiLogin: string;
  password: string;
  env: Environment;
  source: Source;
}

/** An Octopia client, as {@link getCredentials} returns it. */
export interface OctopiaCredentials {
  kind: "octopia";
  clientId: string;
  clientSecret: string;
  /** The sellers the client acts for: OCTOPIA_SELLER_ID's, or those stored with it. */
  sellerIds: string[];
  env: Environment;
  source: Source;
}

/** A token as {@link getToken} returns it for an API login. */
export interface ApiToken {
  /** Absent, as in {@link ApiCredentials}. */
  kind?: undefined;
  apiLogin: string;
  env: Environment;
  token: string;
  expiresAt: Date;
  /** True when it came from the cache, with no request. */
  fromCache: boolean;
}

/** A token as {@link getToken} returns it for an Octopia client, with the headers of a seller API call. */
export interface OctopiaToken {
  kind: "octopia";
  clientId: string;
  env: Environment;
  token: string;
  expiresAt: Date;
  fromCache: boolean;
  /** The seller the headers act for: `sellerId`, else the client's only one; undefined when none or several. */
  sellerId: string | undefined;
  /** `Authorization` and, with a seller, `SellerId`. */
  headers: Record<string, string>;
}

/** The library's typed options, checked by the same rules as the CLI's and named as the library names them. */
export async function requestOf(options: CredentialOptions): Promise<AccountRequest> {
  const processEnv = options.processEnv ?? process.env;
  const { login, authUrl, apiUrl, ...rest } = options;
  const resolved = resolveOptions(
    { ...rest, authUrl: authUrl === undefined ? undefined : String(authUrl), apiUrl: apiUrl === undefined ? undefined : String(apiUrl) },
    processEnv,
  );
  return { kind: await resolveKind(resolved, processEnv, login), options: resolved, processEnv, interactive: () => false, login };
}

/**
 * The credentials of an account: from the kind's variables (CDISCOUNT_API_LOGIN and
 * CDISCOUNT_API_PASSWORD, OCTOPIA_CLIENT_ID and OCTOPIA_CLIENT_SECRET) when both are set, else
 * from the store. The `kind` of the result says which kind the rule chose.
 * @throws {UsageError} (exitCode 2), {NotFoundError} (3), {StoreError} (5).
 */
export async function getCredentials(options: CredentialOptions & { kind: "octopia" }): Promise<OctopiaCredentials>;
export async function getCredentials(options: CredentialOptions & { kind: "api-login" }): Promise<ApiCredentials>;
export async function getCredentials(options?: CredentialOptions): Promise<ApiCredentials | OctopiaCredentials>;
export async function getCredentials(options: CredentialOptions = {}): Promise<ApiCredentials | OctopiaCredentials> {
  const request = await requestOf(options);
  const opened = await openAccount(request);
  const secret = await opened.secret();
  const { env } = request.options;
  if (request.kind.sellers === undefined) return { apiLogin: opened.account, password: secret, env, source: opened.source };
  const sellerIds = sellerIdsOf(request.kind, opened, request.options, request.processEnv);
  return { kind: "octopia", clientId: opened.account, clientSecret: secret, sellerIds, env, source: opened.source };
}

/**
 * A valid token: the cached one while enough of it is left (an hour for an API login; a tenth of
 * its lifetime, at least a minute, for an Octopia client), else a new one from the token service,
 * cached in the store (never for environment credentials).
 * @throws {UsageError} (2), {RejectedError} (1), {NotFoundError} (3), {ServiceError} (4), {StoreError} (5).
 */
export async function getToken(
  options: CredentialOptions & { kind: "octopia"; refresh?: boolean; sellerId?: string },
): Promise<OctopiaToken>;
export async function getToken(options: CredentialOptions & { kind: "api-login"; refresh?: boolean }): Promise<ApiToken>;
export async function getToken(options?: CredentialOptions & { refresh?: boolean; sellerId?: string }): Promise<ApiToken | OctopiaToken>;
export async function getToken(
  options: CredentialOptions & { refresh?: boolean; sellerId?: string } = {},
): Promise<ApiToken | OctopiaToken> {
  const { refresh, sellerId: asked, ...rest } = options;
  const request = await requestOf(rest);
  const { kind } = request;
  if (asked !== undefined) chooseSeller(kind, asked, []);
  const opened = await openAccount(request);
  const { token, expiresAt, fromCache } = await issueToken(request, opened, { refresh: refresh === true });
  const { env } = request.options;
  if (kind.sellers === undefined) return { apiLogin: opened.account, env, token, expiresAt, fromCache };
  const sellerId = chooseSeller(kind, asked, sellerIdsOf(kind, opened, request.options, request.processEnv));
  return {
    kind: "octopia",
    clientId: opened.account,
    env,
    token,
    expiresAt,
    fromCache,
    sellerId,
    headers: kind.sellers.headers(token, sellerId),
  };
}
