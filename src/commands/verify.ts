import { answerError, requestToken, type TokenAnswer } from "../cdiscount/client.js";
import { tokenUrl } from "../cdiscount/endpoints.js";
import { dispatcherFromEnv } from "../cdiscount/proxy.js";
import type { CommandContext, CommandResult } from "../context.js";
import { ExitCode, UsageError } from "../errors.js";
import { deriveApiLogin } from "../login.js";

/** The flags of `cdcreds verify`. */
export interface VerifyFlags {
  passwordStdin?: boolean;
  quiet?: boolean;
}

/** Credentials to check, and where the password came from (for --debug). */
interface Credentials {
  apiLogin: string;
  password: string;
  source: "standard input" | "environment" | "store";
}

/**
 * Reads a password from standard input: all of it, minus ONE trailing newline (`\n` or `\r\n`),
 * so `printf %s "$PW"` and `echo "$PW"` both work and a password ending in spaces stays intact.
 * Same rules as `set` (src/commands/set.ts), so what `set` accepts `verify` accepts.
 * @throws {UsageError} (exit 2) when it is empty, not UTF-8, or holds a line break.
 */
async function readPasswordStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new UsageError("the password on standard input is not valid UTF-8");
  }
  const password = text.replace(/\r?\n$/, "");
  const hint = 'pipe the password in: printf %s "$PW" | cdcreds verify --password-stdin bestshop';
  if (password === "") throw new UsageError("standard input is empty: no password to verify", { hint });
  // A second line is a mistake (two passwords, a file with a header), never part of a password.
  if (/[\r\n]/.test(password)) throw new UsageError("the password on standard input spans several lines", { hint });
  return password;
}

/** The API login from the argument, else `CDCREDS_LOGIN`. @throws {UsageError} when neither is set. */
function loginFor(ctx: CommandContext, argument: string | undefined): string {
  const login = argument ?? (ctx.env.CDCREDS_LOGIN === "" ? undefined : ctx.env.CDCREDS_LOGIN);
  if (login === undefined) {
    throw new UsageError("which login? none given", { hint: "pass it as an argument (cdcreds verify bestshop) or set CDCREDS_LOGIN" });
  }
  return deriveApiLogin(login).apiLogin;
}

/** `CDISCOUNT_API_LOGIN` + `CDISCOUNT_API_PASSWORD`, when both are set (SPEC section 3). */
function environmentCredentials(ctx: CommandContext, argument: string | undefined): Credentials | undefined {
  const { CDISCOUNT_API_LOGIN: login, CDISCOUNT_API_PASSWORD: password } = ctx.env;
  if (login === undefined || login === "" || password === undefined || password === "") return undefined;
  const apiLogin = deriveApiLogin(login).apiLogin;
  // The environment's password belongs to its login: never try it against another one.
  if (argument !== undefined && deriveApiLogin(argument).apiLogin !== apiLogin) {
    throw new UsageError(`the login ${deriveApiLogin(argument).apiLogin} differs from CDISCOUNT_API_LOGIN (${apiLogin})`, {
      hint: "unset CDISCOUNT_API_LOGIN and CDISCOUNT_API_PASSWORD to use another account",
    });
  }
  return { apiLogin, password, source: "environment" };
}

/**
 * The stored credentials: the login from the argument, else CDCREDS_LOGIN, else the only account
 * stored for the environment (SPEC section 3), and its password from the store chosen with --store
 * (both loaded only on this path).
 * @throws {UsageError} (exit 2) when no login can be chosen; {NotFoundError} (exit 3) when nothing
 * is stored; {StoreError} (exit 5) when the store fails.
 */
async function storedCredentials(ctx: CommandContext, argument: string | undefined): Promise<{ apiLogin: string; password: string }> {
  const [{ openStore }, { loadPassword, resolveLogin }] = await Promise.all([import("../store/open.js"), import("../credentials.js")]);
  const { apiLogin } = await resolveLogin({
    argument,
    env: ctx.env,
    environment: ctx.options.env,
    store: ctx.options.store,
    listAccounts: async () => (await import("../store/accounts.js")).readAccounts({ env: ctx.env }),
  });
  const store = await openStore(ctx.options, { env: ctx.env, interactive: ctx.ui.interactive });
  return { apiLogin, password: await loadPassword(store, ctx.options.env, apiLogin) };
}

/** Which credentials to check: `--password-stdin`, else the environment, else the store. */
async function readCredentials(ctx: CommandContext, argument: string | undefined, flags: VerifyFlags): Promise<Credentials> {
  if (flags.passwordStdin === true) {
    const apiLogin = loginFor(ctx, argument);
    return { apiLogin, password: await readPasswordStdin(ctx.stdin), source: "standard input" };
  }
  const fromEnv = environmentCredentials(ctx, argument);
  if (fromEnv !== undefined) return fromEnv;
  return { ...(await storedCredentials(ctx, argument)), source: "store" };
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
  const { apiLogin, password, source } = await readCredentials(ctx, argument, flags);
  ctx.ui.redact(password);
  const { env, timeoutMs, retries } = ctx.options;
  const url = tokenUrl(env, ctx.options.authUrl);
  ctx.ui.debug(`verifying ${apiLogin} (${env}) with the password from the ${source}`);
  ctx.ui.debug(`token service ${url.protocol}//${url.host}, timeout ${timeoutMs / 1000} s, up to ${retries} retries`);
  const dispatcher = dispatcherFromEnv(ctx.env);
  const started = Date.now();
  let answer: TokenAnswer;
  try {
    answer = await requestToken({
      url,
      apiLogin,
      password,
      timeoutMs,
      retries,
      dispatcher,
      onProgress: ({ attempt, delayMs, reason, elapsedMs }) => {
        if (delayMs === undefined) ctx.ui.debug(`attempt ${attempt}: GET ${url.host}`);
        else ctx.ui.debug(`attempt ${attempt} failed after ${elapsedMs} ms (${reason}); retrying in ${delayMs} ms`);
      },
    });
  } finally {
    // destroy, not close: a connection the service left hanging must not keep us waiting.
    await dispatcher.destroy();
  }
  ctx.ui.debug(`answer after ${answer.attempts} attempt(s), ${Date.now() - started} ms: ${answer.status}${answer.status === "valid" ? "" : ` (${answer.detail})`}`);
  const error = answer.status === "valid" ? undefined : answerError(answer, url, apiLogin);
  if (flags.quiet !== true) {
    if (error === undefined) ctx.ui.success(`${apiLogin}: credentials valid (${env})`);
    else ctx.ui.error(error.message, error.hint);
  }
  const exitCode = error?.exitCode ?? ExitCode.Ok;
  return { stdout: ctx.options.json ? json(apiLogin, env, answer) : "", exitCode };
}
