// `cdcreds import FILE|-`: an agency's accounts from a CSV file, checked a few at a time with their
// token service, then stored. The whole file is read and checked for form first (import-file.ts):
// a malformed file stores nothing and sends nothing.
import { updateAccounts, sameAccount, type AccountEntry } from "../../core/account-index.js";
import { CdcredsError, ExitCode } from "../../errors.js";
import type { Environment } from "../../kinds/environment.js";
import type { Kind } from "../../kinds/index.js";
import { deleteFileCommand } from "../../platform/os-hints.js";
import { SIGNAL_NUMBERS, stopGracefully, type HandledSignal } from "../../platform/signals.js";
import { openStore, storeName } from "../../stores/index.js";
import type { SecretStore } from "../../stores/types.js";
import { batchExitCode, eachLimited, parseJobs } from "../batch.js";
import { storeDeps, type CommandContext, type CommandResult } from "../context.js";
import { readAccountsFile, type Line } from "../import-file.js";
import { checkCredentials } from "./verify.js";

/** The flags of `cdcreds import`. */
export interface ImportFlags {
  /** `--no-verify` sets it false. */
  verify?: boolean;
  jobs?: string;
}

/** What became of one account. */
interface Result {
  exitCode: number;
  verifiedAt?: string;
  /** When its secret was stored (ISO-8601). */
  secretSetAt?: string;
  /** The store held the account already. */
  replaced?: boolean;
}

/**
 * Unchecked accounts in flight for a store that writes them together (the file store): one rewrite
 * of the file for each thousand, where one each made an import of 12,000 take ten minutes.
 */
const WRITTEN_TOGETHER = 1000;

/**
 * Checks (unless --no-verify) and stores one account, reporting it on one line; `held` says
 * whether the store already had it (the line then says "replaced").
 */
async function importOne(
  ctx: CommandContext,
  kind: Kind,
  store: SecretStore,
  line: Line,
  verify: boolean,
  held: ReadonlySet<string>,
): Promise<Result> {
  const where = `line ${line.line}: ${line.account} (${line.env})`;
  try {
    let verifiedAt: string | undefined;
    if (verify) {
      const lineCtx = { ...ctx, options: { ...ctx.options, env: line.env } };
      const { answer, error } = await checkCredentials(
        lineCtx,
        kind,
        { account: line.account, secret: line.secret, store: undefined },
        line.sellerIds,
        {
          batch: true,
        },
      );
      if (error !== undefined) {
        ctx.ui.failure(`${where}: ${error.message}; not stored`);
        return { exitCode: error.exitCode };
      }
      if (answer.status === "valid") verifiedAt = answer.issuedAt.toISOString();
    }
    const replaced = held.has(line.account);
    await store.set(kind.secretService(line.env), line.account, line.secret);
    const secretSetAt = new Date().toISOString();
    ctx.ui.success(`${where}: ${replaced ? "replaced" : "stored"}${verify ? ", credentials valid" : " (not checked)"}`);
    return { exitCode: ExitCode.Ok, verifiedAt, secretSetAt, replaced };
  } catch (error) {
    if (!(error instanceof CdcredsError)) throw error;
    ctx.ui.failure(`${where}: ${error.message}; not stored`);
    return { exitCode: error.exitCode };
  }
}

/**
 * `cdcreds import FILE|-`: stores the accounts of a CSV file (header `login,password[,env]`, or
 * `client_id,client_secret[,seller_ids][,env]` for Octopia clients), each checked first unless
 * `--no-verify`. Exit 0 when all were stored, 1 when some were rejected (the others are stored),
 * 2 for a malformed file (nothing stored), else 5 or 4 as the store or service answered.
 */
export async function importAccounts(ctx: CommandContext, file: string, flags: ImportFlags): Promise<CommandResult> {
  const jobs = parseJobs(flags.jobs);
  const verify = flags.verify !== false;
  const { kind, lines } = await readAccountsFile(ctx, file);
  const store = await openStore(ctx.options.store, storeDeps(ctx));
  await store.check(); // a store that cannot be used fails once, before any account is checked
  // What the store holds already, one search per service: an account there is replaced, and said so.
  const held = new Map<Environment, Set<string>>();
  for (const env of new Set(lines.map((l) => l.env))) held.set(env, new Set(await store.accounts(kind.secretService(env))));
  // Ctrl-C (or SIGTERM, SIGHUP): the accounts in flight finish, the rest are not started, and the
  // stored ones are recorded below; a second signal ends the process at once.
  let interrupted: HandledSignal | undefined;
  const release = stopGracefully((signal) => {
    interrupted = signal;
    ctx.ui.warn(`${signal}: finishing the accounts in progress, then stopping (again to stop at once)`);
  });
  let results: (Result | undefined)[];
  try {
    const inFlight = verify ? jobs : store.writesTogether === true ? WRITTEN_TOGETHER : 1;
    results = await eachLimited(lines, inFlight, (line) =>
      interrupted === undefined ? importOne(ctx, kind, store, line, verify, held.get(line.env)!) : Promise.resolve(undefined),
    );
  } finally {
    release();
  }
  const entries: AccountEntry[] = lines.flatMap((line, i) => {
    const result = results[i];
    if (result?.exitCode !== ExitCode.Ok) return [];
    const { verifiedAt, secretSetAt } = result;
    return [
      {
        kind: kind.id,
        account: line.account,
        env: line.env,
        store: ctx.options.store,
        ...(verifiedAt === undefined ? {} : { lastVerified: verifiedAt }),
        secretSetAt,
        ...(line.sellerIds.length === 0 ? {} : { sellerIds: line.sellerIds }),
      },
    ];
  });
  if (entries.length > 0) {
    await updateAccounts({ processEnv: ctx.processEnv }, (old) => [
      ...old.filter((e) => !entries.some((n) => sameAccount(e, n))),
      ...entries,
    ]);
  }
  const notStarted = results.filter((r) => r === undefined).length;
  const replaced = results.filter((r) => r?.replaced === true).length;
  ctx.ui.info(
    `${entries.length} of ${lines.length} account${lines.length === 1 ? "" : "s"} stored in ${storeName(ctx.options.store)}${
      replaced === 0 ? "" : ` (${replaced} replaced)`
    }${notStarted === 0 ? "" : `; ${notStarted} not started (interrupted: run the import again to store them)`}`,
  );
  if (file !== "-" && entries.length > 0)
    ctx.ui.note(`the file holds the secrets in clear: delete it now (${deleteFileCommand(file, process.platform)})`);
  if (interrupted !== undefined && notStarted > 0) return { exitCode: 128 + SIGNAL_NUMBERS[interrupted] };
  return { exitCode: batchExitCode(results.map((r) => r!.exitCode)) };
}
