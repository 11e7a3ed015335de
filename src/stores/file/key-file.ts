// The encrypted file's other mode, for services that run cdcreds often: a 256-bit key from a file
// instead of a passphrase, so no scrypt runs (the file key is HKDF-SHA256 of it, per file salt).
// From CDCREDS_KEY_FILE, else systemd's `$CREDENTIALS_DIRECTORY/cdcreds.key` (LoadCredential=,
// LoadCredentialEncrypted=) when it exists.
import { existsSync, realpathSync } from "node:fs";
import { hkdfSync } from "node:crypto";
import { dirname, join } from "node:path";
import { errnoOf, errnoText, StoreError } from "../../errors.js";
import { makeKeyFileHint } from "../../platform/os-hints.js";
import { readOwnFile, RefusedFileError, unsafeFolderAbove } from "../../platform/own-files.js";

/** Where the key is read from, and how messages name that. */
export interface KeySource {
  path: string;
  /** "CDCREDS_KEY_FILE", or "$CREDENTIALS_DIRECTORY/cdcreds.key". */
  origin: string;
}

const KEY_BYTES = 32;
const CREDENTIALS = "$CREDENTIALS_DIRECTORY/cdcreds.key";
const MAKE_ONE = makeKeyFileHint(process.platform);

/** The key file in use, or undefined for a passphrase file. */
export function keySource(processEnv: NodeJS.ProcessEnv): KeySource | undefined {
  const named = processEnv.CDCREDS_KEY_FILE;
  if (named !== undefined && named !== "") return { path: named, origin: "CDCREDS_KEY_FILE" };
  const dir = processEnv.CREDENTIALS_DIRECTORY;
  if (dir === undefined || dir === "") return undefined;
  const path = join(dir, "cdcreds.key");
  return existsSync(path) ? { path, origin: CREDENTIALS } : undefined;
}

/** The 256-bit key a file holds: 32 bytes as they are, or as base64 or hex text (one trailing newline allowed). */
function parseKey(bytes: Buffer): Buffer | undefined {
  if (bytes.length === KEY_BYTES) return Buffer.from(bytes);
  const text = bytes.toString("latin1").replace(/\r?\n$/, "");
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, "hex");
  if (/^[A-Za-z0-9+/]{43}=$/.test(text)) return Buffer.from(text, "base64");
  return undefined;
}

/**
 * The mode bits a credential of systemd's may show beyond 0400: systemd makes them root's and
 * gives the service's User= read access with an ACL, whose mask shows as the group's bits.
 */
const SYSTEMD_ACL_MASK = 0o040;

/**
 * Reads the key. Refused, as ssh refuses a private key, when other users could read or replace it:
 * the file must be this user's or root's, readable by no one else, and every folder above it as
 * safe as for code (unsafeFolderAbove). A link is followed once, and what it leads to is checked.
 * @throws {StoreError} (exit 5) naming the file and what to do.
 */
export async function readKey({ path, origin }: KeySource): Promise<Buffer> {
  const refuse = (what: string, hint = MAKE_ONE): StoreError => new StoreError(`the key file ${path} (${origin}) ${what}`, { hint });
  let bytes: Buffer | undefined;
  try {
    const real = realpathSync(path);
    const unsafe = unsafeFolderAbove(dirname(real));
    if (unsafe !== undefined) {
      throw refuse(`is in a folder other users could replace it through: ${unsafe}`, "keep it in a folder only you (or root) can write to");
    }
    const uid = process.getuid?.();
    bytes = await readOwnFile(real, 4096, (info) => {
      if (uid === undefined) return; // Windows: no POSIX owner or mode to check
      if (info.uid !== uid && info.uid !== 0)
        throw refuse(`belongs to another user (uid ${info.uid})`, `use a key file of your own: ${MAKE_ONE}`);
      // systemd gives a service's User= read access to root's credential files through an ACL.
      const allowed = origin === CREDENTIALS && info.uid === 0 ? SYSTEMD_ACL_MASK : 0;
      if ((info.mode & 0o077 & ~allowed) !== 0) {
        throw refuse(
          `can be read or written by other users (mode ${(info.mode & 0o777).toString(8)})`,
          `make it private: chmod 600 ${path}`,
        );
      }
    });
  } catch (error) {
    if (error instanceof StoreError) throw error;
    if (error instanceof RefusedFileError) throw refuse(error.message);
    if (errnoOf(error) === "ENOENT") throw refuse("does not exist", `check ${origin}, or ${MAKE_ONE}`);
    throw new StoreError(`cannot read the key file ${path} (${origin}): ${errnoText(error)}`, { cause: error });
  }
  if (bytes === undefined) throw refuse("does not exist", `check ${origin}, or ${MAKE_ONE}`);
  const key = parseKey(bytes);
  bytes.fill(0);
  if (key === undefined) throw refuse(`is not a 256-bit key (32 bytes, or their base64 or hex)`);
  return key;
}

/**
 * The key of one file: HKDF-SHA256 of the key file's key with the file's salt. Synchronous: it
 * takes microseconds, and the asynchronous form would start libuv's thread pool for it.
 */
export function fileKey(key: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", key, salt, "cdcreds encrypted file v1", KEY_BYTES));
}
