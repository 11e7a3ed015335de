// The library form of `cdcreds verify`: same URL rules, retries, classification and errors as the
// CLI, for Node tools that hold the credentials themselves.
import type { Dispatcher } from "undici";
import { UsageError } from "../errors.js";
import { deriveApiLogin, secretProblem } from "../kinds/api-login/login.js";
import { resolveGlobalOptions } from "../core/options.js";
import { answerError, requestToken, requestTokenFromEnv, type TokenProgress } from "../kinds/api-login/client.js";
import { parseServiceUrl } from "../platform/http/loopback.js";
import { parseEnvironment, type Environment } from "../kinds/environment.js";
import { tokenUrl } from "../kinds/api-login/endpoints.js";

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
  onProgress?: (event: TokenProgress) => void;
}

/** Valid credentials: the API login checked, and the token the service issued. */
export interface VerifiedCredentials {
  apiLogin: string;
  env: Environment;
  token: string;
  issuedAt: Date;
  attempts: number;
}

// The CLI's defaults, from the one place that defines them.
const DEFAULTS = resolveGlobalOptions({}, {});

function checkedNumber(value: number | undefined, fallback: number, name: string, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < min || value > max) throw new UsageError(`${name} must be from ${min} to ${max}, not ${value}`);
  return value;
}

/**
 * Checks credentials against Cdiscount's token service.
 * @returns the valid answer, with its token.
 * @throws {UsageError} (exit 2) for a bad login, password, URL or option;
 *   {@link RejectedError} (exit 1) when Cdiscount rejects the credentials;
 *   {@link ServiceError} (exit 4) when the service is unreachable or answers unexpectedly.
 */
export async function verifyCredentials(options: VerifyCredentialsOptions): Promise<VerifiedCredentials> {
  const login = options.apiLogin ?? options.login;
  if (login === undefined) throw new UsageError("a login is needed: give apiLogin or login");
  const { apiLogin } = deriveApiLogin(login);
  const problem = secretProblem(options.password);
  if (problem !== undefined) throw new UsageError(`the password is refused: ${problem}`);
  const env = parseEnvironment(options.env ?? "prod", "env");
  const url = tokenUrl(env, options.authUrl === undefined ? undefined : parseServiceUrl(String(options.authUrl), "authUrl"));
  const timeoutMs = checkedNumber(options.timeoutMs, DEFAULTS.timeoutMs, "timeoutMs", 1, 600_000);
  const retries = Math.trunc(checkedNumber(options.retries, DEFAULTS.retries, "retries", 0, 10));
  const req = { url, apiLogin, password: options.password, timeoutMs, retries, now: options.now, sleep: options.sleep, onProgress: options.onProgress };
  // A caller's dispatcher is the caller's to close; one made from the environment is closed here.
  const answer =
    options.dispatcher === undefined ? await requestTokenFromEnv(req, options.proxyEnv ?? process.env) : await requestToken({ ...req, dispatcher: options.dispatcher });
  if (answer.status !== "valid") throw answerError(answer, url, apiLogin);
  return { apiLogin, env, token: answer.token, issuedAt: answer.issuedAt, attempts: answer.attempts };
}
