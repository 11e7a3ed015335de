// `cdcreds verify --all`: every stored account of the environment checked in one run, a few at a
// time: an agency's nightly cron line, whose exit status and report say which seller changed a password.
import { checkStoredSecret } from "../../core/account.js";
import { readAccountIndex, sameAccount, updateAccounts, type AccountEntry } from "../../core/account-index.js";
import { CdcredsError, ExitCode, StoreError, UsageError } from "../../errors.js";
import { KIND_IDS, kindField, loadKind, type Kind } from "../../kinds/index.js";
import { isSharedStore, openStore, storeName } from "../../stores/index.js";
import type { SecretStore } from "../../stores/types.js";
import { batchExitCode, eachLimited, parseJobs } from "../batch.js";
import { jsonLine } from "../../platform/text.js";
import { storeDeps, type CommandContext, type CommandResult } from "../context.js";
import { stdinFlagGiven } from "../stdin.js";
import { ageOf, ageText, parseAge } from "../../core/age.js";
import { checkCredentials, json, validLine, type VerifyFlags } from "./verify.js";

/** One account to check. */
interface Target {
  kind: Kind;
  account: string;
  sellerIds: string[];
  /** When its secret was stored, as the index says; undefined when unknown. */
  secretSetAt?: string;
}

/** What one account's check gave: its JSON record, its exit code, and when it was found valid. */
interface Outcome {
  record: Record<string, unknown>;
  exitCode: number;
  verifiedAt?: string;
}

/** Refuses what `--all` cannot be combined with, and what needs `--all`. */
function checkFlags(argument: string | undefined, flags: VerifyFlags): void {
  const problem =
    argument !== undefined
      ? `names an account (${argument})`
      : stdinFlagGiven(flags) !== undefined
        ? "reads a secret from standard input"
        : (flags.sellerId?.length ?? 0) > 0
          ? "names sellers"
          : undefined;
  if (problem !== undefined) {
    throw new UsageError(`verify --all checks every stored account, so it takes no other that ${problem}`, {
      hint: "check one account with `cdcreds verify <login>`, or all of them with `cdcreds verify --all`",
    });
  }
}

/**
 * The accounts of the environment in the store in use: the index's and, in a store a team shares,
 * every one it holds (a teammate's too), sorted by name.
 */
async function targets(ctx: CommandContext, store: SecretStore, kinds: Kind[]): Promise<Target[]> {
  const { env, store: storeId } = ctx.options;
  const { accounts, invalid } = await readAccountIndex({ processEnv: ctx.processEnv });
  for (const bad of invalid) ctx.ui.warn(`the account index's entry ${bad.position} (${bad.account}) is ignored: ${bad.problem}`);
  const found: Target[] = [];
  for (const kind of kinds) {
    const ours = accounts.filter((a) => a.kind === kind.id && a.env === env && a.store === storeId);
    // An account is checked once, however often the index names it (an entry copied by hand, a
    // merge): each rejected check counts towards a lock-out. The sellers of all its copies are checked.
    const sellers = new Map<string, Set<string>>();
    for (const a of ours) sellers.set(a.account, new Set([...(sellers.get(a.account) ?? []), ...(a.sellerIds ?? [])]));
    // Of several copies, the oldest date counts: an age is never made younger than the index says.
    const setAt = (account: string): string | undefined =>
      ours
        .filter((a) => a.account === account)
        .map((a) => a.secretSetAt)
        .filter((d) => d !== undefined)
        .sort()[0];
    found.push(
      ...[...sellers].map(([account, ids]) => {
        const secretSetAt = setAt(account);
        return { kind, account, sellerIds: [...ids], ...(secretSetAt === undefined ? {} : { secretSetAt }) };
      }),
    );
    if (!isSharedStore(storeId)) continue;
    for (const account of await store.accounts(kind.secretService(env))) {
      if (kind.storedNameProblem(account) === undefined && !ours.some((a) => a.account === account))
        found.push({ kind, account, sellerIds: [] });
    }
  }
  return found.sort((a, b) => a.account.localeCompare(b.account) || a.kind.id.localeCompare(b.kind.id));
}

