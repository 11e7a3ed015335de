import { spawn } from "node:child_process";
import { constants } from "node:os";
import { finished } from "node:stream/promises";
import type { Transform } from "node:stream";
import { CdcredsError, ExitCode } from "../errors.js";
import { leaveSignalsToChild } from "./signals.js";

// Signals a supervisor passes on, so `kill <cdcreds pid>` stops the real program too.
const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * Runs a program with stdio inherited and the given environment, and resolves with the status
 * cdcreds should exit with: the program's own, or 128 + the signal number when a signal ended it.
 * SIGINT, SIGTERM and SIGHUP sent to cdcreds are passed on to the program.
 *
 * With `filter`, the program's stdout and stderr are pipes, each passed through a transform of its
 * own (`filter()` makes one) to cdcreds' own; the status is given once both have ended.
 * @throws {CdcredsError} exit 127 when the program cannot be started (not found, not executable).
 */
export function runChild(command: string, args: string[], processEnv: NodeJS.ProcessEnv, filter?: () => Transform): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: filter === undefined ? "inherit" : ["inherit", "pipe", "pipe"], env: processEnv });
    const outputs: Promise<unknown>[] = [];
    if (filter !== undefined) {
      for (const [from, to] of [
        [child.stdout!, process.stdout],
        [child.stderr!, process.stderr],
      ] as const) {
        const transform = filter();
        // A reader of cdcreds' output that has gone (EPIPE): the pipe from the program is closed
        // too, so the program meets the same end (SIGPIPE, EPIPE) as with its output inherited.
        to.on("error", () => {
          from.destroy();
          transform.destroy();
        });
        from.pipe(transform).pipe(to, { end: false });
        outputs.push(finished(transform).catch(() => undefined));
      }
    }
    const forward = (signal: NodeJS.Signals): void => {
      child.kill(signal);
    };
    for (const signal of FORWARDED) process.on(signal, forward);
    const stopLeaving = leaveSignalsToChild(); // the program decides whether a signal ends it
    const stopForwarding = (): void => {
      for (const signal of FORWARDED) process.off(signal, forward);
      stopLeaving();
    };
    child.on("error", (error: NodeJS.ErrnoException) => {
      stopForwarding();
      reject(
        new CdcredsError(`cannot run "${command}": ${error.code === "ENOENT" ? "command not found" : error.message}`, ExitCode.CannotRun, {
          cause: error,
          hint: error.code === "ENOENT" ? "check the command name and PATH" : undefined,
        }),
      );
    });
    child.on("exit", (code, signal) => {
      stopForwarding();
      const status = code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0));
      void Promise.all(outputs).then(() => resolve(status));
    });
  });
}
