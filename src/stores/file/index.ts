// The encrypted file store (`--store file`): every entry in one file, for
// servers and containers without a desktop keychain. Format and crypto: format.ts; the passphrase:
// passphrase.ts; the writers' lock: platform/file-lock.ts. Reads take no lock: writers replace the file by an atomic rename.
import { accessSync, constants } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, sep } from "node:path";
import { errnoOf, errnoText, StoreError } from "../../errors.js";
import { configDir } from "../../platform/paths.js";
import type { LockOptions } from "../../platform/file-lock.js";
import { assertScryptParams, newSalt, parseHeader, seal, unseal, type Entries, type Header } from "./format.js";
import { DEFAULT_SCRYPT, deriveKey, type ScryptParams } from "./kdf.js";
import { isBusy } from "../../platform/busy-retry.js";
import { configDirVariable } from "../../platform/os-hints.js";
import { assertTrustedDir, readOwnFile, RefusedFileError } from "../../platform/own-files.js";
import { probeByCheck, type SecretStore, type StoreDeps } from "../types.js";
import { obtainPassphrase, passphraseFromEnv } from "./passphrase.js";
import { fileKey, keySource, readKey, type KeySource } from "./key-file.js";

/** What the file store needs from its caller: the environment, whether it may prompt, and options. */
export interface FileStoreDeps {
  processEnv: NodeJS.ProcessEnv;
  /**
   * True when a person can answer a passphrase prompt (stdin and stderr are terminals); a function
   * is asked only when a passphrase is needed (asking loads node:tty, which a key file never needs).
   */
  interactive: boolean | (() => boolean);
  /** Masked prompt, from the caller; without one nothing is asked. `validate` returns true or a message to show. */
  askPassphrase?: (message: string, validate: (value: string) => string | true) => Promise<string>;
  /** The file; by default fileStorePath(env). */
  path?: string;
  /** scrypt cost for new files; by default DEFAULT_SCRYPT. Existing weaker files are re-keyed on write. */
  kdf?: ScryptParams;
  lock?: LockOptions;
}

/** `secrets.enc` in cdcreds' config directory, beside the account index (`~/.config/cdcreds`, `%APPDATA%\cdcreds`). */
export const fileStorePath = (processEnv: NodeJS.ProcessEnv): string => join(configDir(processEnv), "secrets.enc");

// A key file's files have no cost (`undefined`): HKDF of a random key needs none.
const keyId = (salt: Buffer, kdf: ScryptParams | undefined): string =>
  `${salt.toString("hex")}/${kdf === undefined ? "key" : `${kdf.log2N}/${kdf.r}/${kdf.p}`}`;
const weaker = (a: ScryptParams | undefined, b: ScryptParams | undefined): boolean =>
  a !== undefined && b !== undefined && (a.log2N < b.log2N || a.r < b.r || a.p < b.p);

/** What to do when Windows kept refusing the file for the seconds it was tried (busy-retry.ts): it is left as it was. */
const heldOpenHint = (error: unknown): string | undefined =>
  isBusy(error, process.platform)
    ? "another program (an editor, a backup, an antivirus) held the file open all along: close it, then try again; the file was left as it was"
    : undefined;

