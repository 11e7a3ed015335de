/**
 * cdcreds as a library: the same functions, precedence and errors as the CLI, without a terminal.
 * @packageDocumentation
 */
export { deriveApiLogin, loginProblem, type DerivedLogin } from "./kinds/api-login/login.js";
export { apiPages, apiRequest, type ApiAnswer, type ApiPage, type ApiRequestOptions } from "./lib/api.js";
export {
  ApiError,
  CdcredsError,
  ExitCode,
  InterruptedError,
  NotFoundError,
  RejectedError,
  ServiceError,
  StoreError,
  UsageError,
} from "./errors.js";
export { verifyCredentials, type VerifiedCredentials, type VerifyCredentialsOptions } from "./lib/verify.js";
export type { RetryProgress as TokenProgress } from "./platform/http/retry.js";
export {
  getCredentials,
  getToken,
  type ApiCredentials,
  type ApiToken,
  type CredentialOptions,
  type OctopiaCredentials,
  type OctopiaToken,
} from "./lib/credentials.js";
export { resolveReference, type ReferenceOptions } from "./lib/reference.js";
export type { Environment } from "./kinds/environment.js";
