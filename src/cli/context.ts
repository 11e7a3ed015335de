import type { GlobalOptions } from "../core/options.js";
import { resolveKind } from "../core/kind-choice.js";
import type { Kind } from "../kinds/index.js";
import type { StoreDeps } from "../stores/types.js";
import type { Ui } from "./ui.js";

/** What every command receives from the CLI layer: its inputs, never argv or process.exit. */
export interface CommandContext {
  options: GlobalOptions;
  /** The environment variables (process.env in the CLI, anything in tests). */
  processEnv: NodeJS.ProcessEnv;
  ui: Ui;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** The kind of credential the command works on (for the account it names, if any), loaded. */
export const kindOf = (ctx: CommandContext, argument?: string): Promise<Kind> => resolveKind(ctx.options, ctx.processEnv, argument);

/** What a store may need from the terminal: whether a person is there, and a masked prompt. */
export function storeDeps(ctx: CommandContext): StoreDeps {
  return {
    processEnv: ctx.processEnv,
    interactive: () => ctx.ui.interactive,
    askSecret: async (message, validate) => (await import("./prompt.js")).askSecret(message, { validate }),
  };
}

/** What a command hands back for the CLI to print. */
export interface CommandResult {
  /** Data for stdout, printed as is (include the trailing newline). */
  stdout?: string;
  /** Exit status when not 0 and not signalled by a thrown error (`verify`, `exec`). */
  exitCode?: number;
}
