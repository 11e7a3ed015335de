// How cdcreds names and splits its Windows Credential Manager entries: pure rules, unit-tested on
// every OS (test/keychain-windows-layout.test.ts). The store's win32 branch (windows.ts) uses them.
import { requireNow } from "../../platform/require.js";

/**
 * Longest blob a generic credential holds (CRED_MAX_CREDENTIAL_BLOB_SIZE): 2,560 bytes, 1,280
 * UTF-16 code units, which is what a JavaScript string's length counts.
 */
export const BLOB_UNITS = 1280;

/**
 * Longest secret stored on Windows, in UTF-16 code units (16 credentials at most): a cached token's
 * JSON entry around a 16 KB JWT, the most Octopia's (1-3 KB seen) could grow to.
 */
export const MAX_WINDOWS_SECRET = 20_000;

/** The credential targets an account may be found at (read in the order python, main, legacy). */
export interface WindowsTargets {
  /** Where cdcreds writes: `<account>@<service>`, Python keyring's compound name. */
  main: string;
  /** Where Python keyring writes a service's latest account: `<service>`, read when its UserName is the account. */
  python: string;
  /** Where cdcreds before 24 wrote (the binding's default): `<account>.<service>`, moved on the next write. */
  legacy: string;
}

/** The targets of an account. */
export const windowsTargets = (service: string, account: string): WindowsTargets => ({
  main: `${account}@${service}`,
  python: service,
  legacy: `${account}.${service}`,
});

/** The target of part `index` (2 and up) of a secret split over several credentials. */
export const partTarget = (main: string, index: number): string => `${main}~${index}`;

/**
 * What a split secret's main credential starts with. U+0001 can begin neither a password or
 * client secret (the secret rules refuse control characters) nor JSON (a cached token), so a
 * header is never taken for a secret, nor a secret for a header.
 */
const HEADER_MARK = "\u0001cdcreds-parts";
/** `<mark> <count> <hash>\n`: the number of parts and the first 16 hex digits of the whole's SHA-256. */
// eslint-disable-next-line no-control-regex -- the mark is a control character on purpose
const HEADER = /^\u0001cdcreds-parts (\d{1,2}) ([0-9a-f]{16})\n/;

/** The short hash that proves the joined parts are the secret written. */
function shortHash(text: string): string {
  const { createHash } = requireNow("node:crypto") as typeof import("node:crypto"); // only for long secrets: `get` stays light
  return createHash("sha256").update(text, "utf8").digest("hex").slice(0, 16);
}

/** Cuts `text` into pieces of at most `size` code units, never between the halves of a surrogate pair. */
function cut(text: string, first: number, size: number): string[] {
  const pieces: string[] = [];
  let at = 0;
  let room = first;
  while (at < text.length) {
    let end = Math.min(at + room, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--; // a high surrogate waits for its pair
    pieces.push(text.slice(at, end));
    at = end;
    room = size;
  }
  return pieces;
}

/**
 * The blobs a secret is written as: one, the secret itself, when it fits; else the main blob (a
 * header and the first piece) then parts 2..N. Each blob fits in {@link BLOB_UNITS}.
 * @throws {RangeError} when the secret is longer than {@link MAX_WINDOWS_SECRET} (the caller says so without the secret).
 */
export function splitSecret(secret: string): string[] {
  if (secret.length <= BLOB_UNITS && !secret.startsWith(HEADER_MARK)) return [secret];
  if (secret.length > MAX_WINDOWS_SECRET) throw new RangeError(`${secret.length} > ${MAX_WINDOWS_SECRET}`);
  const hash = shortHash(secret);
  // The header's length depends on the count of parts (1 or 2 digits): settle it by trying.
  for (let digits = 1; ; digits++) {
    const headerLength = `${HEADER_MARK} ${"9".repeat(digits)} ${hash}\n`.length;
    const pieces = cut(secret, BLOB_UNITS - headerLength, BLOB_UNITS);
    if (String(pieces.length).length <= digits) {
      pieces[0] = `${HEADER_MARK} ${pieces.length} ${hash}\n${pieces[0]}`;
      return pieces;
    }
  }
}

/** What a main blob says of the parts that follow it: none (a whole secret), or their count. */
export const partsOf = (main: string): number => {
  const header = HEADER.exec(main);
  return header === null ? 1 : Number(header[1]);
};

/**
 * The secret joined back from its main blob and parts 2..N (read through `part`), or undefined
 * when it cannot be trusted: a part missing, a header that does not parse, or a hash that does
 * not match (a write interrupted between its parts and its main entry, another program's change).
 */
export function joinSecret(main: string, part: (index: number) => string | undefined): string | undefined {
  if (!main.startsWith(HEADER_MARK)) return main;
  const header = HEADER.exec(main);
  if (header === null) return undefined;
  const count = Number(header[1]);
  let secret = main.slice(header[0].length);
  for (let index = 2; index <= count; index++) {
    const piece = part(index);
    if (piece === undefined) return undefined;
    secret += piece;
  }
  return shortHash(secret) === header[2] ? secret : undefined;
}
