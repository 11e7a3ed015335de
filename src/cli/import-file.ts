// The accounts file of `cdcreds import`: read (a regular file or a pipe, never past its cap),
// decoded (UTF-8, else Windows-1252, as Excel saves "CSV" on Western Windows), parsed as CSV (`,`
// or `;`, as its header row has it), and checked whole before anything is sent or stored.
// No message quotes a cell: a stray quote or comma puts a secret's text in any column (a header
// row left out puts a password in line 1), so problems are named by line and column only.
import { CdcredsError, errnoText, UsageError } from "../errors.js";
import { ENVIRONMENTS, type Environment } from "../kinds/environment.js";
import { KIND_IDS, loadKind, type Kind, type KindId } from "../kinds/index.js";
import { secretProblem } from "../core/secret-rules.js";
import { isBusy } from "../platform/busy-retry.js";
import { readOwnFile, RefusedFileError } from "../platform/own-files.js";
import type { CommandContext } from "./context.js";
import { CsvError, headerDelimiter, parseCsv, type CsvDelimiter, type CsvRow } from "./csv.js";

/** The columns of each kind's file: the account's, the secret's, and the optional ones. */
const COLUMNS: Record<KindId, { account: string; secret: string; optional: string[] }> = {
  "api-login": { account: "login", secret: "password", optional: ["env"] },
  octopia: { account: "client_id", secret: "client_secret", optional: ["seller_ids", "env"] },
};

/** One account of the file, checked for form. */
export interface Line {
  line: number;
  account: string;
  secret: string;
  env: Environment;
  sellerIds: string[];
}

/** The largest file read: far beyond thousands of accounts. */
const MAX_BYTES = 16 * 1024 * 1024;
/** Problems listed before "… and N more". */
const MAX_LISTED = 20;

/**
 * The accounts of `file` (`-`: standard input) and their kind, all checked for form.
 * @throws {UsageError} (exit 2) when the file cannot be read, is not CSV (or is UTF-16), or any line
 *   breaks a rule: each problem is listed first, by line and column, and nothing is imported.
 */
export async function readAccountsFile(ctx: CommandContext, file: string): Promise<{ kind: Kind; lines: Line[] }> {
  const source = file === "-" ? "standard input" : file;
  const { text, notUtf8Line } = decodeText(await readInput(ctx, file), source);
  if (notUtf8Line !== undefined) {
    ctx.ui.note(
      `${source} was not UTF-8 (line ${notUtf8Line}): read as Windows-1252, the encoding Excel saves "CSV" in on Western Windows`,
    );
  }
  const delimiter = headerDelimiter(text);
  const [header, ...records] = parseRows(text, delimiter);
  if (header === undefined) throw new UsageError("the file is empty: it needs a header row, then one account per line");
  const names = header.fields.map((name) => name.trim().toLowerCase());
  const kind = await loadKind(kindOfHeader(names, ctx.options.kind));
  const lines = checkLines(ctx, kind, names, records, delimiter);
  if (lines.length === 0) throw new UsageError("the file has a header row but no account");
  return { kind, lines };
}

/**
 * The bytes of the file, or of standard input for `-`, read no further than {@link MAX_BYTES}.
 * A FIFO or a device (`/dev/zero`) is refused before it is read (own-files.ts).
 * @throws {UsageError} (exit 2) when it cannot or must not be read.
 */
async function readInput(ctx: CommandContext, file: string): Promise<Buffer> {
  const cap = `${MAX_BYTES / 1024 / 1024} MiB`;
  if (file === "-") {
    // What is typed at a terminal is echoed: secrets are never typed there in clear.
    if (ctx.stdin.isTTY === true) {
      throw new UsageError(
        "import - reads a pipe or a redirected file, but standard input is a terminal, where the secrets typed would show",
        {
          hint: "name the file instead: cdcreds import FILE (or cdcreds import - < FILE)",
        },
      );
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of ctx.stdin) {
      const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      size += buffer.length;
      if (size > MAX_BYTES) throw new UsageError(`standard input holds more than ${cap}: not an accounts file`);
      chunks.push(buffer);
    }
    return Buffer.concat(chunks);
  }
  let bytes: Buffer | undefined;
  try {
    bytes = await readOwnFile(file, MAX_BYTES);
  } catch (error) {
    if (error instanceof RefusedFileError) {
      throw new UsageError(`${file} ${error.message}: not an accounts file`, {
        hint: "name a CSV file saved on disk, or - to read standard input (cdcreds import - < FILE)",
      });
    }
    throw new UsageError(`cannot read ${file}: ${errnoText(error)}`, {
      hint: isBusy(error, process.platform) ? "another program holds it open (Excel?): close it there, then import again" : undefined,
    });
  }
  if (bytes === undefined) throw new UsageError(`cannot read ${file}: no such file`);
  return bytes;
}

