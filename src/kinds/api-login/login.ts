import { UsageError } from "../../errors.js";

/** The suffix that turns a seller login into the API login Cdiscount expects. */
const API_SUFFIX = "-api";
/** Longest seller login accepted, in characters. */
export const MAX_LOGIN_LENGTH = 128;

/** What {@link deriveApiLogin} found. */
export interface DerivedLogin {
  /** The seller login, without the `-api` suffix. */
  sellerLogin: string;
  /** The API login: the seller login followed by `-api`. */
  apiLogin: string;
  /** True when the input already ended in `-api` and came back unchanged. */
  alreadyApi: boolean;
}

// Unicode whitespace and control/format characters: none can be part of a login.
const FORBIDDEN_INSIDE = /[\s\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;

/**
 * Returns why `login` (already trimmed) cannot be a Cdiscount login, or undefined when it can.
 * Pure; the message names the problem so the user can fix it.
 */
export function loginProblem(login: string): string | undefined {
  if (login.length === 0) return "the login is empty";
  // One rule for both spellings of an account: the seller login is at most 128 characters, so
  // every account that can be stored can also be named by its API login (132 with "-api").
  const seller = login.endsWith(API_SUFFIX) ? login.slice(0, -API_SUFFIX.length) : login;
  if ([...seller].length > MAX_LOGIN_LENGTH) {
    return `the login is longer than ${MAX_LOGIN_LENGTH} characters${seller === login ? "" : ` before its ${API_SUFFIX} suffix`}`;
  }
  // Printable ASCII holds none of them, and spares the Unicode class's compilation (~0.3 ms a run).
  const bad = PRINTABLE_ASCII.test(login) ? undefined : FORBIDDEN_INSIDE.exec(login)?.[0];
  if (bad !== undefined) {
    const code = `U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
    return /\s/u.test(bad) ? `the login contains whitespace (${code})` : `the login contains a control character (${code})`;
  }
  if (login.includes(":")) return "the login contains a colon, which cannot travel in HTTP Basic authentication";
  if (login === API_SUFFIX) return `the login is only the "${API_SUFFIX}" suffix`;
  return undefined;
}

/**
 * Derives the API login from a seller login (`bestshop` -> `bestshop-api`). Surrounding
 * whitespace is trimmed and the login put in Unicode's composed form (NFC), as keyboards and web
 * forms write it: `é` typed or copied from a macOS file name (`e` + U+0301) is one login, not two
 * look-alike accounts. A login that already ends in `-api` is returned otherwise unchanged.
 * @throws {UsageError} (exit 2) naming the problem when the login cannot be valid.
 */
export function deriveApiLogin(input: string): DerivedLogin {
  const trimmed = input.trim();
  const login = PRINTABLE_ASCII.test(trimmed) ? trimmed : trimmed.normalize("NFC"); // ASCII is its own NFC
  // The problem as typed first: NFC maps some characters to others (U+2000 to U+2002), and the
  // message names the one the user wrote.
  const problem = loginProblem(trimmed) ?? loginProblem(login);
  if (problem !== undefined) throw new UsageError(`invalid login: ${problem}`);
  const alreadyApi = login.endsWith(API_SUFFIX);
  if (alreadyApi) {
    return { sellerLogin: login.slice(0, -API_SUFFIX.length), apiLogin: login, alreadyApi };
  }
  return { sellerLogin: login, apiLogin: login + API_SUFFIX, alreadyApi };
}
