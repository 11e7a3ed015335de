// A small HTTP client for a JSON API: one kept-alive connection for a whole run (node:http(s)
// agent, or the proxy's undici dispatcher), the rules of request.ts for every attempt (TLS always
// verified, cleartext only to a checked loopback address, no redirect followed, one deadline per
// attempt, a capped body), and retries: 429 and connection failures with backoff and jitter (a
// Retry-After up to 60 s honoured), 5xx and timeouts for GET and HEAD only.
import type { Agent } from "node:http";
import type { Dispatcher } from "undici";
import { describeNetworkError } from "./network-error.js";
import { dispatcherFromEnv, TLS_ALWAYS_VERIFIED } from "./proxy.js";
import { headerValue, sendOnce, type HttpAnswer } from "./request.js";
import { parseRetryAfter } from "./retry.js";

/** A page of a seller API is larger than a token answer: reading stops past this. */
const MAX_API_BODY_BYTES = 64 * 1024 * 1024;

/** A Retry-After longer than this is not waited for: the answer is reported as it is. */
const MAX_API_RETRY_AFTER_MS = 60_000;

/** One request: the URL (already checked to be under the API's base), method, headers and body. */
interface ApiCall {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** One attempt, for `--debug`: never a header, so never the token. */
export interface ApiExchange {
  method: string;
  url: URL;
  attempt: number;
  /** The status, or why there was none. */
  status: number | string;
  elapsedMs: number;
  /** True, false, or undefined when the transport does not say (a proxy's dispatcher). */
  reusedConnection: boolean | undefined;
  /** Set when another attempt follows, after this wait. */
  retryInMs?: number;
}

/** The answer that ended the attempts (any status), or the failure that did. */
type ApiResult =
  | { status: number; headers: HttpAnswer["headers"]; body: Buffer; attempts: number }
  | { failure: string; attempts: number; status?: number };

export interface ApiClientOptions {
  timeoutMs: number;
  /** Retries after the first attempt, for the answers that may be retried. */
  retries: number;
  /** Where proxy variables are read. */
  proxyEnv: NodeJS.ProcessEnv;
  /** A caller's own undici dispatcher: the caller closes it. */
  dispatcher?: Dispatcher;
  sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1): the jitter of each wait. */
  random?: () => number;
  now?: () => Date;
  onExchange?: (exchange: ApiExchange) => void;
}

export interface ApiClient {
  send(call: ApiCall): Promise<ApiResult>;
  /** Closes the kept connection (and a proxy dispatcher made here). */
  close(): Promise<void>;
}

const IDEMPOTENT = new Set(["GET", "HEAD"]);

/** Waits before retry n (1, 2, ...): 500 ms, 1.5 s, 4.5 s..., each between half and all of it. */
export function backoffWithJitterMs(retry: number, random: number): number {
  const base = 500 * 3 ** (retry - 1);
  return Math.round(base / 2 + (base / 2) * random);
}

/** Whether a failed attempt (no answer) may be sent again: a refused connection never reached the server. */
function mayResend(method: string, error: unknown, timedOut: boolean): boolean {
  if (IDEMPOTENT.has(method)) return true;
  if (timedOut) return false;
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN";
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A client for the API at `base`'s origin: every call of a run goes over one kept-alive
 * connection (or through the proxy the environment names for that origin).
 * @throws {UsageError} (exit 2) when a proxy variable is not a URL.
 */
export async function createApiClient(base: URL, options: ApiClientOptions): Promise<ApiClient> {
  const dispatcher = options.dispatcher ?? (await dispatcherFromEnv(options.proxyEnv, base));
  let agent: Agent | undefined;
  if (dispatcher === undefined) {
    const { Agent: AgentClass } = base.protocol === "https:" ? await import("node:https") : await import("node:http");
    agent = new AgentClass({ keepAlive: true, maxSockets: 1, ...TLS_ALWAYS_VERIFIED });
  }
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const now = options.now ?? (() => new Date());

  async function send(call: ApiCall): Promise<ApiResult> {
    const method = call.method.toUpperCase();
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      const answer = await sendOnce({
        url: call.url,
        method,
        headers: call.headers,
        body: call.body,
        timeoutMs: options.timeoutMs,
        dispatcher,
        agent,
        readBody: () => true,
        maxBodyBytes: MAX_API_BODY_BYTES,
      });
      const elapsedMs = Math.round(performance.now() - started);
      const last = attempt > options.retries;
      let result: ApiResult;
      let retryInMs: number | undefined;
      if ("error" in answer) {
        const failure = describeNetworkError(answer.error, answer.timedOut, options.timeoutMs);
        result = { failure, attempts: attempt };
        if (!last && mayResend(method, answer.error, answer.timedOut)) retryInMs = backoffWithJitterMs(attempt, random());
      } else if (answer.body === "too-large") {
        result = { failure: `answer larger than ${MAX_API_BODY_BYTES / 1024 / 1024} MiB`, status: answer.status, attempts: attempt };
      } else {
        result = { status: answer.status, headers: answer.headers, body: answer.body ?? Buffer.alloc(0), attempts: attempt };
        const retryable = answer.status === 429 || (answer.status >= 500 && IDEMPOTENT.has(method));
        if (retryable && !last) {
          const asked = parseRetryAfter(headerValue(answer.headers["retry-after"]), now());
          if (asked === undefined || asked <= MAX_API_RETRY_AFTER_MS)
            retryInMs = Math.max(backoffWithJitterMs(attempt, random()), asked ?? 0);
        }
      }
      options.onExchange?.({
        method,
        url: call.url,
        attempt,
        status: "failure" in result ? result.failure : result.status,
        elapsedMs,
        reusedConnection: "error" in answer ? undefined : answer.reusedConnection,
        ...(retryInMs === undefined ? {} : { retryInMs }),
      });
      if (retryInMs === undefined) return result;
      await sleep(retryInMs);
    }
  }

  return {
    send,
    close: async () => {
      agent?.destroy();
      if (options.dispatcher === undefined) await dispatcher?.destroy();
    },
  };
}
