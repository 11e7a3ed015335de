// The Octopia seller API's cheapest call, `GET /seller/v2/sellers` with a `SellerId` header: it
// says whether a client's token may act for a seller. Retried like the token request, only when
// the API is unreachable (429 with Retry-After, 5xx, timeouts); a redirect is never followed.
import { RejectedError, ServiceError, type CdcredsError } from "../../errors.js";
import { describeNetworkError } from "../../platform/http/network-error.js";
import { dispatcherFromEnv } from "../../platform/http/proxy.js";
import { headerValue, sendOnce } from "../../platform/http/request.js";
import { parseRetryAfter, withRetries, type Outcome } from "../../platform/http/retry.js";
import type { SellerAnswer, TokenRequestOptions } from "../types.js";
import { apiUrl } from "./endpoints.js";

// Octopia's seller IDs are numbers; letters, `-`, `_` and `.` are allowed in case others appear.
// Nothing that could break out of an HTTP header.
const SELLER_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Why `id` cannot be a seller ID, or undefined when it can. */
export const sellerIdProblem = (id: string): string | undefined =>
  SELLER_ID.test(id) ? undefined : `"${id}" is not a seller ID (1 to 64 letters, digits, ".", "_" or "-")`;

// Octopia's sales channels are short codes (`CDISFR`); nothing that could break out of a header.
const SALES_CHANNEL = /^[A-Za-z0-9._-]{1,64}$/;

/** Why `id` cannot be a sales channel ID, or undefined when it can. */
export const salesChannelProblem = (id: string): string | undefined =>
  SALES_CHANNEL.test(id) ? undefined : `"${id}" is not a sales channel ID (1 to 64 letters, digits, ".", "_" or "-")`;

/** The headers of a seller API call: the token, and the seller it acts for when one is named. */
export const sellerHeaders = (token: string, sellerId: string | undefined): Record<string, string> => ({
  Authorization: `Bearer ${token}`,
  ...(sellerId === undefined ? {} : { SellerId: sellerId }),
});

