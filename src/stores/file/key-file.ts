// The encrypted file's other mode, for services that run cdcreds often: a 256-bit key from a file
// instead of a passphrase, so no scrypt runs (the file key is HKDF-SHA256 of it, per file salt).
// From CDCREDS_KEY_FILE, else systemd's `$CREDENTIALS_DIRECTORY/cdcreds.key` (LoadCredential=,
// LoadCredentialEncrypted=) when it exists.
import { existsSync, statSync } from "node:fs";
import { hkdfSync } from "node:crypto";
import { join } from "node:path";
import { errnoText, StoreError } from "../../errors.js";
import { readOwnFile, RefusedFileError } from "../../platform/own-files.js";

/** Where the key is read from, and how messages name that. */
export interface KeySource {
  path: string;
  /** "CDCREDS_KEY_FILE", or "$CREDENTIALS_DIRECTORY/cdcreds.key". */
  origin: string;
}

const KEY_BYTES = 32;
const MAKE_ONE = "make one with `head -c 32 /dev/urandom > FILE && chmod 600 FILE` (or `openssl rand -base64 32`)";

/** The key file in use, or undefined for a passphrase file. */
export function keySource(processEnv: NodeJS.ProcessEnv): KeySource | undefined {
  const named = processEnv.CDCREDS_KEY_FILE;
  if (named !== undefined && named !== "") return { path: named, origin: "CDCREDS_KEY_FILE" };
  const dir = processEnv.CREDENTIALS_DIRECTORY;
  if (dir === undefined || dir === "") return undefined;
  const path = join(dir, "cdcreds.key");
  return existsSync(path) ? { path, origin: "$CREDENTIALS_DIRECTORY/cdcreds.key" } : undefined;
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
 * Reads the key. Refused, as ssh refuses a private key, when other users could read or replace it.
 * @throws {StoreError} (exit 5) naming the file and what to do.
 */
export async function readKey({ path, origin }: KeySource): Promise<Buffer> {
  const refuse = (what: string, hint = MAKE_ONE): StoreError => new StoreError(`the key file ${path} (${origin}) ${what}`, { hint });
  let bytes: Buffer | undefined;
  try {
    bytes = await readOwnFile(path, 4096);
  } catch (error) {
    if (error instanceof RefusedFileError) throw refuse(error.message);
    throw new StoreError(`cannot read the key file ${path} (${origin}): ${errnoText(error)}`, { cause: error });
  }
  if (bytes === undefined) throw refuse("does not exist", `check ${origin}, or ${MAKE_ONE}`);
  let info;
  try {
    info = statSync(path);
  } catch (error) {
    throw new StoreError(`cannot read the key file ${path} (${origin}): ${errnoText(error)}`, { cause: error });
  }
  if (process.getuid !== undefined && (info.mode & 0o077) !== 0) {
    throw refuse(`can be read or written by other users (mode ${(info.mode & 0o777).toString(8)})`, `make it private: chmod 600 ${path}`);
  }
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
