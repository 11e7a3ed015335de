import { UsageError } from "../errors.js";
import { kindField } from "../kinds/index.js";
import { MAX_SECRET_LENGTH, secretProblem } from "../core/secret-rules.js";

/** Reading stops past this many bytes: far more than any password, far less than memory. */
const MAX_STDIN_BYTES = 64 * 1024;

/** The `--secret-stdin` flag as given (`--password-stdin` is its alias), or undefined. */
export const stdinFlagGiven = (flags: { secretStdin?: boolean; passwordStdin?: boolean }): string | undefined =>
  flags.passwordStdin === true ? "--password-stdin" : flags.secretStdin === true ? "--secret-stdin" : undefined;

/** A command piping a kind's secret in, for hints: `printf %s "$PW" | cdcreds set --password-stdin bestshop`. */
export const stdinExample = (kind: { id: string; accountNoun: string }, command: "set" | "verify"): string =>
  kindField(kind.id).kind === undefined
    ? `printf %s "$PW" | cdcreds ${command} --password-stdin bestshop`
    : `printf %s "$SECRET" | cdcreds ${command} --kind ${kind.id} --secret-stdin '<${kind.accountNoun}>'`;

/** The flag a kind's hints name: `--password-stdin` for API logins (its first name), else `--secret-stdin`. */
export const stdinFlag = (kindId: string): string => (kindField(kindId).kind === undefined ? "--password-stdin" : "--secret-stdin");

/**
 * Reads a password (or another secret, `noun`) piped on standard input: all of it, minus ONE trailing newline (`\n` or
 * `\r\n`), so `printf %s "$PW"` and `echo "$PW"` both work and a password ending in spaces stays
 * intact. `set` and `verify` share it, so what one accepts the other accepts.
 * @param purpose what the password is for ("verify", "store"), named when stdin is empty.
 * @param example a command piping a password in, shown with any refusal.
 * @throws {UsageError} (exit 2) when stdin is a terminal (the password would be echoed), or the
 *   password is empty, not UTF-8, spans lines, is too long or holds a control character.
 */
export async function readSecretFromStdin(
  stdin: NodeJS.ReadableStream & { isTTY?: boolean },
  purpose: string,
  example: string,
  { noun = "password", flag = "--password-stdin" }: { noun?: string; flag?: string } = {},
): Promise<string> {
  const hint = `pipe the ${noun} in: ${example}`;
  if (stdin.isTTY === true) {
    throw new UsageError(`${flag} reads a pipe, but standard input is a terminal, where the ${noun} would be echoed`, {
      hint: purpose === "store" ? `leave out ${flag} to type it at a masked prompt, or ${hint}` : hint,
    });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    size += bytes.length;
    if (size > MAX_STDIN_BYTES)
      throw new UsageError(`the ${noun} on standard input is longer than ${MAX_SECRET_LENGTH} characters`, { hint });
    chunks.push(bytes);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new UsageError(`the ${noun} on standard input is not valid UTF-8`, { hint });
  }
  const secret = text.replace(/\r?\n$/, "");
  if (secret === "") throw new UsageError(`standard input is empty: no ${noun} to ${purpose}`, { hint });
  // A second line is a mistake (two secrets, a file with a header), never part of a secret.
  if (/[\r\n]/.test(secret)) throw new UsageError(`the ${noun} on standard input spans several lines`, { hint });
  const problem = secretProblem(secret);
  if (problem !== undefined) throw new UsageError(`the ${noun} on standard input is refused: ${problem}`, { hint });
  return secret;
}
