// The secret stores: one entry each, its module loaded only when chosen, so a keychain user never
// loads the file store's crypto, nor the reverse. A new store is a folder and one line here.
import type { SecretStore, StoreDeps, StoreModule } from "./types.js";

/** A store as the registry knows it, before it is loaded. */
interface StoreEntry {
  /** How messages name it: "stored in the keychain". */
  label: string;
  /**
   * True for a store others write too (a team's): there the store, not this machine's account
   * index, says which accounts exist (`list`, `verify --all`, and which kind a name is).
   */
  shared: boolean;
  load: () => Promise<StoreModule>;
}

/** The stores' ids, spelled out so the library's declarations name them, not the registry. */
export type StoreId = "keychain" | "file" | "pass";

const STORES: Record<StoreId, StoreEntry> = {
  keychain: { label: "the keychain", shared: false, load: () => import("./keychain/index.js") },
  file: { label: "the encrypted file", shared: false, load: () => import("./file/index.js") },
  pass: { label: "the pass store", shared: true, load: () => import("./pass/index.js") },
};

export const STORE_IDS = Object.keys(STORES) as [StoreId, ...StoreId[]];

/** How messages name a store: "the keychain", "the encrypted file". */
export const storeName = (id: string): string => (STORES as Record<string, StoreEntry>)[id]?.label ?? `the ${id} store`;

/** True when a team shares the store: its accounts count, not only this machine's index. */
export const isSharedStore = (id: StoreId): boolean => STORES[id].shared;

/**
 * Opens the store with that id. Nothing is connected, read or asked until its first use.
 * @throws {UsageError} when the store cannot be set up from the environment.
 */
export async function openStore(id: StoreId, deps: StoreDeps): Promise<SecretStore> {
  return (await STORES[id].load()).openStore(deps);
}
