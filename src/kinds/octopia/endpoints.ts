import { UsageError } from "../../errors.js";
import type { Environment } from "../environment.js";

/** Octopia's token endpoint (Keycloak, realm "maas"); no preprod one is documented. */
export const TOKEN_URLS: Readonly<Partial<Record<Environment, string>>> = {
  prod: "https://auth.octopia-io.net/auth/realms/maas/protocol/openid-connect/token",
};

/** The seller API's base; no preprod one is documented either. */
export const API_URLS: Readonly<Partial<Record<Environment, string>>> = { prod: "https://api.octopia-io.net/seller/v2" };

/** An environment's URL from a table, or the validated override. @throws {UsageError} naming `what` when there is none. */
function endpoint(
  urls: Readonly<Partial<Record<Environment, string>>>,
  env: Environment,
  override: URL | undefined,
  what: string,
  hint: string,
): URL {
  if (override !== undefined) return override;
  const url = urls[env];
  if (url === undefined) throw new UsageError(`Octopia documents no ${env} ${what}`, { hint });
  return new URL(url);
}

/** The token URL for an environment, or the validated override. @throws {UsageError} when there is none. */
export const tokenUrl = (env: Environment, override?: URL): URL =>
  endpoint(TOKEN_URLS, env, override, "token endpoint", "give one with --auth-url (and the seller API's with --api-url)");

/** The seller API's base for an environment, or the validated override. @throws {UsageError} when there is none. */
export const apiUrl = (env: Environment, override?: URL): URL =>
  endpoint(API_URLS, env, override, "seller API", "give its base with --api-url (and the token URL with --auth-url)");
