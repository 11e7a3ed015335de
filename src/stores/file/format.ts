// The bytes of the encrypted file store (`--store file`), with no I/O beyond the CPU: header layout,
// sealing and opening (the key derivation: kdf.ts). Layout of format version 1 (integers big-endian):
//
//   magic "CDCREDS\0" (8) | version (1) | KDF name length (1) | KDF name | [scrypt only: log2 N (1)
//   | r (1) | p (1)] | salt length (1) | salt | nonce length (1) | nonce | ciphertext length (4)
//   | AES-256-GCM ciphertext | GCM tag (16)
//
// The KDF name is the file's mode: "scrypt" for a passphrase, "hkdf-sha256" for a key file's
// 256-bit key (CDCREDS_KEY_FILE). A file is only ever opened in the mode it was made with.
//
// The whole header is the GCM additional data, so changing any parameter fails authentication just
// like a wrong passphrase does. The version sits right after the magic so a future format may change
// everything behind it and still be recognised (and refused) by this one.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { StoreError } from "../../errors.js";
import { scryptParamsOk, type ScryptParams } from "./kdf.js";

/** What a file header says, besides the magic. */
export interface Header {
  version: number;
  /** The scrypt cost of a passphrase file; undefined for a key file's (HKDF-SHA256, nothing to tune). */
  kdf: ScryptParams | undefined;
  salt: Buffer;
  nonce: Buffer;
  ciphertextLength: number;
}

/** The entries a file holds: service → account → secret. */
export type Entries = Map<string, Map<string, string>>;

const FORMAT_VERSION = 1;
const MAGIC = Buffer.from("CDCREDS\0", "latin1");
const KDF_NAME = "scrypt";
const KEY_KDF_NAME = "hkdf-sha256";
const SALT_BYTES = 16;
const NONCE_BYTES = 12; // the GCM standard nonce size; random, fresh on every write
const TAG_BYTES = 16;

// Entries travel as [service, account, secret] triples rather than nested objects: a login such as
// "__proto__" must stay data, never become an object's prototype. Checked by hand, not with zod:
// this runs on every command of a file store, and loading zod cost more than the check.
function isPayload(json: unknown): json is { entries: [string, string, string][] } {
  if (typeof json !== "object" || json === null) return false;
  const entries = (json as { entries?: unknown }).entries;
  return Array.isArray(entries) && entries.every((e) => Array.isArray(e) && e.length === 3 && e.every((part) => typeof part === "string"));
}

const damaged = (path: string, what: string): StoreError =>
  new StoreError(`the encrypted file ${path} ${what}`, {
    hint: "restore it from a backup, or move it aside and store the credentials again",
  });

/** Throws unless the parameters are within the bounds this version accepts. */
export function assertScryptParams(kdf: ScryptParams, path: string): void {
  if (!scryptParamsOk(kdf)) {
    const { log2N, r, p } = kdf;
    throw damaged(
      path,
      `has unsupported scrypt parameters (N=2^${log2N}, r=${r}, p=${p}): it is damaged or was written by a newer cdcreds`,
    );
  }
}

/** A fresh random salt for a new file (or a re-keyed one). */
export const newSalt = (): Buffer => randomBytes(SALT_BYTES);

function encodeHeader(h: Header): Buffer {
  const name = Buffer.from(h.kdf === undefined ? KEY_KDF_NAME : KDF_NAME, "ascii");
  const length = Buffer.alloc(4);
  length.writeUInt32BE(h.ciphertextLength);
  return Buffer.concat([
    MAGIC,
    Buffer.from([h.version, name.length]),
    name,
    Buffer.from(h.kdf === undefined ? [] : [h.kdf.log2N, h.kdf.r, h.kdf.p]),
    Buffer.from([h.salt.length]),
    h.salt,
    Buffer.from([h.nonce.length]),
    h.nonce,
    length,
  ]);
}

