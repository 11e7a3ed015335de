// The retry policy every credential service shares: a rejected credential is never sent again
// (repeated failures can lock an account); only "unreachable" is retried, with backoff, and a
// Retry-After up to 10 s is honoured (a longer one is reported at once).

/** The outcome of one attempt, as a kind classifies it. */
export type Outcome<T> =
  | { status: "valid"; value: T }
  | {
      status: "rejected" | "unexpected" | "unreachable";
      /** A short cause, safe to print: never a secret. */
      detail: string;
      httpStatus?: number;
      /** From a Retry-After header, when the service sent one. */
      retryAfterMs?: number;
    };

/** A progress report: the start of an attempt, or (with `delayMs`) a retry about to wait. */
export interface RetryProgress {
  attempt: number;
  /** Set before a retry: how long the client waits first. */
  delayMs?: number;
  /** Set before a retry: why the attempt failed. */
  reason?: string;
  /** Set before a retry: how long the failed attempt took. */
  elapsedMs?: number;
}

/** How many retries, how to wait, and whom to tell. */
export interface RetryOptions {
  /** Retries of the "unreachable" class after the first attempt. */
  retries: number;
  sleep?: (ms: number) => Promise<void>;
  onProgress?: (event: RetryProgress) => void;
}

/** A Retry-After longer than this is not waited for: the answer is reported as it is. */
const MAX_RETRY_AFTER_MS = 10_000;

/** Waits between retries: 500 ms, then 1.5 s, then 4.5 s... */
const backoffMs = (retry: number): number => 500 * 3 ** (retry - 1);

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `attempt` until it is not "unreachable", or the retries are used up; adds the attempt count. */
export async function withRetries<T>(
  attempt: () => Promise<Outcome<T>>,
  options: RetryOptions,
): Promise<Outcome<T> & { attempts: number }> {
  const sleep = options.sleep ?? defaultSleep;
  for (let n = 1; ; n++) {
    options.onProgress?.({ attempt: n });
    const started = Date.now();
    const outcome = await attempt();
    if (outcome.status !== "unreachable" || n > options.retries) return { ...outcome, attempts: n };
    if (outcome.retryAfterMs !== undefined && outcome.retryAfterMs > MAX_RETRY_AFTER_MS) {
      return { ...outcome, detail: `${outcome.detail}, asked to retry after ${Math.ceil(outcome.retryAfterMs / 1000)} s`, attempts: n };
    }
    const delayMs = Math.max(backoffMs(n), outcome.retryAfterMs ?? 0);
    options.onProgress?.({ attempt: n, delayMs, reason: outcome.detail, elapsedMs: Date.now() - started });
    await sleep(delayMs);
  }
}

/**
 * Parses a Retry-After header (delay in seconds, or an HTTP date) into milliseconds from `now`;
 * undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now.getTime());
}
