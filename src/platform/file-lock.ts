// A writers' lock for the encrypted file: a lock file created with O_EXCL (atomic on local file
// systems), holding who took it and when, so that a lock left by a crashed process can be recognised
// and taken over instead of blocking every later command.
import { open, rm, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { basename } from "node:path";
import { errnoOf, errnoText, StoreError } from "../errors.js";
import { retryWhileBusy } from "./busy-retry.js";
import { removeIfInterrupted } from "./signals.js";
import { readOwnFile, RefusedFileError } from "./own-files.js";
import { uniqueId } from "./unique.js";

/** How long to wait for a lock, and when a held one counts as abandoned. */
export interface LockOptions {
  /** Give up (StoreError) after waiting this long for another writer. Default 10 s. */
  timeoutMs?: number;
  /** A lock older than this is taken over even when its holder still runs. Default 30 s. */
  staleMs?: number;
  /** What the lock guards, for messages: "is still writing <label>". Default "the encrypted file". */
  label?: string;
}

/** What a lock file says about its holder. */
interface Holder {
  pid: number;
  host: string;
  time: number;
  token: string;
}

/** A lock file as seen at one moment: its raw content and identity, to compare before breaking it. */
interface Observed {
  raw: string;
  ino: number;
  mtimeMs: number;
  holder: Holder | undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a process of this pid runs on this host (anyone's). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return true;
  } catch (error) {
    return errnoOf(error) === "EPERM"; // it exists but belongs to someone else
  }
}

function parseHolder(raw: string): Holder | undefined {
  try {
    const value = JSON.parse(raw) as Partial<Holder>;
    const ok =
      typeof value.pid === "number" && typeof value.host === "string" && typeof value.time === "number" && typeof value.token === "string";
    return ok ? (value as Holder) : undefined;
  } catch {
    return undefined;
  }
}

/** A lock file's record is a line of JSON: anything larger is not one of ours. */
const MAX_LOCK_BYTES = 4096;

async function observe(lockPath: string): Promise<Observed | undefined> {
  try {
    const [bytes, info] = await Promise.all([readOwnFile(lockPath, MAX_LOCK_BYTES), stat(lockPath)]);
    if (bytes === undefined) return undefined; // released meanwhile
    const raw = bytes.toString("utf8");
    return { raw, ino: info.ino, mtimeMs: info.mtimeMs, holder: parseHolder(raw) };
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return undefined; // released meanwhile
    // A folder, a FIFO or a huge file where the lock goes is not a lock anyone can release.
    throw new StoreError(
      `cannot use the lock file ${lockPath}: ${error instanceof RefusedFileError ? `it ${error.message}` : errnoText(error)}`,
      {
        cause: error,
        hint: `if no cdcreds is running, remove ${lockPath}`,
      },
    );
  }
}

/** Clock granularity allowed between the holder's writing its time and this process's reading it. */
const CLOCK_SLACK_MS = 1000;

function isStale(lock: Observed, staleMs: number, now: number): boolean {
  // A time in the future (a clock set back, or a hostile file) would never grow old: it is stale.
  const time = lock.holder?.time ?? lock.mtimeMs;
  if (time > now + CLOCK_SLACK_MS) return true;
  // A holder writes its record right after creating the file, but a loaded machine can stretch
  // "right after" to seconds: an empty or unreadable lock only counts as stale by its age.
  if (lock.holder === undefined) return now - lock.mtimeMs > staleMs;
  // The pid only means something on this machine (the config directory may be shared over NFS).
  if (lock.holder.host === hostname() && !isAlive(lock.holder.pid)) return true;
  return now - lock.holder.time > staleMs;
}

/**
 * Removes a stale lock, unless someone replaced it meanwhile. Breakers take turns through a second
 * O_EXCL file: without it, a slow breaker could delete the fresh lock a faster one just created.
 */
async function breakStale(lockPath: string, stale: Observed): Promise<void> {
  const breaker = `${lockPath}.break`;
  try {
    await (await open(breaker, "wx", 0o600)).close();
  } catch (error) {
    if (errnoOf(error) !== "EEXIST") throw error;
    // Another process is breaking it; if that one died while doing so, clear its marker.
    const info = await stat(breaker).catch(() => undefined);
    if (info !== undefined && Date.now() - info.mtimeMs > 5000) await rm(breaker, { force: true });
    return;
  }
  try {
    const current = await observe(lockPath);
    if (current !== undefined && current.ino === stale.ino && current.raw === stale.raw) await rm(lockPath, { force: true });
  } finally {
    await rm(breaker, { force: true });
  }
}

/**
 * Takes the lock at lockPath, waiting with small random pauses while another process holds it, and
 * taking over a lock whose holder is dead or that is older than `staleMs`.
 * @returns a function that releases the lock (only if it is still ours).
 * @throws {StoreError} (exit 5) when the lock stays held for `timeoutMs`, or cannot be created.
 */
export async function acquireLock(lockPath: string, options: LockOptions = {}): Promise<() => Promise<void>> {
  const { timeoutMs = 10_000, staleMs = 30_000, label = "the encrypted file" } = options;
  const deadline = Date.now() + timeoutMs;
  const mine = JSON.stringify({ pid: process.pid, host: hostname(), time: Date.now(), token: uniqueId() } satisfies Holder);
  for (;;) {
    try {
      const handle = await open(lockPath, "wx", 0o600);
      const forget = removeIfInterrupted(lockPath); // a Ctrl-C while held must not leave it behind
      try {
        await handle.writeFile(mine);
      } catch (error) {
        await handle.close();
        await rm(lockPath, { force: true });
        forget();
        throw error;
      }
      await handle.close();
      removeIfInterrupted(lockPath, mine); // from now on, only while it still holds our record
      return async () => {
        // If it was taken over as stale meanwhile, the lock is someone else's now: leave it. On
        // Windows a scanner that opened the new file makes its removal fail for a moment: tried again.
        if ((await observe(lockPath))?.raw === mine) await retryWhileBusy(() => rm(lockPath, { force: true }), process.platform);
        forget();
      };
    } catch (error) {
      if (errnoOf(error) !== "EEXIST") {
        throw new StoreError(`cannot create the lock file ${lockPath}: ${errnoText(error)}`, { cause: error });
      }
    }
    const held = await observe(lockPath);
    if (held === undefined) continue;
    if (isStale(held, staleMs, Date.now())) {
      await breakStale(lockPath, held);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = held.holder === undefined ? "another process" : `process ${held.holder.pid} on ${held.holder.host}`;
      throw new StoreError(
        `${who} is still writing ${label} (lock ${basename(lockPath)} still held after ${Math.round(timeoutMs / 100) / 10} s)`,
        {
          hint: `try again; if no cdcreds is running, remove ${lockPath}`,
        },
      );
    }
    await sleep(5 + Math.random() * 45);
  }
}