/** Reads the header, naming precisely what is wrong when the bytes cannot be one. */
export function parseHeader(bytes: Buffer, path: string): { header: Header; headerBytes: Buffer } {
  if (bytes.length === 0) throw damaged(path, "is empty");
  if (bytes.length < MAGIC.length + 1) throw damaged(path, `is truncated (${bytes.length} bytes)`);
  if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw damaged(path, "is not a cdcreds encrypted file (unknown magic bytes)");
  const version = bytes[MAGIC.length]!;
  if (version !== FORMAT_VERSION) {
    throw new StoreError(
      `the encrypted file ${path} uses format version ${version}, which this cdcreds does not know (it reads version ${FORMAT_VERSION})`,
      {
        hint:
          version > FORMAT_VERSION
            ? "upgrade cdcreds to read it; the file was left untouched"
            : "restore it from a backup; the file was left untouched",
      },
    );
  }
  let at = MAGIC.length + 1;
  const take = (n: number): Buffer => {
    if (at + n > bytes.length) throw damaged(path, `is truncated (${bytes.length} bytes, inside the header)`);
    const part = bytes.subarray(at, at + n);
    at += n;
    return part;
  };
  const byte = (): number => take(1)[0]!;
  const name = take(byte()).toString("latin1");
  if (name !== KDF_NAME && name !== KEY_KDF_NAME)
    throw damaged(path, `uses the key derivation "${name}", which this cdcreds does not know`);
  const kdf = name === KDF_NAME ? { log2N: byte(), r: byte(), p: byte() } : undefined;
  const salt = take(byte());
  const nonce = take(byte());
  const ciphertextLength = take(4).readUInt32BE(0);
  if (salt.length < SALT_BYTES || nonce.length !== NONCE_BYTES) throw damaged(path, "has a damaged header (salt or nonce size)");
  if (kdf !== undefined) assertScryptParams(kdf, path);
  const expected = at + ciphertextLength + TAG_BYTES;
  if (bytes.length < expected) throw damaged(path, `is truncated (${bytes.length} bytes of ${expected})`);
  if (bytes.length > expected) throw damaged(path, `has ${bytes.length - expected} unexpected bytes at its end`);
  return {
    header: { version, kdf, salt: Buffer.from(salt), nonce: Buffer.from(nonce), ciphertextLength },
    headerBytes: bytes.subarray(0, at),
  };
}

/** Encrypts the entries under the key, with a fresh random nonce; `kdf` undefined for a key file's. */
export function seal(entries: Entries, key: Buffer, kdf: ScryptParams | undefined, salt: Buffer): Buffer {
  const triples = [...entries].flatMap(([service, accounts]) => [...accounts].map(([account, secret]) => [service, account, secret]));
  const plaintext = Buffer.from(JSON.stringify({ entries: triples }), "utf8");
  const nonce = randomBytes(NONCE_BYTES);
  const headerBytes = encodeHeader({ version: FORMAT_VERSION, kdf, salt, nonce, ciphertextLength: plaintext.length });
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(headerBytes);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  plaintext.fill(0);
  return Buffer.concat([headerBytes, ciphertext, cipher.getAuthTag()]);
}

/**
 * Decrypts and authenticates a file's bytes with a key derived for its header.
 * @throws {StoreError} (exit 5) when the key is wrong or any byte was changed: GCM cannot tell which.
 */
export function unseal(bytes: Buffer, parsed: { header: Header; headerBytes: Buffer }, key: Buffer, path: string): Entries {
  const start = parsed.headerBytes.length;
  const end = start + parsed.header.ciphertextLength;
  const decipher = createDecipheriv("aes-256-gcm", key, parsed.header.nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(parsed.headerBytes);
  decipher.setAuthTag(bytes.subarray(end, end + TAG_BYTES));
  let plaintext: Buffer;
  try {
    plaintext = Buffer.concat([decipher.update(bytes.subarray(start, end)), decipher.final()]);
  } catch {
    // No cause attached: it would only say "Unsupported state or unable to authenticate data".
    throw parsed.header.kdf === undefined
      ? new StoreError(`cannot decrypt ${path}: wrong key or damaged file`, {
          hint: "check that the key file is the one this file was made with; the file was left untouched",
        })
      : new StoreError(`cannot decrypt ${path}: wrong passphrase or damaged file`, {
          hint: "check CDCREDS_PASSPHRASE (or what you typed); the file was left untouched",
        });
  }
  let json: unknown;
  try {
    json = JSON.parse(plaintext.toString("utf8"));
  } catch {
    json = undefined;
  } finally {
    plaintext.fill(0);
  }
  // Authentic but malformed content can only come from a faulty writer; never echo it (secrets).
  if (!isPayload(json)) throw damaged(path, "decrypts but its content is not the expected entries");
  const entries: Entries = new Map();
  for (const [service, account, secret] of json.entries) {
    const accounts = entries.get(service) ?? new Map<string, string>();
    entries.set(service, accounts.set(account, secret));
  }
  return entries;
}
