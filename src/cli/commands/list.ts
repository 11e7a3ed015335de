import { type CommandContext, type CommandResult, storeDeps } from "../context.js";
import { CdcredsError } from "../../errors.js";
import { readAccountIndex, type AccountEntry } from "../../core/account-index.js";
import { KIND_IDS, kindField, loadKind, type KindId } from "../../kinds/index.js";
import { ENVIRONMENTS } from "../../kinds/environment.js";
import type { CredentialKind } from "../../kinds/types.js";
import { openStore } from "../../stores/index.js";
import type { SecretStore } from "../../stores/types.js";
import { escapeText, jsonLine } from "../../platform/text.js";

/** One line of `list`: the index entry, and whether its secret is really there. */
interface Row extends AccountEntry {
  /** True/false as the store answered; null when not checked (another store, or it failed). */
  stored: boolean | null;
}

/** A name as a shell word: quoted when it holds anything but letters, digits, `@._-`. */
const shellWord = (name: string): string => (/^[\w@.-]+$/.test(name) ? name : `'${name.replaceAll("'", "'\\''")}'`);

const shortTime = (iso: string | undefined): string => (iso === undefined ? "never" : `${iso.slice(0, 16).replace("T", " ")} UTC`);

/**
 * The table. With API logins only, it is the one cdcreds printed before there were two kinds;
 * with another kind, KIND and SELLER IDS columns are added.
 */
function table(rows: Row[]): string {
  const mixed = rows.some((r) => r.kind !== KIND_IDS[0]);
  const cells = rows.map((r) => [
    ...(mixed ? [r.kind] : []),
    escapeText(r.account),
    r.env,
    r.store,
    ...(mixed ? [r.sellerIds === undefined ? "-" : r.sellerIds.join(",")] : []),
    shortTime(r.lastVerified),
    r.stored === null ? "not checked" : r.stored ? "ok" : "MISSING",
  ]);
  const header = mixed
    ? ["KIND", "ACCOUNT", "ENV", "STORE", "SELLER IDS", "LAST VERIFIED", "SECRET"]
    : ["API LOGIN", "ENV", "STORE", "LAST VERIFIED", "PASSWORD"];
  const all = [header, ...cells];
  const widths = all[0]!.map((_, i) => Math.max(...all.map((line) => line[i]!.length)));
  return all.map((line) => `${line.map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")}\n`).join("");
}

/**
 * The accounts a shared store holds that this machine's index does not (a teammate stored them):
 * there the store says which accounts exist.
 */
async function sharedRows(ctx: CommandContext, known: Row[], kinds: CredentialKind[]): Promise<Row[]> {
  const store = await openStore(ctx.options.store, storeDeps(ctx));
  if (store.entries === undefined) return [];
  let entries;
  try {
    entries = await store.entries();
  } catch (error) {
    if (!(error instanceof CdcredsError)) throw error;
    ctx.ui.warn(`cannot list the ${ctx.options.store} store: ${error.message}`);
    return [];
  }
  const sorted = entries.sort((a, b) => a.account.localeCompare(b.account) || a.service.localeCompare(b.service));
  return sorted.flatMap(({ service, account }) => {
    for (const kind of kinds) {
      const env = ENVIRONMENTS.find((e) => kind.secretService(e) === service);
      if (env === undefined || kind.storedNameProblem(account) !== undefined) continue;
      const id = kind.id as KindId;
      if (known.some((r) => r.kind === id && r.account === account && r.env === env && r.store === ctx.options.store)) return [];
      return [{ kind: id, account, env, store: ctx.options.store, stored: true }];
    }
    return [];
  });
}

/**
 * `cdcreds list`: the accounts of every kind in the index, each checked against the store in use
 * (the index is not the truth). Never prints or keeps a secret: the store's answer is only tested
 * for presence.
 */
export async function list(ctx: CommandContext): Promise<CommandResult> {
  const { accounts: entries, invalid } = await readAccountIndex({ processEnv: ctx.processEnv });
  for (const bad of invalid) ctx.ui.warn(`the account index's entry ${bad.position} (${bad.account}) is ignored: ${bad.problem}`);
  const kinds = new Map(await Promise.all(KIND_IDS.map(async (id) => [id, await loadKind(id)] as const)));
  let store: SecretStore | undefined;
  let storeFailed = false;
  const rows: Row[] = [];
  for (const entry of entries) {
    const kind = kinds.get(entry.kind)!;
    let stored: boolean | null = null;
    // Entries of the other store would need it opened too (a passphrase): they are not checked.
    if (entry.store === ctx.options.store && !storeFailed) {
      try {
        store ??= await openStore(ctx.options.store, storeDeps(ctx));
        const secret = await store.get(kind.secretService(entry.env), entry.account);
        if (secret !== undefined) ctx.ui.redact(secret);
        stored = secret !== undefined;
      } catch (error) {
        if (!(error instanceof CdcredsError)) throw error;
        storeFailed = true; // the index is still worth showing; say why it is unchecked
        ctx.ui.warn(`cannot check the ${ctx.options.store} store: ${error.message}`);
      }
    }
    if (stored === false) {
      const args = `${kind.id === "api-login" ? "" : `--kind ${kind.id} `}${shellWord(entry.account)}${entry.env === "prod" ? "" : ` --env ${entry.env}`}`;
      ctx.ui.warn(
        `${entry.account} (${entry.env}) is in the account index but its ${kind.prompts.secret.toLowerCase()} is gone: store it again with \`cdcreds set ${args}\`, or forget it with \`cdcreds delete ${args}\``,
      );
    }
    rows.push({ ...entry, stored });
  }
  rows.push(...(await sharedRows(ctx, rows, [...kinds.values()])));
  if (ctx.options.json) {
    return {
      stdout: jsonLine(
        rows.map((r) => ({
          ...kindField(r.kind),
          [kinds.get(r.kind)!.jsonKeys.account]: r.account,
          env: r.env,
          store: r.store,
          ...(kinds.get(r.kind)!.sellers === undefined ? {} : { sellerIds: r.sellerIds ?? [] }),
          lastVerified: r.lastVerified ?? null,
          stored: r.stored,
        })),
      ),
    };
  }
  if (rows.length === 0) {
    ctx.ui.note("no stored accounts: store one with `cdcreds set`");
    return {};
  }
  return { stdout: table(rows) };
}
