// The one module that talks to the prompt library, so tests can drive prompts through a real
// pseudo-terminal and no other module ever prompts. Prompts draw on stderr: stdout is for data.
import { input, password } from "@inquirer/prompts";
import { InterruptedError } from "./errors.js";

interface PromptStreams {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

const streams = (s: PromptStreams) => ({ input: s.input ?? process.stdin, output: s.output ?? process.stderr });

async function guard<T>(ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (error) {
    // Ctrl-C (ExitPromptError) or a closed terminal: the user is gone, nothing may be stored.
    if (error instanceof Error && (error.name === "ExitPromptError" || error.name === "AbortPromptError")) {
      throw new InterruptedError();
    }
    throw error;
  }
}

/**
 * Asks for a secret with a masked prompt; never echoes it.
 * @throws {InterruptedError} on Ctrl-C.
 */
export function askSecret(message: string, options: PromptStreams & { validate?: (value: string) => string | true } = {}): Promise<string> {
  // No ctrl+t "show password": it would put the secret on screen, in scrollback and in recordings.
  return guard(() => password({ message, mask: "*", toggleMask: false, validate: options.validate ?? ((v) => (v === "" ? "it cannot be empty" : true)) }, streams(options)));
}

/**
 * Asks for a line of text.
 * @throws {InterruptedError} on Ctrl-C.
 */
export function askText(message: string, options: PromptStreams & { default?: string; validate?: (value: string) => string | true } = {}): Promise<string> {
  return guard(() => input({ message, default: options.default, validate: options.validate }, streams(options)));
}
