// Which login a command uses and where its password comes from (SPEC section 3): the argument,
// then CDCREDS_LOGIN, then the only account stored for the environment; environment credentials
// (CDISCOUNT_API_LOGIN + CDISCOUNT_API_PASSWORD) before the store, as GH_TOKEN works for gh.
import type { Environment } from "../kinds/environment.js";
import { NotFoundError, UsageError } from "../errors.js";
import { deriveApiLogin, secretProblem } from "../kinds/api-login/login.js";
import type { StoreId } from "../stores/index.js";
import type { AccountEntry } from "./account-index.js";
import { passwordService } from "../kinds/api-login/layout.js";
import { storeName } from "../stores/index.js";
import type { SecretStore } from "../stores/types.js";

/** Where the login came from, for messages. */
type LoginSource = "argument" | "CDCREDS_LOGIN" | "index";

/** A login resolved to its API login. */
interface ResolvedLogin {
  apiLogin: string;
  source: LoginSource;
}

/** What {@link resolveLogin} needs. */
interface LoginInputs {
  /** The command's login argument (seller or API login), if any. */
  argument: string | undefined;
  env: NodeJS.ProcessEnv;
  environment: Environment;
  store: StoreId;
  /** Reads the account index; called only when neither the argument nor CDCREDS_LOGIN names one. */
  listAccounts: () => Promise<AccountEntry[]>;
}

/**
 * Resolves the login a command works on: argument, then `CDCREDS_LOGIN` (both derived when `-api`
 * is missing), then the only account stored for that environment and store.
 * @throws {UsageError} (exit 2) for an invalid login, or when none or several accounts are stored
 * (the message lists them).
 */
export async function resolveLogin({ argument, env, environment, store, listAccounts }: LoginInputs): Promise<ResolvedLogin> {
  if (argument !== undefined) return { apiLogin: deriveApiLogin(argument).apiLogin, source: "argument" };
  const fromEnv = env.CDCREDS_LOGIN;
  if (fromEnv !== undefined && fromEnv !== "") {
    try {
      return { apiLogin: deriveApiLogin(fromEnv).apiLogin, source: "CDCREDS_LOGIN" };
    } catch (error) {
      throw new UsageError(`CDCREDS_LOGIN: ${(error as Error).message}`);
    }
  }
  const all = await listAccounts();
  const here = all.filter((a) => a.env === environment && a.store === store);
  if (here.length === 1) return { apiLogin: here[0]!.apiLogin, source: "index" };
  const give = "give the login as an argument or in CDCREDS_LOGIN";
  if (here.length > 1) {
    throw new UsageError(`several accounts are stored for ${environment}: ${here.map((a) => a.apiLogin).join(", ")}`, { hint: give });
  }
  const elsewhere = all.filter((a) => !here.includes(a)).map((a) => `${a.apiLogin} (${a.env}, ${a.store})`);
  throw new UsageError(`no login given and no account is stored for ${environment} in the ${store} store`, {
    hint: elsewhere.length > 0 ? `stored elsewhere: ${elsewhere.join(", ")}; use --env or --store, or ${give}` : `store one with \`cdcreds set\`, or ${give}`,
  });
}

/** An API login and its password, and where they came from. */
export interface Credentials {
  apiLogin: string;
  password: string;
  source: "environment" | "store";
}

/**
 * The credentials in `CDISCOUNT_API_LOGIN` and `CDISCOUNT_API_PASSWORD` when both are set (the
 * login derived like any other), else undefined.
 * @throws {UsageError} (exit 2) when the login or the password in the variables is invalid.
 */
export function environmentCredentials(env: NodeJS.ProcessEnv): Credentials | undefined {
  const login = env.CDISCOUNT_API_LOGIN;
  const password = env.CDISCOUNT_API_PASSWORD;
  if (login === undefined || login === "" || password === undefined || password === "") return undefined;
  const problem = secretProblem(password);
  if (problem !== undefined) throw new UsageError(`CDISCOUNT_API_PASSWORD is refused: ${problem}`);
  try {
    return { apiLogin: deriveApiLogin(login).apiLogin, password, source: "environment" };
  } catch (error) {
    throw new UsageError(`CDISCOUNT_API_LOGIN: ${(error as Error).message}`);
  }
}

/**
 * Reads a stored password.
 * @throws {NotFoundError} (exit 3) when the store has none for that login and environment.
 * @throws {StoreError} (exit 5) when the store fails.
 */
export async function loadPassword(store: SecretStore, environment: Environment, apiLogin: string): Promise<string> {
  const password = await store.get(passwordService(environment), apiLogin);
  if (password === undefined || password === "") {
    // A locked keyring answers every read with "nothing" (shared/KEYRING.md): before saying nothing
    // is stored, make sure the store works, so a locked or dead one is exit 5, not 3 (issue 8).
    await store.check();
    const where = storeName(store.id);
    throw new NotFoundError(`no password stored for ${apiLogin} (${environment}) in ${where}`, {
      hint: `store it with \`cdcreds set ${apiLogin}${environment === "prod" ? "" : ` --env ${environment}`}\`, or run \`cdcreds list\``,
    });
  }
  return password;
}

/** What {@link resolveAccount} needs: the login inputs, and the store, opened only if used. */
export interface CredentialInputs extends LoginInputs {
  openStore: () => Promise<SecretStore>;
}

/** An account, whose stored password is read on first use: a cached token needs none (issue 7). */
export interface Account {
  apiLogin: string;
  source: Credentials["source"];
  /** The password; the first call reads the store, with {@link loadPassword}'s errors. */
  password: () => Promise<string>;
}

/**
 * The account a command uses: the environment's when both variables are set (an argument naming
 * another login is refused rather than silently answered with the wrong account), else the
 * resolved login, whose password stays in the store until asked for.
 * @throws {UsageError} (exit 2).
 */
export async function resolveAccount(inputs: CredentialInputs): Promise<Account> {
  const fromEnv = environmentCredentials(inputs.env);
  if (fromEnv !== undefined) {
    if (inputs.argument !== undefined && deriveApiLogin(inputs.argument).apiLogin !== fromEnv.apiLogin) {
      throw new UsageError(`CDISCOUNT_API_LOGIN is ${fromEnv.apiLogin}, not ${deriveApiLogin(inputs.argument).apiLogin}`, {
        hint: "environment credentials take precedence over the store: unset CDISCOUNT_API_LOGIN and CDISCOUNT_API_PASSWORD to read it",
      });
    }
    return { apiLogin: fromEnv.apiLogin, source: "environment", password: () => Promise.resolve(fromEnv.password) };
  }
  const { apiLogin } = await resolveLogin(inputs);
  let password: Promise<string> | undefined;
  return {
    apiLogin,
    source: "store",
    password: () => (password ??= inputs.openStore().then((store) => loadPassword(store, inputs.environment, apiLogin))),
  };
}
