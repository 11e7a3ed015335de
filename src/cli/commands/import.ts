// `cdcreds import FILE|-`: an agency's accounts from a CSV file, checked a few at a time with their
// token service, then stored. The whole file is read and checked for form first: a malformed file
// stores nothing.
import { readFile } from "node:fs/promises";
import { updateAccounts, sameAccount, type AccountEntry } from "../../core/account-index.js";
import { CdcredsError, errnoText, ExitCode, UsageError } from "../../errors.js";
import { ENVIRONMENTS, type Environment } from "../../kinds/environment.js";
import { KIND_IDS, loadKind, type Kind, type KindId } from "../../kinds/index.js";
import { SIGNAL_NUMBERS, stopGracefully, type HandledSignal } from "../../platform/signals.js";
import { openStore, storeName } from "../../stores/index.js";
import type { SecretStore } from "../../stores/types.js";
import { batchExitCode, eachLimited, parseJobs } from "../batch.js";
import { storeDeps, type CommandContext, type CommandResult } from "../context.js";
import { CsvError, parseCsv } from "../csv.js";
import { checkCredentials } from "./verify.js";

/** The flags of `cdcreds import`. */
export interface ImportFlags {
  /** `--no-verify` sets it false. */
  verify?: boolean;
  jobs?: string;
}

/** The columns of each kind's file: the account's, the secret's, and the optional ones. */
const COLUMNS: Record<KindId, { account: string; secret: string; optional: string[] }> = {
  "api-login": { account: "login", secret: "password", optional: ["env"] },
  octopia: { account: "client_id", secret: "client_secret", optional: ["seller_ids", "env"] },
};

/** One account of the file, checked for form. */
interface Line {
  line: number;
  account: string;
  secret: string;
  env: Environment;
  sellerIds: string[];
}

/** What became of one account. */
interface Result {
  exitCode: number;
  verifiedAt?: string;
  /** The store held the account already. */
  replaced?: boolean;
}

/**
 * Unchecked accounts in flight for a store that writes them together (the file store): one rewrite
 * of the file for each thousand, where one each made an import of 12,000 take ten minutes.
 */
const WRITTEN_TOGETHER = 1000;

/** The largest file read: far beyond thousands of accounts. */
const MAX_BYTES = 16 * 1024 * 1024;

/** The file's text, or standard input's for `-`. @throws {UsageError} (exit 2) when it cannot be read. */
async function readInput(ctx: CommandContext, file: string): Promise<string> {
  if (file === "-") {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of ctx.stdin) {
      const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      size += buffer.length;
      if (size > MAX_BYTES) throw new UsageError(`standard input holds more than ${MAX_BYTES / 1024 / 1024} MiB: not an accounts file`);
      chunks.push(buffer);
    }
    return Buffer.concat(chunks).toString("utf8");
  }
  try {
    const bytes = await readFile(file);
    if (bytes.length > MAX_BYTES) throw new UsageError(`${file} is larger than ${MAX_BYTES / 1024 / 1024} MiB: not an accounts file`);
    return bytes.toString("utf8");
  } catch (error) {
    if (error instanceof CdcredsError) throw error;
    throw new UsageError(`cannot read ${file}: ${errnoText(error)}`);
  }
}

/** The kind the header's columns name (checked against `--kind` when given). */
function kindOfHeader(header: string[], asked: KindId | undefined): KindId {
  const found = KIND_IDS.find((id) => header.includes(COLUMNS[id].account) && header.includes(COLUMNS[id].secret));
  const expected = (id: KindId): string => `${COLUMNS[id].account},${COLUMNS[id].secret}`;
  if (found === undefined || (asked !== undefined && found !== asked)) {
    const wanted = asked === undefined ? KIND_IDS.map(expected).join(" or ") : expected(asked);
    throw new UsageError(`line 1: the header row (${header.join(",")}) does not name the columns ${wanted}`, {
      hint: `the first line names the columns: ${KIND_IDS.map((id) => [COLUMNS[id].account, COLUMNS[id].secret, ...COLUMNS[id].optional].join(",")).join(", or ")}`,
    });
  }
  const unknown = header.filter((name) => ![COLUMNS[found].account, COLUMNS[found].secret, ...COLUMNS[found].optional].includes(name));
  if (unknown.length > 0) throw new UsageError(`line 1: unknown column${unknown.length === 1 ? "" : "s"} ${unknown.join(", ")}`);
  return found;
}

