import { namedAccount } from "../../core/account.js";
import { readAccounts, upsertAccount, type AccountEntry } from "../../core/account-index.js";
import { announceReplacedApi, chooseSeller, fetchToken, replacedServiceNotice, tokenRequest } from "../../core/credentials.js";
import { secretProblem } from "../../core/secret-rules.js";
import { cacheToken } from "../../core/token-cache.js";
import { RejectedError, ServiceError, UsageError } from "../../errors.js";
import type { CredentialKind, TokenAnswer } from "../../kinds/types.js";
import { openStore, storeName } from "../../stores/index.js";
import { kindField } from "../../kinds/index.js";
import { kindOf, storeDeps, type CommandContext, type CommandResult } from "../context.js";
import { startSpinner } from "../spinner.js";
import { readSecretFromStdin, stdinExample, stdinFlag, stdinFlagGiven } from "../stdin.js";

/** The flags of `cdcreds set`. */
export interface SetFlags {
  /** `--secret-stdin`, or its alias `--password-stdin`. */
  secretStdin?: boolean;
  passwordStdin?: boolean;
  /** False with `--no-verify`. */
  verify?: boolean;
  /** The sellers the client acts for (kinds with sellers). */
  sellerId?: string[];
}

/** Interactive tries before giving up on a rejected password (each try is a new password typed). */
const TRIES = 3;

