import { mkdtemp, readFile, rm, stat, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import type { ScryptParams } from "../../src/stores/file/kdf.js";
import { openFileStore, type FileStoreDeps } from "../../src/stores/file/index.js";
import type { SecretStore } from "../../src/stores/types.js";

/** A cheap scrypt cost so most tests run in milliseconds; one test keeps the real default. */
export const FAST_KDF: ScryptParams = { log2N: 10, r: 8, p: 1 };
export const PASSPHRASE = "correct horse battery € staple";

/** A fresh temporary folder per call, removed after the test. */
export function useTempDirs(): () => Promise<string> {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), "cdcreds-file-store-"));
    dirs.push(dir);
    return dir;
  };
}

/** A file store on `path` with the fast cost and CDCREDS_PASSPHRASE set, unless deps say otherwise. */
export function fileStore(path: string, deps: Partial<FileStoreDeps> = {}): Promise<SecretStore> {
  return openFileStore({
    processEnv: { CDCREDS_PASSPHRASE: PASSPHRASE, HOME: "/nonexistent-home" },
    interactive: false,
    path,
    kdf: FAST_KDF,
    ...deps,
  });
}

/** The file's bytes and mtime, after moving the mtime into the past so any rewrite would show. */
export async function freeze(path: string): Promise<{ bytes: Buffer; mtimeMs: number }> {
  const past = new Date("2020-01-02T03:04:05Z");
  await utimes(path, past, past);
  return { bytes: await readFile(path), mtimeMs: (await stat(path)).mtimeMs };
}

/** The same snapshot without touching the file, to compare with freeze()'s. */
export async function snapshot(path: string): Promise<{ bytes: Buffer; mtimeMs: number }> {
  return { bytes: await readFile(path), mtimeMs: (await stat(path)).mtimeMs };
}