const sellersUrl = (base: URL): URL => {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/sellers`;
  return url;
};

/** Classifies an answer of `GET /sellers`. A 401 just after a new token was issued means "not for this seller". */
function classifySellerAnswer(status: number, retryAfterMs?: number): Outcome<null> {
  if (status >= 200 && status < 300) return { status: "valid", value: null };
  // "rejected": never retried. A 404 (no such seller) is told apart by its status.
  if (status === 403 || status === 401 || status === 404) return { status: "rejected", httpStatus: status, detail: `HTTP ${status}` };
  if (status === 429 || status >= 500) {
    const detail = `HTTP ${status}${status === 429 ? " (too many requests)" : ""}`;
    return retryAfterMs === undefined
      ? { status: "unreachable", httpStatus: status, detail }
      : { status: "unreachable", httpStatus: status, detail, retryAfterMs };
  }
  if (status >= 300 && status < 400) return { status: "unexpected", httpStatus: status, detail: `HTTP ${status} redirect, not followed` };
  return { status: "unexpected", httpStatus: status, detail: `HTTP ${status}` };
}

/** `GET /sellers` for `token` acting for `sellerId`; a 200's body is read up to `maxBodyBytes` (0: not read). */
function sellersGet(
  url: URL,
  token: string,
  sellerId: string,
  timeoutMs: number,
  dispatcher: Parameters<typeof sendOnce>[0]["dispatcher"],
  maxBodyBytes: number,
): Parameters<typeof sendOnce>[0] {
  const headers = { ...sellerHeaders(token, sellerId), accept: "application/json", "accept-encoding": "identity", "user-agent": "cdcreds" };
  return { url, method: "GET", headers, timeoutMs, dispatcher, readBody: (status) => maxBodyBytes > 0 && status === 200, maxBodyBytes };
}

/** Asks the seller API whether `token` may act for `sellerId`; never throws for a service outcome. */
export async function checkSeller(token: string, sellerId: string, options: TokenRequestOptions): Promise<SellerAnswer> {
  const url = sellersUrl(apiUrl(options.env, options.apiUrl));
  const now = options.now ?? (() => new Date());
  const dispatcher = options.dispatcher ?? (await dispatcherFromEnv(options.proxyEnv, url));
  try {
    const outcome = await withRetries(async () => {
      // The status says it all: the list itself is not needed.
      const answer = await sendOnce(sellersGet(url, token, sellerId, options.timeoutMs, dispatcher, 0));
      if ("error" in answer)
        return { status: "unreachable", detail: describeNetworkError(answer.error, answer.timedOut, options.timeoutMs) };
      return classifySellerAnswer(answer.status, parseRetryAfter(headerValue(answer.headers["retry-after"]), now()));
    }, options);
    const { attempts } = outcome;
    if (outcome.status === "valid") return { status: "valid", attempts };
    const { detail, httpStatus } = outcome;
    const status = outcome.status !== "rejected" ? outcome.status : httpStatus === 404 ? "seller-unknown" : "seller-denied";
    return httpStatus === undefined ? { status, detail, attempts } : { status, detail, httpStatus, attempts };
  } finally {
    if (options.dispatcher === undefined) await dispatcher?.destroy();
  }
}

/** The typed error of a seller check that failed: exit 1 for a denied or unknown seller, else 4. */
export function sellerError(
  answer: Exclude<SellerAnswer, { status: "valid" }>,
  url: URL,
  clientId: string,
  sellerId: string,
): CdcredsError {
  switch (answer.status) {
    case "seller-denied":
      return new RejectedError(`${clientId}: not allowed to act for seller ${sellerId} (${answer.detail})`, {
        hint: "the seller must authorise this client on the seller portal, or the seller ID is another account's",
      });
    case "seller-unknown":
      return new RejectedError(`${clientId}: Octopia knows no seller ${sellerId} (${answer.detail})`, {
        hint: "check the seller ID; an account Octopia has not validated yet has none",
      });
    default: {
      const retried = answer.attempts > 1 ? ` (${answer.attempts} attempts)` : "";
      return new ServiceError(
        `cannot check seller ${sellerId} for ${clientId}: ${url.host} ${answer.status === "unexpected" ? "answered unexpectedly" : "unreachable"}: ${answer.detail}${retried}`,
      );
    }
  }
}

/** The largest `GET /sellers` answer read for a seller's login. */
const MAX_SELLER_ANSWER = 256 * 1024;

/** The `login` of `sellerId` in a `GET /sellers` answer (`{items: [...]}`, an array, or one seller). */
function loginInAnswer(json: unknown, sellerId: string): string | undefined {
  const list: unknown[] = Array.isArray(json)
    ? json
    : typeof json === "object" && json !== null && Array.isArray((json as { items?: unknown }).items)
      ? (json as { items: unknown[] }).items
      : [json];
  const sellers = list.filter((s): s is Record<string, unknown> => typeof s === "object" && s !== null);
  const idOf = (s: Record<string, unknown>): unknown => s.sellerId ?? s.id;
  const own =
    sellers.find((s) => {
      const id = idOf(s);
      return (typeof id === "string" || typeof id === "number") && String(id) === sellerId;
    }) ?? (sellers.length === 1 ? sellers[0] : undefined);
  const login = own?.login;
  return typeof login === "string" && login !== "" ? login : undefined;
}

/**
 * The seller's login as `GET /sellers` names it for a seller the token may act for (one request,
 * not retried: the check just before passed); undefined when the answer cannot be read or names none.
 */
export async function sellerLogin(token: string, sellerId: string, options: TokenRequestOptions): Promise<string | undefined> {
  const url = sellersUrl(apiUrl(options.env, options.apiUrl));
  const dispatcher = options.dispatcher ?? (await dispatcherFromEnv(options.proxyEnv, url));
  try {
    const answer = await sendOnce(sellersGet(url, token, sellerId, options.timeoutMs, dispatcher, MAX_SELLER_ANSWER));
    if ("error" in answer || !Buffer.isBuffer(answer.body)) return undefined;
    return loginInAnswer(JSON.parse(answer.body.toString("utf8")), sellerId);
  } catch {
    return undefined; // not JSON: the login is unknown, which the caller says
  } finally {
    if (options.dispatcher === undefined) await dispatcher?.destroy();
  }
}
