import { resolveName } from "../../core/account.js";
import {
  announceReplacedApi,
  chooseSeller,
  listAccounts,
  openAccount,
  replacedServiceNotice,
  sellerIdsOf,
  tokenRequest,
} from "../../core/credentials.js";
import { cacheToken } from "../../core/token-cache.js";
import { ExitCode, UsageError, type CdcredsError } from "../../errors.js";
import { kindField, type Kind } from "../../kinds/index.js";
import type { CredentialKind, SellerAnswer, TokenAnswer } from "../../kinds/types.js";
import type { SecretStore } from "../../stores/types.js";
import { jsonLine } from "../../platform/text.js";
import { kindOf, storeDeps, type CommandContext, type CommandResult } from "../context.js";
import { readSecretFromStdin, stdinExample, stdinFlagGiven } from "../stdin.js";

/** The flags of `cdcreds verify`. */
export interface VerifyFlags {
  /** `--secret-stdin`, or its alias `--password-stdin`. */
  secretStdin?: boolean;
  passwordStdin?: boolean;
  quiet?: boolean;
  /** The sellers to check (kinds with sellers); else the account's own. */
  sellerId?: string[];
  /** `--all`: every stored account of the environment, `--jobs` at a time. */
  all?: boolean;
  jobs?: string;
  /** `--all --max-age 365d`: a secret stored longer ago fails the run (exit 7). */
  maxAge?: string;
}

/** Credentials to check, where the secret came from, and the store holding it, if any. */
interface Checked {
  account: string;
  secret: string;
  source: "standard input" | "environment" | "store";
  store: SecretStore | undefined;
}

/**
 * Which credentials to check: `--secret-stdin` (for the account resolved as usual), else the
 * environment's, else the stored ones.
 */
async function readCredentials(
  ctx: CommandContext,
  kind: CredentialKind,
  argument: string | undefined,
  fromStdin: string | undefined,
): Promise<Checked> {
  const { options, processEnv: env } = ctx;
  if (fromStdin !== undefined) {
    const { account } = await resolveName({
      kind,
      argument,
      processEnv: env,
      env: options.env,
      store: options.store,
      listAccounts: () => listAccounts(env),
    });
    const secret = await readSecretFromStdin(ctx.stdin, "verify", stdinExample(kind, "verify"), {
      noun: kind.prompts.secret.toLowerCase(),
      flag: fromStdin,
    });
    return { account, secret, source: "standard input", store: undefined };
  }
  const { account, source, secret, store } = await openAccount({ kind, options, ...storeDeps(ctx), login: argument });
  return { account, source, secret: await secret(), store };
}

/**
 * Keeps what a successful check of stored credentials learnt: the token (cached for `token`) and,
 * when every check passed, the time (for `list`). Neither is essential, so a failure is a warning.
 */
async function recordCheck(
  ctx: CommandContext,
  kind: Kind,
  store: SecretStore,
  account: string,
  answer: Extract<TokenAnswer, { status: "valid" }>,
  passed: boolean,
): Promise<void> {
  const { env } = ctx.options;
  try {
    await cacheToken(store, kind, env, account, answer, ctx.options.authUrl);
    if (!passed) return;
    const { upsertAccount } = await import("../../core/account-index.js");
    await upsertAccount(
      { processEnv: ctx.processEnv },
      { kind: kind.id, account, env, store: ctx.options.store, lastVerified: answer.issuedAt.toISOString() },
    );
  } catch (error) {
    ctx.ui.warn(`the check succeeded but its token or date was not saved: ${(error as Error).message}`);
  }
}

/** One seller's check, for the report. */
export interface SellerCheck {
  sellerId: string;
  answer: SellerAnswer;
}

/**
 * Checks each seller with the token just issued (a fresh token: a 401 then means "not for this
 * seller"), one after the other: a client rarely acts for many, and the API limits rates.
 */
async function checkSellers(ctx: CommandContext, kind: CredentialKind, token: string, sellerIds: string[]): Promise<SellerCheck[]> {
  const checks: SellerCheck[] = [];
  if (sellerIds.length > 0) announceReplacedApi(kind, ctx.options.apiUrl, ctx.ui);
  for (const sellerId of sellerIds) {
    const answer = await kind.sellers!.check(token, sellerId, tokenRequest(ctx.options, ctx.processEnv));
    ctx.ui.debug(`seller ${sellerId}: ${answer.status}${answer.status === "valid" ? "" : ` (${answer.detail})`}`);
    checks.push({ sellerId, answer });
    // A client the API does not answer for one seller will not be answered for the next.
    if (answer.status === "unreachable") break;
  }
  return checks;
}

/** What checking one account's credentials found. */
export interface CheckResult {
  answer: TokenAnswer;
  sellers: SellerCheck[];
  /** Why they do not work, with its exit code; undefined when they do. */
  error: CdcredsError | undefined;
}

/**
 * Asks the token service whether the credentials work and, for a kind whose calls name a seller,
 * the seller API whether the client may act for each seller. Stored credentials that work have
 * their token cached, and their check dated unless `recordDate` is false (a batch dates them all at once).
 */