/** Checks each record's fields against its kind's rules; collects every problem, with its line. */
function checkLines(ctx: CommandContext, kind: Kind, header: string[], records: { line: number; fields: string[] }[]): Line[] {
  const columns = COLUMNS[kind.id];
  const at = (name: string): number => header.indexOf(name);
  const problems: string[] = [];
  const lines: Line[] = [];
  const seen = new Map<string, number>();
  for (const { line, fields } of records) {
    const problem = (message: string): void => void problems.push(`line ${line}: ${message}`);
    if (fields.length !== header.length) {
      problem(`${fields.length} field${fields.length === 1 ? "" : "s"} where the header has ${header.length}`);
      continue;
    }
    const value = (name: string): string | undefined => (at(name) < 0 ? undefined : fields[at(name)]);
    const secret = value(columns.secret)!;
    ctx.ui.redact(secret);
    let account: string;
    try {
      account = kind.accountName(value(columns.account)!.trim());
    } catch (error) {
      if (!(error instanceof CdcredsError)) throw error;
      problem(error.message);
      continue;
    }
    if (secret === "") problem(`${account}: the ${columns.secret} is empty`);
    const envText = value("env")?.trim() ?? "";
    const env = envText === "" ? ctx.options.env : ENVIRONMENTS.find((e) => e === envText);
    // The value is not shown: with a secret holding an unquoted comma, its tail lands in this column.
    if (env === undefined) problem(`${account}: env must be ${ENVIRONMENTS.join(" or ")} or empty (a comma in the secret needs quotes)`);
    const sellerIds = (value("seller_ids") ?? "").split(/[\s,;|]+/).filter((id) => id !== "");
    // Nor are seller IDs shown, for the same reason.
    const bad = sellerIds.filter((id) => kind.sellers?.idProblem(id) !== undefined).length;
    if (bad > 0)
      problem(
        `${account}: seller_ids holds ${bad} value${bad === 1 ? "" : "s"} that are no seller IDs (a comma in the secret needs quotes)`,
      );
    const key = `${env ?? ""}\n${account}`;
    const twice = seen.get(key);
    if (twice !== undefined) problem(`${account} (${env}) is also on line ${twice}: one line per account`);
    else seen.set(key, line);
    if (env !== undefined && secret !== "") lines.push({ line, account, secret, env, sellerIds });
  }
  if (problems.length > 0) {
    for (const problem of problems.slice(0, 20)) ctx.ui.failure(problem);
    if (problems.length > 20) ctx.ui.info(`… and ${problems.length - 20} more`);
    throw new UsageError(`the file has ${problems.length} problem${problems.length === 1 ? "" : "s"}; nothing was imported`);
  }
  return lines;
}

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
    ctx.ui.success(`${where}: ${replaced ? "replaced" : "stored"}${verify ? ", credentials valid" : " (not checked)"}`);
    return { exitCode: ExitCode.Ok, verifiedAt, replaced };
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
  const text = await readInput(ctx, file);
  const rows = parseRows(text);
  const header = rows.header.fields.map((name) => name.trim().toLowerCase());
  const kind = await loadKind(kindOfHeader(header, ctx.options.kind));
  const lines = checkLines(ctx, kind, header, rows.records);
  if (lines.length === 0) throw new UsageError("the file has a header row but no account");
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
    const { verifiedAt } = result;
    return [
      {
        kind: kind.id,
        account: line.account,
        env: line.env,
        store: ctx.options.store,
        ...(verifiedAt === undefined ? {} : { lastVerified: verifiedAt }),
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
  if (file !== "-") ctx.ui.note(`the file holds the secrets in clear: delete it now (shred -u ${file}, or rm)`);
  if (interrupted !== undefined && notStarted > 0) return { exitCode: 128 + SIGNAL_NUMBERS[interrupted] };
  return { exitCode: batchExitCode(results.map((r) => r!.exitCode)) };
}

/** The header row and the records after it. @throws {UsageError} (exit 2) naming the line of a CSV error. */
function parseRows(text: string): { header: { line: number; fields: string[] }; records: { line: number; fields: string[] }[] } {
  let rows;
  try {
    rows = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvError) throw new UsageError(`line ${error.line}: ${error.message}; nothing was imported`);
    throw error;
  }
  const [header, ...records] = rows;
  if (header === undefined) throw new UsageError("the file is empty: it needs a header row, then one account per line");
  return { header, records };
}
