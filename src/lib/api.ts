// The library's calls to the Octopia seller API: what `cdcreds api` does, without a terminal. The
// token is the cached one every process shares; a 401 to it gets one new token and one more try;
// 429 and (for GET) 5xx are retried; an error status is an ApiError with the exit code the CLI uses.
import { apiErrorOf, isSuccess, openApiSession, parseHeader, sellerApiOf, type ApiCallSpec, type ApiResponse } from "../core/api.js";
import { chooseSeller, openAccount, sellerIdsOf } from "../core/credentials.js";
import { UsageError } from "../errors.js";
import { requestOf, type CredentialOptions } from "./credentials.js";

/** What to call, and for whom: the credential options, and the request. */
export interface ApiRequestOptions extends CredentialOptions {
  /** The seller the call acts for (`SellerId`): else the client's only one. */
  sellerId?: string;
  /** `SalesChannelId`, e.g. `CDISFR`. */
  salesChannel?: string;
  /** GET by default, POST with a body. */
  method?: string;
  /** Extra headers (never Authorization: cdcreds sets it). */
  headers?: Record<string, string>;
  /** Query parameters of a GET (or of a call with a body), else the fields of a JSON body. */
  fields?: Record<string, string>;
  /** The body: a string sent as it is, anything else as JSON. */
  body?: unknown;
}

/** An answer of the seller API. */
export interface ApiAnswer {
  /** The URL it answered. */
  url: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as received, as text. */
  body: string;
  /** The body parsed as JSON. @throws {SyntaxError} when it is not JSON. */
  json(): unknown;
}

/** A page of {@link apiPages}: an answer and its items (`items`, `data`, or the page itself when it is an array). */
export interface ApiPage extends ApiAnswer {
  items: unknown[] | undefined;
}

function answerOf(response: ApiResponse): ApiAnswer {
  const body = response.body.toString("utf8");
  return { url: response.url.href, status: response.status, headers: response.headers, body, json: () => JSON.parse(body) as unknown };
}

async function session(endpoint: string, options: ApiRequestOptions) {
  const { sellerId: asked, salesChannel, method, headers, fields, body, ...credentialOptions } = options;
  const request = await requestOf(credentialOptions);
  const { kind } = request;
  const sellers = sellerApiOf(kind);
  if (asked !== undefined) chooseSeller(kind, asked, []);
  const spec: ApiCallSpec = {
    endpoint,
    headers: Object.entries(headers ?? {}).map(([name, value]) => parseHeader(`${name}: ${value}`)),
    fields: Object.entries(fields ?? {}),
  };
  if (method !== undefined) spec.method = method;
  if (body !== undefined) spec.body = typeof body === "string" ? body : JSON.stringify(body);
  const opened = await openAccount(request);
  const sellerIds = sellerIdsOf(kind, opened, request.options, request.processEnv);
  const sellerId = chooseSeller(kind, asked, sellerIds);
  if (sellerId === undefined && sellerIds.length > 1) {
    throw new UsageError(`${opened.account} acts for several sellers (${sellerIds.join(", ")}): name one with sellerId`);
  }
  const api = await openApiSession({
    kind,
    options: request.options,
    processEnv: request.processEnv,
    opened,
    sellerId,
    ...(salesChannel === undefined ? {} : { salesChannel }),
  });
  return { api, spec, sellers };
}

/**
 * One call to the Octopia seller API with the account's cached token and seller headers.
 * @param endpoint a path under the API's base (`/orders?pageSize=100`), or a full URL under it.
 * @throws {ApiError} for an answer that is not a 2xx (`exitCode` 1 for 401/403, 4 for 429 and 5xx,
 *   6 for another 4xx; `status` and `body` as received); {UsageError} (2) for an endpoint outside
 *   the base or an account without a seller API; {ServiceError} (4) when the API is unreachable.
 */
export async function apiRequest(endpoint: string, options: ApiRequestOptions = {}): Promise<ApiAnswer> {
  const { api, spec } = await session(endpoint, options);
  try {
    const response = await api.send(spec);
    if (!isSuccess(response.status)) throw apiErrorOf(response);
    return answerOf(response);
  } finally {
    await api.close();
  }
}

/**
 * Every page of a list, each as it arrives, over one connection: the `Link` rel=next when the
 * answer has one, else the next `pageIndex` until a page is shorter than `pageSize`.
 * @throws as {@link apiRequest}, at the page that fails.
 */
export async function* apiPages(endpoint: string, options: ApiRequestOptions = {}): AsyncGenerator<ApiPage, void, undefined> {
  const { api, spec, sellers } = await session(endpoint, options);
  try {
    for await (const response of api.pages(spec)) {
      if (!isSuccess(response.status)) throw apiErrorOf(response);
      const answer = answerOf(response);
      yield { ...answer, items: sellers.pageItems(answer.body) };
    }
  } finally {
    await api.close();
  }
}
