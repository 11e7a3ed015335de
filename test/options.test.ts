import { describe, expect, it } from "vitest";
import { isLoopbackHost, parseServiceUrl } from "../src/platform/http/loopback.js";
import { TOKEN_URLS } from "../src/kinds/api-login/endpoints.js";
import { UsageError } from "../src/errors.js";
import { resolveGlobalOptions } from "../src/core/options.js";

describe("resolveGlobalOptions", () => {
  it("has the documented defaults", () => {
    expect(resolveGlobalOptions({}, {})).toEqual({
      kind: undefined,
      env: "prod",
      authUrl: undefined,
      apiUrl: undefined,
      timeoutMs: 20_000,
      retries: 2,
      json: false,
      store: "keychain",
      debug: false,
    });
  });

  it("reads CDCREDS_* variables, and flags win over them", () => {
    const env = { CDCREDS_ENV: "preprod", CDCREDS_STORE: "file", CDCREDS_AUTH_URL: "http://127.0.0.1:9/x" };
    const fromEnv = resolveGlobalOptions({}, env);
    expect(fromEnv).toMatchObject({ env: "preprod", store: "file" });
    expect(fromEnv.authUrl?.href).toBe("http://127.0.0.1:9/x");
    const fromFlags = resolveGlobalOptions({ env: "prod", store: "keychain", authUrl: "https://example.test/t" }, env);
    expect(fromFlags).toMatchObject({ env: "prod", store: "keychain" });
    expect(fromFlags.authUrl?.href).toBe("https://example.test/t");
  });

  it.each([
    [{}, { CDCREDS_ENV: "staging" }, /unknown environment "staging" from CDCREDS_ENV/],
    [{}, { CDCREDS_STORE: "vault" }, /unknown store "vault" from CDCREDS_STORE/],
    [{ timeout: "soon" }, {}, /--timeout must be a number/],
    [{ timeout: "0" }, {}, /--timeout must be a number/],
    [{ retries: "1.5" }, {}, /--retries must be an integer/],
    [{ retries: "-1" }, {}, /--retries must be an integer/],
    [{}, { CDCREDS_AUTH_URL: "not a url" }, /CDCREDS_AUTH_URL is not a valid URL/],
    // Empty is not "production": a variable emptied by mistake is reported, never silently ignored.
    [{}, { CDCREDS_AUTH_URL: "" }, /^CDCREDS_AUTH_URL is empty$/],
    [{ authUrl: "" }, {}, /^--auth-url is empty$/],
    [{ authUrl: " " }, {}, /^--auth-url is empty$/],
    // Plain decimals only: Number() alone would read these as 16, 1000, 3 and 16.
    [{ timeout: "0x10" }, {}, /--timeout must be a number from 0.001 to 600, not "0x10"/],
    [{ timeout: "1e3" }, {}, /--timeout must be a number/],
    [{ retries: "0b11" }, {}, /--retries must be an integer/],
    [{ retries: "0x1" }, {}, /--retries must be an integer/],
  ])("refuses %j %j with a usage error naming the source", (raw, env, message) => {
    expect(() => resolveGlobalOptions(raw, env)).toThrow(UsageError);
    expect(() => resolveGlobalOptions(raw, env)).toThrow(message);
  });

  it("converts the timeout to milliseconds", () => {
    expect(resolveGlobalOptions({ timeout: "1.5", retries: "0" }, {})).toMatchObject({ timeoutMs: 1500, retries: 0 });
  });
});

describe("auth URL policy", () => {
  it.each(["https://sts.example.test/x", "http://127.0.0.1:8080/t", "http://127.9.9.9/", "http://[::1]:3000/", "http://localhost:1/"])(
    "accepts %s",
    (url) => {
      expect(parseServiceUrl(url, "--auth-url").href).toBe(new URL(url).href);
    },
  );

  it.each([
    ["http://sts.cdiscount.com/x", /only allowed to a loopback host/],
    ["http://10.0.0.1/x", /only allowed to a loopback host/],
    ["http://128.0.0.1/x", /only allowed to a loopback host/],
    ["http://localhost.evil.test/x", /only allowed to a loopback host/],
    ["ftp://127.0.0.1/x", /scheme must be https:/],
    ["https://user:pw@example.test/", /must not contain credentials/],
  ])("refuses %s", (url, message) => {
    expect(() => parseServiceUrl(url, "--auth-url")).toThrow(message);
  });

  it.each([
    ["http://127.0.0.1/", true],
    ["http://127.1/", true],
    ["http://0x7f000001/", true],
    ["http://127.255.255.254:8080/", true],
    ["http://[::1]/", true],
    ["http://[0:0:0:0:0:0:0:1]/", true],
    ["http://LOCALHOST/", true],
    ["http://sts.localhost/", true],
    ["http://127.example.test/", false],
    ["http://128.0.0.1/", false],
    ["http://[::ffff:10.0.0.1]/", false],
    ["http://[::ffff:127.0.0.1]/", false],
    ["http://localhost.evil.test/", false],
  ])("takes %s for loopback: %s", (url, loopback) => {
    expect(isLoopbackHost(new URL(url).hostname)).toBe(loopback);
  });

  it("defaults to Cdiscount's token services over https", () => {
    for (const url of Object.values(TOKEN_URLS)) expect(new URL(url).protocol).toBe("https:");
  });
});
