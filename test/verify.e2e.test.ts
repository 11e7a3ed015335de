import { describe, it as base } from "vitest";
import { runCli, type CliOptions, type CliResult } from "./support/cli.js";
import { REDIRECT_PATH, TOKEN_PATH, startEmulator, startProxy, type Emulator, type EmulatorMode } from "./support/emulator.js";

// A password that must never show up in any output, with every character a Cdiscount password may hold.
const SENTINEL = "Sentinel€:=/|@()&é ñ-7f3a";
const HINT =
  "hint: check that the login ends in -api, that the password is the seller account's current one, and that the account is fully validated by Cdiscount\n";

// No variable of the test runner's may steer the binary: each test sets what it needs.
const CLEAN_ENV: Record<string, string | undefined> = {
  CDISCOUNT_API_LOGIN: undefined,
  CDISCOUNT_API_PASSWORD: undefined,
  CDCREDS_LOGIN: undefined,
  CDCREDS_AUTH_URL: undefined,
  CDCREDS_ENV: undefined,
  HTTP_PROXY: undefined,
  http_proxy: undefined,
  HTTPS_PROXY: undefined,
  https_proxy: undefined,
  NO_PROXY: undefined,
  no_proxy: undefined,
};

// Each test gets its own emulator, so the spawns of the built binary can run concurrently.
const it = base.extend<{ sts: Emulator; host: string }>({
  // eslint-disable-next-line no-empty-pattern -- vitest needs the destructured (empty) context
  sts: async ({}, use) => {
    const sts = await startEmulator();
    await use(sts);
    await sts.close();
  },
  host: async ({ sts }, use) => use(new URL(sts.origin).host),
});

/**
 * `cdcreds --auth-url <emulator> verify <args>`, the sentinel password on stdin unless told
 * otherwise. Whatever the case, the password must not appear in the output.
 */
async function verify(sts: Emulator, args: string[], options: CliOptions = {}): Promise<CliResult> {
  const result = await runCli(["--auth-url", sts.url, "verify", ...args], {
    input: `${SENTINEL}\n`,
    ...options,
    env: { ...CLEAN_ENV, ...options.env },
  });
  if (`${result.stdout}${result.stderr}`.includes(SENTINEL)) throw new Error(`the password was printed: ${JSON.stringify(result)}`);
  return result;
}

// No retry; a timeout generous enough for a loaded CI machine: only "hang" and "stall" reach it.
const FAST = ["--timeout", "5", "--retries", "0"];

