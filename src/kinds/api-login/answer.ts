// Pure classification of the token service's answers. No I/O here, so every kind of answer (a
// token, a rejection, a bot-protection page, a redirect, an outage) has a unit test that needs no server.
import { isEncodedBody } from "../../platform/http/request.js";
import type { Outcome } from "../../platform/http/retry.js";

/** What an answer of the token service means for the credentials. */
export type TokenStatus = Outcome<string>["status"];

/** The outcome of one attempt, before retries are counted: a token, or why there is none. */
export type AttemptOutcome = { status: "valid"; token: string } | Exclude<Outcome<string>, { status: "valid" }>;

/** Bodies larger than this are not a token answer (a token is 32 characters): reading stops there. */
export const MAX_BODY_BYTES = 64 * 1024;

// The success body: `<string xmlns="...Serialization/">TOKEN</string>`, perhaps after an XML
// declaration. Anchored on the whole body so a token-like run inside an HTML page never counts.
const TOKEN_BODY = /^\s*(?:<\?xml[^>]*\?>\s*)?<string(?:\s[^>]*)?>\s*([A-Za-z0-9]{16,256})\s*<\/string>\s*$/;

/** The bot-protection page Cdiscount is known to serve with a 200 instead of a token. */
const CHALLENGE_MARKER = "Welcome on Cdiscount STS";

/** The token in a success body, or undefined when the body holds none. */
export function parseToken(body: string): string | undefined {
  return TOKEN_BODY.exec(body.replace(/^\uFEFF/, ""))?.[1];
}

function describeBody(contentType: string | undefined, body: string): string {
  const trimmed = body.trim();
  if (trimmed === "") return "an empty body";
  if (body.includes(CHALLENGE_MARKER)) return `the bot-protection page "${CHALLENGE_MARKER}"`;
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === "text/html" || /^<(!doctype html|html)\b/i.test(trimmed)) return "an HTML page";
  if (type.endsWith("xml") || trimmed.startsWith("<")) return "an XML document without a token";
  return `a ${type === "" ? "body" : `${type} body`} without a token`;
}

/**
 * Classifies a complete HTTP answer (status, Content-Type, body read within the size cap):
 * 200 with a token is valid; 401/403 rejected; 429 and 5xx unreachable; everything else,
 * including a 200 without a token, a 200 with an encoded (compressed) body, and any redirect,
 * unexpected.
 */
export function classifyResponse(
  httpStatus: number,
  headers: { contentType?: string; contentEncoding?: string; location?: string; retryAfterMs?: number },
  body: string,
): AttemptOutcome {
  if (httpStatus === 200 && isEncodedBody(headers.contentEncoding)) {
    // Only a short, plain name is shown: the header could carry anything.
    const name = /^[a-z0-9-]{1,20}$/i.test(headers.contentEncoding!.trim()) ? headers.contentEncoding!.trim().toLowerCase() : "encoded";
    return { status: "unexpected", httpStatus, detail: `HTTP 200 with a ${name} body although identity was asked (not read)` };
  }
  if (httpStatus === 200) {
    const token = parseToken(body);
    if (token !== undefined) return { status: "valid", token };
    return { status: "unexpected", httpStatus, detail: `HTTP 200 with ${describeBody(headers.contentType, body)} instead of a token` };
  }
  if (httpStatus === 401 || httpStatus === 403) return { status: "rejected", httpStatus, detail: `HTTP ${httpStatus}` };
  if (httpStatus === 429 || httpStatus >= 500) {
    const outcome: AttemptOutcome = {
      status: "unreachable",
      httpStatus,
      detail: `HTTP ${httpStatus}${httpStatus === 429 ? " (too many requests)" : ""}`,
    };
    if (headers.retryAfterMs !== undefined) outcome.retryAfterMs = headers.retryAfterMs;
    return outcome;
  }
  if (httpStatus >= 300 && httpStatus < 400) {
    return { status: "unexpected", httpStatus, detail: `HTTP ${httpStatus} redirect${redirectTarget(headers.location)}, not followed` };
  }
  return { status: "unexpected", httpStatus, detail: `HTTP ${httpStatus}` };
}

// Only the host of a redirect target is shown: its path or query could carry anything.
const RELATIVE_BASE = "http://relative.invalid";
function redirectTarget(location: string | undefined): string {
  if (location === undefined || !URL.canParse(location, RELATIVE_BASE)) return "";
  const { host } = new URL(location, RELATIVE_BASE);
  return host === "relative.invalid" ? " on the same host" : ` to ${host}`;
}
