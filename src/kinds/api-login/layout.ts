// The keychain layout is a public contract (docs/stores.md documents it): other tools read these
// entries directly with secret-tool, Python's keyring or macOS `security`. Never change it silently.
import type { Environment } from "../environment.js";

/** Service holding the Marketplace API password of each API login (account = API login). */
export const passwordService = (env: Environment): string => `cdcreds:${env}`;

/**
 * Service holding the cached token of each API login: JSON `{"token","expiresAt"}`, which cdcreds
 * writes with `issuedAt` and `authUrl` (the token URL it came from: the token is served only to runs
 * against that URL; an entry without it only to runs against the kind's own).
 */
export const tokenService = (env: Environment): string => `cdcreds-token:${env}`;
