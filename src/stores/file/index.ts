// The encrypted file store (`--store file`): every entry in one file, for
// servers and containers without a desktop keychain. Format and crypto: format.ts; the passphrase:
// passphrase.ts; the writers' lock: platform/file-lock.ts. Reads take no lock: writers replace the file by an atomic rename.
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, sep } from "node:path";
import { errnoOf, errnoText, StoreError } from "../../errors.js";
import { configDir } from "../../platform/paths.js";
import { ensurePrivateDir, writeFileAtomic } from "../../platform/atomic-write.js";
import { acquireLock, type LockOptions } from "../../platform/file-lock.js";
import { assertScryptParams, newSalt, parseHeader, seal, unseal, type Entries, type Header } from "./format.js";
import { DEFAULT_SCRYPT, deriveKey, type ScryptParams } from "./kdf.js";
import { assertTrustedDir, readOwnFile, RefusedFileError } from "../../platform/own-files.js";
import { probeByCheck, type SecretStore, type StoreDeps } from "../types.js";
import { obtainPassphrase, passphraseFromEnv } from "./passphrase.js";

/** What the file store needs from its caller: the environment, whether it may prompt, and options. */
export interface FileStoreDeps {
  processEnv: NodeJS.ProcessEnv;
  /** True when a person can answer a passphrase prompt (stdin and stderr are terminals). */
  interactive: boolean;
  /** Masked prompt, from the caller; without one nothing is asked. `validate` returns true or a message to show. */
  askPassphrase?: (message: string, validate: (value: string) => string | true) => Promise<string>;
  /** The file; by default fileStorePath(env). */
  path?: string;
  /** scrypt cost for new files; by default DEFAULT_SCRYPT. Existing weaker files are re-keyed on write. */
  kdf?: ScryptParams;
  lock?: LockOptions;
}

/** `secrets.enc` in cdcreds' config directory, beside the account index (`~/.config/cdcreds`). */
export const fileStorePath = (processEnv: NodeJS.ProcessEnv): string => join(configDir(processEnv), "secrets.enc");

const keyId = (salt: Buffer, kdf: ScryptParams): string => `${salt.toString("hex")}/${kdf.log2N}/${kdf.r}/${kdf.p}`;
const weaker = (a: ScryptParams, b: ScryptParams): boolean => a.log2N < b.log2N || a.r < b.r || a.p < b.p;

/**
 * Opens the encrypted file store. Nothing is read and no passphrase is asked until first use; the
 * passphrase comes from CDCREDS_PASSPHRASE, else a masked prompt (twice when creating the file), and
 * the derived key is kept for the life of the store, so open it once per command.
 */
