// Durable, atomic replacement of a small private file: readers see the old content or the new one,
// never a mix, and after a crash the file is one of the two.
import { chmod, lstat, mkdir, open, readdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { retryWhileBusy } from "./busy-retry.js";
import { isAlive } from "./file-lock.js";
import { removeIfInterrupted } from "./signals.js";
import { uniqueId } from "./unique.js";

/**
 * Creates the directory (and missing parents) with mode 0700. An existing directory keeps the mode
 * its owner chose: tightening it silently could break what else lives there.
 * @throws the file system error.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  // mkdir's mode goes through the umask, which could leave it unusable or wider: set it exactly.
  if ((await mkdir(dir, { recursive: true, mode: 0o700 })) !== undefined) await chmod(dir, 0o700);
}

/** How the temporary files of writes to `path` begin: `.<name>.`, then the writer's uniqueId (its pid first). */
const temporaryPrefix = (path: string): string => `.${basename(path)}.`;

/** A temporary this old is a dead writer's even when its pid now names a live process (reused, or another host's). */
const STALE_TEMPORARY_MS = 60_000;

/**
 * Removes the temporary files that writers of `path` killed mid-write (kill -9, a crash, a power
 * cut) left beside it, each a whole copy of what they were writing: those whose writer's process
 * is gone, and any older than a minute. For a caller that holds the writers' lock, so that no live
 * writer is at work on one. A failure leaves them, as before: they are clutter, not damage.
 */
export async function removeStaleTemporaries(path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = temporaryPrefix(path);
  const names = await readdir(dir).catch(() => []); // a folder that cannot be listed: the write goes on
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
    const pid = /^(\d+)-[0-9a-z]+-[0-9a-z]+$/.exec(name.slice(prefix.length, -".tmp".length))?.[1];
    if (pid === undefined) continue;
    const temp = join(dir, name);
    try {
      if (!isAlive(Number(pid)) || Date.now() - (await lstat(temp)).mtimeMs > STALE_TEMPORARY_MS) await rm(temp, { force: true });
    } catch {
      // gone meanwhile, or cannot be removed: left as it was
    }
  }
}

/**
 * Replaces `path` with `bytes`: a temporary file in the same directory, mode 0600 from its creation
 * (never readable by others, even for a moment), written, fsynced, renamed over the target, and the
 * directory fsynced so the rename itself survives a crash. On Windows, a rename refused while
 * another program holds the file open (an editor, a backup, an antivirus) is tried again for about
 * five seconds (busy-retry.ts). The temporary file is removed on failure, and the old file is left
 * as it was.
 * @throws the file system error.
 */
export async function writeFileAtomic(path: string, bytes: Buffer | string, platform: NodeJS.Platform = process.platform): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `${temporaryPrefix(path)}${uniqueId()}.tmp`);
  const forget = removeIfInterrupted(temp); // a Ctrl-C mid-write must not leave it behind
  try {
    const handle = await open(temp, "wx", 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await retryWhileBusy(() => rename(temp, path), platform);
  } catch (error) {
    // Node's own retries: an antivirus may still hold the temporary file too. The write's failure is what is reported.
    await rm(temp, { force: true, maxRetries: 3 }).catch(() => undefined);
    throw error;
  } finally {
    forget();
  }
  // Some systems cannot open or sync a directory (Windows): the rename still happened.
  const dirHandle = await open(dir, "r").catch(() => undefined);
  await dirHandle?.sync().catch(() => undefined);
  await dirHandle?.close();
}
