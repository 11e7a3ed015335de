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