describe.concurrent("cdcreds verify: each answer of the token service", () => {
  it("valid: exit 0, one line on stderr, nothing on stdout", async ({ sts, expect }) => {
    sts.setCredentials("bestshop-api", SENTINEL);
    expect(await verify(sts, ["--password-stdin", "bestshop", ...FAST])).toMatchObject({
      code: 0,
      stdout: "",
      stderr: "✓ bestshop-api: credentials valid (prod)\n",
    });
    expect(sts.requests).toMatchObject([{ method: "GET", url: TOKEN_PATH, login: "bestshop-api", password: SENTINEL }]);
  });

  it.for(["401", "403"] as const)(
    "%s: exit 1 with the hint, sent exactly once even with retries allowed",
    async (mode, { sts, expect }) => {
      sts.answer(mode);
      expect(await verify(sts, ["--password-stdin", "bestshop", "--timeout", "5", "--retries", "3"])).toMatchObject({
        code: 1,
        stdout: "",
        stderr: `error: bestshop-api: credentials rejected by Cdiscount (HTTP ${mode})\n${HINT}`,
      });
      expect(sts.requests).toHaveLength(1);
    },
  );

  it.for<[EmulatorMode, string]>([
    ["challenge", 'HTTP 200 with the bot-protection page "Welcome on Cdiscount STS" instead of a token'],
    ["xml", "HTTP 200 with an XML document without a token instead of a token"],
    ["empty", "HTTP 200 with an empty body instead of a token"],
    ["redirect", "HTTP 302 redirect to HOST, not followed"],
  ])("%s: exit 4, unexpected answer, one request", async ([mode, detail], { sts, host, expect }) => {
    sts.answer(mode);
    expect(await verify(sts, ["--password-stdin", "bestshop", "--timeout", "5", "--retries", "2"])).toMatchObject({
      code: 4,
      stdout: "",
      stderr: `error: cannot verify bestshop-api: ${host} answered unexpectedly: ${detail.replace("HOST", host)}\n`,
    });
    expect(sts.requests.map((r) => r.url)).toEqual([TOKEN_PATH]);
    expect(sts.requests.map((r) => r.url)).not.toContain(REDIRECT_PATH);
  });

  // A reset mid-body surfaces as ECONNRESET or as undici's "other side closed", depending on timing.
  const RESET = /connection (reset \(ECONNRESET\)|closed by the other side \(UND_ERR_SOCKET\))/;
  it.for<[EmulatorMode, string | RegExp, string]>([
    ["429", "HTTP 429 (too many requests)", "5"],
    ["500", "HTTP 500", "5"],
    ["503", "HTTP 503", "5"],
    ["reset", RESET, "5"],
    ["huge", "answer larger than 64 KiB", "5"],
    ["hang", "timed out after 1 s", "1"],
    ["stall", "timed out after 1 s", "1"],
  ])("%s: exit 4, service unreachable", async ([mode, detail, timeout], { sts, host, expect }) => {
    sts.answer(mode);
    const result = await verify(sts, ["--password-stdin", "bestshop", "--timeout", timeout, "--retries", "0"]);
    expect(result).toMatchObject({ code: 4, stdout: "" });
    const prefix = `error: cannot verify bestshop-api: ${host} unreachable: `;
    if (typeof detail === "string") expect(result.stderr).toBe(`${prefix}${detail}\n`);
    else expect(result.stderr).toMatch(new RegExp(`^${prefix.replaceAll(".", "\\.")}${detail.source}\n$`));
    expect(sts.requests).toHaveLength(1);
  });

  it("retries the unreachable class --retries times, then succeeds when the service recovers", async ({ sts, expect }) => {
    sts.answer("503", "token");
    expect(await verify(sts, ["--password-stdin", "bestshop", "--retries", "1"])).toMatchObject({
      code: 0,
      stderr: "✓ bestshop-api: credentials valid (prod)\n",
    });
    expect(sts.requests).toHaveLength(2);
  });

  it("says how many attempts were made when retries did not help", async ({ sts, host, expect }) => {
    sts.answer("500");
    expect(await verify(sts, ["--password-stdin", "bestshop", "--retries", "1"])).toMatchObject({
      code: 4,
      stderr: `error: cannot verify bestshop-api: ${host} unreachable: HTTP 500 (2 attempts)\n`,
    });
    expect(sts.requests).toHaveLength(2);
  });
});

