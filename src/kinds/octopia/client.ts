// The Octopia token client: OAuth2 client credentials, one form-encoded POST, classified by
// answer.ts, retried only when the service is unreachable (429 with Retry-After, 5xx, timeouts).
// A rejected secret is sent once. It never prints, prompts or exits.
import { describeNetworkError } from "../../platform/http/network-error.js";
import { dispatcherFromEnv } from "../../platform/http/proxy.js";
import { headerValue, isEncodedBody, sendOnce } from "../../platform/http/request.js";
import { parseRetryAfter, withRetries, type Outcome } from "../../platform/http/retry.js";
import type { Credentials, TokenAnswer, TokenRequestOptions } from "../types.js";
import { classifyAnswer, MAX_BODY_BYTES, type IssuedToken } from "./answer.js";
import { tokenUrl } from "./endpoints.js";

/** The request body: `grant_type=client_credentials`, the client ID and secret, form-encoded UTF-8. */
function tokenRequestBody({ account, secret }: Credentials): string {
  return new URLSearchParams({ grant_type: "client_credentials", client_id: account, client_secret: secret }).toString();
}

async function attemptOnce(url: URL, body: string, options: TokenRequestOptions, now: () => Date): Promise<Outcome<IssuedToken>> {
  const answer = await sendOnce({
    url,
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded; charset=utf-8",
      accept: "application/json",
      "accept-encoding": "identity",
      "user-agent": "cdcreds",
    },
    body,
    timeoutMs: options.timeoutMs,
    dispatcher: options.dispatcher,
    // A token or a Keycloak error says what it is in its JSON body; an encoded one is never read.
    readBody: (status, headers) =>
      (status === 200 || status === 400 || status === 401) && !isEncodedBody(headerValue(headers["content-encoding"])),
    maxBodyBytes: MAX_BODY_BYTES,
  });
  if ("error" in answer) return { status: "unreachable", detail: describeNetworkError(answer.error, answer.timedOut, options.timeoutMs) };
  if (answer.body === "too-large")
    return { status: "unreachable", httpStatus: answer.status, detail: `answer larger than ${MAX_BODY_BYTES / 1024} KiB` };
  if (answer.status === 200 && answer.body === undefined)
    return { status: "unexpected", httpStatus: 200, detail: "HTTP 200 with an encoded body (not read)" };
  return classifyAnswer(
    answer.status,
    answer.body?.toString("utf8") ?? "",
    parseRetryAfter(headerValue(answer.headers["retry-after"]), now()),
  );
}

/** Asks Octopia's token endpoint for an access token; never throws for a service outcome. */
export async function requestAccessToken(credentials: Credentials, options: TokenRequestOptions): Promise<TokenAnswer> {
  const now = options.now ?? (() => new Date());
  const url = tokenUrl(options.env, options.authUrl);
  const body = tokenRequestBody(credentials);
  // A caller's dispatcher is the caller's to close; one made from the environment is closed here.
  const dispatcher = options.dispatcher ?? (await dispatcherFromEnv(options.proxyEnv, url));
  try {
    const outcome = await withRetries(() => attemptOnce(url, body, { ...options, dispatcher }, now), options);
    if (outcome.status !== "valid") {
      const { status, detail, httpStatus, attempts } = outcome;
      return httpStatus === undefined ? { status, detail, attempts } : { status, detail, httpStatus, attempts };
    }
    const issuedAt = now();
    return {
      status: "valid",
      token: outcome.value.token,
      issuedAt,
      expiresAt: new Date(issuedAt.getTime() + outcome.value.expiresInSeconds * 1000),
      attempts: outcome.attempts,
    };
  } finally {
    if (options.dispatcher === undefined) await dispatcher?.destroy();
  }
}
