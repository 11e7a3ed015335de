// Which kind of credential a command works on (SPEC section 7): `--kind`; else CDCREDS_KIND; else
// the kind of the named stored account; else the kind whose environment credentials are set;
// else, with no name, the kind of the accounts stored here; else api-login.
import { CdcredsError, UsageError } from "../errors.js";
import { KIND_IDS, loadKind, type Kind, type KindId } from "../kinds/index.js";
import type { CredentialKind, Environment } from "../kinds/types.js";
import { isSharedStore, openStore, type StoreId } from "../stores/index.js";
import type { SecretStore } from "../stores/types.js";
import { peekAccounts, type PeekedAccount } from "./account-peek.js";
import type { GlobalOptions } from "./options.js";

/** What choosing a kind needs. */
interface KindInputs {
  /** `--kind`, or CDCREDS_KIND (the library's `kind`). */
  explicit: KindId | undefined;
  /** The account the command names (its argument, `--login`), if any; else CDCREDS_LOGIN is read. */
  argument: string | undefined;
  processEnv: NodeJS.ProcessEnv;
  env: Environment;
  store: StoreId;
  /** The stored accounts, at a glance (account-peek.ts). */
  stored: () => PeekedAccount[];
  /** In a store a team shares: whether it holds the account (a teammate's is in no index here). */
  holds?: (kind: CredentialKind, account: string) => Promise<boolean>;
}

/** True when both credential variables of the kind are set. */
const hasEnvironmentCredentials = (kind: CredentialKind, processEnv: NodeJS.ProcessEnv): boolean =>
  (processEnv[kind.variables.account] ?? "") !== "" && (processEnv[kind.variables.secret] ?? "") !== "";

/** The name a kind gives `input`, or undefined when the kind cannot have such an account. */
function nameIn(kind: CredentialKind, input: string): string | undefined {
  try {
    return kind.accountName(input);
  } catch {
    return undefined;
  }
}

/**
 * The kind the command works on, loaded.
 * @throws {UsageError} (exit 2) when the name is stored under two kinds, or two kinds' environment
 * credentials are set: `--kind` must say which.
 */
async function chooseKind(inputs: KindInputs): Promise<Kind> {
  if (inputs.explicit !== undefined) return loadKind(inputs.explicit);
  const kinds = await Promise.all(KIND_IDS.map(loadKind));
  const fromLogin = inputs.processEnv.CDCREDS_LOGIN;
  const name = inputs.argument ?? (fromLogin === "" ? undefined : fromLogin);
  const here = () => inputs.stored().filter((a) => a.env === inputs.env && a.store === inputs.store);
  const choose = "say which with --kind (or CDCREDS_KIND)";
  if (name !== undefined) {
    const accounts = here();
    let storedAs = kinds.filter((kind) => {
      const account = nameIn(kind, name);
      return account !== undefined && accounts.some((a) => a.kind === kind.id && a.account === account);
    });
    const { holds } = inputs;
    if (storedAs.length === 0 && holds !== undefined) {
      const held = await Promise.all(
        kinds.map(async (kind) => {
          const account = nameIn(kind, name);
          return account !== undefined && (await holds(kind, account));
        }),
      );
      storedAs = kinds.filter((_, i) => held[i]);
    }
    if (storedAs.length > 1) {
      throw new UsageError(`${name} is stored under two kinds (${storedAs.map((k) => k.id).join(" and ")}) for ${inputs.env}`, {
        hint: choose,
      });
    }
    if (storedAs.length === 1) return storedAs[0]!;
  }
  const fromEnv = kinds.filter((kind) => hasEnvironmentCredentials(kind, inputs.processEnv));
  if (fromEnv.length > 1) {
    const pairs = fromEnv.map((k) => `${k.variables.account} and ${k.variables.secret}`);
    throw new UsageError(`environment credentials of two kinds are set: ${pairs.join("; ")}`, { hint: `unset one pair, or ${choose}` });
  }
  if (fromEnv.length === 1) return fromEnv[0]!;
  if (name === undefined) {
    const storedKinds = new Set(here().map((a) => a.kind));
    if (storedKinds.size === 1) return loadKind([...storedKinds][0]!);
  }
  return kinds[0]!;
}

/**
 * Asks a shared store whether it holds an account. A store that cannot answer says nothing here:
 * the command that reads it next reports why.
 */
function sharedStoreHolds(options: GlobalOptions, processEnv: NodeJS.ProcessEnv): NonNullable<KindInputs["holds"]> {
  let store: Promise<SecretStore> | undefined;
  return async (kind, account) => {
    try {
      store ??= openStore(options.store, { processEnv, interactive: () => false });
      return (await (await store).accounts(kind.secretService(options.env))).includes(account);
    } catch (error) {
      if (error instanceof CdcredsError) return false;
      throw error;
    }
  };
}

/**
 * The kind for these options and that name, by {@link chooseKind}, with the index at a glance;
 * its endpoints are checked at once, so a kind with no endpoint for the environment (none is
 * documented for some kinds' preprod) is refused before anything is read or asked.
 * @throws {UsageError} (exit 2).
 */
export async function resolveKind(options: GlobalOptions, processEnv: NodeJS.ProcessEnv, argument: string | undefined): Promise<Kind> {
  const kind = await chooseKind({
    explicit: options.kind,
    argument,
    processEnv,
    env: options.env,
    store: options.store,
    stored: () => peekAccounts({ processEnv }),
    holds: isSharedStore(options.store) ? sharedStoreHolds(options, processEnv) : undefined,
  });
  kind.tokenUrl(options.env, options.authUrl);
  kind.sellers?.apiUrl(options.env, options.apiUrl);
  return kind;
}
