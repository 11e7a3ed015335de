// The token service client: one GET with HTTP Basic, classified by answer.ts, retried only when
// the service is unreachable. It never prints, prompts or exits: callers decide what to say.
import type { Dispatcher } from "undici";
import { RejectedError, ServiceError, type CdcredsError } from "../../errors.js";
import { describeNetworkError } from "../../platform/http/network-error.js";
import { dispatcherFromEnv } from "../../platform/http/proxy.js";
import { headerValue, sendOnce } from "../../platform/http/request.js";
import { parseRetryAfter, withRetries, type RetryProgress } from "../../platform/http/retry.js";
import { classifyResponse, MAX_BODY_BYTES, type AttemptOutcome, type TokenStatus } from "./answer.js";
import { isEncodedBody } from "../../platform/http/request.js";

/** The answer to a token request, after any retries. Never carries the password. */
export type TokenAnswer =
  | { status: "valid"; token: string; issuedAt: Date; attempts: number }
  | { status: Exclude<TokenStatus, "valid">; detail: string; httpStatus?: number; attempts: number };

/** Everything a token request needs; the network, clock and sleep are injectable. */
export interface TokenRequest {
  url: URL;
  apiLogin: string;
  password: string;
  /** Bound on each attempt: connection, proxy tunnel, headers and the whole body. */
  timeoutMs: number;
  /** Retries of the "unreachable" class after the first attempt. */
  retries: number;
  /** undici dispatcher for a proxy (see proxy.ts); without one, node:http(s) goes straight out. */
  dispatcher?: Dispatcher;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  onProgress?: (event: RetryProgress) => void;
}

/** `Basic base64(UTF-8 "login:password")`: UTF-8, not latin-1, so any password travels intact. */
export function basicAuthorization(apiLogin: string, password: string): string {
  return `Basic ${Buffer.from(`${apiLogin}:${password}`, "utf8").toString("base64")}`;
}

/**
 * Asks the token service for a token with the credentials, and classifies the answer. Retries
 * only the "unreachable" class, at most `retries` times, with backoff (a Retry-After up to 10 s
 * is honoured, a longer one ends the retries). A rejected password is sent once: repeated
 * failures can lock the account. Never throws for a service outcome; never follows a redirect.
 * @throws {UsageError} when a cleartext URL's host is not a loopback address.
 */
export async function requestToken(req: TokenRequest): Promise<TokenAnswer> {
  const now = req.now ?? (() => new Date());
  const authorization = basicAuthorization(req.apiLogin, req.password);
  const outcome = await withRetries(async () => {
    const attempt = await attemptOnce(req, authorization, now);
    return attempt.status === "valid" ? { status: "valid", value: attempt.token } : attempt;
  }, req);
  if (outcome.status === "valid") return { status: "valid", token: outcome.value, issuedAt: now(), attempts: outcome.attempts };
  const answer: TokenAnswer = { status: outcome.status, detail: outcome.detail, attempts: outcome.attempts };
  if (outcome.httpStatus !== undefined) answer.httpStatus = outcome.httpStatus;
  return answer;
}

/**
 * {@link requestToken} through the proxy the environment names, if any (see proxy.ts), which is
 * destroyed afterwards: destroyed, not closed, so a connection left hanging cannot hold the process.
 */
export async function requestTokenFromEnv(req: Omit<TokenRequest, "dispatcher">, processEnv: NodeJS.ProcessEnv): Promise<TokenAnswer> {
  const dispatcher = await dispatcherFromEnv(processEnv, req.url);
  try {
    return await requestToken({ ...req, dispatcher });
  } finally {
    await dispatcher?.destroy();
  }
}

async function attemptOnce(req: TokenRequest, authorization: string, now: () => Date): Promise<AttemptOutcome> {
  const answer = await sendOnce({
    url: req.url,
    method: "GET",
    headers: { authorization, accept: "text/plain, */*", "accept-encoding": "identity", "user-agent": "cdcreds" },
    timeoutMs: req.timeoutMs,
    dispatcher: req.dispatcher,
    // The body of an error or redirect says nothing the status does not, and an encoded one is
    // never decompressed (a gzip bomb would inflate without bound): both are dropped unread.
    readBody: (status, headers) => status === 200 && !isEncodedBody(headerValue(headers["content-encoding"])),
    maxBodyBytes: MAX_BODY_BYTES,
  });
  if ("error" in answer) return { status: "unreachable", detail: describeNetworkError(answer.error, answer.timedOut, req.timeoutMs) };
  if (answer.body === "too-large")
    return { status: "unreachable", httpStatus: 200, detail: `answer larger than ${MAX_BODY_BYTES / 1024} KiB` };
  const headers = {
    contentType: headerValue(answer.headers["content-type"]),
    contentEncoding: headerValue(answer.headers["content-encoding"]),
    location: headerValue(answer.headers.location),
    retryAfterMs: parseRetryAfter(headerValue(answer.headers["retry-after"]), now()),
  };
  return classifyResponse(answer.status, headers, answer.body?.toString("utf8") ?? "");
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
