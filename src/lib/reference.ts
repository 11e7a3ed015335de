// The library's reference resolver: `cdcreds://bestshop-api/token` to the value it names, by the
// CLI's rules, with no terminal (nothing printed, nothing asked).
import { resolveReference as resolve } from "../core/reference.js";
import { resolveOptions } from "../core/options.js";
import type { CredentialOptions } from "./credentials.js";

/** The options of {@link resolveReference}: the account comes from the reference, whose `env` and `kind` win. */
export type ReferenceOptions = Omit<CredentialOptions, "login">;

/**
 * The value a reference names: `cdcreds://<account>[/secret|token|account|seller-id][?env=...&kind=...]`
 * (the account percent-encoded where it must be: `cdcreds://Best%20Shop@agency.example/token`).
 * A token comes from the cache while enough of it is left, as {@link getToken}'s does.
 * @throws {UsageError} (exitCode 2) for a malformed reference, {NotFoundError} (3) for an account
 * not stored, {RejectedError} (1), {ServiceError} (4), {StoreError} (5); messages name the reference.
 */
export async function resolveReference(reference: string, options: ReferenceOptions = {}): Promise<string> {
  const processEnv = options.processEnv ?? process.env;
  const { authUrl, apiUrl, ...rest } = options;
  const resolved = resolveOptions(
    { ...rest, authUrl: authUrl === undefined ? undefined : String(authUrl), apiUrl: apiUrl === undefined ? undefined : String(apiUrl) },
    processEnv,
  );
  return (await resolve(reference, { options: resolved, processEnv, interactive: () => false })).value;
}
