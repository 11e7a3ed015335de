// Which account a command works on, and where its secret comes from: the argument, then
// CDCREDS_LOGIN, then the only account stored for the environment; and environment credentials
// (CDISCOUNT_API_LOGIN + CDISCOUNT_API_PASSWORD for api-login) before the store, as GH_TOKEN works for gh.
import { NotFoundError, StoreError, UsageError } from "../errors.js";
import { kindField } from "../kinds/index.js";
import type { CredentialKind, Environment } from "../kinds/types.js";
import { storeName, type StoreId } from "../stores/index.js";
import type { SecretStore } from "../stores/types.js";
import type { AccountEntry } from "./account-index.js";
import { secretProblem } from "./secret-rules.js";

/** Where the account's name came from, for messages. */
type NameSource = "argument" | "CDCREDS_LOGIN" | "index";

/** What naming an account needs. */
export interface AccountInputs {
  kind: CredentialKind;
  /** The command's login argument (seller or API login), if any. */
  argument: string | undefined;
  processEnv: NodeJS.ProcessEnv;
  env: Environment;
  store: StoreId;
  /** Reads the account index; called only when neither the argument nor CDCREDS_LOGIN names one. */
  listAccounts: () => Promise<AccountEntry[]>;
  /** The store, when the command has one: asked before saying that no account is stored. */
  openStore?: () => Promise<SecretStore>;
}

/**
 * The account an argument or CDCREDS_LOGIN names, or undefined when neither does. The one place
 * that reads them, so every command words a bad value alike.
 * @throws {UsageError} (exit 2) naming the value's source when it is invalid.
 */
export function namedAccount(
  kind: CredentialKind,
  argument: string | undefined,
  processEnv: NodeJS.ProcessEnv,
): { account: string; source: NameSource } | undefined {
  if (argument !== undefined) return { account: kind.accountName(argument), source: "argument" };
  const fromEnv = processEnv.CDCREDS_LOGIN;
  if (fromEnv === undefined || fromEnv === "") return undefined;
  try {
    return { account: kind.accountName(fromEnv), source: "CDCREDS_LOGIN" };
  } catch (error) {
    throw new UsageError(`CDCREDS_LOGIN: ${(error as Error).message}`);
  }
}

/**
 * Resolves the account a command works on: argument, then `CDCREDS_LOGIN`, then the only account
 * stored for that environment and store.
 * @throws {UsageError} (exit 2) for an invalid name, or when none or several accounts are stored
 * (the message lists them).
 */
export async function resolveName(inputs: AccountInputs): Promise<{ account: string; source: NameSource }> {
  const named = namedAccount(inputs.kind, inputs.argument, inputs.processEnv);
  if (named !== undefined) return named;
  const { env, store } = inputs;
  const all = await inputs.listAccounts();
  const here = all.filter((a) => a.kind === inputs.kind.id && a.env === env && a.store === store);
  if (here.length === 1) return { account: here[0]!.account, source: "index" };
  const give = "give the login as an argument or in CDCREDS_LOGIN";
  const kind = inputs.kind.id === "api-login" ? "" : ` ${inputs.kind.id}`;
  if (here.length > 1) {
    throw new UsageError(`several${kind} accounts are stored for ${env}: ${here.map((a) => a.account).join(", ")}`, { hint: give });
  }
  // Nothing stored in the index: a store that cannot be reached is said first (exit 5, with what to
  // do), as loadSecret does before "not stored"; one that answers goes on to the usage error.
  if (inputs.openStore !== undefined) await (await inputs.openStore()).accounts(inputs.kind.secretService(env));
  const elsewhere = all
    .filter((a) => !here.includes(a))
    .map((a) => `${a.account} (${[kindField(a.kind).kind, a.env, a.store].filter(Boolean).join(", ")})`);
  throw new UsageError(`no login given and no${kind} account is stored for ${env} in the ${store} store`, {
    hint:
      elsewhere.length > 0
        ? `stored elsewhere: ${elsewhere.join(", ")}; use --kind, --env or --store, or ${give}`
        : `store one with \`cdcreds set\`, or ${give}`,
  });
}

