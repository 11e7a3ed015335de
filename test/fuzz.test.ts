// Hostile input, generated: login validation and the token-answer parser never throw
// anything but the typed error, never find a token inside an HTML page, and do bounded work on huge
// or adversarial input. A gzip-encoded answer is never decompressed, never read to its end.
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { classifyResponse, MAX_BODY_BYTES, parseToken } from "../src/kinds/api-login/answer.js";
import { isEncodedBody } from "../src/platform/http/request.js";
import { requestToken } from "../src/kinds/api-login/client.js";
import { UsageError } from "../src/errors.js";
import { deriveApiLogin, loginProblem, MAX_LOGIN_LENGTH } from "../src/kinds/api-login/login.js";
import { startEmulator } from "./support/emulator.js";

const RUNS = { numRuns: 500 };
const SERIALIZATION = 'xmlns="http://schemas.microsoft.com/2003/10/Serialization/"';
const tokenLike = fc.stringMatching(/^[A-Za-z0-9]{16,64}$/);
/** Any text, including lone surrogates, controls, NUL and every Unicode plane. */
const anyText = fc.string({ unit: "binary", maxLength: 300 });

describe("login validation (fuzzed)", () => {
  it("either derives a clean API login or throws UsageError naming the problem; nothing else", () => {
    fc.assert(
      fc.property(anyText, (input) => {
        let problem: string | undefined;
        expect(() => (problem = loginProblem(input.trim()))).not.toThrow();
        try {
          const { apiLogin, sellerLogin } = deriveApiLogin(input);
          expect(problem).toBeUndefined();
          expect(apiLogin).toBe(`${sellerLogin}-api`);
          expect(apiLogin).not.toMatch(/[\s:\p{Cc}\p{Cf}]/u);
          expect([...sellerLogin].length).toBeLessThanOrEqual(MAX_LOGIN_LENGTH);
        } catch (error) {
          expect(error).toBeInstanceOf(UsageError);
          expect((error as UsageError).message).toBe(`invalid login: ${problem}`);
        }
      }),
      RUNS,
    );
  });

  it("answers at once for a megabyte-long login", () => {
    const started = Date.now();
    for (const input of ["a".repeat(2 ** 20), " ".repeat(2 ** 20), `${"a".repeat(2 ** 20)}:`, "\u200b".repeat(2 ** 20)]) {
      expect(() => deriveApiLogin(input)).toThrow(UsageError);
    }
    // A guard against catastrophic work (a backtracking pattern takes minutes here), not a budget:
    // other test files run at the same time on the same cores.
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe("token answer parser and classifier (fuzzed)", () => {
  const statuses = fc.oneof(fc.integer({ min: 100, max: 599 }), fc.constantFrom(200, 401, 403, 302, 429, 503));
  const headers = fc.record(
    {
      contentType: fc.option(fc.string(), { nil: undefined }),
      contentEncoding: fc.option(fc.string(), { nil: undefined }),
      location: fc.option(fc.string(), { nil: undefined }),
    },
    { requiredKeys: [] },
  );

  it("never throws, and calls an answer valid only for a 200 with an unencoded token body", () => {
    fc.assert(
      fc.property(statuses, headers, anyText, (status, head, body) => {
        const outcome = classifyResponse(status, head, body);
        expect(["valid", "rejected", "unexpected", "unreachable"]).toContain(outcome.status);
        if (outcome.status === "valid") {
          expect(status).toBe(200);
          expect(isEncodedBody(head.contentEncoding)).toBe(false);
          expect(outcome.token).toBe(parseToken(body));
        } else {
          expect(outcome.detail).not.toContain(body.length > 8 ? body : "\u0000never");
        }
      }),
      RUNS,
    );
  });

  it("finds the token in every well-formed success body", () => {
    const space = fc.constantFrom("", " ", "\n", "\r\n", "\t ");
    fc.assert(
      fc.property(tokenLike, space, space, fc.boolean(), (token, before, after, declaration) => {
        const body = `${declaration ? '<?xml version="1.0"?>' : ""}${before}<string ${SERIALIZATION}>${token}</string>${after}`;
        expect(parseToken(body)).toBe(token);
        expect(classifyResponse(200, { contentType: "text/plain" }, body)).toEqual({ status: "valid", token });
      }),
      RUNS,
    );
  });

  it("never takes a token out of an HTML page, whatever <string> fragments or token-like runs it holds", () => {
    const fragment = fc.oneof(
      tokenLike.map((t) => `<string ${SERIALIZATION}>${t}</string>`),
      tokenLike.map((t) => `<string>${t}</string>`),
      tokenLike,
      fc.constantFrom("<p>Welcome on Cdiscount STS</p>", "<script>var t='0123456789abcdef0123';</script>", "\n", "<br/>"),
      fc.string({ maxLength: 40 }),
    );
    const page = fc
      .tuple(
        fc.constantFrom("<!DOCTYPE html>", "<html>", "<HTML lang=fr>", "<!doctype html><html><body>", " \n<html>"),
        fc.array(fragment, { maxLength: 8 }),
        fc.constantFrom("</html>", "", "</body></html>\n"),
      )
      .map(([head, parts, tail]) => `${head}${parts.join("")}${tail}`);
    fc.assert(
      fc.property(page, fc.constantFrom("text/html", "text/html; charset=utf-8", "text/plain", undefined), (html, contentType) => {
        expect(parseToken(html)).toBeUndefined();
        const outcome = classifyResponse(200, { contentType }, html);
        expect(outcome.status).toBe("unexpected");
      }),
      RUNS,
    );
  });

  it("never calls an encoded (compressed) body valid, even when its bytes read as a token answer", () => {
    fc.assert(
      fc.property(
        tokenLike,
        fc.constantFrom("gzip", "GZIP", "deflate", "br", "x-gzip", "gzip, identity", "compress"),
        (token, encoding) => {
          const outcome = classifyResponse(200, { contentEncoding: encoding }, `<string ${SERIALIZATION}>${token}</string>`);
          expect(outcome).toMatchObject({ status: "unexpected", httpStatus: 200 });
        },
      ),
    );
    expect(classifyResponse(200, { contentEncoding: "identity" }, `<string>${"a".repeat(32)}</string>`).status).toBe("valid");
  });

  // The token pattern is anchored on the whole body with no nested or overlapping quantifiers (each
  // `[^>]*` or `\s*` run is followed by a character it cannot match), so V8's backtracking stays
  // linear. These are the inputs that would expose a change that broke that: each takes
  // milliseconds; the 2 s bound only catches catastrophic (polynomial or exponential) backtracking.
  it.each([
    ["an endless XML declaration", `<?xml${"?".repeat(2 ** 20)}`],
    ["XML declarations without end", `${"<?xml ?".repeat(2 ** 18)}`],
    ["leading whitespace, then nothing", `${" ".repeat(2 ** 20)}x`],
    ["an endless <string> start tag", `<string ${" a=b".repeat(2 ** 18)}`],
    ["an endless token-like run", `<string>${"a".repeat(2 ** 20)}</string>`],
    ["whitespace around a token, unclosed", `<string>${" ".repeat(2 ** 19)}${"a".repeat(32)}${" ".repeat(2 ** 19)}</strin`],
    ["many nested string tags", `${"<string>".repeat(2 ** 17)}${"a".repeat(32)}${"</string>".repeat(2 ** 17)}`],
    ["an HTML page with a token every few bytes", `<html>${`<string>${"b".repeat(32)}</string>`.repeat(2 ** 15)}</html>`],
  ])("does bounded work on %s (1 MB+)", (_what, body) => {
    expect(body.length).toBeGreaterThan(MAX_BODY_BYTES * 16);
    const started = Date.now();
    expect(parseToken(body)).toBeUndefined();
    expect(classifyResponse(200, { contentType: "text/plain" }, body).status).toBe("unexpected");
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe("a gzip-encoded answer (a gzip bomb)", () => {
  it("is unexpected, is never decompressed, and is not read to its end", async () => {
    const sts = await startEmulator();
    try {
      sts.answer("gzip-bomb");
      const before = process.resourceUsage().maxRSS;
      const answer = await requestToken({ url: new URL(sts.url), apiLogin: "bestshop-api", password: "pw", timeoutMs: 10_000, retries: 2 });
      expect(answer).toMatchObject({ status: "unexpected", httpStatus: 200, attempts: 1 });
      expect(answer.status !== "valid" && answer.detail).toBe("HTTP 200 with a gzip body although identity was asked (not read)");
      // 16 MiB were on offer (16 GiB once inflated): the client hung up first.
      await vi.waitFor(() => expect(sts.requests[0]?.finished).toBe(false));
      // maxRSS is in KiB: reading it all, let alone inflating it, would show here.
      expect(process.resourceUsage().maxRSS - before).toBeLessThan(64 * 1024);
    } finally {
      await sts.close();
    }
  });
});
