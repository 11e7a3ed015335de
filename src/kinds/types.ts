// What every kind of credential is. Implementations live in kinds/<id>/ and are listed in
// kinds/index.ts; the commands and the core talk to a kind only through this interface.
import type { Dispatcher } from "undici";
import type { CdcredsError } from "../errors.js";
import type { RetryProgress } from "../platform/http/retry.js";
import type { Environment } from "./environment.js";

export type { Environment } from "./environment.js";

/** What a token service answered, after any retries. Never carries the secret. */
export type TokenAnswer =
  | { status: "valid"; token: string; issuedAt: Date; expiresAt: Date; attempts: number }
  | { status: "rejected" | "unexpected" | "unreachable"; detail: string; httpStatus?: number; attempts: number };

/** How to ask a token service: where, how long, how often, and through which proxy. */
export interface TokenRequestOptions {
  env: Environment;
  /** The replacement token URL, already validated. */
  authUrl?: URL;
  /** The replacement seller API base, already validated (kinds with {@link SellerAccess}). */
  apiUrl?: URL;
  timeoutMs: number;
  retries: number;
  /** Where proxy variables are read (the CLI's or a library caller's environment). */
  proxyEnv: NodeJS.ProcessEnv;
  /** A caller's own undici dispatcher, instead of one built from `proxyEnv`. */
  dispatcher?: Dispatcher;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  onProgress?: (event: RetryProgress) => void;
}

/** An account and its secret, as a kind names and checks them. */
export interface Credentials {
  account: string;
  secret: string;
}

/** What a seller API answered about one seller: the client may act for it, or why not. */
export type SellerAnswer =
  | { status: "valid"; attempts: number }
  | { status: "seller-denied" | "seller-unknown" | "unexpected" | "unreachable"; detail: string; httpStatus?: number; attempts: number };

/** For a kind whose accounts act for sellers named by ID (one client, several sellers' shops). */
interface SellerAccess {
  /** The variable holding a seller ID: read with environment credentials, set by `exec`. */
  readonly variable: string;
  /** Why `id` cannot be a seller ID, or undefined when it can. */
  idProblem(id: string): string | undefined;
  /** The seller API's base, or the replacement. @throws {UsageError} when the environment has none. */
  apiUrl(env: Environment, override?: URL): URL;
  /** The hosts of the kind's own seller APIs: a replaced base elsewhere is announced, as the token service's is. */
  readonly serviceHosts: readonly string[];
  /** Asks the seller API whether the token may act for the seller; never throws for a service outcome. */
  check(token: string, sellerId: string, options: TokenRequestOptions): Promise<SellerAnswer>;
  /** The seller's login as the seller API names it, when it does (undefined when it cannot be read). */
  login?(token: string, sellerId: string, options: TokenRequestOptions): Promise<string | undefined>;
  /** The headers of a call to the seller API for that seller (none named: the token alone). */
  headers(token: string, sellerId: string | undefined): Record<string, string>;
  /** The typed error (exit 1 or 4) of a check that failed. */
  answerError(answer: Exclude<SellerAnswer, { status: "valid" }>, url: URL, account: string, sellerId: string): CdcredsError;
  /** The header naming a sales channel (`cdcreds api --sales-channel`), and why a value cannot be one. */
  readonly salesChannel: { header: string; problem(id: string): string | undefined };
  /** The URL of the page after the one `url` asked for (from its answer's Link header and body), or undefined at the last. */
  nextPage(url: URL, link: string | string[] | undefined, body: string): URL | undefined;
  /** The items of a page, for `--slurp`; undefined when the body is no list. */
  pageItems(body: string): unknown[] | undefined;
}

/** A kind of credential: how its accounts are named, stored, exported and checked. */
export interface CredentialKind {
  readonly id: string;
  /** Whose service issues its tokens, for messages: "Cdiscount". */
  readonly serviceName: string;
  /** How messages name an account of this kind: "API login". */
  readonly accountNoun: string;
  /** What `set` asks for: the account (a plain prompt) and its secret (a masked one, "Password of X"). */
  readonly prompts: { account: string; secret: string };
  /** The account for what a user typed (a seller login gets `-api`). @throws {UsageError} naming the problem. */
  accountName(input: string): string;
  /** Why a name read from the account index cannot be an account of this kind; undefined when it can. */
  storedNameProblem(name: string): string | undefined;
  /** Keychain service of the secrets (a public layout: other tools read it). */
  secretService(env: Environment): string;
  /** Keychain service of the cached tokens. */
  tokenService(env: Environment): string;
  /** The environment variables that hold credentials of this kind, and those `exec` sets for the token and its expiry. */
  readonly variables: { account: string; secret: string; token: string; tokenExpiresAt: string };
  /** The longest a token lives: a cached expiry further ahead is not trusted. */
  readonly maxTokenLifetimeMs: number;
  /** A cached token is handed out only while more than this is left of it... */
  readonly minRemainingMs: number;
  /** ...and more than this share of its lifetime (0 to 1), when the lifetime is known. */
  readonly minRemainingShare: number;
  /** How its token service is asked, for `--debug`. */
  readonly tokenMethod: "GET" | "POST";
  /** How `--json` output names the account and its secret: "apiLogin" and "password". */
  readonly jsonKeys: { account: string; secret: string };
  /** Present when accounts act for sellers named by ID. */
  readonly sellers?: SellerAccess;
  /** True for a string that can be a token of this kind (a cached entry is checked with it). */
  isToken(token: string): boolean;
  /** The hosts of the kind's own token services: a replaced URL elsewhere is announced. */
  readonly serviceHosts: readonly string[];
  /** The token URL of an environment, or the replacement. @throws {UsageError} when the environment has none. */
  tokenUrl(env: Environment, override?: URL): URL;
  /** Asks the token service for a token; never throws for a service outcome. */
  requestToken(credentials: Credentials, options: TokenRequestOptions): Promise<TokenAnswer>;
  /** The typed error (exit 1 or 4) for an answer that is not valid; `account` prefixes the message. */
  answerError(answer: Exclude<TokenAnswer, { status: "valid" }>, url: URL, account?: string): CdcredsError;
  /** Credentials no one has, for `doctor --online`: the service must reject them. */
  madeUpCredentials(): Credentials;
  /** What a program run by `exec` gets in its environment. */
  exports(credentials: Credentials, token: string | undefined): Record<string, string>;
}
