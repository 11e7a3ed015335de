// Durable, atomic replacement of a small private file: readers see the old content or the new one,
// never a mix, and after a crash the file is one of the two.
import { chmod, mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
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

/**
 * Replaces `path` with `bytes`: a temporary file in the same directory, mode 0600 from its creation
 * (never readable by others, even for a moment), written, fsynced, renamed over the target, and the
 * directory fsynced so the rename itself survives a crash. The temporary file is removed on failure.
 * @throws the file system error.
 */
export async function writeFileAtomic(path: string, bytes: Buffer | string): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${uniqueId()}.tmp`);
  const forget = removeIfInterrupted(temp); // a Ctrl-C mid-write must not leave it behind
  try {
    const handle = await open(temp, "wx", 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  } finally {
    forget();
  }
  // Some systems cannot open or sync a directory (Windows): the rename still happened.
  const dirHandle = await open(dir, "r").catch(() => undefined);
  await dirHandle?.sync().catch(() => undefined);
  await dirHandle?.close();
}
