/** The exit statuses: the one table every command and the library share (the README lists it). */
export const ExitCode = {
  Ok: 0,
  Rejected: 1,
  Usage: 2,
  NotFound: 3,
  Service: 4,
  Store: 5,
  /** `api` only: the API refused the request (a 4xx other than 401, 403 and 429): retrying will not help. */
  Refused: 6,
  /** `verify --all --max-age`: every check passed, but a secret is older than the age allowed. */
  TooOld: 7,
  /** A bug, or a fault no other code describes; never 1, which scripts read as "password rejected". */
  Internal: 70,
  /** `exec` only: the command could not be started (as shells do). */
  CannotRun: 127,
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The code of a system error ("ENOENT", "EPIPE"), if it has one. */
export const errnoOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code;
/** What a message shows of a system error: its code, else the error as text. */
export const errnoText = (error: unknown): string => errnoOf(error) ?? String(error);

interface ErrorDetails {
  /** A next step for the user, printed on its own line after the message. */
  hint?: string;
  cause?: unknown;
}

/** Base of every error cdcreds means to report: a message safe to print, and an exit code. */
export class CdcredsError extends Error {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(message: string, exitCode: ExitCode, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.hint = details.hint;
  }
}

/** Invalid input or options (exit 2). */
export class UsageError extends CdcredsError {
  constructor(message: string, details?: ErrorDetails) {
    super(message, ExitCode.Usage, details);
  }
}

/** Cdiscount's token service rejected the credentials (exit 1). */
export class RejectedError extends CdcredsError {
  constructor(message: string, details?: ErrorDetails) {
    super(message, ExitCode.Rejected, details);
  }
}

/** No stored credentials for the login (exit 3). */
export class NotFoundError extends CdcredsError {
  constructor(message: string, details?: ErrorDetails) {
    super(message, ExitCode.NotFound, details);
  }
}

/** The token service was unreachable or answered unexpectedly (exit 4). */
export class ServiceError extends CdcredsError {
  constructor(message: string, details?: ErrorDetails) {
    super(message, ExitCode.Service, details);
  }
}

/** The secret store is unavailable, locked or undecryptable (exit 5). */
export class StoreError extends CdcredsError {
  constructor(message: string, details?: ErrorDetails) {
    super(message, ExitCode.Store, details);
  }
}

/** The user interrupted (Ctrl-C) (exit 130). */
export class InterruptedError extends CdcredsError {
  constructor(message = "interrupted", details?: ErrorDetails) {
    super(message, ExitCode.Interrupted, details);
  }
}

/**
 * An API answered with an error status (`cdcreds api`, `apiRequest`): exit 1 for 401/403, 4 for
 * 429, 5xx and other unexpected statuses, 6 for any other 4xx. The message is one line (status,
 * `title`, `detail`, field errors); `body` is the answer as the API sent it.
 */
export class ApiError extends CdcredsError {
  readonly status: number;
  readonly body: string;

  constructor(message: string, status: number, body: string, details?: ErrorDetails) {
    const exitCode =
      status === 401 || status === 403
        ? ExitCode.Rejected
        : status >= 400 && status < 500 && status !== 429
          ? ExitCode.Refused
          : ExitCode.Service;
    super(message, exitCode, details);
    this.status = status;
    this.body = body;
  }
}
