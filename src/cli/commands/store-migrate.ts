// `cdcreds store migrate --from STORE --to STORE`: every account of both kinds read from one store
// and written to the other, through the SecretStore contract alone, one account at a time. For
// each: write the target, read it back, record it in the index, and only then (with
// --delete-source) delete it from the source and drop the source's entry. At every moment each
// account is whole in at least one store, and the index names a store that holds it.
import { join, resolve } from "node:path";
import { readAccounts, removeAccount, upsertAccount, type AccountEntry, type AccountsDeps } from "../../core/account-index.js";
import { CdcredsError, ExitCode, StoreError, UsageError } from "../../errors.js";
import { ENVIRONMENTS, type Environment } from "../../kinds/environment.js";
import { KIND_IDS, kindField, loadKind, type Kind } from "../../kinds/index.js";
import { nameKey, withoutVariables } from "../../platform/env-names.js";
import { configDir } from "../../platform/paths.js";
import { SIGNAL_NUMBERS, stopGracefully, type HandledSignal } from "../../platform/signals.js";
import { jsonLine } from "../../platform/text.js";
import { openStore, STORE_IDS, storeName, type StoreId } from "../../stores/index.js";
import type { SecretStore } from "../../stores/types.js";
import { storeDeps, type CommandContext, type CommandResult } from "../context.js";

/** The flags of `cdcreds store migrate`. */
export interface MigrateFlags {
  from?: string;
  to?: string;
  allEnvs?: boolean;
  dryRun?: boolean;
  overwrite?: boolean;
  deleteSource?: boolean;
  fromConfigDir?: string;
  toConfigDir?: string;
  fromKeyFile?: string;
  toKeyFile?: string;
}

/** One side of the move: its store, the config folder of its index, and the variables it opens with. */
interface Side {
  id: StoreId;
  /** The account index of this side. */
  index: AccountsDeps;
  store: SecretStore;
  /** `--from` or `--to`, for messages. */
  flag: string;
}

/** What became of one account (or, with --dry-run, what would). */
type Result = "copy" | "replace" | "same" | "differs: skipped" | "copied" | "replaced" | "gone from the source" | "failed" | "not started";

interface Row {
  kind: Kind;
  account: string;
  env: Environment;
  result: Result;
  sourceDeleted: boolean;
}

function storeIdOf(value: string | undefined, flag: string): StoreId {
  if (value === undefined) throw new UsageError(`${flag} is required: one of ${STORE_IDS.join(", ")}`);
  if (!(STORE_IDS as string[]).includes(value)) throw new UsageError(`${flag}: unknown store (expected one of ${STORE_IDS.join(", ")})`);
  return value as StoreId;
}

/**
 * The variables a side's store opens with: CDCREDS_FROM_PASSPHRASE / CDCREDS_TO_PASSPHRASE and
 * --from-key-file / --to-key-file take the place of CDCREDS_PASSPHRASE and CDCREDS_KEY_FILE. The
 * store reads those names from a plain copy, which compares names exactly: each is given there in
 * one spelling, from whichever spelling the user set (on Windows, `cdcreds_key_file` is one).
 */
export function sideEnv(
  processEnv: NodeJS.ProcessEnv,
  prefix: "FROM" | "TO",
  keyFile: string | undefined,
  platform = process.platform,
): NodeJS.ProcessEnv {
  const names = ["CDCREDS_PASSPHRASE", "CDCREDS_KEY_FILE", "CREDENTIALS_DIRECTORY", "CDCREDS_FROM_PASSPHRASE", "CDCREDS_TO_PASSPHRASE"];
  const read = (name: string): string | undefined =>
    Object.entries(processEnv).find(([key]) => nameKey(key, platform) === nameKey(name, platform))?.[1];
  const passphrase = read(`CDCREDS_${prefix}_PASSPHRASE`);
  if (keyFile !== undefined && passphrase !== undefined) {
    throw new UsageError(`--${prefix.toLowerCase()}-key-file and CDCREDS_${prefix}_PASSPHRASE are two ways to open one file: give one`);
  }
  if (keyFile === "") throw new UsageError(`--${prefix.toLowerCase()}-key-file is empty`);
  const given: Record<string, string | undefined> =
    passphrase !== undefined
      ? { CDCREDS_PASSPHRASE: passphrase }
      : keyFile !== undefined
        ? { CDCREDS_KEY_FILE: keyFile, CREDENTIALS_DIRECTORY: read("CREDENTIALS_DIRECTORY") }
        : {
            CDCREDS_PASSPHRASE: read("CDCREDS_PASSPHRASE"),
            CDCREDS_KEY_FILE: read("CDCREDS_KEY_FILE"),
            CREDENTIALS_DIRECTORY: read("CREDENTIALS_DIRECTORY"),
          };
  const env = withoutVariables(processEnv, names, platform);
  for (const [name, value] of Object.entries(given)) if (value !== undefined) env[name] = value;
  return env;
}