export function openFileStore(deps: FileStoreDeps): Promise<SecretStore> {
  const path = deps.path ?? fileStorePath(deps.processEnv);
  const dir = dirname(path);
  const home = deps.processEnv.HOME || homedir();
  const shown = path.startsWith(home + sep) ? `~${path.slice(home.length)}` : path;
  const wanted = deps.kdf ?? DEFAULT_SCRYPT;
  assertScryptParams(wanted, shown);
  const source = { ...deps, shown };
  let passphrase: Promise<string> | undefined;
  const keys = new Map<string, Promise<Buffer>>();

  /** The passphrase, asked at most once at a time (concurrent callers share one prompt). */
  function getPassphrase(creating: boolean): Promise<string> {
    if (passphrase === undefined) {
      const pending = obtainPassphrase(source, creating);
      passphrase = pending;
      pending.catch(() => {
        if (passphrase === pending) passphrase = undefined; // Ctrl-C or a mismatch must not stick
      });
    }
    return passphrase;
  }

  function keyFor(salt: Buffer, kdf: ScryptParams, creating: boolean): Promise<Buffer> {
    const id = keyId(salt, kdf);
    let key = keys.get(id);
    if (key === undefined) {
      key = getPassphrase(creating).then((p) => deriveKey(p, salt, kdf));
      keys.set(id, key);
      key.catch(() => keys.delete(id)); // a failed prompt or derivation must not stick
    }
    return key;
  }

  async function readBytes(): Promise<Buffer | undefined> {
    await assertTrustedDir(dir);
    try {
      return await readOwnFile(path);
    } catch (error) {
      if (error instanceof RefusedFileError)
        throw new StoreError(`the encrypted file ${shown} ${error.message}`, {
          hint: "move it aside; cdcreds only reads a regular file it wrote",
        });
      throw new StoreError(`cannot read the encrypted file ${shown}: ${errnoText(error)}`, { cause: error });
    }
  }

  /** Decrypts the file, or yields no entries when there is none yet. */
  async function load(): Promise<{ entries: Entries; header: Header | undefined }> {
    const bytes = await readBytes();
    if (bytes === undefined) return { entries: new Map(), header: undefined };
    const parsed = parseHeader(bytes, shown); // before any prompt: a future version is refused at once
    try {
      return { entries: unseal(bytes, parsed, await keyFor(parsed.header.salt, parsed.header.kdf, false), shown), header: parsed.header };
    } catch (error) {
      if (deps.processEnv.CDCREDS_PASSPHRASE === undefined) passphrase = undefined; // a mistyped one: ask again next time
      keys.delete(keyId(parsed.header.salt, parsed.header.kdf));
      throw error;
    }
  }

  /**
   * Applies a change under the writers' lock to the latest content, so concurrent writers keep each
   * other's entries. The passphrase is settled before locking: no prompt ever runs under the lock.
   */
  async function update(change: (entries: Entries) => boolean, createIfMissing: boolean): Promise<boolean> {
    const before = await readBytes();
    if (before === undefined && !createIfMissing) return false;
    if (before === undefined) await getPassphrase(true);
    else await load(); // a wrong passphrase or damaged file fails here, before anything is locked
    await ensurePrivateDir(dir).catch((error: unknown) => {
      throw new StoreError(`cannot create the directory of ${shown}: ${errnoText(error)}`, { cause: error });
    });
    const release = await acquireLock(`${path}.lock`, deps.lock);
    try {
      const { entries, header } = await load();
      if (!change(entries)) return false;
      const keep = header !== undefined && !weaker(header.kdf, wanted);
      const [salt, kdf] = keep ? [header.salt, header.kdf] : [newSalt(), wanted];
      const bytes = seal(entries, await keyFor(salt, kdf, header === undefined), kdf, salt);
      await writeFileAtomic(path, bytes).catch((error: unknown) => {
        throw new StoreError(`cannot write the encrypted file ${shown}: ${errnoText(error)}`, { cause: error });
      });
      return true;
    } finally {
      await release();
    }
  }

  const store: SecretStore = {
    id: "file",
    description: `encrypted file ${shown}`,
    probe: () => probeByCheck(store, "store usable", "opened"),
    async check() {
      if ((await readBytes()) === undefined) {
        passphraseFromEnv(source); // throws when no passphrase could be had; nothing to decrypt yet
        // A directory that does not exist yet is created on the first write; one we cannot write is a problem now.
        await access(dir, constants.W_OK).catch((error: unknown) => {
          if (errnoOf(error) !== "ENOENT") throw new StoreError(`cannot write in ${dirname(shown)}: ${errnoText(error)}`, { cause: error });
        });
        return;
      }
      await load();
    },
    async get(service, account) {
      return (await load()).entries.get(service)?.get(account);
    },
    async set(service, account, secret) {
      await update((entries) => {
        entries.set(service, (entries.get(service) ?? new Map<string, string>()).set(account, secret));
        return true;
      }, true);
    },
    delete(service, account) {
      return update((entries) => {
        const accounts = entries.get(service);
        if (accounts?.delete(account) !== true) return false;
        if (accounts.size === 0) entries.delete(service);
        return true;
      }, false);
    },
  };
  return Promise.resolve(store);
}

/** The store registry's way in (stores/index.ts). */
export const openStore = (deps: StoreDeps): Promise<SecretStore> =>
  openFileStore({ processEnv: deps.processEnv, interactive: deps.interactive(), askPassphrase: deps.askSecret });
