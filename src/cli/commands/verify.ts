import { resolveName } from "../../core/account.js";
import { listAccounts, openAccount, replacedServiceNotice, tokenRequest } from "../../core/credentials.js";
import { cacheToken } from "../../core/token-cache.js";
import { ExitCode } from "../../errors.js";
import type { CredentialKind, TokenAnswer } from "../../kinds/types.js";
import type { SecretStore } from "../../stores/types.js";
import { kindOf, storeDeps, type CommandContext, type CommandResult } from "../context.js";
import { readPasswordFromStdin } from "../stdin.js";

/** The flags of `cdcreds verify`. */
export interface VerifyFlags {
  passwordStdin?: boolean;
  quiet?: boolean;
}

/** Credentials to check, where the secret came from, and the store holding it, if any. */
interface Checked {
  account: string;
  secret: string;
  source: "standard input" | "environment" | "store";
  store: SecretStore | undefined;
}

/**
 * Which credentials to check: `--password-stdin` (for the account resolved as usual), else the
 * environment's, else the stored ones.
 */
async function readCredentials(
  ctx: CommandContext,
  kind: CredentialKind,
  argument: string | undefined,
  flags: VerifyFlags,
): Promise<Checked> {
  const { options, processEnv: env } = ctx;
  if (flags.passwordStdin === true) {
    const { account } = await resolveName({
      kind,
      argument,
      processEnv: env,
      env: options.env,
      store: options.store,
      listAccounts: () => listAccounts(env),
    });
    const secret = await readPasswordFromStdin(ctx.stdin, "verify", 'printf %s "$PW" | cdcreds verify --password-stdin bestshop');
    return { account, secret, source: "standard input", store: undefined };
  }
  const { account, source, secret, store } = await openAccount({ kind, options, ...storeDeps(ctx), login: argument });
  return { account, source, secret: await secret(), store };
}

/**
 * Keeps what a successful check of stored credentials learnt: the token (cached for `token`) and
 * the time (for `list`). Neither is essential, so a failure is a warning, not the answer.
 */
async function recordCheck(
  ctx: CommandContext,
  kind: CredentialKind,
  store: SecretStore,
  account: string,
  answer: Extract<TokenAnswer, { status: "valid" }>,
): Promise<void> {
  const { env } = ctx.options;
  try {
    await cacheToken(store, kind, env, account, answer);
    const { upsertAccount } = await import("../../core/account-index.js");
    await upsertAccount(
      { processEnv: ctx.processEnv },
      { apiLogin: account, env, store: ctx.options.store, lastVerified: answer.issuedAt.toISOString() },
    );
  } catch (error) {
    ctx.ui.warn(`the check succeeded but its token or date was not saved: ${(error as Error).message}`);
  }
}

/** The `--json` form of an answer. */
function json(account: string, env: string, answer: TokenAnswer): string {
  const detail = answer.status === "valid" ? "credentials valid" : answer.detail;
  return `${JSON.stringify({ apiLogin: account, env, valid: answer.status === "valid", status: answer.status, detail })}\n`;
}

/**
 * `cdcreds verify [login]`: asks the token service whether the credentials work. The exit status
 * is the answer (0 valid, 1 rejected, 4 unreachable or unexpected); one line on stderr says it.
 */
export async function verify(ctx: CommandContext, argument: string | undefined, flags: VerifyFlags): Promise<CommandResult> {
  const kind = await kindOf(ctx);
  const { account, secret, source, store } = await readCredentials(ctx, kind, argument, flags);
  ctx.ui.redact(secret);
  const { env, timeoutMs, retries } = ctx.options;
  const url = kind.tokenUrl(env, ctx.options.authUrl);
  ctx.ui.debug(`verifying ${account} (${env}) with the password from the ${source}`);
  ctx.ui.debug(`token service ${url.protocol}//${url.host}, timeout ${timeoutMs / 1000} s, up to ${retries} retries`);
  const started = Date.now();
  const answer = await kind.requestToken(
    { account, secret },
    tokenRequest(ctx.options, ctx.processEnv, ({ attempt, delayMs, reason, elapsedMs }) => {
      if (delayMs === undefined) ctx.ui.debug(`attempt ${attempt}: GET ${url.host}`);
      else ctx.ui.debug(`attempt ${attempt} failed after ${elapsedMs} ms (${reason}); retrying in ${delayMs} ms`);
    }),
  );
  ctx.ui.debug(
    `answer after ${answer.attempts} attempt(s), ${Date.now() - started} ms: ${answer.status}${answer.status === "valid" ? "" : ` (${answer.detail})`}`,
  );
  if (answer.status === "valid") {
    ctx.ui.redact(answer.token);
    if (source === "store" && store !== undefined) await recordCheck(ctx, kind, store, account, answer);
  }
  const error = answer.status === "valid" ? undefined : kind.answerError(answer, url, account);
  if (flags.quiet !== true) {
    if (error !== undefined) ctx.ui.error(error.message, error.hint);
    else ctx.ui.success(`${account}: credentials valid (${env})`);
    const notice = error === undefined ? replacedServiceNotice(kind, ctx.options.authUrl) : undefined;
    if (notice !== undefined) ctx.ui.note(notice);
  }
  return { stdout: ctx.options.json ? json(account, env, answer) : "", exitCode: error?.exitCode ?? ExitCode.Ok };
}
