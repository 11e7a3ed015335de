// How Octopia names a client: the client ID the seller created on the portal's "API Credentials
// Management" page, 8 to 80 characters starting with a letter, spaces and `@` allowed.
import { UsageError } from "../../errors.js";

const MIN_LENGTH = 8;
const MAX_LENGTH = 80;

/** Why `clientId` (already trimmed) cannot be an Octopia client ID, or undefined when it can. */
export function clientIdProblem(clientId: string): string | undefined {
  if (clientId === "") return "the client ID is empty";
  const length = [...clientId].length;
  if (length < MIN_LENGTH || length > MAX_LENGTH) return `the client ID has ${length} characters, not ${MIN_LENGTH} to ${MAX_LENGTH}`;
  // Printable ASCII (the usual case) is checked without Unicode classes, whose compilation costs
  // ~0.3 ms a run on `get` and `token`.
  const ascii = /^[\x20-\x7e]*$/.test(clientId);
  const bad = ascii ? undefined : /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.exec(clientId)?.[0];
  if (bad !== undefined)
    return `the client ID contains a control character (U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")})`;
  if (!(ascii ? /^[A-Za-z]/ : /^\p{L}/u).test(clientId)) return "the client ID does not start with a letter";
  return undefined;
}

/**
 * The client ID a user typed, trimmed and in Unicode's composed form (NFC), as keyboards and web
 * forms write it: two spellings of `é` are one client, not two look-alike accounts.
 * @throws {UsageError} (exit 2) naming the problem.
 */
export function clientIdOf(input: string): string {
  const trimmed = input.trim();
  const clientId = /^[\x20-\x7e]*$/.test(trimmed) ? trimmed : trimmed.normalize("NFC"); // ASCII is its own NFC
  const problem = clientIdProblem(trimmed) ?? clientIdProblem(clientId); // as typed first: the message names what the user wrote
  if (problem !== undefined) throw new UsageError(`invalid client ID: ${problem}`);
  return clientId;
}
