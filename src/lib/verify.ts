// The library form of `cdcreds verify`: same URL rules, retries, classification and errors as the
// CLI, for Node tools that hold the credentials themselves.
import type { Dispatcher } from "undici";
import { fetchToken } from "../core/credentials.js";
import { resolveOptions } from "../core/options.js";
import { secretProblem } from "../core/secret-rules.js";
import { UsageError } from "../errors.js";
import type { Environment } from "../kinds/environment.js";
import { loadKind } from "../kinds/index.js";
import type { RetryProgress } from "../platform/http/retry.js";

/** Inputs of {@link verifyCredentials}. Give `apiLogin` or `login` (a seller login gets `-api`). */
export interface VerifyCredentialsOptions {
  apiLogin?: string;
  login?: string;
  password: string;
  /** Cdiscount environment, `prod` by default. */
  env?: Environment;
  /** Replacement token URL: `https:`, or `http:` to a loopback host. */
  authUrl?: string | URL;
  /** Per attempt, 20 000 ms by default. */
  timeoutMs?: number;
  /** Retries when the service is unreachable, 2 by default. */
  retries?: number;
  /** undici dispatcher; by default one built from `proxyEnv` (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) when it names a proxy. */
  dispatcher?: Dispatcher;
  /** Where proxy variables are read when no dispatcher is given; process.env by default. */
  proxyEnv?: NodeJS.ProcessEnv;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  onProgress?: (event: RetryProgress) => void;
}

/** Valid credentials: the API login checked, and the token the service issued. */
export interface VerifiedCredentials {
  apiLogin: string;
  env: Environment;
  token: string;
  issuedAt: Date;
  attempts: number;
}

/**
 * Checks credentials against Cdiscount's token service.
 * @returns the valid answer, with its token.
 * @throws {UsageError} (exit 2) for a bad login, password, URL or option (named as this function
 *   names them: `timeoutMs`, `retries`, `authUrl`);
 *   {@link RejectedError} (exit 1) when Cdiscount rejects the credentials;
 *   {@link ServiceError} (exit 4) when the service is unreachable or answers unexpectedly.
 */
export async function verifyCredentials(options: VerifyCredentialsOptions): Promise<VerifiedCredentials> {
  const login = options.apiLogin ?? options.login;
  if (login === undefined) throw new UsageError("a login is needed: give apiLogin or login");
  const kind = await loadKind("api-login");
  const account = kind.accountName(login);
  const problem = secretProblem(options.password);
  if (problem !== undefined) throw new UsageError(`the password is refused: ${problem}`);
  // The CDCREDS_* variables are not read: the caller holds the credentials and says where they go.
  const { env, timeoutMs, retries, authUrl } = resolveOptions(
    {
      env: options.env ?? "prod",
      authUrl: options.authUrl === undefined ? undefined : String(options.authUrl),
      timeoutMs: options.timeoutMs,
      retries: options.retries,
    },
    {},
  );
  const { dispatcher, now, sleep, onProgress, proxyEnv = process.env } = options;
  // A caller's dispatcher is the caller's to close; one made from the environment is closed by the kind.
  const answer = await fetchToken(
    kind,
    { account, secret: options.password },
    { env, authUrl, timeoutMs, retries, proxyEnv, dispatcher, now, sleep, onProgress },
  );
  return { apiLogin: account, env, token: answer.token, issuedAt: answer.issuedAt, attempts: answer.attempts };
}
