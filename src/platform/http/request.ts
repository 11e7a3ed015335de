// One HTTP request to a credential service, as every kind sends it: no redirect followed, no
// connection kept, TLS always verified, one deadline for the whole attempt (proxy tunnel, headers
// and body), a capped body, and cleartext only to a checked loopback address.
import type { Agent, IncomingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { UsageError } from "../../errors.js";
import { loopbackAddressOf } from "./loopback.js";
import { importUndici, TLS_ALWAYS_VERIFIED } from "./proxy.js";

/** What to send. The body, if any, is sent as it is with the headers given. */
export interface HttpRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Bound on the whole attempt: connection, proxy tunnel, headers and the whole body. */
  timeoutMs: number;
  /** undici dispatcher for a proxy (see proxy.ts); without one, node:http(s) goes straight out. */
  dispatcher?: Dispatcher;
  /**
   * A node:http(s) agent that keeps its connection alive between requests (the seller API client's);
   * without one, no connection is kept. Unused with a dispatcher, which keeps its own.
   */
  agent?: Agent;
  /** Whether to read the body of an answer with this status and these headers; else it is dropped unread. */
  readBody: (status: number, headers: IncomingHttpHeaders) => boolean;
  /** Reading stops past this many bytes. */
  maxBodyBytes: number;
}

/** An answer: its status and headers, and its body when it was read (`"too-large"` past the cap). */
export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer | "too-large" | undefined;
  /** True when the request went over a connection an earlier request had opened (through an agent). */
  reusedConnection?: boolean;
}

/** A failed attempt: the error, and whether the deadline caused it. */
export interface HttpFailure {
  error: unknown;
  timedOut: boolean;
}

/**
 * True when a Content-Encoding header says the body is compressed (or otherwise encoded). The
 * client asks for `identity` and never decompresses: such a body is not read at all, so a small
 * gzip "bomb" can never inflate into memory, and it is never searched for a token.
 */
export function isEncodedBody(contentEncoding: string | undefined): boolean {
  const value = contentEncoding?.trim().toLowerCase() ?? "";
  return value !== "" && value !== "identity";
}

/** The first value of a header. */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Where an attempt connects: for a cleartext `http:` URL, the loopback address its host resolves
 * to (checked, then used as is, so no later lookup can send the credential elsewhere), with the
 * URL's own host kept for the Host header; an `https:` URL as it is.
 */
async function connectTarget(url: URL): Promise<{ url: URL; host: string }> {
  if (url.protocol !== "http:") return { url, host: url.host };
  const pinned = new URL(url);
  pinned.hostname = await loopbackAddressOf(url.hostname);
  return { url: pinned, host: url.host };
}

/**
 * Sends one request and resolves its answer, or the failure (network, TLS, DNS, proxy, deadline).
 * @throws {UsageError} (from loopbackAddressOf) when a cleartext URL's host is not loopback.
 */
export async function sendOnce(req: HttpRequest): Promise<HttpAnswer | HttpFailure> {
  // undici's headersTimeout/bodyTimeout only bound the gaps between bytes, so a body trickling one
  // byte a second would never time out without this deadline; and its proxy tunnel ignores the
  // signal, so a proxy that never answers CONNECT is raced, not awaited.
  const deadline = new AbortController();
  let onDeadline = (): void => {};
  const expired = new Promise<never>((_resolve, reject) => (onDeadline = () => reject(new Error("deadline"))));
  expired.catch(() => {});
  const timer = setTimeout(() => {
    deadline.abort();
    onDeadline();
  }, req.timeoutMs);
  let target: { url: URL; host: string };
  try {
    target = await Promise.race([connectTarget(req.url), expired]);
  } catch (error) {
    clearTimeout(timer);
    if (error instanceof UsageError) throw error;
    return { error, timedOut: deadline.signal.aborted };
  }
  try {
    const outgoing = { ...req, url: target.url, headers: { host: target.host, ...req.headers } };
    const sent =
      req.dispatcher === undefined ? sendDirect(outgoing, deadline.signal) : sendThrough(req.dispatcher, outgoing, deadline.signal);
    sent.then(
      (late) => {
        if (deadline.signal.aborted) discard(late.body); // an answer after the deadline is dropped
      },
      () => {},
    );
    const response = await Promise.race([sent, expired]);
    const reused = response.reused === undefined ? {} : { reusedConnection: response.reused };
    if (!req.readBody(response.statusCode, response.headers)) {
      discard(response.body);
      return { status: response.statusCode, headers: response.headers, body: undefined, ...reused };
    }
    const body = await readCapped(response.body, req.maxBodyBytes); // the deadline's signal ends a stalled body
    return { status: response.statusCode, headers: response.headers, body: body ?? "too-large", ...reused };
  } catch (error) {
    return { error, timedOut: deadline.signal.aborted };
  } finally {
    clearTimeout(timer);
  }
}

/** A response as both transports give it: status, headers, and the body as a stream. */
interface Response {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Readable;
  /** Whether an agent's kept connection carried it (node:http(s) only). */
  reused?: boolean;
}

/**
 * Straight to the service with node:http(s): no redirect followed, no connection kept
 * (`agent: false`) unless the caller brings a keep-alive agent, so nothing lingers once the answer
 * is in. TLS is verified explicitly:
 * `NODE_TLS_REJECT_UNAUTHORIZED=0` only changes Node's default, which this never uses.
 */
async function sendDirect(req: HttpRequest, signal: AbortSignal): Promise<Response> {
  const { request } = req.url.protocol === "https:" ? await import("node:https") : await import("node:http");
  return new Promise((resolve, reject) => {
    const agent = req.agent ?? false;
    const outgoing = request(req.url, { method: req.method, headers: req.headers, signal, agent, ...TLS_ALWAYS_VERIFIED }, (res) =>
      resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: res, reused: outgoing.reusedSocket }),
    );
    outgoing.on("error", reject);
    outgoing.end(req.body);
  });
}

/** Through a proxy, with undici (loaded only then): its request() follows no redirect either. */
async function sendThrough(dispatcher: Dispatcher, req: HttpRequest, signal: AbortSignal): Promise<Response> {
  const { request } = await importUndici();
  const { method, headers, body, timeoutMs } = req;
  const response = await request(req.url, { method, headers, body, signal, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, dispatcher });
  return { statusCode: response.statusCode, headers: response.headers, body: response.body };
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
