import type { Environment } from "../environment.js";

/** Cdiscount's token service, per environment. */
export const TOKEN_URLS: Readonly<Record<Environment, string>> = {
  prod: "https://sts.cdiscount.com/users/httpIssue.svc/?realm=https://wsvc.cdiscount.com/MarketplaceAPIService.svc",
  preprod: "https://sts.preprod-cdiscount.com/users/httpIssue.svc/?realm=https://wsvc.preprod-cdiscount.com/MarketplaceAPIService.svc",
};

/** The token URL for an environment, or the validated override. */
export function tokenUrl(env: Environment, override?: URL): URL {
  return override ?? new URL(TOKEN_URLS[env]);
}
