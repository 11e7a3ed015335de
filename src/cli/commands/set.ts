import { replacedServiceNotice } from "../../kinds/api-login/endpoints.js";
import { verifyCredentials, type VerifiedCredentials } from "../../lib/verify.js";
import { storeDeps, type CommandContext, type CommandResult } from "../context.js";
import { InterruptedError, RejectedError, ServiceError, UsageError } from "../../errors.js";
import { deriveApiLogin, loginProblem, secretProblem } from "../../kinds/api-login/login.js";
import { startSpinner } from "../spinner.js";
import { readPasswordFromStdin } from "../stdin.js";
import { readAccounts, upsertAccount, type AccountEntry } from "../../core/account-index.js";
import { passwordService, tokenService } from "../../kinds/api-login/layout.js";
import { openStore, storeName } from "../../stores/index.js";
import { cacheToken } from "../../core/token-cache.js";

/** The flags of `cdcreds set`. */
export interface SetFlags {
  passwordStdin?: boolean;
  /** False with `--no-verify`. */
  verify?: boolean;
}

/** Interactive tries before giving up on a rejected password (each try is a new password typed). */
const TRIES = 3;
const STDIN_HINT = 'printf %s "$PW" | cdcreds set --password-stdin bestshop';

/**
 * Listens for Ctrl-C until disposed: `interrupted` then rejects with InterruptedError. Installed
 * before the spinner shows, so no Ctrl-C the user sees a reason to press can kill us unhandled.
 */
function catchInterrupt(): { interrupted: Promise<never>; dispose: () => void } {
  let onSigint = (): void => {};
  const interrupted = new Promise<never>((_resolve, reject) => {
    onSigint = () => reject(new InterruptedError());
  });
  interrupted.catch(() => {}); // only awaited while a request runs
  process.once("SIGINT", onSigint);
  return { interrupted, dispose: () => process.off("SIGINT", onSigint) };
}

/**
 * Asks the token service whether the password works, with a spinner on a terminal and Ctrl-C
 * handled; resolves the token it issued, or the rejection (the caller decides whether to ask again).
 * @throws {ServiceError} (exit 4) when the service cannot answer; {InterruptedError} on Ctrl-C.
 */
async function checkPassword(ctx: CommandContext, apiLogin: string, password: string): Promise<VerifiedCredentials | RejectedError> {
  const { env, authUrl, timeoutMs, retries } = ctx.options;
  const { interrupted, dispose } = catchInterrupt();
  const spinner = startSpinner(`checking ${apiLogin} with Cdiscount (${env})…`);
  try {
    const work = verifyCredentials({ apiLogin, password, env, authUrl, timeoutMs, retries, proxyEnv: ctx.env });
    work.catch(() => {}); // if interrupted, its later failure is of no interest
    return await Promise.race([work, interrupted]);
  } catch (error) {
    if (error instanceof RejectedError) return error;
    if (error instanceof ServiceError) {
      throw new ServiceError(`${error.message}; nothing was stored`, { hint: "try again later, or store it unchecked with --no-verify", cause: error });
    }
    throw error;
  } finally {
    spinner.stop(); // before anything else is printed on its line
    dispose();
  }
}

/** The login to store: argument, CDCREDS_LOGIN, or a prompt offering the only stored account. */
async function chooseLogin(ctx: CommandContext, argument: string | undefined, known: AccountEntry[]): Promise<string> {
  const given = argument ?? (ctx.env.CDCREDS_LOGIN === "" ? undefined : ctx.env.CDCREDS_LOGIN);
  if (given !== undefined) return deriveApiLogin(given).apiLogin;
  if (!ctx.ui.interactive) {
    throw new UsageError(`which login? none given, and ${ctx.ui.notInteractiveReason} to ask`, { hint: STDIN_HINT });
  }
  const here = known.filter((a) => a.env === ctx.options.env && a.store === ctx.options.store);
  const { askText } = await import("../prompt.js");
  const answer = await askText("Seller login (or API login)", {
    default: here.length === 1 ? here[0]!.apiLogin : undefined,
    validate: (value) => loginProblem(value.trim()) ?? true,
  });
  const { apiLogin, alreadyApi } = deriveApiLogin(answer);
  if (!alreadyApi) ctx.ui.info(`API login: ${apiLogin}`);
  return apiLogin;
}

