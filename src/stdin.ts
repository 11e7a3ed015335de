import { UsageError } from "./errors.js";

/**
 * Reads a password piped on standard input: all of it, minus ONE trailing newline (`\n` or
 * `\r\n`), so `printf %s "$PW"` and `echo "$PW"` both work and a password ending in spaces stays
 * intact. `set` and `verify` share it, so what one accepts the other accepts.
 * @param purpose what the password is for ("verify", "store"), named when stdin is empty.
 * @param example a command piping a password in, shown with any refusal.
 * @throws {UsageError} (exit 2) when it is empty, not UTF-8, or holds a line break.
 */
export async function readPasswordFromStdin(stdin: NodeJS.ReadableStream, purpose: string, example: string): Promise<string> {
  const hint = `pipe the password in: ${example}`;
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new UsageError("the password on standard input is not valid UTF-8", { hint });
  }
  const password = text.replace(/\r?\n$/, "");
  if (password === "") throw new UsageError(`standard input is empty: no password to ${purpose}`, { hint });
  // A second line is a mistake (two passwords, a file with a header), never part of a password.
  if (/[\r\n]/.test(password)) throw new UsageError("the password on standard input spans several lines", { hint });
  return password;
}
