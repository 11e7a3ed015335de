// CSV as spreadsheets and scripts write it (RFC 4180): fields separated by commas, quoted with `"`
// when they hold a comma, a quote (doubled) or a line break; lines ended by LF or CRLF; an optional
// UTF-8 byte order mark. Excel where the decimal mark is a comma (French, German... Windows) writes
// `;` instead: the separator is the one the header row uses. No library: the whole grammar is this
// loop, and its errors name the line.

/** One record, with the line it starts on (from 1). */
export interface CsvRow {
  line: number;
  fields: string[];
}

/** A file that is not CSV, at a line. */
export class CsvError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** The separators a file may use: `,` (RFC 4180), or `;` (Excel where `,` is the decimal mark). */
export type CsvDelimiter = "," | ";";

/**
 * The separator of the header row (the first line that is not empty; a BOM and quoted text
 * skipped): the first `,` or `;` it has; `,` when it has neither (one column). The header names
 * columns, which hold neither, so the first one is the file's.
 */
export function headerDelimiter(text: string): CsvDelimiter {
  let quoted = false;
  let empty = true; // nothing read of this line yet
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    if (quoted) continue;
    if (c === "," || c === ";") return c;
    if (c === "\n" && !empty) break;
    if (c !== "\n" && c !== "\r" && c !== "\uFEFF") empty = false;
  }
  return ",";
}

/**
 * Splits CSV text into records, fields separated by `delimiter` (by default the header row's). Empty lines are skipped; the last line may lack its line break.
 * @throws {CsvError} for a quote left open, or text after a closing quote.
 */
export function parseCsv(text: string, delimiter: CsvDelimiter = headerDelimiter(text)): CsvRow[] {
  const rows: CsvRow[] = [];
  const input = text.startsWith("\uFEFF") ? text.slice(1) : text;
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let start = 1;
  let quoted = false;
  let fresh = true; // nothing read of this field yet
  const endRecord = (): void => {
    fields.push(field);
    if (fields.length > 1 || fields[0] !== "") rows.push({ line: start, fields });
    fields = [];
    field = "";
    fresh = true;
  };
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
        const next = input[i + 1];
        if (next !== undefined && next !== delimiter && next !== "\n" && next !== "\r") {
          throw new CsvError(line, 'text after a closing quote (a quote inside a quoted field is written twice: "")');
        }
      } else {
        if (c === "\n") line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && fresh) {
      quoted = true;
      fresh = false;
    } else if (c === delimiter) {
      fields.push(field);
      field = "";
      fresh = true;
    } else if (c === "\n" || (c === "\r" && input[i + 1] === "\n")) {
      if (c === "\r") i++;
      endRecord();
      line++;
      start = line;
    } else {
      if (c === '"') throw new CsvError(line, 'a quote inside an unquoted field (quote the whole field, and write the quote twice: "")');
      field += c;
      fresh = false;
    }
  }
  if (quoted) throw new CsvError(start, "a quoted field is never closed");
  if (!fresh || fields.length > 0) endRecord();
  return rows;
}
