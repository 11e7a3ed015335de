// The token service client: one GET with HTTP Basic, classified per SPEC section 2, retried only
// when the service is unreachable. It never prints, prompts or exits: callers decide what to say.
import type { IncomingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { RejectedError, ServiceError, UsageError, type CdcredsError } from "../../errors.js";
import {
  classifyResponse,
  describeNetworkError,
  isEncodedBody,
  MAX_BODY_BYTES,
  parseRetryAfter,
  type AttemptOutcome,
  type TokenStatus,
} from "./answer.js";
import { loopbackAddressOf } from "./endpoints.js";
import { dispatcherFromEnv, importUndici, TLS_ALWAYS_VERIFIED } from "../../platform/http/proxy.js";

/** The answer to a token request, after any retries. Never carries the password. */
export type TokenAnswer =
  | { status: "valid"; token: string; issuedAt: Date; attempts: number }
  | { status: Exclude<TokenStatus, "valid">; detail: string; httpStatus?: number; attempts: number };

/** A progress report: the start of an attempt, or (with `delayMs`) a retry about to wait. */
export interface TokenProgress {
  attempt: number;
  /** Set before a retry: how long the client waits first. */
  delayMs?: number;
  /** Set before a retry: why the attempt failed. */
  reason?: string;
  /** Set before a retry: how long the failed attempt took. */
  elapsedMs?: number;
}

/** Everything a token request needs; the network, clock and sleep are injectable. */
export interface TokenRequest {
  url: URL;
  apiLogin: string;
  password: string;
  /** Bound on each attempt: connection, headers and the whole body. */
  timeoutMs: number;
  /** Retries of the "unreachable" class after the first attempt. */
  retries: number;
  /** undici dispatcher for a proxy (see proxy.ts); without one, node:http(s) goes straight out. */
  dispatcher?: Dispatcher;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  onProgress?: (event: TokenProgress) => void;
}

/** Waits between retries: 500 ms, then 1.5 s, then 4.5 s... */
function backoffMs(retry: number): number {
  return 500 * 3 ** (retry - 1);
}

/** A Retry-After longer than this is not waited for: the answer is reported as it is. */
const MAX_RETRY_AFTER_MS = 10_000;

/** `Basic base64(UTF-8 "login:password")`, as SPEC section 2 requires (not latin-1). */
export function basicAuthorization(apiLogin: string, password: string): string {
  return `Basic ${Buffer.from(`${apiLogin}:${password}`, "utf8").toString("base64")}`;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Asks the token service for a token with the credentials, and classifies the answer. Retries
 * only the "unreachable" class, at most `retries` times, with backoff (a Retry-After up to 10 s
 * is honoured, a longer one ends the retries). A rejected password is sent once: repeated
 * failures can lock the account. Never throws for a service outcome; never follows a redirect.
 */
export async function requestToken(req: TokenRequest): Promise<TokenAnswer> {
  const sleep = req.sleep ?? defaultSleep;
  const now = req.now ?? (() => new Date());
  const authorization = basicAuthorization(req.apiLogin, req.password);
  for (let attempt = 1; ; attempt++) {
    req.onProgress?.({ attempt });
    const started = Date.now();
    const outcome = await attemptOnce(req, authorization, now);
    if (outcome.status === "valid") return { status: "valid", token: outcome.token, issuedAt: now(), attempts: attempt };
    const answer: TokenAnswer = { status: outcome.status, detail: outcome.detail, attempts: attempt };
    if (outcome.httpStatus !== undefined) answer.httpStatus = outcome.httpStatus;
    if (outcome.status !== "unreachable" || attempt > req.retries) return answer;
    if (outcome.retryAfterMs !== undefined && outcome.retryAfterMs > MAX_RETRY_AFTER_MS) {
      return { ...answer, detail: `${answer.detail}, asked to retry after ${Math.ceil(outcome.retryAfterMs / 1000)} s` };
    }
    const delayMs = Math.max(backoffMs(attempt), outcome.retryAfterMs ?? 0);
    req.onProgress?.({ attempt, delayMs, reason: outcome.detail, elapsedMs: Date.now() - started });
    await sleep(delayMs);
  }
}

/**
 * {@link requestToken} through the proxy the environment names, if any (see proxy.ts), which is
 * destroyed afterwards: destroyed, not closed, so a connection left hanging cannot hold the process.
 */
export async function requestTokenFromEnv(req: Omit<TokenRequest, "dispatcher">, env: NodeJS.ProcessEnv): Promise<TokenAnswer> {
  const dispatcher = await dispatcherFromEnv(env, req.url);
  try {
    return await requestToken({ ...req, dispatcher });
  } finally {
    await dispatcher?.destroy();
  }
}

/**
 * Where an attempt connects: for a cleartext `http:` URL, the loopback address its host resolves
 * to (checked, then used as is, so no later lookup can send the password elsewhere), with the
 * URL's own host kept for the Host header; an `https:` URL as it is.
 */
async function connectTarget(url: URL): Promise<{ url: URL; host: string }> {
  if (url.protocol !== "http:") return { url, host: url.host };
  const pinned = new URL(url);
  pinned.hostname = await loopbackAddressOf(url.hostname);
  return { url: pinned, host: url.host };
}

async function attemptOnce(req: TokenRequest, authorization: string, now: () => Date): Promise<AttemptOutcome> {
  // One deadline for the whole attempt: undici's headersTimeout/bodyTimeout only bound the gaps
  // between bytes, so a body trickling one byte a second would never time out without it; and its
  // proxy tunnel ignores the signal, so a proxy that never answers CONNECT is raced, not awaited.
  const deadline = new AbortController();
  let onDeadline = (): void => {};
  const expired = new Promise<never>((_resolve, reject) => (onDeadline = () => reject(new Error("deadline"))));
  expired.catch(() => {});
  const timer = setTimeout(() => {
    deadline.abort();
    onDeadline();
  }, req.timeoutMs);
  try {
    const target = await Promise.race([connectTarget(req.url), expired]);
    const headers = { host: target.host, authorization, accept: "text/plain, */*", "accept-encoding": "identity", "user-agent": "cdcreds" };
    const sent =
      req.dispatcher === undefined
        ? sendDirect(target.url, headers, deadline.signal)
        : sendThrough(req.dispatcher, target.url, headers, deadline.signal, req.timeoutMs);
    sent.then(
      (late) => {
        if (deadline.signal.aborted) discard(late.body); // an answer after the deadline is dropped
      },
      () => {},
    );
    const response = await Promise.race([sent, expired]);
    const answer = {
      contentType: headerValue(response.headers["content-type"]),
      contentEncoding: headerValue(response.headers["content-encoding"]),
      location: headerValue(response.headers.location),
      retryAfterMs: parseRetryAfter(headerValue(response.headers["retry-after"]), now()),
    };
    if (response.statusCode !== 200 || isEncodedBody(answer.contentEncoding)) {
      // The body of an error or redirect says nothing the status does not, and an encoded one is
      // never decompressed (a gzip bomb would inflate without bound): drop it unread.
      discard(response.body);
      return classifyResponse(response.statusCode, answer, "");
    }
    const body = await readCapped(response.body, MAX_BODY_BYTES);
    if (body === undefined) {
      return { status: "unreachable", httpStatus: 200, detail: `answer larger than ${MAX_BODY_BYTES / 1024} KiB` };
    }
    return classifyResponse(200, answer, body.toString("utf8"));
  } catch (error) {
    if (error instanceof UsageError) throw error; // a host that is not loopback: no retry can help
    return { status: "unreachable", detail: describeNetworkError(error, deadline.signal.aborted, req.timeoutMs) };
  } finally {
    clearTimeout(timer);
  }
}

/** A response as both transports give it: status, headers, and the body as a stream. */
interface Response {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Readable;
}

/**
 * Straight to the service with node:http(s): no redirect followed, no connection kept
 * (`agent: false`), so nothing lingers once the answer is in. TLS is verified explicitly:
 * `NODE_TLS_REJECT_UNAUTHORIZED=0` only changes Node's default, which this never uses.
 */
async function sendDirect(url: URL, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
  const { request } = url.protocol === "https:" ? await import("node:https") : await import("node:http");
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: "GET", headers, signal, agent: false, ...TLS_ALWAYS_VERIFIED }, (res) =>
      resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: res }),
    );
    outgoing.on("error", reject);
    outgoing.end();
  });
}

