import type { StoreKind } from "../core/options.js";

/**
 * A place for secrets, addressed by service and account, as OS keychains are. It knows nothing of
 * what a secret is (a password, a cached token, later an OAuth2 client secret): callers choose the
 * service names (see layout.ts).
 */
export interface SecretStore {
  readonly kind: StoreKind;
  /** A short description for `doctor` and messages, e.g. "Secret Service (gnome-keyring)". */
  readonly description: string;
  /** Resolves when the store can be read and written; else throws StoreError (exit 5) saying what to do. */
  check(): Promise<void>;
  /** The secret, or undefined when there is none. @throws {StoreError} when the store fails. */
  get(service: string, account: string): Promise<string | undefined>;
  /** Creates or replaces the secret. @throws {StoreError} when the store fails. */
  set(service: string, account: string, secret: string): Promise<void>;
  /** Removes the secret; resolves false when there was none. @throws {StoreError} when the store fails. */
  delete(service: string, account: string): Promise<boolean>;
}
