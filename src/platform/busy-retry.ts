// On Windows another program holding a file open (an editor, a backup, an antivirus scanning what
// was just written, the search indexer) makes renaming over it fail with EPERM or EACCES, and
// opening it with EBUSY, until it lets go, usually within a second or two. Such a failure is tried
// again for a few seconds there. Elsewhere those errors are permissions and final at once.
import { errnoOf } from "../errors.js";

// Not node:timers/promises: own-files.ts is on the start-up path, where a module more is time.
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The codes a file held open by another program gives on Windows (ERROR_ACCESS_DENIED, ERROR_SHARING_VIOLATION). */
const BUSY_CODES: ReadonlySet<string | undefined> = new Set(["EPERM", "EACCES", "EBUSY"]);

/** Waits between tries, doubling up to a second: about 5 s in all, then the last failure stands. */
export const BUSY_RETRY_DELAYS_MS: readonly number[] = [10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000, 1000];

/** Whether `error` is worth trying again on `platform`: a file another program holds open, on Windows. */
export const isBusy = (error: unknown, platform: NodeJS.Platform): boolean => platform === "win32" && BUSY_CODES.has(errnoOf(error));

/**
 * Runs `operation`; on Windows, while it fails as a file held open by another program would
 * ({@link isBusy}), runs it again after each of `delays`. Any other failure, a failure on another
 * platform, or the failure after the last delay is thrown as it is.
 */
export async function retryWhileBusy<T>(
  operation: () => T | Promise<T>,
  platform: NodeJS.Platform,
  delays: readonly number[] = BUSY_RETRY_DELAYS_MS,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const delay = delays[attempt];
      if (delay === undefined || !isBusy(error, platform)) throw error;
      await sleep(delay);
    }
  }
}

/**
 * {@link retryWhileBusy} for a synchronous read on the start-up path (account-peek.ts), where an
 * asynchronous one would start libuv's thread pool: the waits block the thread.
 */
export function retryWhileBusySync<T>(operation: () => T, platform: NodeJS.Platform, delays: readonly number[] = BUSY_RETRY_DELAYS_MS): T {
  for (let attempt = 0; ; attempt++) {
    try {
      return operation();
    } catch (error) {
      const delay = delays[attempt];
      if (delay === undefined || !isBusy(error, platform)) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delay);
    }
  }
}