describe.concurrent("cdcreds verify: output options", () => {
  it("--json prints one line of JSON on stdout, with the line on stderr", async ({ sts, expect }) => {
    expect(await verify(sts, ["--password-stdin", "--json", "bestshop-api", ...FAST])).toMatchObject({
      code: 0,
      stdout: '{"apiLogin":"bestshop-api","env":"prod","valid":true,"status":"valid","detail":"credentials valid"}\n',
      stderr: "✓ bestshop-api: credentials valid (prod)\n",
    });
    sts.answer("401");
    expect(await verify(sts, ["--password-stdin", "--json", "--env", "preprod", "bestshop", ...FAST])).toMatchObject({
      code: 1,
      stdout: '{"apiLogin":"bestshop-api","env":"preprod","valid":false,"status":"rejected","detail":"HTTP 401"}\n',
    });
    sts.answer("challenge");
    const unexpected = await verify(sts, ["--password-stdin", "--json", "bestshop", ...FAST]);
    expect(JSON.parse(unexpected.stdout)).toEqual({
      apiLogin: "bestshop-api",
      env: "prod",
      valid: false,
      status: "unexpected",
      detail: 'HTTP 200 with the bot-protection page "Welcome on Cdiscount STS" instead of a token',
    });
  });

  it("--quiet prints nothing; the exit status still answers", async ({ sts, expect }) => {
    expect(await verify(sts, ["--password-stdin", "--quiet", "bestshop", ...FAST])).toEqual({
      code: 0,
      signal: null,
      stdout: "",
      stderr: "",
    });
    sts.answer("403");
    expect(await verify(sts, ["--password-stdin", "--quiet", "bestshop", ...FAST])).toEqual({
      code: 1,
      signal: null,
      stdout: "",
      stderr: "",
    });
    sts.answer("503");
    expect(await verify(sts, ["--password-stdin", "--quiet", "bestshop", ...FAST])).toEqual({
      code: 4,
      signal: null,
      stdout: "",
      stderr: "",
    });
  });

  it("--debug shows attempts, timings and the host, never the password or Authorization header", async ({ sts, host, expect }) => {
    sts.answer("503", "token");
    const result = await verify(sts, ["--password-stdin", "--debug", "--retries", "1", "bestshop"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("debug: verifying bestshop-api (prod) with the password from the standard input\n");
    expect(result.stderr).toContain(`debug: attempt 1: GET ${host}\n`);
    expect(result.stderr).toMatch(/debug: attempt 1 failed after \d+ ms \(HTTP 503\); retrying in 500 ms\n/);
    expect(result.stderr).toMatch(/debug: answer after 2 attempt\(s\), \d+ ms: valid\n/);
    expect(result.stderr).not.toContain(sts.token);
  });
});

describe.concurrent("cdcreds verify: where the credentials come from", () => {
  it("drops exactly one trailing newline from standard input", async ({ sts, expect }) => {
    for (const input of ["  pw with spaces  \n", "pw\r\n", "pw"]) {
      await verify(sts, ["--password-stdin", "bestshop", ...FAST], { input });
    }
    expect(sts.requests.map((r) => r.password)).toEqual(["  pw with spaces  ", "pw", "pw"]);
  });

  it.for([
    ["\n", "error: standard input is empty: no password to verify\n"],
    ["pw\n\n", "error: the password on standard input spans several lines\n"],
    ["one\ntwo\n", "error: the password on standard input spans several lines\n"],
  ])("refuses standard input %j with exit 2, before any request", async ([input, message], { sts, expect }) => {
    const result = await verify(sts, ["--password-stdin", "bestshop", ...FAST], { input });
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toBe(`${message}hint: pipe the password in: printf %s "$PW" | cdcreds verify --password-stdin bestshop\n`);
    expect(sts.requests).toHaveLength(0);
  });

  it("uses CDISCOUNT_API_LOGIN and CDISCOUNT_API_PASSWORD when both are set", async ({ sts, expect }) => {
    sts.setCredentials("envshop-api", SENTINEL);
    const env = { CDISCOUNT_API_LOGIN: "envshop-api", CDISCOUNT_API_PASSWORD: SENTINEL };
    expect(await verify(sts, FAST, { env, input: "" })).toMatchObject({
      code: 0,
      stdout: "",
      stderr: "✓ envshop-api: credentials valid (prod)\n",
    });
    expect(await verify(sts, ["envshop", ...FAST], { env, input: "" })).toMatchObject({ code: 0 });
    expect(sts.requests).toHaveLength(2);
  });

  it("never tries the environment's password against another login", async ({ sts, expect }) => {
    const env = { CDISCOUNT_API_LOGIN: "envshop-api", CDISCOUNT_API_PASSWORD: SENTINEL };
    const result = await verify(sts, ["othershop", ...FAST], { env, input: "" });
    expect(result).toMatchObject({
      code: 2,
      stdout: "",
      stderr: expect.stringContaining("CDISCOUNT_API_LOGIN is envshop-api, not othershop-api") as string,
    });
    expect(sts.requests).toHaveLength(0);
  });

  it("takes the login from CDCREDS_LOGIN when no argument is given", async ({ sts, expect }) => {
    expect(await verify(sts, ["--password-stdin", ...FAST], { env: { CDCREDS_LOGIN: "bestshop" } })).toMatchObject({
      code: 0,
      stderr: "✓ bestshop-api: credentials valid (prod)\n",
    });
  });

  it("asks for a login with exit 2 when there is none", async ({ sts, expect }) => {
    expect(await verify(sts, ["--password-stdin", ...FAST])).toMatchObject({
      code: 2,
      stdout: "",
      stderr:
        "error: no login given and no account is stored for prod in the keychain store\nhint: store one with `cdcreds set`, or give the login as an argument or in CDCREDS_LOGIN\n",
    });
    expect(sts.requests).toHaveLength(0);
  });

  it("exits 3 when no credentials are stored for the login", async ({ sts, expect }) => {
    const result = await verify(sts, FAST, { env: { CDCREDS_LOGIN: "nostoredshop" }, input: "" });
    expect(result).toMatchObject({ code: 3, stdout: "", stderr: expect.stringContaining("nostoredshop-api") as string });
    expect(sts.requests).toHaveLength(0);
  });
});

describe.concurrent("cdcreds verify: where the password may travel", () => {
  it.for<[string, (port: string) => { args: string[]; env?: Record<string, string> }]>([
    ["--auth-url to another host", () => ({ args: ["--auth-url", "http://sts.example/users/httpIssue.svc/"] })],
    // ::ffff:127.0.0.1 does reach the emulator, but it is not on the loopback allow-list: refused.
    ["--auth-url to a v4-mapped address", (port) => ({ args: ["--auth-url", `http://[::ffff:127.0.0.1]:${port}${TOKEN_PATH}`] })],
    ["CDCREDS_AUTH_URL to another host", () => ({ args: [], env: { CDCREDS_AUTH_URL: "http://sts.example/users/httpIssue.svc/" } })],
  ])("refuses a cleartext %s with exit 2 and sends nothing", async ([, setup], { sts, expect }) => {
    const { args, env } = setup(new URL(sts.origin).port);
    const result = await runCli([...args, "verify", "--password-stdin", "bestshop", ...FAST], {
      input: SENTINEL,
      env: { ...CLEAN_ENV, ...env },
    });
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toMatch(/^error: (--auth-url|CDCREDS_AUTH_URL) refused: http: is only allowed to a loopback host/);
    expect(sts.requests).toHaveLength(0);
  });

  it("goes through HTTP_PROXY, and straight to the service for hosts in NO_PROXY", async ({ sts, host, expect }) => {
    const proxy = await startProxy();
    try {
      expect(await verify(sts, ["--password-stdin", "bestshop", ...FAST], { env: { HTTP_PROXY: proxy.url } })).toMatchObject({ code: 0 });
      expect(proxy.seen).toEqual([`CONNECT ${host}`]);
      expect(
        await verify(sts, ["--password-stdin", "bestshop", ...FAST], { env: { HTTP_PROXY: proxy.url, NO_PROXY: "127.0.0.1" } }),
      ).toMatchObject({ code: 0 });
      expect(proxy.seen).toHaveLength(1);
      expect(sts.requests).toHaveLength(2);
    } finally {
      await proxy.close();
    }
  });

  it("never prints the password or its Basic encoding, whatever the answer, --debug included", async ({ expect }) => {
    const encoded = Buffer.from(`bestshop-api:${SENTINEL}`).toString("base64");
    const modes: EmulatorMode[] = [
      "token",
      "401",
      "403",
      "challenge",
      "xml",
      "empty",
      "redirect",
      "429",
      "500",
      "503",
      "reset",
      "huge",
      "hang",
      "stall",
    ];
    const outputs = await Promise.all(
      modes.map(async (mode) => {
        const own = await startEmulator();
        own.answer(mode);
        try {
          const result = await runCli(
            ["--auth-url", own.url, "verify", "--password-stdin", "--debug", "--json", "bestshop", "--timeout", "2", "--retries", "0"],
            {
              input: SENTINEL,
              env: CLEAN_ENV,
            },
          );
          expect(own.requests.length).toBeGreaterThan(0);
          return `${result.stdout}${result.stderr}`;
        } finally {
          await own.close();
        }
      }),
    );
    for (const output of outputs) {
      expect(output).toContain("debug: attempt 1: GET");
      expect(output).not.toContain(SENTINEL);
      expect(output).not.toContain(encoded);
      expect(output).not.toMatch(/authorization/i);
    }
  });
});
