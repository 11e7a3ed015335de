// Credentials and tokens for the commands that hand them over (`get`, `token`, `exec`, `verify`) and
// for the library, so all of them follow the same precedence and caching rules.
import { join } from "node:path";
import { StoreError, UsageError } from "../errors.js";
import type { CredentialKind, Credentials, TokenAnswer, TokenRequestOptions } from "../kinds/types.js";
import { isLoopbackHost } from "../platform/http/loopback.js";
import { configDir } from "../platform/paths.js";
import type { RetryProgress } from "../platform/http/retry.js";
import { openStore } from "../stores/index.js";
import type { SecretStore, StoreDeps } from "../stores/types.js";
import { resolveAccount, type Account } from "./account.js";
import type { AccountEntry } from "./account-index.js";
import { peekAccounts } from "./account-peek.js";
import type { GlobalOptions } from "./options.js";
import { obtainToken, type Token } from "./token-cache.js";

/** What finding an account needs: the kind, the resolved options, the environment, and the name asked for. */
export interface AccountRequest extends StoreDeps {
  kind: CredentialKind;
  options: GlobalOptions;
  /** The account named by the caller (argument, `--login`), if any. */
  login: string | undefined;
}

/**
 * The account index, read on demand: only when no account is named, so `get bestshop` and
 * `token bestshop` never load it (nor zod).
 */
export const listAccounts = async (processEnv: NodeJS.ProcessEnv): Promise<AccountEntry[]> =>
  (await import("./account-index.js")).readAccounts({ processEnv });

/** An account, and for a stored one its store (opened, but not read until used). */
export interface OpenAccount extends Account {
  store: SecretStore | undefined;
}

/**
 * The account to hand over: environment credentials when both variables are set, else the
 * resolved name, whose secret {@link Account.secret} reads from the store.
 * @throws {UsageError} (2).
 */
export async function openAccount({ kind, options, processEnv: env, interactive, askSecret, login }: AccountRequest): Promise<OpenAccount> {
  let store: SecretStore | undefined;
  const open = async (): Promise<SecretStore> => (store ??= await openStore(options.store, { processEnv: env, interactive, askSecret }));
  const account = await resolveAccount({
    kind,
    argument: login,
    processEnv: env,
    env: options.env,
    store: options.store,
    listAccounts: () => listAccounts(env),
    openStore: open,
  });
  return { ...account, store: account.source === "store" ? await open() : undefined };
}

/**
 * The sellers an account acts for, for a kind with seller access: the seller-ID variable's
 * (its `sellers.variable`) with environment credentials, else those the account index keeps for it.
 * @throws {UsageError} (exit 2) for an invalid seller ID in the variable.
 */
export function sellerIdsOf(
  kind: CredentialKind,
  { account, source }: Pick<Account, "account" | "source">,
  options: GlobalOptions,
  processEnv: NodeJS.ProcessEnv,
): string[] {
  const sellers = kind.sellers;
  if (sellers === undefined) return [];
  if (source === "environment") {
    const id = processEnv[sellers.variable];
    if (id === undefined || id === "") return [];
    const problem = sellers.idProblem(id);
    if (problem !== undefined) throw new UsageError(`${sellers.variable}: ${problem}`);
    return [id];
  }
  const entry = peekAccounts({ processEnv }).find(
    (a) => a.kind === kind.id && a.account === account && a.env === options.env && a.store === options.store,
  );
  return (entry?.sellerIds ?? []).filter((id) => sellers.idProblem(id) === undefined);
}

/**
 * The seller a call acts for: the one asked for (`--seller-id`), else the account's only one;
 * undefined when the account has none or several.
 * @throws {UsageError} (exit 2) for an invalid seller ID, or one a kind without sellers cannot use.
 */
export function chooseSeller(kind: CredentialKind, asked: string | undefined, sellerIds: string[]): string | undefined {
  if (asked === undefined) return sellerIds.length === 1 ? sellerIds[0] : undefined;
  if (kind.sellers === undefined) throw new UsageError(`--seller-id is for accounts that act for sellers, not ${kind.id} accounts`);
  const problem = kind.sellers.idProblem(asked);
  if (problem !== undefined) throw new UsageError(`--seller-id: ${problem}`);
  return asked;
}

/**
 * What to tell the user when a replaced token URL (`--auth-url`, `CDCREDS_AUTH_URL`) that is
 * neither the kind's own service nor on this machine answered: the credentials went to that host,
 * and a stray variable must not do that silently. Undefined when there is nothing to say.
 */
export function replacedServiceNotice(kind: CredentialKind, authUrl: URL | undefined): string | undefined {
  if (authUrl === undefined || isLoopbackHost(authUrl.hostname)) return undefined;
  if (kind.serviceHosts.includes(authUrl.hostname)) return undefined;
  return `the token service was replaced (--auth-url or CDCREDS_AUTH_URL): ${authUrl.host} answered, not ${kind.serviceName}`;
}

