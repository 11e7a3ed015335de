// A quick look at the account index, for choosing the kind of a named account (SPEC section 7)
// on the hot path (`cdcreds get bestshop`), where the full reader (account-index.ts: zod, every
// rule, its messages) measured ~15 ms. It is lenient: an entry it cannot read is skipped, and a
// damaged file reads as empty; the commands that need the index read it in full and say what is wrong.
import { statSync } from "node:fs";
import { join } from "node:path";
import { indexKeyOf, KIND_IDS, type KindId } from "../kinds/index.js";
import { retryWhileBusySync } from "../platform/busy-retry.js";
import { readOwnFileSync } from "../platform/own-files.js";
import { configDir } from "../platform/paths.js";

/** A larger index is left to the full reader (and its limits). */
const MAX_PEEK_BYTES = 4 * 1024 * 1024;

/** Where the index lives and how it is reached; injected so tests use temp folders. */
export interface AccountsDeps {
  processEnv: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** The config folder holding the index, in place of cdcreds' own (`store migrate --to-config-dir`). */
  dir?: string;
}

/** The folder of the index: `dir`, else cdcreds' config directory. */
export const indexDir = ({ processEnv, platform, dir }: AccountsDeps): string => dir ?? configDir(processEnv, platform);

/** The index file's path, in cdcreds' config directory. */
export const accountsPath = (deps: AccountsDeps): string => join(indexDir(deps), "accounts.json");

/** An account as the quick look sees it: its kind, name, environment and store. */
export interface PeekedAccount {
  kind: KindId;
  account: string;
  env: unknown;
  store: unknown;
  /** The seller IDs the entry lists (those that are text; the kind checks them). */
  sellerIds: string[];
}

/**
 * The index's bytes, read synchronously: the first asynchronous file operation of a process starts
 * libuv's thread pool, which measured ~5 ms of `cdcreds get`. Only a regular file of a sane size,
 * opened without blocking (own-files.ts), in a folder no other user can write; else undefined.
 */
function readIndexNow(deps: AccountsDeps): Buffer | undefined {
  const dir = statSync(indexDir(deps), { throwIfNoEntry: false });
  const uid = process.getuid?.();
  if (dir === undefined || (uid !== undefined && ((dir.mode & 0o002) !== 0 || (dir.uid !== uid && dir.uid !== 0)))) return undefined;
  try {
    // Held open by another program on Windows (a backup, a scanner): waited for, as the full reader
    // does. Read as absent, the index would leave a client's name to the default kind.
    return retryWhileBusySync(() => readOwnFileSync(accountsPath(deps), MAX_PEEK_BYTES), process.platform);
  } catch {
    return undefined; // refused or unreadable: the full reader says why, where it matters
  }
}

/** The index's entries that name an account of a known kind; [] when there is no readable index. */
export function peekAccounts(deps: AccountsDeps): PeekedAccount[] {
  try {
    const bytes = readIndexNow(deps);
    if (bytes === undefined) return [];
    const { accounts } = JSON.parse(bytes.toString("utf8")) as { accounts?: unknown };
    if (!Array.isArray(accounts)) return [];
    return accounts.flatMap((raw: unknown) => {
      if (typeof raw !== "object" || raw === null) return [];
      const entry = raw as Record<string, unknown>;
      const kind = (entry.kind ?? "api-login") as KindId;
      if (!KIND_IDS.includes(kind)) return [];
      const account = entry[indexKeyOf(kind)];
      const sellerIds = Array.isArray(entry.sellerIds) ? entry.sellerIds.filter((id): id is string => typeof id === "string") : [];
      return typeof account === "string" ? [{ kind, account, env: entry.env, store: entry.store, sellerIds }] : [];
    });
  } catch {
    return [];
  }
}
