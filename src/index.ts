/**
 * cdcreds as a library: the same functions, precedence and errors as the CLI, without a terminal.
 * @packageDocumentation
 */
export { deriveApiLogin, loginProblem, type DerivedLogin } from "./login.js";
export {
  CdcredsError,
  ExitCode,
  InterruptedError,
  NotFoundError,
  RejectedError,
  ServiceError,
  StoreError,
  UsageError,
} from "./errors.js";
export {
  verifyCredentials,
  type VerifiedCredentials,
  type VerifyCredentialsOptions,
} from "./cdiscount/verify-credentials.js";
export type { TokenProgress } from "./cdiscount/client.js";
export { getCredentials, getToken, type ApiCredentials, type ApiToken, type CredentialOptions } from "./api.js";
export type { Environment } from "./cdiscount/endpoints.js";