/**
 * The credentials in the kind's variables (`CDISCOUNT_API_LOGIN` and `CDISCOUNT_API_PASSWORD`)
 * when both are set (the name derived like any other), else undefined.
 * @throws {UsageError} (exit 2) when the name or the secret in the variables is invalid.
 */
export function environmentCredentials(
  kind: CredentialKind,
  processEnv: NodeJS.ProcessEnv,
): { account: string; secret: string } | undefined {
  const { account: accountVariable, secret: secretVariable } = kind.variables;
  const name = processEnv[accountVariable];
  const secret = processEnv[secretVariable];
  if (name === undefined || name === "" || secret === undefined || secret === "") return undefined;
  const problem = secretProblem(secret);
  if (problem !== undefined) throw new UsageError(`${secretVariable} is refused: ${problem}`);
  try {
    return { account: kind.accountName(name), secret };
  } catch (error) {
    throw new UsageError(`${accountVariable}: ${(error as Error).message}`);
  }
}

/**
 * Refuses a secret read from a store that breaks the rules `set` applies (a teammate's entry, or
 * one written by hand, may hold an escape sequence `get` would print raw, or a line break).
 * @throws {StoreError} (exit 5) naming the account, never quoting the secret.
 */
export function checkStoredSecret(kind: CredentialKind, env: Environment, account: string, storeId: string, secret: string): void {
  const problem = secretProblem(secret);
  if (problem === undefined) return;
  const noun = kind.prompts.secret.toLowerCase();
  throw new StoreError(`the ${noun} stored for ${account} (${env}) in ${storeName(storeId)} is malformed: ${problem}`, {
    hint: `store it again with \`cdcreds set ${account}${env === "prod" ? "" : ` --env ${env}`}\``,
  });
}

/**
 * Reads a stored secret.
 * @throws {NotFoundError} (exit 3) when the store has none for that account and environment.
 * @throws {StoreError} (exit 5) when the store fails, or the secret breaks the secret rules.
 */
export async function loadSecret(store: SecretStore, kind: CredentialKind, env: Environment, account: string): Promise<string> {
  const secret = await store.get(kind.secretService(env), account);
  if (secret === undefined || secret === "") {
    // A locked keyring answers every read with "nothing": before saying nothing is stored, make
    // sure the store works, so a locked or dead one is exit 5, not 3.
    await store.check();
    throw new NotFoundError(`no password stored for ${account} (${env}) in ${storeName(store.id)}`, {
      hint: `store it with \`cdcreds set ${account}${env === "prod" ? "" : ` --env ${env}`}\`, or run \`cdcreds list\``,
    });
  }
  checkStoredSecret(kind, env, account, store.id, secret);
  return secret;
}

/** An account, whose stored secret is read on first use: a cached token needs none. */
export interface Account {
  account: string;
  source: "environment" | "store";
  /** The secret; the first call reads the store, with {@link loadSecret}'s errors. */
  secret: () => Promise<string>;
}

/**
 * The account a command uses: the environment's when both variables are set (an argument naming
 * another account is refused rather than silently answered with the wrong one), else the
 * resolved name, whose secret stays in the store until asked for.
 * @throws {UsageError} (exit 2).
 */
export async function resolveAccount(inputs: AccountInputs & Required<Pick<AccountInputs, "openStore">>): Promise<Account> {
  const { kind } = inputs;
  const fromEnv = environmentCredentials(kind, inputs.processEnv);
  if (fromEnv !== undefined) {
    const asked = inputs.argument === undefined ? undefined : kind.accountName(inputs.argument);
    if (asked !== undefined && asked !== fromEnv.account) {
      const { account, secret } = kind.variables;
      throw new UsageError(`${account} is ${fromEnv.account}, not ${asked}`, {
        hint: `environment credentials take precedence over the store: unset ${account} and ${secret} to read it`,
      });
    }
    return { account: fromEnv.account, source: "environment", secret: () => Promise.resolve(fromEnv.secret) };
  }
  const { account } = await resolveName(inputs);
  let secret: Promise<string> | undefined;
  return {
    account,
    source: "store",
    secret: () => (secret ??= inputs.openStore().then((store) => loadSecret(store, kind, inputs.env, account))),
  };
}
