import { type CommandContext, type CommandResult, storeDeps } from "../context.js";
import { CdcredsError } from "../../errors.js";
import { readAccountIndex, type AccountEntry } from "../../core/account-index.js";
import { KIND_IDS, kindField, loadKind, type KindId } from "../../kinds/index.js";
import { ENVIRONMENTS } from "../../kinds/environment.js";
import type { CredentialKind } from "../../kinds/types.js";
import { isSharedStore, openStore } from "../../stores/index.js";
import type { SecretStore } from "../../stores/types.js";
import { escapeText, jsonLine } from "../../platform/text.js";
import { ageOf, ageText, parseAge } from "../../core/age.js";
import { retiredApiNote } from "../legacy.js";

/** The flags of `cdcreds list`. */
export interface ListFlags {
  /** `--older-than 90d`: only the accounts whose secret is known to be older. */
  olderThan?: string;
}

/** One line of `list`: the index entry, and whether its secret is really there. */
interface Row extends AccountEntry {
  /** True/false as the store answered; null when not checked: another store, or "unknown" when it failed. */
  stored: boolean | null;
  unknown?: boolean;
}

/** A name as a shell word: quoted when it holds anything but letters, digits, `@._-`. */
const shellWord = (name: string): string => (/^[\w@.-]+$/.test(name) ? name : `'${name.replaceAll("'", "'\\''")}'`);

const shortTime = (iso: string | undefined): string => (iso === undefined ? "never" : `${iso.slice(0, 16).replace("T", " ")} UTC`);

/**
 * The table. With API logins only, it is the one cdcreds printed before there were two kinds;
 * with another kind, KIND and SELLER IDS columns are added.
 */
function table(rows: Row[], now: Date): string {
  const mixed = rows.some((r) => r.kind !== KIND_IDS[0]);
  const cells = rows.map((r) => [
    ...(mixed ? [r.kind] : []),
    escapeText(r.account),
    r.env,
    r.store,
    ...(mixed ? [r.sellerIds === undefined ? "-" : r.sellerIds.join(",")] : []),
    shortTime(r.lastVerified),
    ageText(r.secretSetAt, now),
    r.unknown === true ? "unknown" : r.stored === null ? "not checked" : r.stored ? "ok" : "MISSING",
  ]);
  const header = mixed
    ? ["KIND", "ACCOUNT", "ENV", "STORE", "SELLER IDS", "LAST VERIFIED", "SET", "SECRET"]
    : ["API LOGIN", "ENV", "STORE", "LAST VERIFIED", "SET", "PASSWORD"];
  const all = [header, ...cells];
  const widths = all[0]!.map((_, i) => Math.max(...all.map((line) => line[i]!.length)));
  return all.map((line) => `${line.map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")}\n`).join("");
}

/**
 * The rows whose secret is known to be older than `limit` ms. Those of unknown age (stored before
 * cdcreds recorded the date, or by a teammate) are left out, and counted in a note: an age is
 * never made up.
 */
function oldRows(ctx: CommandContext, rows: Row[], limit: number, now: Date): Row[] {
  const unknown = rows.filter((r) => r.secretSetAt === undefined).length;
  if (unknown > 0) {
    ctx.ui.note(
      `${unknown} account${unknown === 1 ? "" : "s"} of unknown age not shown (stored before cdcreds recorded the date): \`cdcreds rotate\` or \`cdcreds set\` dates them`,
    );
  }
  return rows.filter((r) => (ageOf(r.secretSetAt, now) ?? 0) > limit);
}

/** The accounts holding a secret, by service: one pass over the store per service. */
type Held = Map<string, Set<string>>;

/**
 * Asks the store once per service for the accounts it holds: the services of the index's entries
 * in this store, and for a shared store every kind's services (a teammate's accounts count too).
 * @throws {CdcredsError} when the store cannot be opened or read.
 */
async function heldAccounts(ctx: CommandContext, store: SecretStore, entries: AccountEntry[], kinds: CredentialKind[]): Promise<Held> {
  const wanted = new Set(
    entries.filter((e) => e.store === ctx.options.store).map((e) => kinds.find((k) => k.id === e.kind)!.secretService(e.env)),
  );
  if (isSharedStore(ctx.options.store)) for (const kind of kinds) for (const env of ENVIRONMENTS) wanted.add(kind.secretService(env));
  // Nothing to check in the index: the store is asked all the same (this environment's accounts),
  // so that one which cannot be reached is said (exit 5), not taken for "no stored accounts".
  if (wanted.size === 0) for (const kind of kinds) wanted.add(kind.secretService(ctx.options.env));
  const held: Held = new Map();
  for (const service of wanted) held.set(service, new Set(await store.accounts(service)));
  return held;
}

/** Whether the store holds an index entry: true, false, or the store's failure to say. */
type Presence = boolean | CdcredsError;

/**
 * Whether the store holds each index entry of this store: found by the search, else confirmed by
 * one read. A search can leave out what a read finds: macOS's keychain search drops every item
 * whose secret it refused to give (the binding's findCredentials), so "not found" there is not
 * "gone" until a read says so; a read that fails makes the entry "unknown". The secret read is
 * only tested for presence, never kept.
 */
