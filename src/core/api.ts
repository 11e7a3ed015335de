// Calls to a kind's seller API with a stored account (`cdcreds api`, the library's apiRequest and
// apiPages): the endpoint checked to stay under the API's base, the cached token and the seller's
// headers on each request, one new token for a 401 to a cached one, and pages followed as the kind
// says. The HTTP client (one kept connection, retries, deadlines) is platform/http/api-client.ts.
import { ApiError, ServiceError, UsageError } from "../errors.js";
import type { CredentialKind } from "../kinds/types.js";
import { createApiClient, type ApiClient, type ApiExchange } from "../platform/http/api-client.js";
import { summarizeError } from "../platform/http/problem.js";
import { issueToken, type AccountRequest, type OpenAccount } from "./credentials.js";

/** What to send: an endpoint under the API's base, and what `-X`, `-H`, `-f` and `--input` add. */
export interface ApiCallSpec {
  /** A path under the base (`/orders?pageSize=100`, `offers`), or a full URL under it. */
  endpoint: string;
  /** GET by default, POST when a body is given. */
  method?: string;
  /** Extra headers (`-H`), which win over the defaults (Accept, Content-Type, SellerId...). */
  headers?: [string, string][];
  /** `key=value` pairs: query parameters of a GET (or a request with a body), else a JSON body's fields. */
  fields?: [string, string][];
  /** A body sent as it is (JSON unless a Content-Type header says otherwise). */
  body?: string;
}

