// References (`cdcreds://...`) parsed, and the forms of a secret that `run` masks and `scan` finds.
import { describe, expect, it } from "vitest";
import { ExitCode, UsageError } from "../src/errors.js";
import { parseReference } from "../src/core/reference.js";
import { secretForms } from "../src/core/secret-forms.js";

describe("parseReference", () => {
  it.each([
    ["cdcreds://bestshop-api", { account: "bestshop-api", field: "secret", env: undefined, kind: undefined }],
    ["cdcreds://bestshop/token", { account: "bestshop", field: "token", env: undefined, kind: undefined }],
    [
      "cdcreds://Best%20Shop@agency.example/seller-id?env=preprod&kind=octopia",
      { account: "Best Shop@agency.example", field: "seller-id", env: "preprod", kind: "octopia" },
    ],
    ["cdcreds://a%2Fb/account?kind=api-login", { account: "a/b", field: "account", env: undefined, kind: "api-login" }],
    ["cdcreds://shop?env=prod", { account: "shop", field: "secret", env: "prod", kind: undefined }],
  ])("%s", (text, expected) => {
    expect(parseReference(text)).toEqual({ text, ...expected });
  });

  it.each([
    ["cdcreds:///token", "names no account"],
    ["https://shop", "does not begin with cdcreds://"],
    ["cdcreds://shop/password", 'unknown field "password"'],
    ["cdcreds://shop?env=staging", 'unknown environment "staging"'],
    ["cdcreds://shop?kind=oauth", 'unknown kind "oauth"'],
    ["cdcreds://shop?login=x", 'unknown parameter "login"'],
    ["cdcreds://shop?env=prod&env=preprod", '"env" is given twice'],
    ["cdcreds://shop%zz", "percent-encoding is malformed"],
    ["cdcreds://shop%0a", "control character"],
  ])("%s is exit 2, naming the reference", (text, why) => {
    let error: unknown;
    try {
      parseReference(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(ExitCode.Usage);
    expect((error as UsageError).message).toContain(`reference "${text}"`);
    expect((error as UsageError).message).toContain(why);
  });

  it("escapes a control character of a reference in its message", () => {
    expect(() => parseReference("cdcreds://shop/\u001b[2J")).toThrow('reference "cdcreds://shop/\\e[2J": unknown field "\\e[2J"');
  });
});

describe("secretForms", () => {
  it("gives the value, its percent-encodings and its JSON escapings, PHP's included", () => {
    const forms = secretForms('p/w é"+');
    expect(forms).toEqual([
      { form: "value", text: 'p/w é"+' },
      { form: "percent-encoded", text: "p%2Fw%20%C3%A9%22%2B" },
      { form: "percent-encoded", text: "p%2Fw+%C3%A9%22%2B" },
      { form: "JSON-escaped", text: 'p/w é\\"+' },
      { form: "JSON-escaped", text: 'p/w \\u00e9\\"+' },
      { form: "JSON-escaped", text: 'p\\/w é\\"+' },
      { form: "JSON-escaped", text: 'p\\/w \\u00e9\\"+' },
      { form: "JSON-escaped", text: 'p/w \\u00E9\\"+' },
    ]);
  });

  it("writes each text once, and the HTTP Basic header of an API login", () => {
    expect(secretForms("abc", "shop-api")).toEqual([
      { form: "value", text: "abc" },
      { form: "HTTP Basic", text: Buffer.from("shop-api:abc").toString("base64") },
    ]);
  });

  it("escapes a character beyond U+FFFF as a surrogate pair, as PHP does", () => {
    expect(secretForms("x😀").map((f) => f.text)).toContain("x\\ud83d\\ude00");
  });
});
