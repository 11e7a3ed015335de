// The CLI's entry: signal handling, the program, stdout, and the one process.exit.
import { ExitCode } from "../errors.js";
import { cleanUpForSignal, SIGNAL_NUMBERS, type HandledSignal } from "../platform/signals.js";
import type { Outcome } from "./command.js";
import { writeStdout } from "./output.js";
import { buildProgram } from "./program.js";

// For scripts/build.mjs, which trains V8's code cache by parsing a command with it.
export { buildProgram };
import { exitCodeOf, report } from "./report.js";
import { createUi } from "./ui.js";

/**
 * Ctrl-C, `kill` or a closed terminal at any step: remove this process's temporary and lock files,
 * then exit 128 + the signal number (130 for SIGINT, 143 for SIGTERM). Nothing is half-written:
 * every write is an atomic rename. During `exec` the program gets the signal; during `import` the first
 * one lets the accounts in flight finish and be recorded (signals.ts, stopGracefully).
 */
function exitOnSignal(signal: HandledSignal): void {
  if (!cleanUpForSignal(signal)) return;
  process.stderr.write(`error: interrupted (${signal})\n`);
  process.exit(128 + SIGNAL_NUMBERS[signal]);
}

/** Runs the CLI and exits. The only place that calls process.exit. */
export async function main(argv: string[]): Promise<never> {
  for (const signal of Object.keys(SIGNAL_NUMBERS) as HandledSignal[]) process.on(signal, exitOnSignal);
  const outcome: Outcome = {};
  // A fault thrown outside the command's promise (in an event handler) is reported as any other:
  // one line and exit 70, not Node's dump of a line of the bundle and exit 1 ("rejected").
  const fatal = (error: unknown): void => {
    report(error, outcome.ui ?? createUi({ processEnv: process.env, debug: argv.includes("--debug") }));
    process.exit(exitCodeOf(error));
  };
  process.on("uncaughtException", fatal);
  process.on("unhandledRejection", fatal);
  let code: number;
  try {
    await buildProgram(outcome, argv.slice(2)).parseAsync(argv);
    await writeStdout(outcome.result?.stdout ?? "");
    code = outcome.result?.exitCode ?? ExitCode.Ok;
  } catch (error) {
    report(error, outcome.ui ?? createUi({ processEnv: process.env, debug: argv.includes("--debug") }));
    code = exitCodeOf(error);
  }
  process.exit(code);
}
