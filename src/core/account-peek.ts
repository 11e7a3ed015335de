// A quick look at the account index, for choosing the kind of a named account (SPEC section 7)
// on the hot path (`cdcreds get bestshop`), where the full reader (account-index.ts: zod, every
// rule, its messages) measured ~15 ms. It is lenient: an entry it cannot read is skipped, and a
// damaged file reads as empty; the commands that need the index read it in full and say what is wrong.
import { join } from "node:path";
import { indexKeyOf, KIND_IDS, type KindId } from "../kinds/index.js";
import { configDir } from "../platform/paths.js";
import { assertTrustedDir, readOwnFile } from "../platform/own-files.js";

/** Where the index lives and how it is reached; injected so tests use temp folders. */
export interface AccountsDeps {
  processEnv: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

/** The index file's path, in cdcreds' config directory. */
export const accountsPath = ({ processEnv, platform }: AccountsDeps): string => join(configDir(processEnv, platform), "accounts.json");

/** An account as the quick look sees it: its kind, name, environment and store. */
export interface PeekedAccount {
  kind: KindId;
  account: string;
  env: unknown;
  store: unknown;
  /** The seller IDs the entry lists (those that are text; the kind checks them). */
  sellerIds: string[];
}

/** The index's entries that name an account of a known kind; [] when there is no readable index. */
export async function peekAccounts(deps: AccountsDeps): Promise<PeekedAccount[]> {
  try {
    await assertTrustedDir(configDir(deps.processEnv, deps.platform));
    const bytes = await readOwnFile(accountsPath(deps));
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
