import { namedAccount } from "../../core/account.js";
import { readAccounts, upsertAccount, type AccountEntry } from "../../core/account-index.js";
import { fetchToken, replacedServiceNotice, tokenRequest } from "../../core/credentials.js";
import { secretProblem } from "../../core/secret-rules.js";
import { cacheToken } from "../../core/token-cache.js";
import { RejectedError, ServiceError, UsageError } from "../../errors.js";
import type { CredentialKind, TokenAnswer } from "../../kinds/types.js";
import { openStore, storeName } from "../../stores/index.js";
import { kindOf, storeDeps, type CommandContext, type CommandResult } from "../context.js";
import { startSpinner } from "../spinner.js";
import { readPasswordFromStdin } from "../stdin.js";

/** The flags of `cdcreds set`. */
export interface SetFlags {
  passwordStdin?: boolean;
  /** False with `--no-verify`. */
  verify?: boolean;
}

/** Interactive tries before giving up on a rejected password (each try is a new password typed). */
const TRIES = 3;
const STDIN_HINT = 'printf %s "$PW" | cdcreds set --password-stdin bestshop';

type Issued = Extract<TokenAnswer, { status: "valid" }>;

/**
 * Asks the token service whether the secret works, with a spinner on a terminal; resolves the
 * token it issued, or the rejection (the caller decides whether to ask again). Ctrl-C is main()'s:
 * it erases the spinner, removes this run's files and exits 130.
 * @throws {ServiceError} (exit 4) when the service cannot answer.
 */
async function check(ctx: CommandContext, kind: CredentialKind, account: string, secret: string): Promise<Issued | RejectedError> {
  const spinner = startSpinner(`checking ${account} with ${kind.serviceName} (${ctx.options.env})…`);
  try {
    return await fetchToken(kind, { account, secret }, tokenRequest(ctx.options, ctx.processEnv));
  } catch (error) {
    if (error instanceof RejectedError) return error;
    if (error instanceof ServiceError) {
      throw new ServiceError(`${error.message}; nothing was stored`, {
        hint: "try again later, or store it unchecked with --no-verify",
        cause: error,
      });
    }
    throw error;
  } finally {
    spinner.stop(); // before anything else is printed on its line
  }
}

/** The account to store: argument, CDCREDS_LOGIN, or a prompt offering the only stored account. */
async function chooseAccount(
  ctx: CommandContext,
  kind: CredentialKind,
  argument: string | undefined,
  known: AccountEntry[],
): Promise<string> {
  const named = namedAccount(kind, argument, ctx.processEnv);
  if (named !== undefined) return named.account;
  if (!ctx.ui.interactive) {
    throw new UsageError(`which login? none given, and ${ctx.ui.notInteractiveReason} to ask`, { hint: STDIN_HINT });
  }
  const here = known.filter((a) => a.env === ctx.options.env && a.store === ctx.options.store);
  const { askText } = await import("../prompt.js");
  const problem = (value: string): string | undefined => {
    try {
      kind.accountName(value);
      return undefined;
    } catch (error) {
      return (error as Error).message.replace(/^invalid login: /, "");
    }
  };
  const answer = await askText(kind.prompts.account, {
    default: here.length === 1 ? here[0]!.apiLogin : undefined,
    validate: (value) => problem(value) ?? true,
  });
  const account = kind.accountName(answer);
  if (account !== answer.trim()) ctx.ui.info(`${kind.accountNoun}: ${account}`);
  return account;
}

/** Reads the secret: from standard input, or at a masked prompt until one is acceptable. */
async function readSecret(
  ctx: CommandContext,
  kind: CredentialKind,
  account: string,
  fromStdin: boolean,
  rejected: Set<string>,
): Promise<string> {
  if (fromStdin) return readPasswordFromStdin(ctx.stdin, "store", STDIN_HINT);
  const { askSecret } = await import("../prompt.js");
  // Each refusal is said on its own line and asked again at a new, empty prompt: the prompt's own
  // validation would keep the masked text, and the next password typed would be appended to it.
  for (;;) {
    const typed = await askSecret(`${kind.prompts.secret} of ${account}`);
    const problem = secretProblem(typed);
    // Sending a just-rejected password again only brings the account closer to a lock-out.
    if (problem === undefined && !rejected.has(typed)) return typed;
    ctx.ui.error(
      problem === undefined
        ? `${kind.serviceName} just rejected this password: type the current one`
        : `this password is refused: ${problem}`,
    );
  }
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
    throw new UsageError(`a password is needed but ${ctx.ui.notInteractiveReason} to ask for it`, {
      hint: `use --password-stdin: ${STDIN_HINT}`,
    });
  }
  const kind = await kindOf(ctx);
  if (argument !== undefined) kind.accountName(argument); // a bad login fails before anything else
  const store = await openStore(ctx.options.store, storeDeps(ctx));
  // Fail before anyone types a password: a locked keyring or a damaged index would waste it.
  await store.check();
  const account = await chooseAccount(ctx, kind, argument, await readAccounts({ processEnv: ctx.processEnv }));
  const rejected = new Set<string>();
  let secret: string;
  let issued: Issued | undefined;
  for (let attempt = 1; ; attempt++) {
    secret = await readSecret(ctx, kind, account, fromStdin, rejected);
    ctx.ui.redact(secret);
    if (flags.verify === false) break;
    const answer = await check(ctx, kind, account, secret);
    if (!(answer instanceof RejectedError)) {
      issued = answer;
      ctx.ui.redact(issued.token);
      break;
    }
    if (fromStdin || attempt >= TRIES) throw new RejectedError(`${answer.message}; nothing was stored`, { hint: answer.hint });
    ctx.ui.error(answer.message, answer.hint);
    ctx.ui.info(`try again (${attempt + 1} of ${TRIES}), or press Ctrl-C to stop`);
    rejected.add(secret);
  }

  await store.set(kind.secretService(env), account, secret);
  // A token cached with the previous secret must not outlive it; the one just issued may.
  if (issued === undefined) await store.delete(kind.tokenService(env), account);
  else await cacheToken(store, kind, env, account, issued);
  const entry: AccountEntry = {
    apiLogin: account,
    env,
    store: ctx.options.store,
    ...(issued ? { lastVerified: issued.issuedAt.toISOString() } : {}),
  };
  try {
    await upsertAccount({ processEnv: ctx.processEnv }, entry);
  } catch (error) {
    // The store is the truth and holds the secret now: the index is a convenience.
    ctx.ui.warn(`the account index was not updated (\`cdcreds list\` will not show ${account}): ${(error as Error).message}`);
  }
  const checked = issued !== undefined;
  ctx.ui.success(
    `${account} (${env}): password ${checked ? "verified and " : ""}stored in ${storeName(ctx.options.store)}${checked ? "" : " without verification"}`,
  );
  const notice = checked ? replacedServiceNotice(kind, ctx.options.authUrl) : undefined;
  if (notice !== undefined) ctx.ui.note(notice);
  return { stdout: json ? `${JSON.stringify({ apiLogin: account, env, store: ctx.options.store, verified: checked })}\n` : "" };
}
