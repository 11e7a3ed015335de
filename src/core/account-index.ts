// The account index: which accounts cdcreds stored, where, and when they were last verified, so
// that `list` and login resolution need not search the keychain. It never holds a secret, and it
// is not the truth: the store is (an entry whose secret is gone is reported, never trusted).
import * as z from "zod/mini";
import { en } from "zod/locales";
import { ENVIRONMENTS } from "../kinds/environment.js";
import { errnoText, StoreError } from "../errors.js";
import { indexKeyOf, KIND_IDS, kindField, loadKind, type KindId } from "../kinds/index.js";
import { STORE_IDS } from "../stores/index.js";
import { ensurePrivateDir, writeFileAtomic } from "../platform/atomic-write.js";
import { acquireLock } from "../platform/file-lock.js";
import { assertTrustedDir, readOwnFile, RefusedFileError } from "../platform/own-files.js";
import { accountsPath, indexDir, type AccountsDeps } from "./account-peek.js";

export { accountsPath, type AccountsDeps } from "./account-peek.js";

// zod's tree-shakable form: the bundle keeps only what these schemas use, about 45 kB, where the
// whole of zod measured ~60 ms to load. Its messages come from the English locale.
z.config(en());
// An entry names its account under its kind's own key (`apiLogin`, `clientId`); an entry without
// a kind was written before there was a second one, and is an api-login.
const entrySchema = z.looseObject({
  kind: z.optional(z.enum(KIND_IDS)),
  env: z.enum(ENVIRONMENTS),
  store: z.enum(STORE_IDS),
  /** ISO-8601 time of the last successful check against the token service. */
  lastVerified: z.optional(z.iso.datetime()),
  /** ISO-8601 time the secret was stored (set, import, rotate, migrate); absent before cdcreds recorded it. */
  secretSetAt: z.optional(z.iso.datetime()),
  /** The sellers a client acts for (kinds with seller access). */
  sellerIds: z.optional(z.array(z.string())),
});
// Entries are parsed one by one: a login that breaks the login rules (written by hand, or by a
// hostile process) is set aside and reported, and the other entries still work.
const indexSchema = z.object({ version: z.literal(1), accounts: z.array(z.unknown()) });

/** One stored account, as the index remembers it. */
export interface AccountEntry {
  kind: KindId;
  /** Its name: an API login, a client ID. */
  account: string;
  env: z.infer<typeof entrySchema>["env"];
  store: z.infer<typeof entrySchema>["store"];
  lastVerified?: string;
  /** When the secret was stored: unknown (undefined) for an account stored before this was recorded. */
  secretSetAt?: string;
  sellerIds?: string[];
}

/** Which stored secret an entry is about. */
export type AccountKey = Pick<AccountEntry, "kind" | "account" | "env" | "store">;

/** True when two entries name the same stored secret. */
export const sameAccount = (a: AccountKey, b: AccountKey): boolean =>
  a.kind === b.kind && a.account === b.account && a.env === b.env && a.store === b.store;

/** The entry as the file holds it: the account under its kind's key. */
const toFile = ({ kind, account, env, store, lastVerified, secretSetAt, sellerIds }: AccountEntry): Record<string, unknown> => ({
  ...kindField(kind),
  [indexKeyOf(kind)]: account,
  env,
  store,
  ...(lastVerified === undefined ? {} : { lastVerified }),
  ...(secretSetAt === undefined ? {} : { secretSetAt }),
  ...(sellerIds === undefined || sellerIds.length === 0 ? {} : { sellerIds }),
});

/** An entry set aside because its name breaks its kind's rules: kept in the file, used nowhere. */
export interface InvalidEntry {
  /** Its position in the file, from 1. */
  position: number;
  /** The name as written (to be escaped before it is shown), or undefined when it is not text. */
  account: string | undefined;
  problem: string;
  raw: unknown;
}

/**
 * Reads the index, setting aside the entries whose login breaks the rules; a missing file is an
 * empty index.
 * @throws {StoreError} (exit 5) naming the file when it is unreadable, not JSON, or not an index.
 */