/** Through a proxy, with undici (loaded only then): its request() follows no redirect either. */
async function sendThrough(dispatcher: Dispatcher, url: URL, headers: Record<string, string>, signal: AbortSignal, timeoutMs: number): Promise<Response> {
  const { request } = await importUndici();
  const response = await request(url, { method: "GET", headers, signal, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, dispatcher });
  return { statusCode: response.statusCode, headers: response.headers, body: response.body };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

// A body emits an error when destroyed before its end: listen first, or it would crash.
function discard(body: Readable): void {
  body.on("error", () => {});
  body.destroy();
}

/** Reads the body, or resolves undefined (and stops reading) as soon as it exceeds `max` bytes. */
function readCapped(body: Readable, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on("error", reject);
    body.on("end", () => resolve(Buffer.concat(chunks)));
    body.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) {
        chunks.push(chunk);
        return;
      }
      body.removeAllListeners("data");
      body.removeAllListeners("end");
      body.destroy();
      resolve(undefined);
    });
  });
}

/**
 * The typed error for an answer that is not valid: {@link RejectedError} (exit 1) with the usual
 * causes as a hint, or {@link ServiceError} (exit 4) naming the host and the cause.
 * `apiLogin`, when given, prefixes the message.
 */
export function answerError(answer: Exclude<TokenAnswer, { status: "valid" }>, url: URL, apiLogin?: string): CdcredsError {
  if (answer.status === "rejected") {
    return new RejectedError(`${apiLogin === undefined ? "" : `${apiLogin}: `}credentials rejected by Cdiscount (${answer.detail})`, {
      hint: "check that the login ends in -api, that the password is the seller account's current one, and that the account is fully validated by Cdiscount",
    });
  }
  const subject = apiLogin === undefined ? "" : `cannot verify ${apiLogin}: `;
  const retried = answer.attempts > 1 ? ` (${answer.attempts} attempts)` : "";
  const what = answer.status === "unexpected" ? "answered unexpectedly" : "unreachable";
  return new ServiceError(`${subject}${url.host} ${what}: ${answer.detail}${retried}`);
}