/**
 * Windows-1252's characters for the bytes 0x80 to 0x9F (the rest is Latin-1: the byte is the code
 * point). The five bytes it leaves undefined read as the C1 controls of the same number, as the
 * WHATWG decoder reads them (and the secret rules then refuse them as controls).
 */
const WINDOWS_1252_HIGH = "€\x81‚ƒ„…†‡ˆ‰Š‹Œ\x8DŽ\x8F\x90‘’“”•–—˜™š›œ\x9DžŸ";

/** Windows-1252 bytes as text. Every byte is a character: it never fails, nor yields U+FFFD. */
export const decodeWindows1252 = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => (b >= 0x80 && b < 0xa0 ? WINDOWS_1252_HIGH[b - 0x80]! : String.fromCharCode(b))).join("");

/**
 * The text of the file's bytes: UTF-8 (a byte order mark skipped by the CSV reader) when they are
 * UTF-8, else Windows-1252, with the line of the first byte that is not UTF-8 (for the note that
 * says so). A password is never stored with U+FFFD for what could not be read, nor read in the
 * wrong encoding: a file with UTF-8 lines beside lines that are not (pasted from two sources) is
 * refused, since one reading would garble the other's passwords.
 * @throws {UsageError} (exit 2) for UTF-16 (Excel's "Unicode Text"), which neither reads right,
 * and for a file whose encoding cannot be told.
 */
function decodeText(bytes: Buffer, source: string): { text: string; notUtf8Line?: number } {
  const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
  if (utf16) {
    throw new UsageError(`${source} is UTF-16 text; nothing was imported`, {
      hint: "save it as UTF-8 (in Excel: Save As, CSV UTF-8), or as CSV",
    });
  }
  const decode = (part: Uint8Array): string => new TextDecoder("utf-8", { fatal: true }).decode(part);
  try {
    return { text: decode(bytes) };
  } catch {
    const { utf8Line, notUtf8Line: line } = encodingOfLines(bytes, decode);
    // A byte order mark says UTF-8: bytes that are not are damage, not another encoding.
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
      throw new UsageError(`line ${line}: ${source} starts as UTF-8 text but is not; nothing was imported`, {
        hint: "save it again as UTF-8 (in Excel: Save As, CSV UTF-8)",
      });
    }
    if (utf8Line !== undefined) {
      throw new UsageError(`${source} mixes encodings: line ${utf8Line} is UTF-8 text, line ${line} is not; nothing was imported`, {
        hint: "save the whole file in one encoding (in Excel: Save As, CSV UTF-8)",
      });
    }
    return { text: decodeWindows1252(bytes), notUtf8Line: line };
  }
}

/**
 * The lines (from 1) of the first byte that is not UTF-8, and of the first line with characters
 * beyond ASCII that is UTF-8. Found line by line: a line break (0x0A) is never part of a longer
 * UTF-8 sequence.
 */
function encodingOfLines(bytes: Buffer, decode: (part: Uint8Array) => string): { notUtf8Line: number; utf8Line?: number } {
  let notUtf8Line: number | undefined;
  let utf8Line: number | undefined;
  for (let start = 0, line = 1; start <= bytes.length; line++) {
    const found = bytes.indexOf(0x0a, start);
    const end = found < 0 ? bytes.length : found;
    const part = bytes.subarray(start, end);
    if (part.some((b) => b >= 0x80)) {
      try {
        decode(part);
        utf8Line ??= line;
      } catch {
        notUtf8Line ??= line;
      }
    }
    start = end + 1;
  }
  return { notUtf8Line: notUtf8Line!, utf8Line };
}

/** The file's rows, the header first. @throws {UsageError} (exit 2) naming the line of a CSV error. */
function parseRows(text: string, delimiter: CsvDelimiter): CsvRow[] {
  try {
    return parseCsv(text, delimiter);
  } catch (error) {
    if (error instanceof CsvError) throw new UsageError(`line ${error.line}: ${error.message}; nothing was imported`);
    throw error;
  }
}

/** A kind's columns, the optional ones in brackets: `login,password[,env]`. */
const columnsText = (id: KindId): string => {
  const { account, secret, optional } = COLUMNS[id];
  return `${account},${secret}${optional.map((name) => `[,${name}]`).join("")}`;
};

