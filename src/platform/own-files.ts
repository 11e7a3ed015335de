// Reading cdcreds' own files (the account index, the encrypted file, lock files) and trusting the
// folder they live in. Whoever can write that folder can swap those files, and a file that is a
// FIFO, a device (/dev/zero) or gigabytes long must not hang the command or fill its memory.
// Synchronous reads: a command waits for them anyway, and node:fs/promises would load the streams
// and readline at start-up (measured in a cached `token` of the file store).
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from "node:fs";
import { dirname } from "node:path";
import { errnoOf, StoreError } from "../errors.js";
import { retryWhileBusy } from "./busy-retry.js";

/** The largest index or encrypted file read: far beyond thousands of accounts. */
const MAX_OWN_FILE_BYTES = 16 * 1024 * 1024;

/** A file refused before it was read; the message completes "the account index PATH …". */
export class RefusedFileError extends Error {}

/**
 * Reads a file, or resolves undefined when it does not exist. It is opened without blocking (a FIFO
 * would hold the open until some writer came) and refused unless it is a regular file of at most
 * `maxBytes`, so nothing but a real file of a sane size is ever read. On Windows, a file another
 * program holds open without sharing it (an editor, a backup, an antivirus) is tried again for
 * about five seconds (busy-retry.ts).
 * @throws {RefusedFileError} for anything else; the file system error when it cannot be read.
 */
export const readOwnFile = (
  path: string,
  maxBytes = MAX_OWN_FILE_BYTES,
  check?: (info: Stats) => void,
  platform: NodeJS.Platform = process.platform,
): Promise<Buffer | undefined> => retryWhileBusy(() => readOwnFileSync(path, maxBytes, check), platform); // a failure is a rejection, as callers expect

/**
 * {@link readOwnFile}, synchronously: for the start-up path, where nothing else runs meanwhile.
 * `check` judges what was opened (its owner, its mode) before anything is read, and throws to refuse it.
 */
export function readOwnFileSync(path: string, maxBytes = MAX_OWN_FILE_BYTES, check?: (info: Stats) => void): Buffer | undefined {
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
    if (info.size > maxBytes) throw new RefusedFileError(`is larger than ${sizeText(maxBytes)}`);
    check?.(info);
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

/** A size for messages, in the largest unit that says it in whole numbers: "16 MiB", "4 KiB", "500 bytes". */
const sizeText = (bytes: number): string =>
  bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0
    ? `${bytes / 1024 / 1024} MiB`
    : bytes >= 1024 && bytes % 1024 === 0
      ? `${bytes / 1024} KiB`
      : `${bytes} bytes`;

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

/**
 * The first folder, from `dir` (a real path: no links in it) up to the root, through which another
 * user could replace what is below it, with why; undefined when there is none, and on Windows.
 * Each must belong to this user or root and be writable by no one else, as ssh and sudo judge a
 * path. A folder writable by all but sticky and root's (/tmp) is the exception: there, only an
 * entry's owner can rename it, and each entry on the path is checked (the file in `dir` by the caller).
 * @throws the file system error when a folder cannot be looked at.
 */
export function unsafeFolderAbove(dir: string): string | undefined {
  const uid = process.getuid?.();
  if (uid === undefined) return undefined;
  for (let current = dir; ; current = dirname(current)) {
    const { uid: owner, mode } = statSync(current);
    if (owner !== uid && owner !== 0) return `${current} belongs to another user (uid ${owner})`;
    const stickyRoot = owner === 0 && (mode & 0o1000) !== 0;
    if ((mode & 0o022) !== 0 && !stickyRoot) return `${current} can be written by other users (mode ${(mode & 0o7777).toString(8)})`;
    if (current === dirname(current)) return undefined;
  }
}
