// The CSV reader of `cdcreds import` (RFC 4180 as spreadsheets write it), and the batch rules that
// `import` and `verify --all` share.
import { describe, expect, it } from "vitest";
import { batchExitCode, eachLimited, parseJobs } from "../src/cli/batch.js";
import { CsvError, headerDelimiter, parseCsv } from "../src/cli/csv.js";
import { decodeWindows1252 } from "../src/cli/import-file.js";
import { UsageError } from "../src/errors.js";

describe("parseCsv", () => {
  it("reads fields, quoted ones with commas, doubled quotes and line breaks, LF or CRLF, a BOM, with each record's line", () => {
    const text = '\uFEFFlogin,password\r\nbest,"a,b ""c"""\r\n\r\nother,"two\nlines"\nlast,x';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ["login", "password"] },
      { line: 2, fields: ["best", 'a,b "c"'] },
      { line: 4, fields: ["other", "two\nlines"] },
      { line: 6, fields: ["last", "x"] },
    ]);
  });

  it("keeps empty fields, spaces and an empty quoted field as they are", () => {
    expect(parseCsv('a,,"", b \n')).toEqual([{ line: 1, fields: ["a", "", "", " b "] }]);
  });

  it.each([
    ['a,"open\nstill open', 1, /never closed/],
    ['a,"closed"text\n', 1, /text after a closing quote/],
    ['ok,1\nbad,x"y\n', 2, /a quote inside an unquoted field/],
  ])("refuses %j at line %i", (text, line, message) => {
    const error = (() => {
      try {
        parseCsv(text);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(CsvError);
    expect(error).toMatchObject({ line, message: expect.stringMatching(message) as unknown });
  });
});

describe("CSV as Excel writes it", () => {
  it("takes the separator from the header row: `;` (Excel where `,` is the decimal mark) or `,`", () => {
    expect(headerDelimiter("login;password;env\r\nbest;a,b;prod\r\n")).toBe(";");
    expect(headerDelimiter("\uFEFF\r\n\nlogin;password\n")).toBe(";"); // a BOM and empty lines first
    expect(headerDelimiter('"log,in";password\n')).toBe(";"); // quoted text is not the separator
    expect(headerDelimiter("login,password\nbest;x,y\n")).toBe(",");
    expect(headerDelimiter("login\nbest;x\n")).toBe(","); // one column: the rows say nothing
    expect(parseCsv('login;password;env\r\nbest;a,b c;prod\r\nother;"x;""y""";\r\n')).toEqual([
      { line: 1, fields: ["login", "password", "env"] },
      { line: 2, fields: ["best", "a,b c", "prod"] },
      { line: 3, fields: ["other", 'x;"y"', ""] },
    ]);
    expect(() => parseCsv('login;password\nbest;"x",y\n')).toThrow(/text after a closing quote/);
  });

  it("reads Windows-1252 byte for byte as the WHATWG index has it: every byte a character, never U+FFFD", () => {
    // Node's own TextDecoder("windows-1252") reads 0x80-0x9F as Latin-1 on some versions (20.x here).
    // prettier-ignore
    const high = [
      0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
      0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
    ];
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(Array.from(decodeWindows1252(all), (c) => c.codePointAt(0))).toEqual(
      Array.from(all, (b) => (b >= 0x80 && b < 0xa0 ? high[b - 0x80] : b)),
    );
    expect(decodeWindows1252(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x80, 0x9c]))).toBe("café€œ");
  });
});

describe("the batch rules", () => {
  it("takes --jobs from 1 to 32, 4 by default, and refuses anything else with exit 2", () => {
    expect([parseJobs(undefined), parseJobs("1"), parseJobs("32")]).toEqual([4, 1, 32]);
    for (const bad of ["0", "33", "-1", "2.5", "four", ""]) expect(() => parseJobs(bad)).toThrow(UsageError);
  });

  it("runs at most `jobs` at a time and keeps the items' order", async () => {
    let running = 0;
    let most = 0;
    const results = await eachLimited([5, 1, 4, 2, 3], 2, async (n) => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, n * 3));
      running--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });

  it("answers 1 over 5 over 4 over any other failure, and 0 when all passed", () => {
    expect(batchExitCode([0, 4, 5, 1, 0])).toBe(1);
    expect(batchExitCode([4, 5, 0])).toBe(5);
    expect(batchExitCode([0, 4, 2])).toBe(4);
    expect(batchExitCode([0, 2])).toBe(2);
    expect(batchExitCode([0, 0])).toBe(0);
    expect(batchExitCode([])).toBe(0);
  });
});
