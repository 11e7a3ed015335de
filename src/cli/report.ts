// From an error to what the user sees: one message (and hint) on stderr, the stack only with
// --debug, and the exit status of the one table in errors.ts.
import { inspect } from "node:util";
import { CommanderError } from "commander";
import { CdcredsError, ExitCode } from "../errors.js";
import type { Ui } from "./ui.js";

/** The exit status for an error: its own code, 0 for help and --version, 2 for a parse error, else 70. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) {
    // Help and --version (also `cdcreds help set`) carry exit code 0; every parse error is a usage error.
    return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  }
  return error instanceof CdcredsError ? error.exitCode : ExitCode.Internal;
}

/** Reports an error on stderr: the message, the hint, and with --debug the cause and stack. */
export function report(error: unknown, ui: Ui): void {
  if (error instanceof CommanderError) return; // commander already printed it
  if (error instanceof CdcredsError) {
    ui.error(error.message, error.hint);
  } else {
    ui.error(
      `unexpected failure: ${error instanceof Error ? error.message : String(error)}`,
      "this is a bug in cdcreds: run again with --debug and report it",
    );
  }
  if (ui.debugEnabled && error instanceof Error) {
    ui.debug(error.stack ?? String(error));
    if (error.cause !== undefined) ui.debug(`caused by: ${inspect(error.cause)}`);
  }
}
