// The `api-login` kind: a seller's Marketplace API login (`bestshop-api`) and account password,
// checked against Cdiscount's token service, whose tokens live 48 hours.
import type { CredentialKind } from "../types.js";
import { answerError, requestToken, requestTokenFromEnv } from "./client.js";
import { TOKEN_URLS, tokenUrl } from "./endpoints.js";
import { deriveApiLogin, loginProblem } from "./login.js";
import { passwordService, tokenService } from "./layout.js";

// A login no seller has: the service answers it like any unknown account, with a 401.
const MADE_UP_LOGIN = "cdcreds-doctor-check-api";
const TOKEN = /^[A-Za-z0-9]{16,256}$/;

export const kind: CredentialKind = {
  id: "api-login",
  serviceName: "Cdiscount",
  accountNoun: "API login",
  prompts: { account: "Seller login (or API login)", secret: "Password" },
  accountName: (input) => deriveApiLogin(input).apiLogin,
  storedNameProblem: (name) => loginProblem(name) ?? (name.endsWith("-api") ? undefined : "it does not end in -api"),
  secretService: passwordService,
  tokenService,
  variables: {
    account: "CDISCOUNT_API_LOGIN",
    secret: "CDISCOUNT_API_PASSWORD",
    token: "CDISCOUNT_API_TOKEN",
    tokenExpiresAt: "CDISCOUNT_API_TOKEN_EXPIRES_AT",
  },
  maxTokenLifetimeMs: 48 * 60 * 60 * 1000,
  // A token lives 48 hours: it is replaced with an hour left, so a caller never gets one about to die.
  minRemainingMs: 60 * 60 * 1000,
  minRemainingShare: 0,
  tokenMethod: "GET",
  jsonKeys: { account: "apiLogin", secret: "password" },
  isToken: (token) => TOKEN.test(token),
  serviceHosts: Object.values(TOKEN_URLS).map((url) => new URL(url).hostname),
  tokenUrl,
  async requestToken({ account, secret }, options) {
    const req = { url: tokenUrl(options.env, options.authUrl), apiLogin: account, password: secret, ...options };
    const answer = options.dispatcher === undefined ? await requestTokenFromEnv(req, options.proxyEnv) : await requestToken(req);
    return answer.status === "valid" ? { ...answer, expiresAt: new Date(answer.issuedAt.getTime() + kind.maxTokenLifetimeMs) } : answer;
  },
  answerError,
  madeUpCredentials: () => ({ account: MADE_UP_LOGIN, secret: `made-up-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}` }),
  exports: ({ account, secret }, token) => ({
    CDISCOUNT_API_LOGIN: account,
    CDISCOUNT_API_PASSWORD: secret,
    ...(token === undefined ? {} : { CDISCOUNT_API_TOKEN: token }),
  }),
};