/** The kind the header's columns name (checked against `--kind` when given). */
function kindOfHeader(header: string[], asked: KindId | undefined): KindId {
  const found = KIND_IDS.find((id) => header.includes(COLUMNS[id].account) && header.includes(COLUMNS[id].secret));
  if (found === undefined) {
    const wanted = (asked === undefined ? KIND_IDS : [asked]).map(columnsText).join(" or ");
    throw new UsageError(`line 1 is not a header: it does not name the columns ${wanted}`, {
      hint: "the first line names the columns, then each line is one account (the file is not shown: it holds secrets)",
    });
  }
  if (asked !== undefined && found !== asked) {
    throw new UsageError(
      `line 1 names the columns of ${found} accounts (${columnsText(found)}), not those of --kind ${asked} (${columnsText(asked)})`,
    );
  }
  const known = [COLUMNS[found].account, COLUMNS[found].secret, ...COLUMNS[found].optional];
  const problems = header.flatMap((name, i) =>
    !known.includes(name)
      ? [`column ${i + 1} is not one of ${known.join(", ")}`]
      : header.indexOf(name) < i
        ? [`column ${i + 1} names ${name} again (column ${header.indexOf(name) + 1})`]
        : [],
  );
  if (problems.length > 0) throw new UsageError(`line 1: ${problems.join("; ")}`);
  return found;
}

/**
 * Checks each record against its kind's rules (the account's name, the secret's rules as `set`
 * applies them, env, seller IDs, one line per account); collects every problem, with its line and
 * column, and throws when there is any.
 */
function checkLines(ctx: CommandContext, kind: Kind, header: string[], records: CsvRow[], delimiter: CsvDelimiter): Line[] {
  const columns = COLUMNS[kind.id];
  const separatorInSecret = `a ${delimiter === ";" ? "semicolon" : "comma"} in a secret needs quotes`;
  const problems: string[] = [];
  const lines: Line[] = [];
  const seen = new Map<string, number>();
  for (const { line, fields } of records) {
    const problem = (column: string | undefined, message: string): void =>
      void problems.push(`line ${line}${column === undefined ? "" : `, column ${column}`}: ${message}`);
    // A quote opening a field and closed lines later swallows the lines between (their accounts
    // would vanish into this one's secret): no field may span lines.
    let first = line;
    let spans = false;
    fields.forEach((field, i) => {
      const breaks = field.split("\n").length - 1;
      if (breaks > 0) {
        spans = true;
        problem(
          header[i] ?? String(i + 1),
          `a quoted field spans lines ${first} to ${first + breaks}, taking in the lines after it (no field may hold a line break; a value that starts with a quote is written quoted, its quotes doubled)`,
        );
      }
      first += breaks;
    });
    if (spans) continue;
    if (fields.length !== header.length) {
      problem(undefined, `${fields.length} field${fields.length === 1 ? "" : "s"} where the header has ${header.length}`);
      continue;
    }
    const value = (name: string): string | undefined => {
      const i = header.indexOf(name);
      return i < 0 ? undefined : fields[i];
    };
    let account: string | undefined;
    try {
      account = kind.accountName(value(columns.account)!);
    } catch (error) {
      if (!(error instanceof CdcredsError)) throw error;
      problem(columns.account, error.message);
    }
    const secret = value(columns.secret)!;
    ctx.ui.redact(secret);
    const refused = secretProblem(secret);
    if (refused !== undefined) problem(columns.secret, `the ${columns.secret.replace("_", " ")} is refused: ${refused}`);
    const envText = value("env")?.trim() ?? "";
    const env = envText === "" ? ctx.options.env : ENVIRONMENTS.find((e) => e === envText);
    if (env === undefined) problem("env", `must be ${ENVIRONMENTS.join(" or ")}, or empty for --env's (${separatorInSecret})`);
    const sellerIds = (value("seller_ids") ?? "").split(/[\s,;|]+/).filter((id) => id !== "");
    const bad = sellerIds.filter((id) => kind.sellers?.idProblem(id) !== undefined).length;
    if (bad > 0) {
      problem(
        "seller_ids",
        `${bad} value${bad === 1 ? " is no seller ID" : "s are no seller IDs"} (1 to 64 letters, digits, ".", "_" or "-"; ${separatorInSecret})`,
      );
    }
    if (account === undefined || env === undefined || refused !== undefined) continue;
    // Names are NFC (the kinds' accountName): two spellings of one name are one account.
    const key = `${env}\n${account}`;
    const twice = seen.get(key);
    if (twice !== undefined) problem(columns.account, `the same account (${env}) as line ${twice}: one line per account`);
    else seen.set(key, line);
    lines.push({ line, account, secret, env, sellerIds });
  }
  if (problems.length > 0) {
    for (const problem of problems.slice(0, MAX_LISTED)) ctx.ui.failure(problem);
    if (problems.length > MAX_LISTED) ctx.ui.info(`… and ${problems.length - MAX_LISTED} more`);
    throw new UsageError(`the file has ${problems.length} problem${problems.length === 1 ? "" : "s"}; nothing was imported`);
  }
  return lines;
}
