import type { Environment } from "../environment.js";
import { isLoopbackHost } from "../../platform/http/loopback.js";

/** Token service URLs (SPEC section 2). */
export const TOKEN_URLS: Readonly<Record<Environment, string>> = {
  prod: "https://sts.cdiscount.com/users/httpIssue.svc/?realm=https://wsvc.cdiscount.com/MarketplaceAPIService.svc",
  preprod:
    "https://sts.preprod-cdiscount.com/users/httpIssue.svc/?realm=https://wsvc.preprod-cdiscount.com/MarketplaceAPIService.svc",
};

/**
 * What to tell the user when a replaced token URL (`--auth-url`, `CDCREDS_AUTH_URL`) that is neither
 * Cdiscount's nor on this machine answered: the credentials went to that host, and a stray variable
 * must not do that silently. Undefined when there is nothing to say.
 */
export function replacedServiceNotice(authUrl: URL | undefined): string | undefined {
  if (authUrl === undefined || isLoopbackHost(authUrl.hostname)) return undefined;
  if (Object.values(TOKEN_URLS).some((url) => new URL(url).hostname === authUrl.hostname)) return undefined;
  return `the token service was replaced (--auth-url or CDCREDS_AUTH_URL): ${authUrl.host} answered, not Cdiscount`;
}

/** The token URL for an environment, or the validated override. */
export function tokenUrl(env: Environment, override?: URL): URL {
  return override ?? new URL(TOKEN_URLS[env]);
}
