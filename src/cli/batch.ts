// What the commands that work on many accounts at once share (`verify --all`, `import`): a bounded
// number of checks in flight, and one exit status for the whole batch.
import { ExitCode, UsageError } from "../errors.js";

/** Checks in flight by default: enough to hide the service's latency, few enough for its rate limits. */
const DEFAULT_JOBS = 4;
const MAX_JOBS = 32;

/**
 * The `--jobs` value: an integer from 1 to 32, default 4.
 * @throws {UsageError} (exit 2) for anything else.
 */
export function parseJobs(value: string | undefined): number {
  if (value === undefined) return DEFAULT_JOBS;
  const jobs = Number(value);
  if (!/^\d+$/.test(value) || jobs < 1 || jobs > MAX_JOBS) {
    throw new UsageError(`--jobs must be a whole number from 1 to ${MAX_JOBS}, not "${value}"`);
  }
  return jobs;
}

/** Runs `work` on every item, at most `jobs` at a time; the results keep the items' order. */
export async function eachLimited<T, R>(items: readonly T[], jobs: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
  return results;
}

/**
 * One exit status for a batch, by what a script most needs to act on: a rejected account (1: a
 * seller changed a password), then a store that failed (5), then a service that could not answer
 * (4), then any other failure; 0 when all went well.
 */
export function batchExitCode(codes: readonly number[]): number {
  for (const code of [ExitCode.Rejected, ExitCode.Store, ExitCode.Service]) if (codes.includes(code)) return code;
  return codes.find((code) => code !== ExitCode.Ok) ?? ExitCode.Ok;
}
