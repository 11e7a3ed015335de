import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { classifyResponse, parseToken } from "../src/kinds/api-login/answer.js";
import { parseRetryAfter } from "../src/platform/http/retry.js";
import { answerError, basicAuthorization, requestToken, type TokenAnswer, type TokenRequest } from "../src/kinds/api-login/client.js";
import { dispatcherFromEnv } from "../src/platform/http/proxy.js";
import { verifyCredentials } from "../src/lib/verify.js";
import { ExitCode, RejectedError, ServiceError, UsageError } from "../src/errors.js";
import { REDIRECT_PATH, TOKEN_PATH, startEmulator, startProxy, type Emulator, type EmulatorMode } from "./support/emulator.js";

const PASSWORD = "p€ss:w=/|@()&é ñ";
const NOW = new Date("2025-03-01T10:00:00Z");

let sts: Emulator;
let sleeps: number[];

beforeEach(async () => {
  sts = await startEmulator();
  sleeps = [];
});
afterEach(() => sts.close());

/** A request to the emulator with fast timeouts and a sleep that only records its delays. */
function ask(overrides: Partial<TokenRequest> = {}): Promise<TokenAnswer> {
  return requestToken({
    url: new URL(sts.url),
    apiLogin: "bestshop-api",
    password: PASSWORD,
    timeoutMs: 2000,
    retries: 2,
    now: () => NOW,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    ...overrides,
  });
}

describe("parseToken and classifyResponse (every kind of answer)", () => {
  it("reads the token of a success body, with or without an XML declaration", () => {
    const body = '<string xmlns="http://schemas.microsoft.com/2003/10/Serialization/">e1d87736dca748128735ca2277f71ba7</string>';
    expect(parseToken(body)).toBe("e1d87736dca748128735ca2277f71ba7");
    expect(parseToken(`<?xml version="1.0"?>\n${body}\n`)).toBe("e1d87736dca748128735ca2277f71ba7");
  });

  it.each([
    ["too short", "<string>abc123</string>"],
    ["too long", `<string>${"a".repeat(257)}</string>`],
    ["not alphanumeric", "<string>e1d87736-dca7-4812-8735-ca2277f71ba7</string>"],
    ["inside an HTML page", "<html><body><string>e1d87736dca748128735ca2277f71ba7</string></body></html>"],
    ["empty", ""],
  ])("finds no token when %s", (_case, body) => {
    expect(parseToken(body)).toBeUndefined();
  });

  it.each<[number, string, string, TokenAnswer["status"], string]>([
    [
      200,
      "text/html",
      "<html><h1>Welcome on Cdiscount STS</h1></html>",
      "unexpected",
      'HTTP 200 with the bot-protection page "Welcome on Cdiscount STS" instead of a token',
    ],
    [200, "text/html", "<html><body>hi</body></html>", "unexpected", "HTTP 200 with an HTML page instead of a token"],
    [200, "application/xml", "<Fault/>", "unexpected", "HTTP 200 with an XML document without a token instead of a token"],
    [200, "text/plain", "  ", "unexpected", "HTTP 200 with an empty body instead of a token"],
    [401, "text/html", "", "rejected", "HTTP 401"],
    [403, "text/html", "", "rejected", "HTTP 403"],
    [301, "text/html", "", "unexpected", "HTTP 301 redirect, not followed"],
    [404, "text/html", "", "unexpected", "HTTP 404"],
    [429, "text/plain", "", "unreachable", "HTTP 429 (too many requests)"],
    [502, "text/html", "", "unreachable", "HTTP 502"],
  ])("classifies HTTP %i %s %j as %s", (status, contentType, body, expected, detail) => {
    expect(classifyResponse(status, { contentType }, body)).toEqual({ status: expected, httpStatus: status, detail });
  });

  it("names only the host of a redirect target", () => {
    expect(classifyResponse(302, { location: "https://evil.example/steal?x=1" }, "")).toMatchObject({
      detail: "HTTP 302 redirect to evil.example, not followed",
    });
    expect(classifyResponse(302, { location: "/login" }, "")).toMatchObject({ detail: "HTTP 302 redirect on the same host, not followed" });
  });

  it("parses Retry-After in seconds or as an HTTP date", () => {
    expect(parseRetryAfter("3", NOW)).toBe(3000);
    expect(parseRetryAfter(new Date(NOW.getTime() + 5000).toUTCString(), NOW)).toBe(5000);
    expect(parseRetryAfter("soon", NOW)).toBeUndefined();
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
  });
});