/**
 * `cdcreds set [login]`: asks for the password (or reads `--password-stdin`), checks it with the
 * token service unless `--no-verify`, then stores it and records the account in the index. A
 * rejected password is never stored; interactively the user gets {@link TRIES} tries.
 */
export async function set(ctx: CommandContext, argument: string | undefined, flags: SetFlags): Promise<CommandResult> {
  const { env, json } = ctx.options;
  const fromStdin = flags.passwordStdin === true;
  if (!fromStdin && !ctx.ui.interactive) {
    throw new UsageError(`a password is needed but ${ctx.ui.notInteractiveReason} to ask for it`, { hint: `use --password-stdin: ${STDIN_HINT}` });
  }
  if (argument !== undefined) deriveApiLogin(argument); // a bad login fails before anything else
  const store = await openStore(ctx.options.store, storeDeps(ctx));
  // Fail before anyone types a password: a locked keyring or a damaged index would waste it.
  await store.check();
  const known = await readAccounts({ env: ctx.env });
  const apiLogin = await chooseLogin(ctx, argument, known);
  const rejected = new Set<string>();
  const readPassword = async (): Promise<string> => {
    if (fromStdin) return readPasswordFromStdin(ctx.stdin, "store", STDIN_HINT);
    const { askSecret } = await import("../prompt.js");
    // Each refusal is said on its own line and asked again at a new, empty prompt: the prompt's own
    // validation would keep the masked text, and the next password typed would be appended to it.
    for (;;) {
      const typed = await askSecret(`Password of ${apiLogin}`);
      const problem = secretProblem(typed);
      // Sending a just-rejected password again only brings the account closer to a lock-out.
      if (problem === undefined && !rejected.has(typed)) return typed;
      ctx.ui.error(problem === undefined ? "Cdiscount just rejected this password: type the current one" : `this password is refused: ${problem}`);
    }
  };

  let password: string;
  let verified: VerifiedCredentials | undefined;
  for (let attempt = 1; ; attempt++) {
    password = await readPassword();
    ctx.ui.redact(password);
    if (flags.verify === false) break;
    const rejection = await checkPassword(ctx, apiLogin, password);
    if (!(rejection instanceof RejectedError)) {
      verified = rejection;
      ctx.ui.redact(verified.token);
      break;
    }
    if (fromStdin || attempt >= TRIES) throw new RejectedError(`${rejection.message}; nothing was stored`, { hint: rejection.hint });
    ctx.ui.error(rejection.message, rejection.hint);
    ctx.ui.info(`try again (${attempt + 1} of ${TRIES}), or press Ctrl-C to stop`);
    rejected.add(password);
  }

  await store.set(passwordService(env), apiLogin, password);
  // A token cached with the previous password must not outlive it; the one just issued may.
  if (verified === undefined) await store.delete(tokenService(env), apiLogin);
  else await cacheToken(store, env, apiLogin, verified.token, verified.issuedAt);
  const entry: AccountEntry = { apiLogin, env, store: ctx.options.store, ...(verified ? { lastVerified: verified.issuedAt.toISOString() } : {}) };
  try {
    await upsertAccount({ env: ctx.env }, entry);
  } catch (error) {
    // The store is the truth and holds the password now: the index is a convenience.
    ctx.ui.warn(`the account index was not updated (\`cdcreds list\` will not show ${apiLogin}): ${(error as Error).message}`);
  }
  const where = storeName(ctx.options.store);
  const checked = verified !== undefined;
  ctx.ui.success(`${apiLogin} (${env}): password ${checked ? "verified and " : ""}stored in ${where}${checked ? "" : " without verification"}`);
  const notice = checked ? replacedServiceNotice(ctx.options.authUrl) : undefined;
  if (notice !== undefined) ctx.ui.note(notice);
  return { stdout: json ? `${JSON.stringify({ apiLogin, env, store: ctx.options.store, verified: checked })}\n` : "" };
}