async function openSide(
  ctx: CommandContext,
  id: StoreId,
  prefix: "FROM" | "TO",
  dir: string | undefined,
  keyFile: string | undefined,
): Promise<Side> {
  const flag = `--${prefix.toLowerCase()}`;
  if (id !== "file" && keyFile !== undefined) throw new UsageError(`${flag}-key-file is for the file store, not ${storeName(id)}`);
  if (dir === "") throw new UsageError(`${flag}-config-dir is empty`);
  const processEnv = sideEnv(ctx.processEnv, prefix, keyFile);
  const folder = dir === undefined ? configDir(processEnv) : resolve(dir);
  const deps = { ...storeDeps(ctx), processEnv };
  const store =
    id === "file"
      ? await (
          await import("../../stores/file/index.js")
        ).openFileStore({
          processEnv,
          interactive: deps.interactive,
          askPassphrase: deps.askSecret,
          path: join(folder, "secrets.enc"),
        })
      : await openStore(id, deps);
  return { id, index: { processEnv, dir: folder }, store, flag };
}

/** Runs a step on one side, naming the side in its error. */
async function on<T>(side: Side, step: (store: SecretStore) => Promise<T>): Promise<T> {
  try {
    return await step(side.store);
  } catch (error) {
    // Which store failed, in its message; the error keeps its class and exit status.
    if (error instanceof CdcredsError) error.message = `${side.flag} ${side.id}: ${error.message}`;
    throw error;
  }
}

/**
 * `cdcreds store migrate`: see the top of this file. Exit 0 when every account is in the target, 1
 * when some were skipped (another secret in the target), 5 when a store failed (the rest are not
 * started), 2 for a usage error; 130/143 when a signal stopped it before the end.
 */
export async function storeMigrate(ctx: CommandContext, action: string, flags: MigrateFlags): Promise<CommandResult> {
  if (action !== "migrate") throw new UsageError(`unknown store action: expected migrate`);
  const fromId = storeIdOf(flags.from, "--from");
  const toId = storeIdOf(flags.to, "--to");
  if (flags.dryRun === true && flags.deleteSource === true) throw new UsageError("--dry-run changes nothing: leave out --delete-source");
  const from = await openSide(ctx, fromId, "FROM", flags.fromConfigDir, flags.fromKeyFile);
  const to = await openSide(ctx, toId, "TO", flags.toConfigDir, flags.toKeyFile);
  if (fromId === toId && (fromId !== "file" || from.index.dir === to.index.dir)) {
    throw new UsageError(`--from and --to are the same store (${storeName(fromId)})`, {
      hint: fromId === "file" ? "to move to another encrypted file, give it a folder of its own with --to-config-dir" : undefined,
    });
  }
  const envs: readonly Environment[] = flags.allEnvs === true ? ENVIRONMENTS : [ctx.options.env];
  const kinds = await Promise.all((ctx.options.kind === undefined ? KIND_IDS : [ctx.options.kind]).map((id) => loadKind(id)));

  // Both stores are checked, and every account listed, before anything is written.
  await on(from, (s) => s.check());
  await on(to, (s) => s.check());
  const work: { kind: Kind; env: Environment; account: string }[] = [];
  for (const kind of kinds) {
    for (const env of envs) {
      const names = await on(from, (s) => s.accounts(kind.secretService(env)));
      for (const account of names.sort()) {
        if (kind.storedNameProblem(account) === undefined) work.push({ kind, env, account });
        else ctx.ui.warn(`${account} (${kind.id}, ${env}) in ${storeName(fromId)} is not a valid name: left where it is`);
      }
    }
  }
  const sourceEntries = await readAccounts(from.index);
  const sourceEntry = (kind: Kind, account: string, env: Environment): AccountEntry | undefined =>
    sourceEntries.find((e) => e.kind === kind.id && e.account === account && e.env === env && e.store === fromId);

  let interrupted: HandledSignal | undefined;
  const release = stopGracefully((signal) => {
    interrupted = signal;
    ctx.ui.warn(`${signal}: finishing the account in progress, then stopping (again to stop at once)`);
  });
  const rows: Row[] = [];
  let failure: CdcredsError | undefined;
  try {
    for (const { kind, env, account } of work) {
      if (interrupted !== undefined || failure !== undefined) {
        rows.push({ kind, account, env, result: "not started", sourceDeleted: false });
        continue;
      }
      const row: Row = { kind, account, env, result: "failed", sourceDeleted: false };
      rows.push(row);
      try {
        await moveOne(ctx, from, to, row, flags, sourceEntry(kind, account, env));
      } catch (error) {
        if (!(error instanceof CdcredsError)) throw error;
        failure = error;
      }
      report(ctx, row, failure);
    }
  } finally {
    release();
  }

  const count = (...results: Result[]) => rows.filter((r) => results.includes(r.result)).length;
  const inTarget = count("copied", "replaced", "same");
  const differs = count("differs: skipped");
  const deleted = rows.filter((r) => r.sourceDeleted).length;
  const notStarted = count("not started");
  const n = rows.length;
  const accounts = `account${n === 1 ? "" : "s"}`;
  if (flags.dryRun === true) {
    ctx.ui.info(
      `dry run, nothing changed: of ${n} ${accounts} in ${storeName(fromId)}, ${count("copy", "replace")} to copy, ${count("same")} already the same in ${storeName(toId)}, ${differs} different there (skipped${flags.overwrite === true ? "" : " without --overwrite"})`,
    );
  } else {
    ctx.ui.info(
      `${inTarget} of ${n} ${accounts} in ${storeName(toId)} (${count("copied")} copied, ${count("replaced")} replaced, ${count("same")} already there)${
        differs === 0 ? "" : `; ${differs} skipped: ${storeName(toId)} holds another secret (--overwrite to replace it)`
      }${flags.deleteSource === true ? `; ${deleted} deleted from ${storeName(fromId)}` : ""}${
        notStarted === 0 ? "" : `; ${notStarted} not started (run it again to move them)`
      }`,
    );
  }
  if (failure !== undefined) ctx.ui.error(failure.message, failure.hint);
  const exitCode =
    failure !== undefined
      ? failure.exitCode
      : differs > 0 || count("gone from the source") > 0
        ? ExitCode.Rejected
        : interrupted !== undefined && notStarted > 0
          ? 128 + SIGNAL_NUMBERS[interrupted]
          : ExitCode.Ok;
  return {
    exitCode,
    stdout: ctx.options.json
      ? jsonLine(
          rows.map((r) => ({
            ...kindField(r.kind.id),
            [r.kind.jsonKeys.account]: r.account,
            env: r.env,
            from: fromId,
            to: toId,
            result: r.result,
            sourceDeleted: r.sourceDeleted,
          })),
        )
      : undefined,
  };
}