describe("requestToken against the emulator", () => {
  it("sends one GET with UTF-8 HTTP Basic credentials and returns the token", async () => {
    expect(await ask()).toEqual({ status: "valid", token: sts.token, issuedAt: NOW, attempts: 1 });
    expect(sts.requests).toMatchObject([
      {
        method: "GET",
        url: TOKEN_PATH,
        authorization: basicAuthorization("bestshop-api", PASSWORD),
        login: "bestshop-api",
        password: PASSWORD,
      },
    ]);
    // Latin-1 would turn € into one byte (or ?): the wire form must be UTF-8.
    expect(Buffer.from(sts.requests[0]!.authorization!.slice(6), "base64")).toEqual(Buffer.from(`bestshop-api:${PASSWORD}`, "utf8"));
  });

  it("accepts only the configured credentials in check mode", async () => {
    sts.setCredentials("bestshop-api", PASSWORD);
    expect((await ask()).status).toBe("valid");
    expect((await ask({ password: `${PASSWORD}x` })).status).toBe("rejected");
  });

  it.each<["401" | "403", number]>([
    ["401", 401],
    ["403", 403],
  ])("reports %s as rejected and never retries it", async (mode, httpStatus) => {
    sts.answer(mode);
    expect(await ask({ retries: 5 })).toEqual({ status: "rejected", httpStatus, detail: `HTTP ${httpStatus}`, attempts: 1 });
    expect(sts.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it.each<[EmulatorMode, string]>([
    ["challenge", 'HTTP 200 with the bot-protection page "Welcome on Cdiscount STS" instead of a token'],
    ["xml", "HTTP 200 with an XML document without a token instead of a token"],
    ["empty", "HTTP 200 with an empty body instead of a token"],
  ])("reports the 200 %s answer as unexpected, without retrying", async (mode, detail) => {
    sts.answer(mode);
    expect(await ask()).toEqual({ status: "unexpected", httpStatus: 200, detail, attempts: 1 });
    expect(sts.requests).toHaveLength(1);
  });

  it("reports a 302 as unexpected and never follows it", async () => {
    sts.answer("redirect");
    expect(await ask()).toEqual({
      status: "unexpected",
      httpStatus: 302,
      detail: `HTTP 302 redirect to ${new URL(sts.origin).host}, not followed`,
      attempts: 1,
    });
    expect(sts.requests.map((r) => r.url)).toEqual([TOKEN_PATH]);
    expect(sts.requests.map((r) => r.url)).not.toContain(REDIRECT_PATH);
  });

  it.each<[EmulatorMode, string | RegExp, number]>([
    ["429", "HTTP 429 (too many requests)", 2000],
    ["500", "HTTP 500", 2000],
    ["503", "HTTP 503", 2000],
    // ECONNRESET or undici's "other side closed", depending on timing.
    ["reset", /^connection (reset \(ECONNRESET\)|closed by the other side \(UND_ERR_SOCKET\))$/, 2000],
    ["huge", "answer larger than 64 KiB", 2000],
    ["hang", "timed out after 0.2 s", 200],
    ["stall", "timed out after 0.2 s", 200],
  ])("reports %s as unreachable after exactly `retries` retries with backoff", async (mode, detail, timeoutMs) => {
    sts.answer(mode);
    const answer = await ask({ retries: 2, timeoutMs });
    expect(answer).toMatchObject({ status: "unreachable", attempts: 3 });
    expect(answer.status === "valid" ? "" : answer.detail).toMatch(detail);
    expect(sts.requests).toHaveLength(3);
    expect(sleeps).toEqual([500, 1500]);
  });

  it("stops reading an oversized body instead of downloading all 10 MB", async () => {
    sts.answer("huge");
    await ask({ retries: 0 });
    await vi.waitFor(() => expect(sts.requests[0]?.finished).toBe(false));
  });

  it("makes no retry with retries 0", async () => {
    sts.answer("503");
    expect(await ask({ retries: 0 })).toMatchObject({ status: "unreachable", attempts: 1 });
    expect(sts.requests).toHaveLength(1);
  });

  it("returns the token when a retry succeeds", async () => {
    sts.answer("503", "500", "token");
    expect(await ask()).toEqual({ status: "valid", token: sts.token, issuedAt: NOW, attempts: 3 });
    expect(sleeps).toEqual([500, 1500]);
  });

  it("waits as long as a reasonable Retry-After asks", async () => {
    sts.answer("429", "token");
    sts.retryAfter("3");
    expect((await ask()).status).toBe("valid");
    expect(sleeps).toEqual([3000]);
  });

  it("does not wait minutes for a long Retry-After: it reports at once", async () => {
    sts.answer("503");
    sts.retryAfter("120");
    expect(await ask()).toMatchObject({ status: "unreachable", detail: "HTTP 503, asked to retry after 120 s", attempts: 1 });
    expect(sleeps).toEqual([]);
  });

  it("reports a refused connection as unreachable", async () => {
    const port = await freePort();
    const answer = await ask({ url: new URL(`http://127.0.0.1:${port}/token`), retries: 1 });
    expect(answer).toEqual({ status: "unreachable", detail: "connection refused (ECONNREFUSED)", attempts: 2 });
  });
});

describe("TLS", () => {
  it("refuses a certificate it cannot verify: nothing is sent", async () => {
    const { key, cert } = selfSignedCertificate();
    let requests = 0;
    const server = createHttpsServer({ key, cert }, (_req, res) => {
      requests++;
      res.end("<string>e1d87736dca748128735ca2277f71ba7</string>");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as { port: number };
      const answer = await ask({ url: new URL(`https://127.0.0.1:${port}/token`), retries: 0 });
      expect(answer).toEqual({ status: "unreachable", detail: "TLS certificate not accepted (DEPTH_ZERO_SELF_SIGNED_CERT)", attempts: 1 });
      expect(requests).toBe(0);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe("dispatcherFromEnv", () => {
  it("sends requests through HTTP_PROXY (undici tunnels with CONNECT, also for http:)", async () => {
    const proxy = await startProxy();
    try {
      const dispatcher = await dispatcherFromEnv({ HTTP_PROXY: proxy.url }, new URL(sts.url));
      expect((await ask({ dispatcher })).status).toBe("valid");
      await dispatcher?.destroy();
      expect(proxy.seen).toEqual([`CONNECT ${new URL(sts.origin).host}`]);
      expect(sts.requests).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });

  it("bypasses the proxy for hosts in NO_PROXY", async () => {
    const proxy = await startProxy();
    try {
      const dispatcher = await dispatcherFromEnv({ http_proxy: proxy.url, NO_PROXY: "localhost,127.0.0.1" }, new URL(sts.url));
      expect((await ask({ dispatcher })).status).toBe("valid");
      await dispatcher?.destroy();
      expect(proxy.seen).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it("never hands a cleartext http: request to a proxy on another machine", async () => {
    // Decided before any connection: no packet is ever sent towards the (documentation) address.
    const remote = { HTTP_PROXY: "http://192.0.2.1:3128", HTTPS_PROXY: "http://192.0.2.1:3128" };
    expect(await dispatcherFromEnv(remote, new URL(sts.url))).toBeUndefined();
    const forHttps = await dispatcherFromEnv(remote, new URL("https://sts.cdiscount.com/"));
    expect(forHttps).toBeDefined();
    await forHttps?.destroy();
  });

  it("goes straight out, without undici, when no proxy variable is set", async () => {
    expect(await dispatcherFromEnv({ NO_PROXY: "*" }, new URL("https://sts.cdiscount.com/"))).toBeUndefined();
    expect((await ask({})).status).toBe("valid");
  });

  it("refuses a proxy variable that is not a URL without echoing it (it may hold a password)", async () => {
    const https = new URL("https://sts.cdiscount.com/");
    await expect(dispatcherFromEnv({ HTTPS_PROXY: "user:hunter2@proxy" }, https)).rejects.toThrow(UsageError);
    await expect(dispatcherFromEnv({ HTTPS_PROXY: "user:hunter2@proxy" }, https)).rejects.toThrow(/^HTTPS_PROXY is not a valid proxy URL$/);
    await expect(dispatcherFromEnv({ HTTP_PROXY: "not a url" }, new URL(sts.url))).rejects.toThrow(/^HTTP_PROXY is not a valid proxy URL$/);
  });
});

describe("answerError", () => {
  const url = new URL("https://sts.cdiscount.com/users/httpIssue.svc/");

  it("maps a rejection to exit 1 with the usual causes as a hint", () => {
    const error = answerError({ status: "rejected", httpStatus: 401, detail: "HTTP 401", attempts: 1 }, url, "bestshop-api");
    expect(error).toBeInstanceOf(RejectedError);
    expect(error.exitCode).toBe(ExitCode.Rejected);
    expect(error.message).toBe("bestshop-api: credentials rejected by Cdiscount (HTTP 401)");
    expect(error.hint).toMatch(/-api.*current.*validated by Cdiscount/);
  });

  it("maps unexpected and unreachable answers to exit 4, naming the host and the cause", () => {
    const unexpected = answerError(
      { status: "unexpected", httpStatus: 200, detail: "HTTP 200 with an empty body instead of a token", attempts: 1 },
      url,
    );
    expect(unexpected).toBeInstanceOf(ServiceError);
    expect(unexpected.exitCode).toBe(ExitCode.Service);
    expect(unexpected.message).toBe("sts.cdiscount.com answered unexpectedly: HTTP 200 with an empty body instead of a token");
    const unreachable = answerError({ status: "unreachable", detail: "timed out after 20 s", attempts: 3 }, url, "bestshop-api");
    expect(unreachable.message).toBe("cannot verify bestshop-api: sts.cdiscount.com unreachable: timed out after 20 s (3 attempts)");
  });
});

describe("verifyCredentials (library)", () => {
  it("derives the API login and resolves the valid answer", async () => {
    sts.setCredentials("bestshop-api", PASSWORD);
    const verified = await verifyCredentials({ login: "bestshop", password: PASSWORD, authUrl: sts.url, proxyEnv: {} });
    expect(verified).toMatchObject({ apiLogin: "bestshop-api", env: "prod", token: sts.token, attempts: 1 });
  });

  it("throws RejectedError (exit 1) after one request", async () => {
    sts.answer("401");
    await expect(verifyCredentials({ apiLogin: "bestshop-api", password: PASSWORD, authUrl: sts.url, proxyEnv: {} })).rejects.toMatchObject(
      {
        name: "RejectedError",
        exitCode: 1,
      },
    );
    expect(sts.requests).toHaveLength(1);
  });

  it("throws ServiceError (exit 4) when the service stays unreachable", async () => {
    sts.answer("503");
    await expect(
      verifyCredentials({
        apiLogin: "bestshop-api",
        password: PASSWORD,
        authUrl: sts.url,
        retries: 1,
        sleep: () => Promise.resolve(),
        proxyEnv: {},
      }),
    ).rejects.toMatchObject({ name: "ServiceError", exitCode: 4 });
    expect(sts.requests).toHaveLength(2);
  });

  it("refuses a cleartext URL to another host before any request", async () => {
    await expect(
      verifyCredentials({ apiLogin: "bestshop-api", password: PASSWORD, authUrl: "http://sts.example/token" }),
    ).rejects.toMatchObject({
      name: "UsageError",
      exitCode: 2,
    });
  });
});

/** A port nothing listens on. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A throwaway self-signed certificate for 127.0.0.1, made with the openssl command. */
function selfSignedCertificate(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), "cdcreds-tls-"));
  try {
    const args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"];
    args.push(
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    );
    const made = spawnSync("openssl", args, { encoding: "utf8" });
    if (made.status !== 0) throw new Error(`openssl is needed for the TLS test: ${made.error?.message ?? made.stderr}`);
    return { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
