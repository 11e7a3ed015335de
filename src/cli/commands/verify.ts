import { answerError, requestTokenFromEnv, type TokenAnswer, type TokenProgress } from "../../kinds/api-login/client.js";
import { replacedServiceNotice, tokenUrl } from "../../kinds/api-login/endpoints.js";
import { storeDeps, type CommandContext, type CommandResult } from "../context.js";
import { resolveLogin } from "../../core/account.js";
import { ExitCode } from "../../errors.js";
import { listAccounts, openAccount } from "../../core/handoff.js";
import { readPasswordFromStdin } from "../stdin.js";
import type { SecretStore } from "../../stores/types.js";
import { cacheToken } from "../../core/token-cache.js";

/** The flags of `cdcreds verify`. */
export interface VerifyFlags {
  passwordStdin?: boolean;
  quiet?: boolean;
}

/** Credentials to check, where the password came from, and the store holding it, if any. */
interface Checked {
  apiLogin: string;
  password: string;
  source: "standard input" | "environment" | "store";
  store: SecretStore | undefined;
}

/**
 * Which credentials to check: `--password-stdin` (for the login resolved as usual), else the
 * environment's, else the stored ones (SPEC section 3).
 */
async function readCredentials(ctx: CommandContext, argument: string | undefined, flags: VerifyFlags): Promise<Checked> {
  const { options, env } = ctx;
  if (flags.passwordStdin === true) {
    const { apiLogin } = await resolveLogin({ argument, env, environment: options.env, store: options.store, listAccounts: () => listAccounts(env) });
    const password = await readPasswordFromStdin(ctx.stdin, "verify", 'printf %s "$PW" | cdcreds verify --password-stdin bestshop');
    return { apiLogin, password, source: "standard input", store: undefined };
  }
  const { apiLogin, source, password, store } = await openAccount({ options, ...storeDeps(ctx), login: argument });
  return { apiLogin, source, password: await password(), store };
}

/**
 * Keeps what a successful check of stored credentials learnt: the token (cached for `token`) and
 * the time (for `list`). Neither is essential, so a failure is a warning, not the answer.
 */
async function remember(ctx: CommandContext, store: SecretStore, apiLogin: string, token: string, issuedAt: Date): Promise<void> {
  const { env } = ctx.options;
  try {
    await cacheToken(store, env, apiLogin, token, issuedAt);
    const { upsertAccount } = await import("../../core/account-index.js");
    await upsertAccount({ env: ctx.env }, { apiLogin, env, store: ctx.options.store, lastVerified: issuedAt.toISOString() });
  } catch (error) {
    ctx.ui.warn(`the check succeeded but its token or date was not saved: ${(error as Error).message}`);
  }
}

/** The `--json` form of an answer. */
function json(apiLogin: string, env: string, answer: TokenAnswer): string {
  const detail = answer.status === "valid" ? "credentials valid" : answer.detail;
  return `${JSON.stringify({ apiLogin, env, valid: answer.status === "valid", status: answer.status, detail })}\n`;
}

/**
 * `cdcreds verify [login]`: asks the token service whether the credentials work. The exit status
 * is the answer (0 valid, 1 rejected, 4 unreachable or unexpected); one line on stderr says it.
 */
export async function verify(ctx: CommandContext, argument: string | undefined, flags: VerifyFlags): Promise<CommandResult> {
  const { apiLogin, password, source, store } = await readCredentials(ctx, argument, flags);
  ctx.ui.redact(password);
  const { env, timeoutMs, retries } = ctx.options;
  const url = tokenUrl(env, ctx.options.authUrl);
  ctx.ui.debug(`verifying ${apiLogin} (${env}) with the password from the ${source}`);
  ctx.ui.debug(`token service ${url.protocol}//${url.host}, timeout ${timeoutMs / 1000} s, up to ${retries} retries`);
  const started = Date.now();
  const onProgress = ({ attempt, delayMs, reason, elapsedMs }: TokenProgress): void => {
    if (delayMs === undefined) ctx.ui.debug(`attempt ${attempt}: GET ${url.host}`);
    else ctx.ui.debug(`attempt ${attempt} failed after ${elapsedMs} ms (${reason}); retrying in ${delayMs} ms`);
  };
  const answer = await requestTokenFromEnv({ url, apiLogin, password, timeoutMs, retries, onProgress }, ctx.env);
  ctx.ui.debug(`answer after ${answer.attempts} attempt(s), ${Date.now() - started} ms: ${answer.status}${answer.status === "valid" ? "" : ` (${answer.detail})`}`);
  if (answer.status === "valid") {
    ctx.ui.redact(answer.token);
    if (source === "store" && store !== undefined) await remember(ctx, store, apiLogin, answer.token, answer.issuedAt);
  }
  const error = answer.status === "valid" ? undefined : answerError(answer, url, apiLogin);
  if (flags.quiet !== true) {
    if (error !== undefined) ctx.ui.error(error.message, error.hint);
    else ctx.ui.success(`${apiLogin}: credentials valid (${env})`);
    const notice = error === undefined ? replacedServiceNotice(ctx.options.authUrl) : undefined;
    if (notice !== undefined) ctx.ui.note(notice);
  }
  const exitCode = error?.exitCode ?? ExitCode.Ok;
  return { stdout: ctx.options.json ? json(apiLogin, env, answer) : "", exitCode };
}