/** How to store a secret from a script, for hints. */
const stdinHint = (kind: CredentialKind): string => stdinExample(kind, "set");

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
    throw new UsageError(`which ${kind.accountNoun}? none given, and ${ctx.ui.notInteractiveReason} to ask`, { hint: stdinHint(kind) });
  }
  const here = known.filter((a) => a.kind === kind.id && a.env === ctx.options.env && a.store === ctx.options.store);
  const { askText } = await import("../prompt.js");
  const problem = (value: string): string | undefined => {
    try {
      kind.accountName(value);
      return undefined;
    } catch (error) {
      return (error as Error).message.replace(/^invalid (login|client ID): /, "");
    }
  };
  const answer = await askText(kind.prompts.account, {
    default: here.length === 1 ? here[0]!.account : undefined,
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
  fromStdin: string | undefined,
  rejected: Set<string>,
): Promise<string> {
  if (fromStdin !== undefined)
    return readSecretFromStdin(ctx.stdin, "store", stdinHint(kind), { noun: kind.prompts.secret.toLowerCase(), flag: fromStdin });
  const { askSecret } = await import("../prompt.js");
  // Each refusal is said on its own line and asked again at a new, empty prompt: the prompt's own
  // validation would keep the masked text, and the next password typed would be appended to it.
  for (;;) {
    const typed = await askSecret(`${kind.prompts.secret} of ${account}`);
    const problem = secretProblem(typed);
    // Sending a just-rejected password again only brings the account closer to a lock-out.
    if (problem === undefined && !rejected.has(typed)) return typed;
    const noun = kind.prompts.secret.toLowerCase();
    ctx.ui.error(
      problem === undefined
        ? `${kind.serviceName} just rejected this ${noun}: type the current one`
        : `this ${noun} is refused: ${problem}`,
    );
  }
}

/**
 * The sellers to record: `--seller-id` (each checked), else, at a terminal, the answer to a prompt
 * (optional; the stored ones offered); else undefined: the index keeps what it had.
 */
async function chooseSellers(
  ctx: CommandContext,
  kind: CredentialKind,
  flags: SetFlags,
  known: AccountEntry | undefined,
): Promise<string[] | undefined> {
  const sellers = kind.sellers;
  if (flags.sellerId !== undefined && flags.sellerId.length > 0) {
    return [...new Set(flags.sellerId.map((id) => chooseSeller(kind, id, [])!))];
  }
  if (sellers === undefined || !ctx.ui.interactive) return undefined;
  const { askText } = await import("../prompt.js");
  const split = (value: string): string[] => value.split(/[\s,]+/).filter((id) => id !== "");
  const answer = await askText("Seller IDs, separated by commas (optional: Enter for none)", {
    default: known?.sellerIds?.join(", "),
    validate: (value) =>
      split(value)
        .map((id) => sellers.idProblem(id))
        .find((p) => p !== undefined) ?? true,
  });
  return [...new Set(split(answer))];
}

/**
 * Checks that the client may act for each seller, with the token just issued.
 * @throws {RejectedError} (1) for a seller denied or unknown, {ServiceError} (4) when the API cannot answer.
 */
async function checkSellers(ctx: CommandContext, kind: CredentialKind, account: string, token: string, sellerIds: string[]): Promise<void> {
  const sellers = kind.sellers!;
  announceReplacedApi(kind, ctx.options.apiUrl, ctx.ui);
  for (const sellerId of sellerIds) {
    const spinner = startSpinner(`checking seller ${sellerId} for ${account}…`);
    let answer;
    try {
      answer = await sellers.check(token, sellerId, tokenRequest(ctx.options, ctx.processEnv));
    } finally {
      spinner.stop();
    }
    if (answer.status !== "valid") {
      const error = sellers.answerError(answer, sellers.apiUrl(ctx.options.env, ctx.options.apiUrl), account, sellerId);
      const Type = error instanceof RejectedError ? RejectedError : ServiceError;
      throw new Type(`${error.message}; nothing was stored`, { hint: error.hint, cause: error });
    }
  }
}

/**
 * `cdcreds set [login]`: asks for the secret (or reads `--secret-stdin`), checks it with the
 * token service (and each seller with the seller API) unless `--no-verify`, then stores it and
 * records the account in the index. A rejected secret is never stored; interactively the user
 * gets {@link TRIES} tries.
 */
export async function set(ctx: CommandContext, argument: string | undefined, flags: SetFlags): Promise<CommandResult> {
  const { env, json } = ctx.options;
  const fromStdin = stdinFlagGiven(flags);
  const kind = await kindOf(ctx, argument);
  const secretNoun = kind.prompts.secret.toLowerCase();
  if (argument !== undefined) kind.accountName(argument); // a bad name fails before anything else
  if (flags.sellerId !== undefined) for (const id of flags.sellerId) chooseSeller(kind, id, []);
  const store = await openStore(ctx.options.store, storeDeps(ctx));
  // Fail before anyone types a secret: a locked keyring or a damaged index would waste it. And
  // before saying how to give the secret without a terminal: a server with no Secret Service
  // learns first that it needs another store (--store file), then --secret-stdin.
  await store.check();
  if (fromStdin === undefined && !ctx.ui.interactive) {
    throw new UsageError(`a ${secretNoun} is needed but ${ctx.ui.notInteractiveReason} to ask for it`, {
      hint: `use ${stdinFlag(kind.id)}: ${stdinHint(kind)}`,
    });
  }
  const known = await readAccounts({ processEnv: ctx.processEnv });
  const account = await chooseAccount(ctx, kind, argument, known);
  const stored = known.find((a) => a.kind === kind.id && a.account === account && a.env === env && a.store === ctx.options.store);
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
    if (fromStdin !== undefined || attempt >= TRIES)
      throw new RejectedError(`${answer.message}; nothing was stored`, { hint: answer.hint });
    ctx.ui.error(answer.message, answer.hint);
    ctx.ui.info(`try again (${attempt + 1} of ${TRIES}), or press Ctrl-C to stop`);
    rejected.add(secret);
  }
  const sellerIds = await chooseSellers(ctx, kind, flags, stored);
  if (issued !== undefined && sellerIds !== undefined && sellerIds.length > 0)
    await checkSellers(ctx, kind, account, issued.token, sellerIds);

  await store.set(kind.secretService(env), account, secret);
  const secretSetAt = new Date().toISOString();
  // A token cached with the previous secret must not outlive it; the one just issued may.
  if (issued === undefined) await store.delete(kind.tokenService(env), account);
  else await cacheToken(store, kind, env, account, issued, ctx.options.authUrl);
  const entry: AccountEntry = {
    kind: kind.id,
    account,
    env,
    store: ctx.options.store,
    ...(issued ? { lastVerified: issued.issuedAt.toISOString() } : {}),
    secretSetAt,
    ...(sellerIds === undefined ? {} : { sellerIds }),
  };
  try {
    await upsertAccount({ processEnv: ctx.processEnv }, entry);
  } catch (error) {
    // The store is the truth and holds the secret now: the index is a convenience.
    ctx.ui.warn(`the account index was not updated (\`cdcreds list\` will not show ${account}): ${(error as Error).message}`);
  }
  const checked = issued !== undefined;
  const forSellers =
    sellerIds === undefined || sellerIds.length === 0
      ? ""
      : ` (seller${sellerIds.length === 1 ? "" : "s"} ${sellerIds.join(", ")}${checked ? ", checked" : ""})`;
  ctx.ui.success(
    `${account} (${env}): ${secretNoun} ${checked ? "verified and " : ""}stored in ${storeName(ctx.options.store)}${checked ? "" : " without verification"}${forSellers}`,
  );
  const notice = checked ? replacedServiceNotice(kind, ctx.options.authUrl) : undefined;
  if (notice !== undefined) ctx.ui.note(notice);
  if (!json) return { stdout: "" };
  const record = {
    ...kindField(kind.id),
    [kind.jsonKeys.account]: account,
    env,
    store: ctx.options.store,
    verified: checked,
    ...(kind.sellers === undefined ? {} : { sellerIds: sellerIds ?? stored?.sellerIds ?? [] }),
  };
  return { stdout: `${JSON.stringify(record)}\n` };
}
