// What no password or client secret can be, whatever its kind: checked before it is sent anywhere.

/**
 * Longest password or client secret accepted, in characters. Real ones are at most a few dozen; a
 * megabyte piped in by mistake is refused before it is sent anywhere.
 */
export const MAX_SECRET_LENGTH = 512;

/**
 * Returns why `secret` cannot be a password (or client secret), or undefined when it can: empty,
 * longer than {@link MAX_SECRET_LENGTH}, or holding a control character (a NUL, a line break, an
 * escape). The message never quotes the secret.
 */
export function secretProblem(secret: string): string | undefined {
  if (secret === "") return "it is empty";
  if ([...secret].length > MAX_SECRET_LENGTH) return `it is longer than ${MAX_SECRET_LENGTH} characters`;
  const bad = /\p{Cc}/u.exec(secret)?.[0];
  if (bad !== undefined) return `it contains a control character (U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")})`;
  return undefined;
}
