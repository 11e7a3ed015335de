import type { GlobalOptions } from "../core/options.js";
import type { Ui } from "./ui.js";

/** What every command receives from the CLI layer: its inputs, never argv or process.exit. */
export interface CommandContext {
  options: GlobalOptions;
  /** The environment variables (process.env in the CLI, anything in tests). */
  env: NodeJS.ProcessEnv;
  ui: Ui;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** What a command hands back for the CLI to print. */
export interface CommandResult {
  /** Data for stdout, printed as is (include the trailing newline). */
  stdout?: string;
  /** Exit status when not 0 and not signalled by a thrown error (`verify`, `exec`). */
  exitCode?: number;
}