/**
 * What to tell the user when a replaced seller API base (`--api-url`, `CDCREDS_API_URL`) that is
 * neither the kind's own API nor on this machine gets the token: a fresh token and the seller IDs
 * go to that host, which a stray variable must not do silently. Undefined when there is nothing to say.
 */
function replacedApiNotice(kind: CredentialKind, apiUrl: URL | undefined): string | undefined {
  if (kind.sellers === undefined || apiUrl === undefined || isLoopbackHost(apiUrl.hostname)) return undefined;
  if (kind.sellers.serviceHosts.includes(apiUrl.hostname)) return undefined;
  return `the seller API was replaced (--api-url or CDCREDS_API_URL): the token and seller IDs go to ${apiUrl.host}, not ${kind.serviceName}`;
}

// The outputs that were told already: one note a run, however many accounts a batch checks.
const apiAnnounced = new WeakSet<object>();

/**
 * Tells `out` {@link replacedApiNotice}'s note, once per `out` (one a run), before the first call
 * of the seller API: said before anything is sent, it holds whatever the API then answers.
 */
export function announceReplacedApi(kind: CredentialKind, apiUrl: URL | undefined, out: { note(message: string): void }): void {
  const notice = replacedApiNotice(kind, apiUrl);
  if (notice === undefined || apiAnnounced.has(out)) return;
  apiAnnounced.add(out);
  out.note(notice);
}

/** How to ask the kind's token service, from the resolved options. */
export function tokenRequest(
  options: GlobalOptions,
  processEnv: NodeJS.ProcessEnv,
  onProgress?: (event: RetryProgress) => void,
): TokenRequestOptions {
  return {
    env: options.env,
    authUrl: options.authUrl,
    apiUrl: options.apiUrl,
    timeoutMs: options.timeoutMs,
    retries: options.retries,
    proxyEnv: processEnv,
    onProgress,
  };
}

/**
 * A new token from the kind's token service.
 * @throws {RejectedError} (1) or {ServiceError} (4) when it gives none.
 */
export async function fetchToken(
  kind: CredentialKind,
  credentials: Credentials,
  request: TokenRequestOptions,
): Promise<Extract<TokenAnswer, { status: "valid" }>> {
  const answer = await kind.requestToken(credentials, request);
  if (answer.status !== "valid") throw kind.answerError(answer, kind.tokenUrl(request.env, request.authUrl), credentials.account);
  return answer;
}

// One lock per account and environment: concurrent `cdcreds token` runs make one request.
async function withRefreshLock<T>(
  processEnv: NodeJS.ProcessEnv,
  options: GlobalOptions,
  account: string,
  work: () => Promise<T>,
): Promise<T> {
  // Loaded here, not at start-up: node:crypto alone measured ~10 % of a bare node start.
  const { createHash } = await import("node:crypto");
  const { acquireLock } = await import("../platform/file-lock.js");
  const { ensurePrivateDir } = await import("../platform/atomic-write.js");
  const dir = join(configDir(processEnv), "locks");
  const name = createHash("sha256").update(account).digest("hex").slice(0, 16);
  // Waiters must outlast the holder's longest refresh: every attempt timing out, plus backoff.
  const longest = options.timeoutMs * (options.retries + 1) + 10_000;
  let release: () => Promise<void>;
  try {
    await ensurePrivateDir(dir);
    release = await acquireLock(join(dir, `token-${options.env}-${name}.lock`), {
      timeoutMs: longest,
      staleMs: longest,
      label: `the cached token of ${account}`,
    });
  } catch (error) {
    // A lock still held (no cause: a timeout) is reported; a config folder that cannot be written
    // (read-only, full) is not a reason to refuse a token: the lock only saves duplicate requests.
    if (error instanceof StoreError && error.cause === undefined) throw error;
    return work();
  }
  try {
    return await work();
  } finally {
    await release();
  }
}

/**
 * A valid token for the account: from the cache while enough of it is left, else a new one
 * (cached, unless the credentials came from the environment). The secret is read only for a new
 * one, so `cdcreds token` with a cached token makes one keychain read, not two.
 * @throws {RejectedError} (1), {NotFoundError} (3), {ServiceError} (4), {StoreError} (5).
 */
export async function issueToken(
  { kind, options, processEnv: env }: Pick<AccountRequest, "kind" | "options" | "processEnv">,
  { account, source, secret: readSecret, store }: OpenAccount,
  { refresh = false, onProgress }: { refresh?: boolean; onProgress?: (event: RetryProgress) => void } = {},
): Promise<Token & { fromCache: boolean }> {
  const cache = source === "store" ? store : undefined;
  return obtainToken({
    kind,
    env: options.env,
    authUrl: options.authUrl,
    account,
    cache,
    refresh,
    now: () => new Date(),
    // A missing secret is reported before any lock is taken; fetchToken then has it at hand.
    beforeRefresh: readSecret,
    fetchToken: async () => fetchToken(kind, { account, secret: await readSecret() }, tokenRequest(options, env, onProgress)),
    exclusive: cache === undefined ? undefined : (work) => withRefreshLock(env, options, account, work),
  });
}
