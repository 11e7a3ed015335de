// Text that came from outside (the account index, a store, a file header, a service's answer) is
// shown with its control characters escaped: raw, an ESC or OSC sequence could clear the screen,
// retitle the terminal or forge the rows of a table; a bidirectional override could reorder them.

// C0, DEL and C1 controls, and the bidirectional embeddings, overrides and isolates.
const UNSAFE = /[\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;

const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\u001b": "\\e" };

/** Escapes every control and bidirectional-control character: `\e`, `\n`, `\x07`, `\u{202e}`. */
export function escapeText(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.codePointAt(0)!;
    return NAMED[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`);
  });
}

/**
 * One JSON line for stdout. JSON.stringify already escapes C0 controls; DEL, C1 controls and
 * bidirectional controls are escaped too (as `\uXXXX`, still valid JSON), so a terminal showing
 * the output never acts on them.
 */
export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value).replace(UNSAFE, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, "0")}`)}\n`;
}
