// The bridge from commander to a command: gathers the context from the global flags and the
// environment, runs the command, and hands its result to whoever built the program.
import type { Command } from "commander";
import { resolveGlobalOptions, type RawGlobalOptions } from "../core/options.js";
import type { CommandContext, CommandResult } from "./context.js";
import { createUi, type Ui } from "./ui.js";

/** What the command that ran left for main() to print: its result, and the UI it reported with. */
export interface Outcome {
  result?: CommandResult;
  ui?: Ui;
}

/** Builds the context a command runs with, from the global flags and the environment. */
function contextOf(cmd: Command): CommandContext {
  const raw = cmd.optsWithGlobals<RawGlobalOptions>();
  const ui = createUi({ processEnv: process.env, debug: raw.debug === true });
  const options = resolveGlobalOptions(raw, process.env);
  return {
    options,
    processEnv: process.env,
    ui,
    // A getter: process.stdin builds a stream, which only the commands reading standard input need.
    get stdin() {
      return process.stdin;
    },
  };
}

/**
 * Wraps a command body as a commander action: gathers the context, runs the body, and records
 * its result in `outcome` (the program's own, so nothing is kept between programs).
 */
export function action<A extends unknown[]>(
  outcome: Outcome,
  body: (ctx: CommandContext, ...args: A) => Promise<CommandResult> | CommandResult,
) {
  return async (...args: unknown[]): Promise<void> => {
    const cmd = args.at(-1) as Command;
    const ctx = contextOf(cmd);
    outcome.ui = ctx.ui;
    outcome.result = await body(ctx, ...(args.slice(0, -1) as A));
  };
}