/** Checks one account, reporting it on one line; a failure is this account's, never the batch's. */
async function checkOne(ctx: CommandContext, store: SecretStore, { kind, account, sellerIds }: Target, quiet: boolean): Promise<Outcome> {
  const { env } = ctx.options;
  const failed = (error: CdcredsError, status: string): Outcome => {
    if (!quiet) ctx.ui.failure(`${account} (${env}): ${error.message}`);
    return {
      record: { ...kindField(kind.id), [kind.jsonKeys.account]: account, env, valid: false, status, detail: error.message },
      exitCode: error.exitCode,
    };
  };
  try {
    const secret = await store.get(kind.secretService(env), account);
    if (secret === undefined) {
      return failed(new StoreError(`its ${kind.prompts.secret.toLowerCase()} is in the account index but gone from the store`), "missing");
    }
    ctx.ui.redact(secret);
    checkStoredSecret(kind, env, account, store.id, secret);
    const { answer, sellers, error } = await checkCredentials(ctx, kind, { account, secret, store }, sellerIds, {
      recordDate: false,
      batch: true,
    });
    const record = json(kind, account, env, answer, sellers);
    if (error !== undefined) {
      if (!quiet) ctx.ui.failure(`${account} (${env}): ${error.message}`);
      return { record, exitCode: error.exitCode };
    }
    if (!quiet) ctx.ui.success(validLine(account, env, sellers));
    return { record, exitCode: ExitCode.Ok, verifiedAt: answer.status === "valid" ? answer.issuedAt.toISOString() : undefined };
  } catch (error) {
    if (!(error instanceof CdcredsError)) throw error;
    return failed(error, error instanceof StoreError ? "store-failed" : "failed");
  }
}

/** Dates every passed check in the index at once (one write, not one per account). */
async function recordDates(ctx: CommandContext, checked: Target[], outcomes: Outcome[]): Promise<void> {
  const { env, store } = ctx.options;
  const dated = checked.flatMap((t, i) => {
    const at = outcomes[i]!.verifiedAt;
    return at === undefined ? [] : [{ t, at }];
  });
  if (dated.length === 0) return;
  try {
    await updateAccounts({ processEnv: ctx.processEnv }, (entries) => {
      let next: AccountEntry[] = [...entries];
      for (const { t, at } of dated) {
        const key = { kind: t.kind.id, account: t.account, env, store };
        // Every copy of a duplicated entry gets the date: the account was checked once for all.
        if (next.some((e) => sameAccount(e, key))) next = next.map((e) => (sameAccount(e, key) ? { ...e, lastVerified: at } : e));
        else next.push({ ...key, lastVerified: at });
      }
      return next;
    });
  } catch (error) {
    ctx.ui.warn(`the checks succeeded but their dates were not saved: ${(error as Error).message}`);
  }
}

/**
 * With `--max-age`: says which accounts' secrets are older than the age allowed (and which are of
 * unknown age, which never count as old), and adds their date to the JSON records. Resolves
 * whether any is older.
 */
function reportAges(ctx: CommandContext, checked: Target[], outcomes: Outcome[], maxAge: string, quiet: boolean): boolean {
  const limit = parseAge(maxAge, "--max-age");
  const now = new Date();
  let old = 0;
  checked.forEach((t, i) => {
    const age = ageOf(t.secretSetAt, now);
    const tooOld = age !== undefined && age > limit;
    if (tooOld) old++;
    outcomes[i]!.record = { ...outcomes[i]!.record, secretSetAt: t.secretSetAt ?? null, olderThanMaxAge: tooOld };
    if (quiet) return;
    const where = `${t.account} (${ctx.options.env})`;
    const args = `${t.kind.id === "api-login" ? "" : `--kind ${t.kind.id} `}${shellArg(t.account)}`;
    if (tooOld) {
      ctx.ui.failure(
        `${where}: its ${t.kind.prompts.secret.toLowerCase()} was stored ${ageText(t.secretSetAt, now)} ago (${t.secretSetAt!.slice(0, 10)}), more than --max-age ${maxAge}: change it with \`cdcreds rotate ${args}\``,
      );
    } else if (age === undefined) {
      ctx.ui.note(`${where}: the age of its ${t.kind.prompts.secret.toLowerCase()} is unknown (stored before cdcreds recorded the date)`);
    }
  });
  if (!quiet && old > 0) ctx.ui.info(`${old} secret${old === 1 ? "" : "s"} older than ${maxAge}`);
  return old > 0;
}

