import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ExitCode, UsageError } from "../src/errors.js";
import { deriveApiLogin, loginProblem, MAX_LOGIN_LENGTH } from "../src/kinds/api-login/login.js";

describe("deriveApiLogin", () => {
  it("appends -api to a seller login", () => {
    expect(deriveApiLogin("bestshop")).toEqual({ sellerLogin: "bestshop", apiLogin: "bestshop-api", alreadyApi: false });
  });

  it("trims surrounding whitespace", () => {
    expect(deriveApiLogin("  bestshop\t\n").apiLogin).toBe("bestshop-api");
  });

  it("returns an API login unchanged", () => {
    expect(deriveApiLogin("bestshop-api")).toEqual({ sellerLogin: "bestshop", apiLogin: "bestshop-api", alreadyApi: true });
  });

  it("accepts non-ASCII letters and punctuation other than a colon", () => {
    expect(deriveApiLogin("épicerie.fine_42@x").apiLogin).toBe("épicerie.fine_42@x-api");
  });

  it("names the character the user typed, not its composed form (NFC maps U+2000 to U+2002)", () => {
    expect(() => deriveApiLogin("!\u2000!")).toThrow("invalid login: the login contains whitespace (U+2000)");
  });

  it("accepts exactly 128 characters and refuses 129", () => {
    expect(deriveApiLogin("a".repeat(MAX_LOGIN_LENGTH)).apiLogin).toBe(`${"a".repeat(MAX_LOGIN_LENGTH)}-api`);
    expect(() => deriveApiLogin("a".repeat(MAX_LOGIN_LENGTH + 1))).toThrow(/longer than 128 characters/);
  });

  it("applies the 128 characters to the seller login, so an account stored by either name can be named by both", () => {
    const longest = "a".repeat(MAX_LOGIN_LENGTH);
    const { apiLogin } = deriveApiLogin(longest);
    expect(deriveApiLogin(apiLogin)).toEqual({ sellerLogin: longest, apiLogin, alreadyApi: true });
    expect(() => deriveApiLogin(`a${apiLogin}`)).toThrow(/^invalid login: the login is longer than 128 characters before its -api suffix$/);
  });

  it("counts characters, not UTF-16 units", () => {
    expect(deriveApiLogin("😀".repeat(MAX_LOGIN_LENGTH)).sellerLogin).toHaveLength(MAX_LOGIN_LENGTH * 2);
  });

  it.each([
    ["", /the login is empty/],
    ["   ", /the login is empty/],
    ["best shop", /whitespace \(U\+0020\)/],
    ["best\u00a0shop", /whitespace \(U\+00A0\)/],
    ["best\tshop", /whitespace \(U\+0009\)/],
    ["best\u0000shop", /control character \(U\+0000\)/],
    ["best\u200bshop", /control character \(U\+200B\)/],
    ["best:shop", /colon/],
    ["-api", /only the "-api" suffix/],
  ])("refuses %j with exit 2 and a message naming the problem", (input, message) => {
    let error: unknown;
    try {
      deriveApiLogin(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(ExitCode.Usage);
    expect((error as UsageError).message).toMatch(message);
  });
});

describe("deriveApiLogin properties", () => {
  const anyInput = fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" }));

  it("never yields whitespace, control characters or a colon, and always ends in -api", () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        let apiLogin: string;
        try {
          apiLogin = deriveApiLogin(input).apiLogin;
        } catch (error) {
          expect(error).toBeInstanceOf(UsageError);
          return;
        }
        expect(apiLogin).not.toMatch(/[\s\p{Cc}:]/u);
        expect(apiLogin.endsWith("-api")).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("is idempotent: deriving an API login gives it back", () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        const problem = loginProblem(input.trim());
        fc.pre(problem === undefined);
        const once = deriveApiLogin(input).apiLogin;
        expect(deriveApiLogin(once).apiLogin).toBe(once);
      }),
      { numRuns: 2000 },
    );
  });

  it("refuses exactly the inputs that have a problem, and every refusal has a message", () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        const problem = loginProblem(input.trim());
        if (problem === undefined) {
          expect(() => deriveApiLogin(input)).not.toThrow();
        } else {
          expect(problem.length).toBeGreaterThan(0);
          expect(() => deriveApiLogin(input)).toThrow(`invalid login: ${problem}`);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("accepts every login made of safe characters and keeps it", () => {
    const safe = fc.stringMatching(/^[A-Za-z0-9._@+-]{1,100}$/).filter((s) => s !== "-api");
    fc.assert(
      fc.property(safe, (login) => {
        const { sellerLogin, apiLogin } = deriveApiLogin(login);
        expect(`${sellerLogin}-api`).toBe(apiLogin);
        expect(apiLogin.startsWith(login.endsWith("-api") ? login.slice(0, -4) : login)).toBe(true);
      }),
    );
  });
});
