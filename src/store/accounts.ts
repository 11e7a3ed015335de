// The account index: which accounts cdcreds stored, where, and when they were last verified, so
// that `list` and login resolution need not search the keychain. It never holds a secret, and it
// is not the truth: the store is (an entry whose secret is gone is reported, never trusted).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as z from "zod/mini";
import { en } from "zod/locales";
import { ENVIRONMENTS } from "../cdiscount/endpoints.js";
import { errnoOf, errnoText, StoreError } from "../errors.js";
import { STORE_KINDS } from "../options.js";
import { configDir } from "../paths.js";
import { ensurePrivateDir, writeFileAtomic } from "./atomic-write.js";
import { acquireLock } from "./file-lock.js";

// zod's tree-shakable form: the bundle keeps only what these schemas use, about 45 kB, where the
// whole of zod measured ~60 ms to load (issue 7). Its messages come from the English locale.
z.config(en());
const entrySchema = z.object({
  apiLogin: z.string().check(z.minLength(1)),
  env: z.enum(ENVIRONMENTS),
  store: z.enum(STORE_KINDS),
  /** ISO-8601 time of the last successful check against the token service. */
  lastVerified: z.optional(z.iso.datetime()),
});
const indexSchema = z.object({ version: z.literal(1), accounts: z.array(entrySchema) });

/** One stored account, as the index remembers it. */
export type AccountEntry = z.infer<typeof entrySchema>;

/** Where the index lives and how it is reached; injected so tests use temp folders. */
export interface AccountsDeps {
  env: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

/** The index file's path, in cdcreds' config directory. */
export const accountsPath = ({ env, platform }: AccountsDeps): string => join(configDir(env, platform), "accounts.json");

/** True when two entries name the same stored secret. */
export const sameAccount = (a: Omit<AccountEntry, "lastVerified">, b: Omit<AccountEntry, "lastVerified">): boolean =>
  a.apiLogin === b.apiLogin && a.env === b.env && a.store === b.store;


/**
 * Reads the index; a missing file is an empty index.
 * @throws {StoreError} (exit 5) naming the file when it is unreadable, not JSON, or not an index.
 */
export async function readAccounts(deps: AccountsDeps): Promise<AccountEntry[]> {
  const path = accountsPath(deps);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return [];
    throw new StoreError(`cannot read the account index ${path}: ${errnoText(error)}`, { cause: error });
  }
  const damaged = (what: string) =>
    new StoreError(`the account index ${path} ${what}`, {
      hint: "it holds no secret: fix it, or remove it and run `cdcreds set` again for each account (stored passwords stay in the keychain)",
    });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw damaged("is not valid JSON");
  }
  const parsed = indexSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw damaged(`is not a cdcreds account index (${issue === undefined ? "unknown shape" : `${issue.path.join(".") || "top level"}: ${issue.message}`})`);
  }
  return parsed.data.accounts;
}

/**
 * Read-modify-write of the index under a lock file, so concurrent runs (two `set` for different
 * logins) never lose each other's entry. `change` gets the current entries and returns the new ones.
 * @throws {StoreError} (exit 5) when the index is damaged or cannot be written.
 */
export async function updateAccounts(deps: AccountsDeps, change: (entries: AccountEntry[]) => AccountEntry[]): Promise<AccountEntry[]> {
  const dir = configDir(deps.env, deps.platform);
  const path = accountsPath(deps);
  try {
    await ensurePrivateDir(dir);
  } catch (error) {
    throw new StoreError(`cannot create the config directory ${dir}: ${errnoText(error)}`, { cause: error });
  }
  const release = await acquireLock(`${path}.lock`, { label: "the account index" });
  try {
    const entries = change(await readAccounts(deps));
    const sorted = [...entries].sort((a, b) => a.apiLogin.localeCompare(b.apiLogin) || a.env.localeCompare(b.env) || a.store.localeCompare(b.store));
    await writeFileAtomic(path, `${JSON.stringify({ version: 1, accounts: sorted }, null, 2)}\n`);
    return sorted;
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreError(`cannot write the account index ${path}: ${errnoText(error)}`, { cause: error });
  } finally {
    await release();
  }
}

/** Adds or replaces the entry of one account. */
export const upsertAccount = (deps: AccountsDeps, entry: AccountEntry): Promise<AccountEntry[]> =>
  updateAccounts(deps, (entries) => [...entries.filter((e) => !sameAccount(e, entry)), entry]);

/** Removes the entry of one account; resolves whether there was one. */
export async function removeAccount(deps: AccountsDeps, account: Omit<AccountEntry, "lastVerified">): Promise<boolean> {
  // Not there: nothing to write (and no config folder to create just to say so).
  if (!(await readAccounts(deps)).some((e) => sameAccount(e, account))) return false;
  let found = false;
  await updateAccounts(deps, (entries) => {
    found = entries.some((e) => sameAccount(e, account));
    return entries.filter((e) => !sameAccount(e, account));
  });
  return found;
}
