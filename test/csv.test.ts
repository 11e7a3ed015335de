// The CSV reader of `cdcreds import` (RFC 4180 as spreadsheets write it), and the batch rules that
// `import` and `verify --all` share.
import { describe, expect, it } from "vitest";
import { batchExitCode, eachLimited, parseJobs } from "../src/cli/batch.js";
import { CsvError, parseCsv } from "../src/cli/csv.js";
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
