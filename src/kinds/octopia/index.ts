// The `octopia` kind: an Octopia seller API client (client ID and secret, OAuth2 client
// credentials against Octopia's Keycloak), whose tokens live as long as `expires_in` says.
import { RejectedError, ServiceError } from "../../errors.js";
import type { CredentialKind } from "../types.js";
import { isAccessToken, MAX_LIFETIME_SECONDS } from "./answer.js";
import { requestAccessToken } from "./client.js";
import { API_URLS, apiUrl, TOKEN_URLS, tokenUrl } from "./endpoints.js";
import { clientIdOf, clientIdProblem } from "./names.js";
import { nextPage, pageItems } from "./paging.js";
import { checkSeller, salesChannelProblem, sellerError, sellerHeaders, sellerIdProblem, sellerLogin } from "./sellers.js";

export const kind: CredentialKind = {
  id: "octopia",
  serviceName: "Octopia",
  accountNoun: "client ID",
  prompts: { account: "Client ID", secret: "Client secret" },
  accountName: clientIdOf,
  storedNameProblem: (name) => clientIdProblem(name) ?? (name === name.trim() ? undefined : "the client ID has surrounding spaces"),
  secretService: (env) => `cdcreds-octopia:${env}`,
  tokenService: (env) => `cdcreds-octopia-token:${env}`,
  variables: {
    account: "OCTOPIA_CLIENT_ID",
    secret: "OCTOPIA_CLIENT_SECRET",
    token: "OCTOPIA_ACCESS_TOKEN",
    tokenExpiresAt: "OCTOPIA_TOKEN_EXPIRES_AT",
  },
  // Seen: 300 s and 7200 s; a longer expires_in is clamped to a day (answer.ts). An expiry further
  // than a day ahead was not written by cdcreds.
  maxTokenLifetimeMs: MAX_LIFETIME_SECONDS * 1000,
  // Lifetimes vary (300 s, 7200 s): a token is renewed with a tenth of its life left, or a minute.
  minRemainingMs: 60 * 1000,
  minRemainingShare: 0.1,
  tokenMethod: "POST",
  jsonKeys: { account: "clientId", secret: "clientSecret" },
  sellers: {
    variable: "OCTOPIA_SELLER_ID",
    idProblem: sellerIdProblem,
    apiUrl,
    serviceHosts: Object.values(API_URLS).map((url) => new URL(url).hostname),
    check: checkSeller,
    login: sellerLogin,
    headers: sellerHeaders,
    answerError: sellerError,
    salesChannel: { header: "SalesChannelId", problem: salesChannelProblem },
    nextPage,
    pageItems,
  },
  isToken: isAccessToken,
  serviceHosts: Object.values(TOKEN_URLS).map((url) => new URL(url).hostname),
  tokenUrl,
  requestToken: requestAccessToken,
  answerError(answer, url, account) {
    if (answer.status === "rejected") {
      return new RejectedError(`${account === undefined ? "" : `${account}: `}client ID or secret rejected by Octopia (${answer.detail})`, {
        hint: 'check both on the seller portal\'s "API Credentials Management" page; the secret is shown only once: if it was not saved, create a new one',
      });
    }
    const subject = account === undefined ? "" : `cannot verify ${account}: `;
    const retried = answer.attempts > 1 ? ` (${answer.attempts} attempts)` : "";
    return new ServiceError(
      `${subject}${url.host} ${answer.status === "unexpected" ? "answered unexpectedly" : "unreachable"}: ${answer.detail}${retried}`,
    );
  },
  madeUpCredentials: () => ({
    account: "cdcreds doctor check",
    secret: `made-up-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`,
  }),
  exports: ({ account, secret }, token) => ({
    OCTOPIA_CLIENT_ID: account,
    OCTOPIA_CLIENT_SECRET: secret,
    ...(token === undefined ? {} : { OCTOPIA_ACCESS_TOKEN: token }),
  }),
};