export async function readAccountIndex(deps: AccountsDeps): Promise<{ accounts: AccountEntry[]; invalid: InvalidEntry[] }> {
  const path = accountsPath(deps);
  const damaged = (what: string) =>
    new StoreError(`the account index ${path} ${what}`, {
      hint: "it holds no secret: fix it, or remove it and run `cdcreds set` again for each account (stored passwords stay in the keychain)",
    });
  let bytes: Buffer | undefined;
  try {
    await assertTrustedDir(indexDir(deps));
    bytes = await readOwnFile(path);
  } catch (error) {
    if (error instanceof StoreError) throw error;
    if (error instanceof RefusedFileError) throw damaged(error.message);
    throw new StoreError(`cannot read the account index ${path}: ${errnoText(error)}`, { cause: error });
  }
  if (bytes === undefined) return { accounts: [], invalid: [] };
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw damaged("is not valid JSON");
  }
  const parsed = indexSchema.safeParse(json);
  const notAnIndex = (issues: readonly { path: PropertyKey[]; message: string }[], at: string[] = []) => {
    const issue = issues[0];
    return damaged(
      `is not a cdcreds account index (${issue === undefined ? "unknown shape" : `${[...at, ...issue.path.map(String)].join(".") || "top level"}: ${issue.message}`})`,
    );
  };
  if (!parsed.success) throw notAnIndex(parsed.error.issues);
  const kinds = new Map(await Promise.all(KIND_IDS.map(async (id) => [id, await loadKind(id)] as const)));
  const accounts: AccountEntry[] = [];
  const invalid: InvalidEntry[] = [];
  parsed.data.accounts.forEach((raw, i) => {
    const entry = entrySchema.safeParse(raw);
    if (!entry.success) throw notAnIndex(entry.error.issues, ["accounts", String(i)]);
    const { kind: id = "api-login", env, store, lastVerified, secretSetAt, sellerIds } = entry.data;
    const key = indexKeyOf(id);
    const account = entry.data[key];
    if (typeof account !== "string" || account === "") {
      throw notAnIndex([{ path: [key], message: `expected the ${id} account's name, a non-empty string` }], ["accounts", String(i)]);
    }
    const kind = kinds.get(id)!;
    const { sellers } = kind;
    const sellerProblem =
      sellerIds === undefined
        ? undefined
        : sellers === undefined
          ? `a ${id} account has no seller IDs`
          : sellerIds.map((s) => sellers.idProblem(s)).find((p) => p !== undefined);
    const problem = kind.storedNameProblem(account) ?? sellerProblem;
    if (problem !== undefined) {
      invalid.push({ position: i + 1, account, problem, raw });
      return;
    }
    accounts.push({
      kind: id,
      account,
      env,
      store,
      ...(lastVerified === undefined ? {} : { lastVerified }),
      ...(secretSetAt === undefined ? {} : { secretSetAt }),
      ...(sellerIds === undefined ? {} : { sellerIds }),
    });
  });
  return { accounts, invalid };
}

/**
 * The accounts of the index whose logins are valid (see {@link readAccountIndex}).
 * @throws {StoreError} (exit 5) naming the file when it is unreadable, not JSON, or not an index.
 */
export const readAccounts = async (deps: AccountsDeps): Promise<AccountEntry[]> => (await readAccountIndex(deps)).accounts;

/**
 * Read-modify-write of the index under a lock file, so concurrent runs (two `set` for different
 * logins) never lose each other's entry. `change` gets the current entries and returns the new ones.
 * @throws {StoreError} (exit 5) when the index is damaged or cannot be written.
 */
export async function updateAccounts(deps: AccountsDeps, change: (entries: AccountEntry[]) => AccountEntry[]): Promise<AccountEntry[]> {
  const dir = indexDir(deps);
  const path = accountsPath(deps);
  await assertTrustedDir(dir);
  try {
    await ensurePrivateDir(dir);
  } catch (error) {
    throw new StoreError(`cannot create the config directory ${dir}: ${errnoText(error)}`, { cause: error });
  }
  const release = await acquireLock(`${path}.lock`, { label: "the account index" });
  try {
    const { accounts, invalid } = await readAccountIndex(deps);
    const sorted = change(accounts).sort(
      (a, b) =>
        a.account.localeCompare(b.account) || a.kind.localeCompare(b.kind) || a.env.localeCompare(b.env) || a.store.localeCompare(b.store),
    );
    // Entries set aside stay as they were: the index loses nothing its owner may want to fix.
    const file = { version: 1, accounts: [...sorted.map(toFile), ...invalid.map((e) => e.raw)] };
    await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
    return sorted;
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreError(`cannot write the account index ${path}: ${errnoText(error)}`, { cause: error });
  } finally {
    await release();
  }
}

/**
 * Adds or replaces the entry of one account; seller IDs and the secret's date not given are kept
 * from the old entry (a check records when it passed, not a new secret).
 */
export const upsertAccount = (deps: AccountsDeps, entry: AccountEntry): Promise<AccountEntry[]> =>
  updateAccounts(deps, (entries) => {
    const old = entries.find((e) => sameAccount(e, entry));
    const sellerIds = entry.sellerIds ?? old?.sellerIds;
    const secretSetAt = entry.secretSetAt ?? old?.secretSetAt;
    return [
      ...entries.filter((e) => e !== old),
      { ...entry, ...(sellerIds === undefined ? {} : { sellerIds }), ...(secretSetAt === undefined ? {} : { secretSetAt }) },
    ];
  });

/** Removes the entry of one account; resolves whether there was one. */
export async function removeAccount(deps: AccountsDeps, account: AccountKey): Promise<boolean> {
  // Not there: nothing to write (and no config folder to create just to say so).
  if (!(await readAccounts(deps)).some((e) => sameAccount(e, account))) return false;
  let found = false;
  await updateAccounts(deps, (entries) => {
    found = entries.some((e) => sameAccount(e, account));
    return entries.filter((e) => !sameAccount(e, account));
  });
  return found;
}
