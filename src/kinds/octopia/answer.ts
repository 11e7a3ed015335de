// Pure classification of the answers of Octopia's token endpoint (a Keycloak server). No I/O here,
// so every kind of answer has a unit test that needs no server.
import type { Outcome } from "../../platform/http/retry.js";

/** A token as the endpoint issues it: the access token and how long it lives. */
export interface IssuedToken {
  token: string;
  expiresInSeconds: number;
}

/** The longest a token is taken to live: a longer `expires_in` is clamped to it (24 h). */
export const MAX_LIFETIME_SECONDS = 24 * 60 * 60;
// An `expires_in` outside these bounds is no token lifetime: the answer is refused. Under a second,
// a token would be expired by the time its caller has it (5e-324, 0.0001); beyond a year (1e308,
// Infinity from 1e400), the service is broken or hostile, and Date cannot even hold some of them.
const MIN_ISSUED_SECONDS = 1;
const MAX_ISSUED_SECONDS = 366 * 24 * 60 * 60;

/** Bodies larger than this are not a token answer: reading stops there. */
export const MAX_BODY_BYTES = 64 * 1024;

// A JWT: three base64url parts. Its content is never read: only Octopia's API needs to trust it.
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const MAX_TOKEN_LENGTH = 16 * 1024;

/** True for a string that can be an Octopia access token. */
export const isAccessToken = (token: string): boolean => token.length <= MAX_TOKEN_LENGTH && JWT.test(token);

/** Keycloak's OAuth2 error codes that mean the client ID or secret is wrong (both dialects). */
const REJECTING_ERRORS = new Set(["invalid_client", "unauthorized_client"]);

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** A short, plain error code from a Keycloak error body, for messages (never more than that). */
function errorCode(body: string): string | undefined {
  const value = (parseJson(body) as { error?: unknown } | undefined)?.error;
  return typeof value === "string" && /^[a-z_]{1,40}$/.test(value) ? value : undefined;
}

/**
 * Classifies an answer: 200 JSON with an `access_token` and an `expires_in` from 1 s to a year is
 * valid (its lifetime clamped to 24 h); 401, or 400 with `invalid_client`/`unauthorized_client`
 * (older Keycloak), is rejected; 429 and 5xx are unreachable; anything else (a 200 HTML page, other
 * JSON, a lifetime out of range, other 4xx, any redirect) unexpected.
 */
export function classifyAnswer(status: number, body: string, retryAfterMs?: number): Outcome<IssuedToken> {
  if (status === 200) {
    const value = parseJson(body) as { access_token?: unknown; expires_in?: unknown } | undefined;
    const token = value?.access_token;
    const expires = value?.expires_in;
    if (typeof token === "string" && isAccessToken(token)) {
      // NaN and Infinity fail both comparisons.
      if (typeof expires === "number" && expires >= MIN_ISSUED_SECONDS && expires <= MAX_ISSUED_SECONDS)
        return { status: "valid", value: { token, expiresInSeconds: Math.min(expires, MAX_LIFETIME_SECONDS) } };
      return {
        status: "unexpected",
        httpStatus: 200,
        detail: `HTTP 200 with a token whose expires_in is not a lifetime from ${MIN_ISSUED_SECONDS} s to ${MAX_ISSUED_SECONDS / 86_400} days`,
      };
    }
    const what = value === undefined ? (/^\s*</.test(body) ? "an HTML page" : "a body that is not JSON") : "JSON without an access token";
    return { status: "unexpected", httpStatus: 200, detail: `HTTP 200 with ${what} instead of a token` };
  }
  const code = errorCode(body);
  const detail = `HTTP ${status}${code === undefined ? "" : ` ${code}`}`;
  if (status === 401 || (status === 400 && code !== undefined && REJECTING_ERRORS.has(code)))
    return { status: "rejected", httpStatus: status, detail };
  if (status === 429 || status >= 500) {
    const outcome: Outcome<IssuedToken> = {
      status: "unreachable",
      httpStatus: status,
      detail: `${detail}${status === 429 ? " (too many requests)" : ""}`,
    };
    if (retryAfterMs !== undefined) outcome.retryAfterMs = retryAfterMs;
    return outcome;
  }
  if (status >= 300 && status < 400) return { status: "unexpected", httpStatus: status, detail: `HTTP ${status} redirect, not followed` };
  return { status: "unexpected", httpStatus: status, detail };
}