export async function checkCredentials(
  ctx: CommandContext,
  kind: Kind,
  { account, secret, store }: { account: string; secret: string; store: SecretStore | undefined },
  sellerIds: string[],
  { recordDate = true, batch = false }: { recordDate?: boolean; batch?: boolean } = {},
): Promise<CheckResult> {
  const label = batch ? `${account}: ` : ""; // debug lines of a batch interleave: each names its account
  const { env } = ctx.options;
  const url = kind.tokenUrl(env, ctx.options.authUrl);
  const started = Date.now();
  const answer = await kind.requestToken(
    { account, secret },
    tokenRequest(ctx.options, ctx.processEnv, ({ attempt, delayMs, reason, elapsedMs }) => {
      if (delayMs === undefined) ctx.ui.debug(`${label}attempt ${attempt}: ${kind.tokenMethod} ${url.host}`);
      else ctx.ui.debug(`${label}attempt ${attempt} failed after ${elapsedMs} ms (${reason}); retrying in ${delayMs} ms`);
    }),
  );
  ctx.ui.debug(
    `${label}answer after ${answer.attempts} attempt(s), ${Date.now() - started} ms: ${answer.status}${answer.status === "valid" ? "" : ` (${answer.detail})`}`,
  );
  if (answer.status !== "valid") return { answer, sellers: [], error: kind.answerError(answer, url, account) };
  ctx.ui.redact(answer.token);
  let sellers: SellerCheck[] = [];
  let error: CdcredsError | undefined;
  if (kind.sellers !== undefined) {
    sellers = await checkSellers(ctx, kind, answer.token, sellerIds);
    const failed = failedSeller(sellers);
    if (failed !== undefined && failed.answer.status !== "valid") {
      error = kind.sellers.answerError(failed.answer, kind.sellers.apiUrl(env, ctx.options.apiUrl), account, failed.sellerId);
    }
  }
  if (store !== undefined) await recordCheck(ctx, kind, store, account, answer, error === undefined && recordDate);
  return { answer, sellers, error };
}

/** How a check's success reads: "bestshop-api: credentials valid (prod)", with the sellers. */
export function validLine(account: string, env: string, sellers: SellerCheck[]): string {
  const forSellers =
    sellers.length === 0 ? "" : `, may act for seller${sellers.length === 1 ? "" : "s"} ${sellers.map((s) => s.sellerId).join(", ")}`;
  return `${account}: credentials valid (${env})${forSellers}`;
}

/**
 * `cdcreds verify [login]`: asks the token service whether the credentials work, and for a kind
 * whose calls name a seller, the seller API whether the client may act for each seller. The exit
 * status is the answer (0 valid, 1 rejected or a seller denied or unknown, 4 unreachable or
 * unexpected); one line on stderr says it. (`--all`, every stored account: verify-all.ts.)
 */
export async function verify(ctx: CommandContext, argument: string | undefined, flags: VerifyFlags): Promise<CommandResult> {
  if (flags.jobs !== undefined) throw new UsageError("--jobs is for `verify --all`");
  if (flags.maxAge !== undefined)
    throw new UsageError("--max-age is for `verify --all`", { hint: "see one account's age with `cdcreds list`" });
  const kind = await kindOf(ctx, argument);
  const askedSellers = (flags.sellerId ?? []).map((id) => chooseSeller(kind, id, [])!);
  const { account, secret, source, store } = await readCredentials(ctx, kind, argument, stdinFlagGiven(flags));
  ctx.ui.redact(secret);
  const { env, timeoutMs, retries } = ctx.options;
  const url = kind.tokenUrl(env, ctx.options.authUrl);
  ctx.ui.debug(`verifying ${account} (${env}) with the ${kind.prompts.secret.toLowerCase()} from the ${source}`);
  ctx.ui.debug(`token service ${url.protocol}//${url.host}, timeout ${timeoutMs / 1000} s, up to ${retries} retries`);
  const sellerIds =
    askedSellers.length > 0
      ? askedSellers
      : sellerIdsOf(kind, { account, source: source === "environment" ? "environment" : "store" }, ctx.options, ctx.processEnv);
  const { answer, sellers, error } = await checkCredentials(
    ctx,
    kind,
    { account, secret, store: source === "store" ? store : undefined },
    sellerIds,
  );
  if (flags.quiet !== true) {
    if (error !== undefined) ctx.ui.error(error.message, error.hint);
    else ctx.ui.success(validLine(account, env, sellers));
    const notice = error === undefined ? replacedServiceNotice(kind, ctx.options.authUrl) : undefined;
    if (notice !== undefined) ctx.ui.note(notice);
  }
  return {
    stdout: ctx.options.json ? jsonLine(json(kind, account, env, answer, sellers)) : "",
    exitCode: error?.exitCode ?? ExitCode.Ok,
  };
}

/** The failed seller check a report names: a denied or unknown seller (exit 1) says more than one the API did not answer for (4). */
const failedSeller = (sellers: SellerCheck[]): SellerCheck | undefined =>
  sellers.find((s) => s.answer.status === "seller-denied" || s.answer.status === "seller-unknown") ??
  sellers.find((s) => s.answer.status !== "valid");

/** The `--json` record of the answers: the token's, then for a kind with sellers each seller's. */
export function json(
  kind: CredentialKind,
  account: string,
  env: string,
  answer: TokenAnswer,
  sellers: SellerCheck[],
): Record<string, unknown> {
  const failed = failedSeller(sellers);
  const status = answer.status !== "valid" ? answer.status : (failed?.answer.status ?? "valid");
  const detailOf = (a: TokenAnswer | SellerAnswer): string => (a.status === "valid" ? "credentials valid" : a.detail);
  const record: Record<string, unknown> = {
    ...kindField(kind.id),
    [kind.jsonKeys.account]: account,
    env,
    valid: status === "valid",
    status,
    detail: failed === undefined ? detailOf(answer) : detailOf(failed.answer),
  };
  if (kind.sellers !== undefined) {
    record.sellerId = failed?.sellerId ?? (sellers.length === 1 ? sellers[0]!.sellerId : null);
    record.sellers = sellers.map((s) => ({ sellerId: s.sellerId, status: s.answer.status, detail: detailOf(s.answer) }));
  }
  return record;
}