/** A name as a shell word: quoted when it holds anything but letters, digits, `@._-`. */
const shellArg = (name: string): string => (/^[\w@.-]+$/.test(name) ? name : `'${name.replaceAll("'", "'\\''")}'`);

/**
 * `cdcreds verify --all [--jobs N]`: checks every stored account of the environment (all kinds,
 * or `--kind`'s), `--jobs` at a time. One line per account on stderr, `--json` an array; the exit
 * status is the batch's (batchExitCode: 1 if any was rejected, else 5, else 4, else 0), and with
 * `--max-age`, 7 when all passed but a secret is older.
 */
export async function verifyAll(ctx: CommandContext, argument: string | undefined, flags: VerifyFlags): Promise<CommandResult> {
  checkFlags(argument, flags);
  const jobs = parseJobs(flags.jobs);
  if (flags.maxAge !== undefined) parseAge(flags.maxAge, "--max-age"); // a bad value fails before any check
  const kinds = await Promise.all((ctx.options.kind === undefined ? KIND_IDS : [ctx.options.kind]).map(loadKind));
  const store = await openStore(ctx.options.store, storeDeps(ctx));
  const checked = await targets(ctx, store, kinds);
  const used = new Set(checked.map((t) => t.kind.id));
  if (used.size > 1 && (ctx.options.authUrl !== undefined || ctx.options.apiUrl !== undefined)) {
    throw new UsageError("--auth-url and --api-url replace one kind's services, and the stored accounts are of several kinds", {
      hint: `add --kind (${[...used].join(" or ")}) to check one kind's accounts against those URLs`,
    });
  }
  if (checked.length === 0) {
    // Nothing in the index: a store that cannot be reached is said (exit 5), not "no stored accounts".
    if (!isSharedStore(ctx.options.store)) for (const kind of kinds) await store.accounts(kind.secretService(ctx.options.env));
    throw new CdcredsError(`no stored accounts to check (${ctx.options.env}, in ${storeName(ctx.options.store)})`, ExitCode.NotFound, {
      hint: "store some with `cdcreds set` or `cdcreds import`, or name the environment (--env) and store (--store) they are in",
    });
  }
  const quiet = flags.quiet === true;
  const outcomes = await eachLimited(checked, jobs, (target) => checkOne(ctx, store, target, quiet));
  await recordDates(ctx, checked, outcomes);
  const checks = batchExitCode(outcomes.map((o) => o.exitCode));
  if (!quiet) {
    const valid = outcomes.filter((o) => o.exitCode === ExitCode.Ok).length;
    ctx.ui.info(`${checked.length} account${checked.length === 1 ? "" : "s"} checked: ${valid} valid, ${checked.length - valid} failed`);
  }
  const old = flags.maxAge !== undefined && reportAges(ctx, checked, outcomes, flags.maxAge, quiet);
  // A failed check says more than an old secret (the old one still works): it keeps its code.
  const exitCode = checks === ExitCode.Ok && old ? ExitCode.TooOld : checks;
  // jsonLine: the records carry store and service text (a teammate's account, an answer's message).
  return { stdout: ctx.options.json ? jsonLine(outcomes.map((o) => o.record)) : "", exitCode };
}