/** An answer of the API: status, headers, the body as received, and the URL it answered. */
export interface ApiResponse {
  url: URL;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** True for a 2xx status. */
export const isSuccess = (status: number): boolean => status >= 200 && status < 300;

/** The base as a prefix: its path with one trailing slash. */
const basePrefix = (base: URL): string => `${base.origin}${base.pathname.replace(/\/+$/, "")}/`;

/** True when `url` is the base itself or under it: same scheme, host and port, path below the base's. */
function isUnderBase(url: URL, base: URL): boolean {
  if (url.username !== "" || url.password !== "") return false;
  const prefix = basePrefix(base);
  const href = `${url.origin}${url.pathname}`;
  return url.origin === base.origin && (href.startsWith(prefix) || `${href}/` === prefix);
}

/**
 * The URL of an endpoint: a path under the base (`/orders?pageSize=100`, `offers`: a leading slash
 * names the base's root, not the host's), or a full URL under the base.
 * @throws {UsageError} (exit 2) for another origin, a path that leaves the base (`..`), or
 *   credentials in the URL: nothing is sent.
 */
export function resolveEndpoint(base: URL, endpoint: string): URL {
  const trimmed = endpoint.trim();
  if (trimmed === "") throw new UsageError("the endpoint is empty", { hint: "cdcreds api /orders?pageSize=100" });
  const absolute = /^[A-Za-z][A-Za-z0-9+.-]*:/.test(trimmed);
  let url: URL;
  try {
    url = absolute ? new URL(trimmed) : new URL(`${basePrefix(base)}${trimmed.replace(/^\/+/, "")}`);
  } catch {
    throw new UsageError(`"${endpoint}" is not a valid endpoint`);
  }
  if (!isUnderBase(url, base)) {
    throw new UsageError(
      `${absolute ? `${url.origin}${url.pathname}` : `"${endpoint}"`} is not under the seller API's base ${basePrefix(base)}: nothing was sent`,
      {
        hint: "give a path under the base (/orders), or a full URL that starts with it; the token goes to no other address",
      },
    );
  }
  url.hash = "";
  return url;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * A `Name: value` header line, checked: a token name, and no line break or control character in
 * the value. Authorization and Host are cdcreds' own.
 * @throws {UsageError} (exit 2).
 */
export function parseHeader(line: string): [string, string] {
  const colon = line.indexOf(":");
  const name = colon < 0 ? "" : line.slice(0, colon).trim();
  const value = colon < 0 ? "" : line.slice(colon + 1).trim();
  if (!HEADER_NAME.test(name)) throw new UsageError(`-H: "${line.slice(0, 60)}" is not a "Name: value" header`);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) throw new UsageError(`-H ${name}: the value contains a control character`);
  const lower = name.toLowerCase();
  if (lower === "authorization" || lower === "host" || lower === "content-length" || lower === "transfer-encoding") {
    throw new UsageError(`-H ${name}: cdcreds sets this header itself`);
  }
  return [name, value];
}

/** A `key=value` pair of `-f`. @throws {UsageError} (exit 2) without `=` or with an empty key. */
export function parseField(text: string): [string, string] {
  const equals = text.indexOf("=");
  if (equals <= 0) throw new UsageError(`-f: "${text.slice(0, 60)}" is not key=value`);
  return [text.slice(0, equals), text.slice(equals + 1)];
}

/** The method, URL, headers (bar the token) and body of a call. @throws {UsageError} (exit 2). */
export function buildCall(
  base: URL,
  spec: ApiCallSpec,
  defaults: Record<string, string>,
): { url: URL; method: string; headers: Record<string, string>; body?: string } {
  const method = (spec.method ?? (spec.body === undefined ? "GET" : "POST")).toUpperCase();
  if (!/^[A-Z]{1,20}$/.test(method)) throw new UsageError(`-X: "${spec.method}" is not an HTTP method`);
  const url = resolveEndpoint(base, spec.endpoint);
  const fields = spec.fields ?? [];
  let body = spec.body;
  if (method === "GET" || method === "HEAD" || method === "DELETE" || body !== undefined) {
    for (const [key, value] of fields) url.searchParams.append(key, value);
  } else if (fields.length > 0) {
    body = JSON.stringify(Object.fromEntries(fields));
  }
  const headers: Record<string, string> = {
    accept: "application/json",
    "accept-encoding": "identity",
    "user-agent": "cdcreds",
    ...defaults,
    ...(body === undefined ? {} : { "content-type": "application/json" }),
  };
  for (const [name, value] of spec.headers ?? []) {
    for (const key of Object.keys(headers)) if (key.toLowerCase() === name.toLowerCase()) delete headers[key];
    headers[name] = value;
  }
  return body === undefined ? { url, method, headers } : { url, method, headers, body };
}

/** The typed error of an answer that is not a 2xx (its message one line: status, title, detail, field errors). */
export function apiErrorOf(response: ApiResponse): ApiError {
  const body = response.body.toString("utf8");
  const { status } = response;
  const summary = status >= 300 && status < 400 ? `HTTP ${status} redirect, not followed` : summarizeError(status, body);
  const hint =
    status === 401 || status === 403
      ? "the client may not call this endpoint, or not for this seller (--seller-id)"
      : status === 429
        ? "too many requests: wait, then retry (--retries waits longer)"
        : undefined;
  return new ApiError(summary, status, body, hint === undefined ? undefined : { hint });
}

/** What a session needs: the account, the kind, the options, and whom to tell about each exchange. */
export interface ApiSessionRequest extends Pick<AccountRequest, "kind" | "options" | "processEnv"> {
  opened: OpenAccount;
  sellerId: string | undefined;
  salesChannel?: string;
  /** Each token used, as soon as it is known (the CLI redacts it). */
  onToken?: (token: string) => void;
  onExchange?: (exchange: ApiExchange) => void;
  /** Told when a 401 made the session get a new token. */
  onNewToken?: () => void;
}

/** A run's calls to the API: one connection, one token (renewed once per request on a 401). */
export interface ApiSession {
  readonly base: URL;
  /** One call (retried as the client says); any status is an answer, a failure a {@link ServiceError}. */
  send(spec: ApiCallSpec): Promise<ApiResponse>;
  /** The pages of a GET, each as it arrives; the first answer that is not a 2xx ends them (it is yielded). */
  pages(spec: ApiCallSpec): AsyncGenerator<ApiResponse, void, undefined>;
  close(): Promise<void>;
}

/** The kind's seller API. @throws {UsageError} (exit 2) for a kind without one (api-login: the SOAP API). */
export function sellerApiOf(kind: CredentialKind): NonNullable<CredentialKind["sellers"]> {
  if (kind.sellers === undefined) {
    throw new UsageError(
      `this command calls the Octopia seller API: ${kind.id} accounts have no such API (the SOAP API takes a token, see cdcreds token)`,
      {
        hint: "name an Octopia client: --kind octopia, or --login CLIENT_ID",
      },
    );
  }
  return kind.sellers;
}

/**
 * Opens a session for an account: checks the kind has a seller API, builds the client. No request
 * is made until the first call.
 * @throws {UsageError} (exit 2) for an account without a seller API, or a bad sales channel.
 */
export async function openApiSession(request: ApiSessionRequest): Promise<ApiSession> {
  const { kind, options, processEnv, opened } = request;
  const sellers = sellerApiOf(kind);
  if (request.salesChannel !== undefined) {
    const problem = sellers.salesChannel.problem(request.salesChannel);
    if (problem !== undefined) throw new UsageError(`--sales-channel: ${problem}`);
  }
  const base = sellers.apiUrl(options.env, options.apiUrl);
  const client: ApiClient = await createApiClient(base, {
    timeoutMs: options.timeoutMs,
    retries: options.retries,
    proxyEnv: processEnv,
    onExchange: request.onExchange,
  });
  let current: { token: string; justIssued: boolean } | undefined;
  const token = async (refresh: boolean): Promise<string> => {
    const issued = await issueToken({ kind, options, processEnv }, opened, { refresh });
    request.onToken?.(issued.token);
    current = { token: issued.token, justIssued: !issued.fromCache };
    return issued.token;
  };
  const defaults: Record<string, string> = {
    ...(request.salesChannel === undefined ? {} : { [sellers.salesChannel.header]: request.salesChannel }),
  };

  async function sendCall(call: ReturnType<typeof buildCall>): Promise<ApiResponse> {
    for (let renewed = false; ; renewed = true) {
      const bearer = current?.token ?? (await token(false));
      // The seller's headers come from the kind; -H may replace SellerId, never Authorization.
      const { Authorization, ...seller } = sellers.headers(bearer, request.sellerId);
      const headers = { ...seller, ...call.headers, Authorization: Authorization! };
      const result = await client.send({ ...call, headers });
      if ("failure" in result) {
        const retried = result.attempts > 1 ? ` (${result.attempts} attempts)` : "";
        throw new ServiceError(`${call.method} ${call.url.pathname}: ${base.host} unreachable: ${result.failure}${retried}`);
      }
      const response: ApiResponse = { url: call.url, status: result.status, headers: result.headers, body: result.body };
      if (result.status !== 401 || renewed || current?.justIssued === true) {
        if (current !== undefined) current.justIssued = false;
        return response;
      }
      // A 401 to a cached token: it may have been revoked. One new token, one more try.
      request.onNewToken?.();
      await token(true);
    }
  }

  return {
    base,
    send: (spec) => sendCall(buildCall(base, spec, defaults)),
    async *pages(spec) {
      const first = buildCall(base, spec, defaults);
      if (first.method !== "GET") throw new UsageError(`--paginate is for GET requests, not ${first.method}`);
      const seen = new Set<string>();
      for (let call = first; ;) {
        seen.add(call.url.href);
        const response = await sendCall(call);
        yield response;
        if (!isSuccess(response.status)) return;
        const next = sellers.nextPage(call.url, response.headers.link, response.body.toString("utf8"));
        if (next === undefined || seen.has(next.href)) return;
        if (!isUnderBase(next, base)) {
          throw new ServiceError(`the next page's link leads out of the seller API (${next.origin}${next.pathname}): not followed`);
        }
        call = { ...call, url: next };
      }
    },
    close: () => client.close(),
  };
}
