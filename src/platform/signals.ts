// What a signal (Ctrl-C, `kill`, a closed terminal) must not leave behind: the temporary and lock
// files this process created, and a spinner's half-drawn line. The CLI's handler (cli.ts) removes them synchronously, then exits with
// 128 + the signal number (130 for SIGINT, 143 for SIGTERM), as a shell reports a killed command.
// Files already renamed into place are complete: atomic-write.ts makes every write all-or-nothing.
import { readFileSync, rmSync } from "node:fs";

/** Files to remove if a signal ends the process: path -> the content that proves it is still ours. */
const leftovers = new Map<string, string | undefined>();
/** What to undo on the terminal (a spinner's line) if a signal ends the process. */
const terminalUndos = new Set<() => void>();
let childrenRunning = 0;

/** Registers something to undo on the terminal if a signal ends the process; returns its removal. */
export function undoIfInterrupted(undo: () => void): () => void {
  terminalUndos.add(undo);
  return () => {
    terminalUndos.delete(undo);
  };
}

/**
 * Registers a file to remove if a signal ends the process before the returned function is called.
 * With `content`, the file is removed only while it still holds it (a lock another process took
 * over is theirs).
 */
export function removeIfInterrupted(path: string, content?: string): () => void {
  leftovers.set(path, content);
  return () => {
    leftovers.delete(path);
  };
}

/** While `exec` runs a program, signals are passed on to it (child.ts) and do not end cdcreds. */
export function leaveSignalsToChild(): () => void {
  childrenRunning++;
  let undone = false;
  return () => {
    if (!undone) childrenRunning--;
    undone = true;
  };
}

/**
 * The signals the CLI handles, and their numbers: the same on every POSIX system (and in Node on
 * Windows). SIGBREAK is Windows' Ctrl-Break (Node's number there), handled as Ctrl-C is; no POSIX
 * system has it, and a listener for it there is an ordinary event's, never emitted.
 */
export const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15, SIGBREAK: 21 } as const;
export type HandledSignal = keyof typeof SIGNAL_NUMBERS;

/** Set while a batch stops on a first signal rather than exiting (see stopGracefully). */
let graceful: ((signal: HandledSignal) => void) | undefined;

/**
 * While a batch (`import`) runs: a first signal calls `onSignal` instead of ending the process,
 * so the batch can finish what is in flight and record it; a second signal ends the process as
 * usual. Returns the removal.
 */
export function stopGracefully(onSignal: (signal: HandledSignal) => void): () => void {
  graceful = onSignal;
  return () => {
    if (graceful === onSignal) graceful = undefined;
  };
}

/**
 * For the CLI's signal handler: false while a child program handles signals, or when a batch
 * stops gracefully on this (first) signal; else removes this process's leftovers and returns true
 * (the caller then exits). Never throws.
 */
export function cleanUpForSignal(signal: HandledSignal): boolean {
  if (childrenRunning > 0) return false;
  const stop = graceful;
  if (stop !== undefined) {
    graceful = undefined; // the next signal ends the process
    try {
      stop(signal);
    } catch {
      // stderr is gone: the batch stops all the same
    }
    return false;
  }
  for (const undo of terminalUndos) {
    try {
      undo();
    } catch {
      // the terminal is gone: nothing to tidy
    }
  }
  terminalUndos.clear();
  for (const [path, content] of leftovers) {
    try {
      if (content === undefined || readFileSync(path, "utf8") === content) rmSync(path, { force: true });
    } catch {
      // already gone, or unreadable: nothing of ours to remove
    }
  }
  leftovers.clear();
  return true;
}
