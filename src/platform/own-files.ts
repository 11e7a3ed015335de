// Reading cdcreds' own files (the account index, the encrypted file, lock files) and trusting the
// folder they live in. Whoever can write that folder can swap those files, and a file that is a
// FIFO, a device (/dev/zero) or gigabytes long must not hang the command or fill its memory.
// Synchronous reads: a command waits for them anyway, and node:fs/promises would load the streams
// and readline at start-up (measured in a cached `token` of the file store).
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from "node:fs";
import { errnoOf, StoreError } from "../errors.js";

/** The largest index or encrypted file read: far beyond thousands of accounts. */
const MAX_OWN_FILE_BYTES = 16 * 1024 * 1024;

/** A file refused before it was read; the message completes "the account index PATH …". */
export class RefusedFileError extends Error {}

/**
 * Reads a file, or resolves undefined when it does not exist. It is opened without blocking (a FIFO
 * would hold the open until some writer came) and refused unless it is a regular file of at most
 * `maxBytes`, so nothing but a real file of a sane size is ever read.
 * @throws {RefusedFileError} for anything else; the file system error when it cannot be read.
 */
export const readOwnFile = (path: string, maxBytes = MAX_OWN_FILE_BYTES): Promise<Buffer | undefined> =>
  new Promise((resolve) => resolve(readOwnFileSync(path, maxBytes))); // a failure is a rejection, as callers expect

/** {@link readOwnFile}, synchronously: for the start-up path, where nothing else runs meanwhile. */
export function readOwnFileSync(path: string, maxBytes = MAX_OWN_FILE_BYTES): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return undefined;
    throw error;
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new RefusedFileError("is not a regular file");
    if (info.size > maxBytes) throw new RefusedFileError(`is larger than ${maxBytes / 1024 / 1024} MiB`);
    // cdcreds replaces its files by renaming a new one over them, so an open file never changes size.
    const buffer = Buffer.alloc(info.size);
    let length = 0;
    while (length < buffer.length) {
      const bytesRead = readSync(fd, buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

const checkedDirs = new Map<string, Promise<void>>();

/**
 * Refuses a folder of cdcreds' files that another user could write: writable by everyone, or owned
 * by another user (root excepted, as ssh does). A missing folder is fine: cdcreds creates it 0700.
 * Checked once per folder and process.
 * @throws {StoreError} (exit 5) naming the folder and the fix.
 */
export function assertTrustedDir(dir: string): Promise<void> {
  let check = checkedDirs.get(dir);
  if (check === undefined) {
    check = new Promise((resolve) => resolve(checkTrusted(dir)));
    checkedDirs.set(dir, check);
  }
  return check;
}

function checkTrusted(dir: string): void {
  const uid = process.getuid?.();
  if (uid === undefined) return; // Windows: no POSIX owner or mode to check
  // A folder that cannot be looked at (missing, under a file) is left to the read or write that
  // follows, which reports it with the file it was for.
  let info;
  try {
    info = statSync(dir);
  } catch {
    info = undefined;
  }
  if (info === undefined) return;
  const refuse = (what: string, hint: string): StoreError =>
    new StoreError(`refusing the folder ${dir}: ${what}, so others could replace cdcreds' files in it`, { hint });
  if (!info.isDirectory()) throw new StoreError(`cannot use the folder ${dir}: it is not a folder`);
  if ((info.mode & 0o002) !== 0) throw refuse("it is writable by every user", `make it private: chmod 700 ${dir}`);
  if (info.uid !== uid && info.uid !== 0)
    throw refuse(`it belongs to another user (uid ${info.uid})`, "use a folder of your own (XDG_CONFIG_HOME), or chown it");
}
