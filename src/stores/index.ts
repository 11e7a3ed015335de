// Opens the secret store the user chose (`--store`, CDCREDS_STORE). Each store is imported only
// when chosen, so a keychain user never loads the file store's crypto, nor the reverse.
import type { StoreKind } from "../core/options.js";
import type { SecretStore } from "./types.js";

/** What opening a store may need: the environment, and whether a person can answer a prompt. */
export interface OpenStoreDeps {
  env: NodeJS.ProcessEnv;
  /**
   * True when stdin and stderr are terminals (the file store may ask for its passphrase). A function:
   * asking loads `node:tty`, which only the file store needs (issue 7).
   */
  interactive: () => boolean;
}

/** How messages name a store: "the keychain", "the encrypted file". */
export const storeName = (kind: StoreKind): string => (kind === "file" ? "the encrypted file" : "the keychain");

/**
 * Opens the store of that kind. Nothing is connected, read or asked until its first use.
 * @throws {UsageError} for the file store when it cannot be set up from the environment.
 */
export async function openStore(options: { store: StoreKind }, deps: OpenStoreDeps): Promise<SecretStore> {
  if (options.store === "file") {
    const { openFileStore } = await import("./file/index.js");
    return openFileStore({ env: deps.env, interactive: deps.interactive() });
  }
  const { openKeychainStore } = await import("./keychain/index.js");
  return openKeychainStore();
}
