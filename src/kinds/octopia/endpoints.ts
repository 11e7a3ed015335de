import { UsageError } from "../../errors.js";
import type { Environment } from "../environment.js";

/** Octopia's token endpoint (Keycloak, realm "maas"); no preprod one is documented. */
export const TOKEN_URLS: Readonly<Partial<Record<Environment, string>>> = {
  prod: "https://auth.octopia-io.net/auth/realms/maas/protocol/openid-connect/token",
};

/** The token URL for an environment, or the validated override. @throws {UsageError} when there is none. */
export function tokenUrl(env: Environment, override?: URL): URL {
  if (override !== undefined) return override;
  const url = TOKEN_URLS[env];
  if (url === undefined) {
    throw new UsageError(`Octopia documents no ${env} token endpoint`, {
      hint: "give one with --auth-url (and the seller API's with --api-url)",
    });
  }
  return new URL(url);
}
