// Handing credentials and tokens to other programs: shared by `get`, `token`, `exec`, `verify` and
// the library API, so all of them follow the same precedence (SPEC section 3) and caching rules.
import { join } from "node:path";
import type { TokenProgress } from "../kinds/api-login/client.js";
import { resolveAccount, type Account } from "./account.js";
import { StoreError } from "../errors.js";
import type { AccountEntry } from "./account-index.js";
import type { GlobalOptions } from "./options.js";
import { configDir } from "../platform/paths.js";
import { openStore } from "../stores/index.js";
import type { SecretStore, StoreDeps } from "../stores/types.js";
import { obtainToken, type Token } from "./token-cache.js";

/** What resolving credentials needs: the resolved options, the environment, and the login asked for. */
export interface HandoffInputs {
  options: GlobalOptions;
  env: NodeJS.ProcessEnv;
  /** Whether a person can answer a prompt (the file store's passphrase); asked only when needed. */
  interactive: () => boolean;
  /** A masked prompt (the file store's passphrase); none in the library, which never asks. */
  askSecret?: StoreDeps["askSecret"];
  /** The login named by the caller (argument, `--login`), if any. */
  login: string | undefined;
}

/**
 * The account index, read on demand: only when no login is named, so `get bestshop` and
 * `token bestshop` never load it (nor zod; issue 7).
 */
export const listAccounts = async (env: NodeJS.ProcessEnv): Promise<AccountEntry[]> => (await import("./account-index.js")).readAccounts({ env });

/** An account, and for a stored one its store (opened, but not read until used). */
export interface OpenAccount extends Account {
  store: SecretStore | undefined;
}

/**
 * The account to hand over: environment credentials when both variables are set, else the
 * resolved login, whose password {@link Account.password} reads from the store.
 * @throws {UsageError} (2).
 */
export async function openAccount({ options, env, interactive, askSecret, login }: HandoffInputs): Promise<OpenAccount> {
  let store: SecretStore | undefined;
  const open = async (): Promise<SecretStore> => (store ??= await openStore(options.store, { env, interactive, askSecret }));
  const account = await resolveAccount({
    argument: login,
    env,
    environment: options.env,
    store: options.store,
    listAccounts: () => listAccounts(env),
    openStore: open,
  });
  return { ...account, store: account.source === "store" ? await open() : undefined };
}

// One lock per account and environment: concurrent `cdcreds token` runs make one request (issue 8).
async function exclusively<T>(env: NodeJS.ProcessEnv, options: GlobalOptions, apiLogin: string, work: () => Promise<T>): Promise<T> {
  // Loaded here, not at start-up: node:crypto alone measured ~10 % of a bare node start (issue 7).
  const { createHash } = await import("node:crypto");
  const { acquireLock } = await import("../platform/file-lock.js");
  const { ensurePrivateDir } = await import("../platform/atomic-write.js");
  const dir = join(configDir(env), "locks");
  const name = createHash("sha256").update(apiLogin).digest("hex").slice(0, 16);
  // Waiters must outlast the holder's longest refresh: every attempt timing out, plus backoff.
  const longest = options.timeoutMs * (options.retries + 1) + 10_000;
  let release: () => Promise<void>;
  try {
    await ensurePrivateDir(dir);
    release = await acquireLock(join(dir, `token-${options.env}-${name}.lock`), {
      timeoutMs: longest,
      staleMs: longest,
      label: `the cached token of ${apiLogin}`,
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
 * A valid token for the account: from the cache while it has more than an hour left, else a new
 * one (cached, unless the credentials came from the environment). The password is read only for
 * a new one, so `cdcreds token` with a cached token makes one keychain read, not two (issue 7).
 * @throws {RejectedError} (1), {NotFoundError} (3), {ServiceError} (4), {StoreError} (5).
 */
export async function issueToken(
  { options, env }: Pick<HandoffInputs, "options" | "env">,
  { apiLogin, source, password: readPassword, store }: OpenAccount,
  { refresh = false, onProgress }: { refresh?: boolean; onProgress?: (event: TokenProgress) => void } = {},
): Promise<Token & { fromCache: boolean }> {
  const cache = source === "store" ? store : undefined;
  return obtainToken({
    env: options.env,
    apiLogin,
    cache,
    refresh,
    now: () => new Date(),
    // The HTTP client is loaded only when a request is due: a cached token needs none of it.
    // A missing password is reported before any lock is taken; fetchToken then has it at hand.
    beforeRefresh: readPassword,
    fetchToken: async () => {
      const password = await readPassword();
      const { verifyCredentials } = await import("../lib/verify.js");
      const { timeoutMs, retries, authUrl } = options;
      return verifyCredentials({ apiLogin, password, env: options.env, authUrl, timeoutMs, retries, proxyEnv: env, onProgress });
    },
    exclusive: cache === undefined ? undefined : (work) => exclusively(env, options, apiLogin, work),
  });
}