export async function presenceOf(
  store: Pick<SecretStore, "get">,
  entries: { service: string; account: string }[],
  held: Held,
): Promise<Presence[]> {
  const answers: Presence[] = [];
  for (const { service, account } of entries) {
    if (held.get(service)?.has(account) === true) {
      answers.push(true);
      continue;
    }
    try {
      answers.push((await store.get(service, account)) !== undefined);
    } catch (error) {
      if (!(error instanceof CdcredsError)) throw error;
      answers.push(error);
    }
  }
  return answers;
}

/**
 * The accounts a shared store holds that this machine's index does not (a teammate stored them):
 * there the store says which accounts exist.
 */
function sharedRows(ctx: CommandContext, held: Held, known: Row[], kinds: CredentialKind[]): Row[] {
  const rows: Row[] = [];
  if (!isSharedStore(ctx.options.store)) return rows;
  for (const kind of kinds) {
    for (const env of ENVIRONMENTS) {
      const id = kind.id as KindId;
      for (const account of held.get(kind.secretService(env)) ?? []) {
        if (kind.storedNameProblem(account) !== undefined) continue;
        if (known.some((r) => r.kind === id && r.account === account && r.env === env && r.store === ctx.options.store)) continue;
        rows.push({ kind: id, account, env, store: ctx.options.store, stored: true });
      }
    }
  }
  return rows.sort((a, b) => a.account.localeCompare(b.account) || a.env.localeCompare(b.env) || a.kind.localeCompare(b.kind));
}

/**
 * `cdcreds list`: the accounts of every kind in the index, each checked against the store in use
 * (the index is not the truth). Never prints or keeps a secret: the store's answer is only tested
 * for presence.
 */
export async function list(ctx: CommandContext, flags: ListFlags = {}): Promise<CommandResult> {
  const olderThan = flags.olderThan === undefined ? undefined : parseAge(flags.olderThan, "--older-than");
  const now = new Date();
  const { accounts: entries, invalid } = await readAccountIndex({ processEnv: ctx.processEnv });
  for (const bad of invalid) ctx.ui.warn(`the account index's entry ${bad.position} (${bad.account}) is ignored: ${bad.problem}`);
  const kinds = new Map(await Promise.all(KIND_IDS.map(async (id) => [id, await loadKind(id)] as const)));
  let held: Held = new Map();
  let failure: CdcredsError | undefined;
  // Entries of the other store would need it opened too (a passphrase): they are not checked.
  const checked = entries.filter((e) => e.store === ctx.options.store);
  let presence: Presence[] = [];
  try {
    const store = await openStore(ctx.options.store, storeDeps(ctx)); // opening reads nothing yet
    held = await heldAccounts(ctx, store, entries, [...kinds.values()]);
    const wanted = checked.map((e) => ({ service: kinds.get(e.kind)!.secretService(e.env), account: e.account }));
    presence = await presenceOf(store, wanted, held);
  } catch (error) {
    if (!(error instanceof CdcredsError)) throw error;
    failure = error; // the index is still worth showing, its rows marked unknown; exit as the store says
  }
  let unreadable: CdcredsError | undefined; // an entry the store failed to say it holds
  const rows: Row[] = entries.map((entry) => {
    const kind = kinds.get(entry.kind)!;
    if (entry.store !== ctx.options.store) return { ...entry, stored: null };
    if (failure !== undefined) return { ...entry, stored: null, unknown: true };
    const stored = presence[checked.indexOf(entry)]!;
    if (stored instanceof CdcredsError) {
      ctx.ui.error(`cannot check ${entry.account} (${entry.env}) in the ${ctx.options.store} store: ${stored.message}`, stored.hint);
      unreadable ??= stored;
      return { ...entry, stored: null, unknown: true };
    }
    if (!stored) {
      const args = `${kind.id === "api-login" ? "" : `--kind ${kind.id} `}${shellWord(entry.account)}${entry.env === "prod" ? "" : ` --env ${entry.env}`}`;
      ctx.ui.warn(
        `${entry.account} (${entry.env}) is in the account index but its ${kind.prompts.secret.toLowerCase()} is gone: store it again with \`cdcreds set ${args}\`, or forget it with \`cdcreds delete ${args}\``,
      );
    }
    return { ...entry, stored };
  });
  rows.push(...sharedRows(ctx, held, rows, [...kinds.values()]));
  const shown = olderThan === undefined ? rows : oldRows(ctx, rows, olderThan, now);
  if (failure !== undefined) ctx.ui.error(`cannot check the ${ctx.options.store} store: ${failure.message}`, failure.hint);
  const exitCode = (failure ?? unreadable)?.exitCode;
  if (ctx.options.json) {
    return {
      stdout: jsonLine(
        shown.map((r) => ({
          ...kindField(r.kind),
          [kinds.get(r.kind)!.jsonKeys.account]: r.account,
          env: r.env,
          store: r.store,
          ...(kinds.get(r.kind)!.sellers === undefined ? {} : { sellerIds: r.sellerIds ?? [] }),
          lastVerified: r.lastVerified ?? null,
          secretSetAt: r.secretSetAt ?? null,
          stored: r.stored,
        })),
      ),
      exitCode,
    };
  }
  if (shown.length === 0) {
    if (failure === undefined && rows.length === 0) ctx.ui.note("no stored accounts: store one with `cdcreds set`");
    return { exitCode };
  }
  const retired = retiredApiNote(shown.filter((r) => r.kind === "api-login").map((r) => r.account));
  if (retired !== undefined) ctx.ui.note(retired);
  return { stdout: table(shown, now), exitCode };
}