/** Refuses a file made in the other mode (a passphrase's, a key file's), leaving it untouched. */
function assertMode(header: Header, key: KeySource | undefined, shown: string): void {
  if (header.kdf === undefined && key === undefined) {
    throw new StoreError(`the encrypted file ${shown} was made with a key file, and none is set`, {
      hint: "set CDCREDS_KEY_FILE to that key file (or run under systemd with LoadCredential=cdcreds.key:...); the file was left untouched",
    });
  }
  if (header.kdf !== undefined && key !== undefined) {
    throw new StoreError(`the encrypted file ${shown} was made with a passphrase, but a key file is set (${key.origin})`, {
      hint: `unset CDCREDS_KEY_FILE to use the passphrase, or store the credentials again in a file of its own (--store file with ${configDirVariable(process.platform)} set to another folder); the file was left untouched`,
    });
  }
}

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
  const key = keySource(deps.processEnv);
  const wanted = key === undefined ? (deps.kdf ?? DEFAULT_SCRYPT) : undefined;
  if (wanted !== undefined) assertScryptParams(wanted, shown);
  const source = { ...deps, shown };
  let passphrase: Promise<string> | undefined;
  let rawKey: Promise<Buffer> | undefined;
  /** The key file's key, read once. */
  const keyFileKey = (source: KeySource): Promise<Buffer> => (rawKey ??= readKey(source));
  let last: { bytes: Buffer; loaded: { entries: Entries; header: Header } } | undefined;
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

  function keyFor(salt: Buffer, kdf: ScryptParams | undefined, creating: boolean): Promise<Buffer> {
    const id = keyId(salt, kdf);
    let derived = keys.get(id);
    if (derived === undefined) {
      derived =
        kdf === undefined
          ? keyFileKey(key!).then((raw) => fileKey(raw, salt))
          : getPassphrase(creating).then((p) => deriveKey(p, salt, kdf));
      keys.set(id, derived);
      derived.catch(() => keys.delete(id)); // a failed prompt or derivation must not stick
    }
    return derived;
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
      throw new StoreError(`cannot read the encrypted file ${shown}: ${errnoText(error)}`, { cause: error, hint: heldOpenHint(error) });
    }
  }

  /** Decrypts the file, or yields no entries when there is none yet. */
  async function load(forChange = false): Promise<{ entries: Entries; header: Header | undefined }> {
    const bytes = await readBytes();
    if (bytes === undefined) return { entries: new Map(), header: undefined };
    // The same bytes as the last read decrypt to the same entries: `verify --all` reads one entry
    // per account. A change gets its own copy to edit.
    if (!forChange && last?.bytes.equals(bytes) === true) return last.loaded;
    const parsed = parseHeader(bytes, shown); // before any prompt: a future version is refused at once
    assertMode(parsed.header, key, shown);
    try {
      const loaded = {
        entries: unseal(bytes, parsed, await keyFor(parsed.header.salt, parsed.header.kdf, false), shown),
        header: parsed.header,
      };
      if (!forChange) last = { bytes, loaded };
      return loaded;
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
    if (before === undefined) await (key === undefined ? getPassphrase(true) : keyFileKey(key));
    else await load(); // a wrong passphrase or damaged file fails here, before anything is locked
    // Loaded for writes only: they bring node:fs/promises, which a read never needs.
    const [{ ensurePrivateDir, removeStaleTemporaries, writeFileAtomic }, { acquireLock }] = await Promise.all([
      import("../../platform/atomic-write.js"),
      import("../../platform/file-lock.js"),
    ]);
    await ensurePrivateDir(dir).catch((error: unknown) => {
      throw new StoreError(`cannot create the directory of ${shown}: ${errnoText(error)}`, { cause: error });
    });
    const release = await acquireLock(`${path}.lock`, deps.lock);
    try {
      await removeStaleTemporaries(path); // killed writers' copies of the file: no live writer is at work on one now
      const { entries, header } = await load(true);
      if (!change(entries)) return false;
      const keep = header !== undefined && !weaker(header.kdf, wanted);
      const [salt, kdf] = keep ? [header.salt, header.kdf] : [newSalt(), wanted];
      const bytes = seal(entries, await keyFor(salt, kdf, header === undefined), kdf, salt);
      await writeFileAtomic(path, bytes).catch((error: unknown) => {
        throw new StoreError(`cannot write the encrypted file ${shown}: ${errnoText(error)}`, { cause: error, hint: heldOpenHint(error) });
      });
      return true;
    } finally {
      await release();
    }
  }

  /** A change waiting for the next write, and its caller's promise. */
  interface Queued {
    change: (entries: Entries) => boolean;
    createIfMissing: boolean;
    resolve: (changed: boolean) => void;
    reject: (error: unknown) => void;
  }
  let queue: Queued[] = [];
  let writing = false;

  /**
   * Applies a change in the next write. The changes asked while a write runs (the accounts of an
   * `import`) go together into the one after it: one locked rewrite of the file for all of them,
   * in the order asked, where one each made an import of thousands quadratic. Resolves whether the
   * change changed anything; a write that fails rejects every change it carried.
   */
  function enqueue(change: (entries: Entries) => boolean, createIfMissing: boolean): Promise<boolean> {
    return new Promise((resolve, reject) => {
      queue.push({ change, createIfMissing, resolve, reject });
      if (!writing) void writeQueued();
    });
  }

  async function writeQueued(): Promise<void> {
    writing = true;
    await new Promise((resolve) => setImmediate(resolve)); // what is asked in this turn goes together
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      const changed: boolean[] = [];
      const applyAll = (entries: Entries): boolean => {
        for (const { change } of batch) changed.push(change(entries));
        return changed.includes(true);
      };
      try {
        const createIfMissing = batch.some((queued) => queued.createIfMissing);
        await update(applyAll, createIfMissing);
        for (const [i, queued] of batch.entries()) queued.resolve(changed[i] ?? false);
      } catch (error) {
        for (const queued of batch) queued.reject(error);
      }
    }
    writing = false;
  }

  const store: SecretStore = {
    id: "file",
    writesTogether: true,
    description: `encrypted file ${shown}${key === undefined ? "" : `, key from ${key.origin}`}`,
    probe: () => probeByCheck(store, "store usable", "opened"),
    async check() {
      if ((await readBytes()) === undefined) {
        // Nothing to decrypt yet: throws when no passphrase or key could be had.
        if (key === undefined) passphraseFromEnv(source);
        else await keyFileKey(key);
        // A directory that does not exist yet is created on the first write; one we cannot write is a problem now.
        try {
          accessSync(dir, constants.W_OK);
        } catch (error) {
          if (errnoOf(error) !== "ENOENT") throw new StoreError(`cannot write in ${dirname(shown)}: ${errnoText(error)}`, { cause: error });
        }
        return;
      }
      await load();
    },
    async get(service, account) {
      return (await load()).entries.get(service)?.get(account);
    },
    async accounts(service) {
      return [...((await load()).entries.get(service)?.keys() ?? [])];
    },
    async set(service, account, secret) {
      await enqueue((entries) => {
        entries.set(service, (entries.get(service) ?? new Map<string, string>()).set(account, secret));
        return true;
      }, true);
    },
    delete(service, account) {
      return enqueue((entries) => {
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
  openFileStore({ processEnv: deps.processEnv, interactive: deps.interactive, askPassphrase: deps.askSecret });
