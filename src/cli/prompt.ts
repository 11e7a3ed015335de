// The one module that talks to the prompt library, so tests can drive prompts through a real
// pseudo-terminal and no other module ever prompts. Prompts draw on stderr: stdout is for data.
import { confirm, input, password } from "@inquirer/prompts";
import { InterruptedError, UsageError } from "../errors.js";

interface PromptStreams {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

const streams = (s: PromptStreams) => ({ input: s.input ?? process.stdin, output: s.output ?? process.stderr });

async function guard<T>(ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (error) {
    if (!(error instanceof Error) || (error.name !== "ExitPromptError" && error.name !== "AbortPromptError")) throw error;
    // Ctrl-C reaches the prompt as readline's SIGINT: the user stopped, nothing may be stored (130).
    if (error.name === "AbortPromptError" || error.message.endsWith("SIGINT")) throw new InterruptedError();
    // Otherwise the input ended (Ctrl-D, or a pipe that closed): no answer was given, a usage error.
    throw new UsageError("no answer: the input ended at the prompt (Ctrl-D)");
  }
}

/**
 * Asks for a secret with a masked prompt; never echoes it.
 * @throws {InterruptedError} on Ctrl-C.
 */
export function askSecret(message: string, options: PromptStreams & { validate?: (value: string) => string | true } = {}): Promise<string> {
  // No ctrl+t "show password": it would put the secret on screen, in scrollback and in recordings.
  return guard(() =>
    password(
      { message, mask: "*", toggleMask: false, validate: options.validate ?? ((v) => (v === "" ? "it cannot be empty" : true)) },
      streams(options),
    ),
  );
}

/**
 * Asks for a line of text.
 * @throws {InterruptedError} on Ctrl-C.
 */
export function askText(
  message: string,
  options: PromptStreams & { default?: string; validate?: (value: string) => string | true } = {},
): Promise<string> {
  return guard(() => input({ message, default: options.default, validate: options.validate }, streams(options)));
}

/**
 * Asks a yes/no question.
 * @throws {InterruptedError} on Ctrl-C.
 */
export function askConfirm(message: string, options: PromptStreams & { default?: boolean } = {}): Promise<boolean> {
  return guard(() => confirm({ message, default: options.default ?? false }, streams(options)));
}