/** One line on stderr for an account: its name (escaped by the Ui), environment and result; never a secret. */
function report(ctx: CommandContext, row: Row, failure: CdcredsError | undefined): void {
  const line = `${row.account} (${row.kind.id}, ${row.env}): ${row.result}${row.sourceDeleted ? ", deleted from the source" : ""}`;
  if (row.result === "failed") ctx.ui.failure(`${line}${failure === undefined ? "" : `: ${failure.message}`}`);
  else if (row.result === "differs: skipped" || row.result === "gone from the source") ctx.ui.warn(line);
  else ctx.ui.success(line);
}

/**
 * Moves one account, setting `row.result` as it goes. The order keeps it whole in at least one
 * store and the index pointing at a store that holds it: target written and read back, target
 * recorded, then (with --delete-source) the source's secret and cached token deleted, then its entry.
 * @throws {CdcredsError} when a store or the index fails (the account is then still in the source).
 */
async function moveOne(
  ctx: CommandContext,
  from: Side,
  to: Side,
  row: Row,
  flags: MigrateFlags,
  entry: AccountEntry | undefined,
): Promise<void> {
  const { kind, account, env } = row;
  const service = kind.secretService(env);
  const secret = await on(from, (s) => s.get(service, account));
  if (secret === undefined) {
    row.result = "gone from the source";
    return;
  }
  ctx.ui.redact(secret);
  const held = await on(to, (s) => s.get(service, account));
  if (held !== undefined && held !== secret && flags.overwrite !== true) {
    row.result = "differs: skipped";
    return;
  }
  const planned: Result = held === secret ? "same" : held === undefined ? "copy" : "replace";
  if (flags.dryRun === true) {
    row.result = planned;
    return;
  }
  if (planned !== "same") {
    await on(to, (s) => s.set(service, account, secret));
    const back = await on(to, (s) => s.get(service, account));
    if (back !== secret) {
      throw new StoreError(`${to.flag} ${to.id}: ${account} (${env}) read back differently from what was written; the source keeps it`);
    }
  }
  const target: AccountEntry = {
    kind: kind.id,
    account,
    env,
    store: to.id,
    ...(entry?.lastVerified === undefined ? {} : { lastVerified: entry.lastVerified }),
    ...(entry?.sellerIds === undefined ? {} : { sellerIds: entry.sellerIds }),
  };
  await upsertAccount(to.index, target);
  row.result = planned === "same" ? "same" : planned === "copy" ? "copied" : "replaced";
  if (flags.deleteSource !== true) return;
  // The cached token first: a failure after the secret's deletion must leave only the index to fix.
  await on(from, (s) => s.delete(kind.tokenService(env), account));
  await on(from, (s) => s.delete(service, account));
  row.sourceDeleted = true;
  await removeAccount(from.index, { kind: kind.id, account, env, store: from.id });
}
