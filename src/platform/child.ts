import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { statSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import type { Transform } from "node:stream";
import { CdcredsError, ExitCode, UsageError } from "../errors.js";
import { requireNow } from "./require.js";
import { leaveSignalsToChild } from "./signals.js";

/** What cdcreds does with a signal while a program runs. */
interface ChildSignals {
  /** The signals cdcreds listens to while the program runs: none of them ends cdcreds. */
  signals: NodeJS.Signals[];
  /** Whether they are passed on to the program (child.kill). */
  forward: boolean;
}

/**
 * On POSIX systems SIGINT, SIGTERM and SIGHUP are passed on, so `kill <cdcreds pid>` stops the real
 * program too (Ctrl-C in a terminal reaches both: the program gets it once more, as a shell's
 * `exec` would not, and handles it as it does a single one). On Windows a console's Ctrl-C and
 * Ctrl-Break (SIGBREAK) and its closing (SIGHUP) reach every program attached to it, the child too,
 * by themselves, and Node's only way to "send" a signal there is TerminateProcess: cdcreds passes
 * nothing on, lets the program decide, and waits for it.
 */
export function childSignals(platform: NodeJS.Platform): ChildSignals {
  return platform === "win32"
    ? { signals: ["SIGINT", "SIGBREAK", "SIGHUP", "SIGTERM"], forward: false }
    : { signals: ["SIGINT", "SIGTERM", "SIGHUP"], forward: true };
}

/** What cross-spawn makes of a command on Windows: what to spawn, and the file it found (if any). */
interface CrossSpawnParsed {
  command: string;
  args: string[];
  options: SpawnOptions;
  file?: string;
}
interface CrossSpawn {
  _parse(command: string, args: string[], options: SpawnOptions): CrossSpawnParsed;
  _enoent: { hookChildProcess(child: ChildProcess, parsed: CrossSpawnParsed): void };
}

/** cmd.exe's exit status for "is not recognized as an internal or external command". */
const CMD_NOT_FOUND = 9009;

/**
 * Starts the program: with Node's spawn, or on Windows as cross-spawn (npm's own) does. Node refuses
 * to start a `.cmd` or `.bat` without a shell (EINVAL since the "BatBadBut" fix) and finds only
 * `.exe` files by name; cross-spawn looks the command up through PATH and PATHEXT, runs a batch file
 * (npm, npx) through `cmd.exe /d /s /c` with each argument quoted so that cmd.exe reads nothing in
 * it (its own fix of BatBadBut, as Rust's), and reports a command cmd.exe did not find as ENOENT
 * when cmd.exe says so with status 1. Its steps are taken one by one here (the same two calls as its
 * `spawn`) for the file it found: cmd.exe says "not found" with status 9009 too. Loaded on Windows
 * only, when a program is run.
 * @returns the child, and whether the command was found as a file (always, on POSIX systems: ENOENT says otherwise).
 */
function start(platform: NodeJS.Platform, command: string, args: string[], options: SpawnOptions): { child: ChildProcess; found: boolean } {
  if (platform !== "win32") return { child: spawn(command, args, options), found: true };
  const crossSpawn = requireNow("cross-spawn") as CrossSpawn;
  const parsed = crossSpawn._parse(command, args, options);
  const child = spawn(parsed.command, parsed.args, parsed.options);
  crossSpawn._enoent.hookChildProcess(child, parsed);
  return { child, found: parsed.file !== undefined };
}

/**
 * Why a program could not be started, as a shell says it; undefined for another error. A search
 * of PATH reports EACCES when a folder of it cannot be searched (another user's, left on PATH by
 * `su`) even though no such program exists anywhere: that is "command not found", as in bash;
 * EACCES for a file that exists is "permission denied" (not executable).
 */
function whyNotRun(
  code: string | undefined,
  command: string,
  processEnv: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
): string | undefined {
  if (code === "ENOENT") return "command not found";
  if (code !== "EACCES") return undefined;
  if (platform === "win32" || command.includes("/")) return "permission denied";
  const onPath = (processEnv.PATH ?? "").split(":").some((dir) => {
    try {
      return statSync(join(dir === "" ? "." : dir, command)).isFile();
    } catch {
      return false;
    }
  });
  return onPath ? "permission denied" : "command not found";
}

/**
 * Runs a program with stdio inherited and the given environment, and resolves with the status
 * cdcreds should exit with: the program's own, or 128 + the signal number when a signal ended it.
 * SIGINT, SIGTERM and SIGHUP sent to cdcreds are passed on to the program (not on Windows: childSignals).
 * On Windows, `.cmd` and `.bat` files (npm, npx) run too, by path or by name (start).
 *
 * With `filter`, the program's stdout and stderr are pipes, each passed through a transform of its
 * own (`filter()` makes one) to cdcreds' own; the status is given once both have ended.
 * @throws {CdcredsError} exit 127 when the program cannot be started (not found, not executable);
 * exit 2 on Windows when an argument to a `.cmd` or `.bat` holds a line break (cmd.exe would end the command there).
 */
export function runChild(command: string, args: string[], processEnv: NodeJS.ProcessEnv, filter?: () => Transform): Promise<number> {
  const platform = process.platform;
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    let found: boolean;
    try {
      ({ child, found } = start(platform, command, args, {
        stdio: filter === undefined ? "inherit" : ["inherit", "pipe", "pipe"],
        env: processEnv,
      }));
    } catch (error) {
      // cross-spawn refuses what cmd.exe would read as the end of the command: a line break.
      if (!(error instanceof TypeError && /line break/.test(error.message))) throw error;
      reject(
        new UsageError(`cannot run "${command}": an argument holds a line break, which cmd.exe cannot pass to it`, {
          hint: "pass the text in a file or a variable instead",
        }),
      );
      return;
    }
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
    const { signals, forward: passOn } = childSignals(platform);
    const forward = (signal: NodeJS.Signals): void => {
      if (passOn) child.kill(signal);
    };
    for (const signal of signals) process.on(signal, forward);
    const stopLeaving = leaveSignalsToChild(); // the program decides whether a signal ends it
    const stopForwarding = (): void => {
      for (const signal of signals) process.off(signal, forward);
      stopLeaving();
    };
    const cannotRun = (error: NodeJS.ErrnoException): void => {
      stopForwarding();
      const problem = whyNotRun(error.code, command, processEnv, platform);
      reject(
        new CdcredsError(`cannot run "${command}": ${problem ?? error.message}`, ExitCode.CannotRun, {
          cause: error,
          hint: problem === "command not found" ? "check the command name and PATH" : undefined,
        }),
      );
    };
    child.on("error", cannotRun);
    child.on("exit", (code, signal) => {
      if (code === CMD_NOT_FOUND && !found)
        return cannotRun(Object.assign(new Error(`${command} not found by cmd.exe`), { code: "ENOENT" }));
      stopForwarding();
      const status = code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0));
      void Promise.all(outputs).then(() => resolve(status));
    });
  });
}
