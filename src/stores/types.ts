// What every secret store is. Implementations live in stores/<id>/ and are listed in stores/index.ts.
import { CdcredsError } from "../errors.js";

/** One step of a store's health check, for `doctor`: what was tried, and how it went. */
export interface ProbeStep {
  name: string;
  ok: boolean;
  /** What was seen, when it went well ("connected"). */
  detail: string;
  /** Why it failed, with what to do. */
  problem?: CdcredsError;
}

/**
 * A place for secrets, addressed by service and account, as OS keychains are. It knows nothing of
 * what a secret is (a password, a cached token, a client secret): the credential kinds choose the
 * service names.
 */
export interface SecretStore {
  /** Its id in the registry (`keychain`, `file`). */
  readonly id: string;
  /** A short description for `doctor` and messages, e.g. "Secret Service on the D-Bus session bus". */
  readonly description: string;
  /**
   * True when the set and delete calls made while one is being written go together into the next
   * write (the file store: one rewrite of the whole file for all of them), so a caller with many
   * secrets to store gains by having many calls in flight. Other stores are given one at a time.
   */
  readonly writesTogether?: boolean;
  /** Its health check, step by step, each answered; never throws. */
  probe(): Promise<ProbeStep[]>;
  /** Resolves when the store can be read and written; else throws StoreError (exit 5) saying what to do. */
  check(): Promise<void>;
  /** The secret, or undefined when there is none. @throws {StoreError} when the store fails. */
  get(service: string, account: string): Promise<string | undefined>;
  /** Creates or replaces the secret. @throws {StoreError} when the store fails. */
  set(service: string, account: string, secret: string): Promise<void>;
  /** Removes the secret; resolves false when there was none. @throws {StoreError} when the store fails. */
  delete(service: string, account: string): Promise<boolean>;
  /**
   * The accounts holding a secret under a service, found in one pass over the store (one keychain
   * connection, one decryption of the file), for `list` and `verify --all` at an agency's scale.
   * Never hands out the secrets. @throws {StoreError} when the store fails (a locked keychain).
   */
  accounts(service: string): Promise<string[]>;
}

/** What opening a store may need from its caller. */
export interface StoreDeps {
  processEnv: NodeJS.ProcessEnv;
  /**
   * True when a person can answer a prompt (stdin and stderr are terminals). A function: asking
   * loads `node:tty`, which only a store that prompts needs.
   */
  interactive: () => boolean;
  /** A masked prompt, from the caller (a store never talks to the terminal itself). */
  askSecret?: (message: string, validate: (value: string) => string | true) => Promise<string>;
}

/** What a store's module exports: one way to open it. */
export interface StoreModule {
  openStore(deps: StoreDeps): Promise<SecretStore>;
}

/** The probe of a store whose health is all in `check()`: one step. */
export async function probeByCheck(store: Pick<SecretStore, "check">, name: string, detail: string): Promise<ProbeStep[]> {
  try {
    await store.check();
    return [{ name, ok: true, detail }];
  } catch (error) {
    if (!(error instanceof CdcredsError)) throw error;
    return [{ name, ok: false, detail: error.message, problem: error }];
  }
}
