// `cdcreds api` from the built binary, against the loopback emulator of Octopia's token endpoint
// and seller API (test/support/octopia-emulator.ts), with the real test keychain. The emulator's
// own log proves what was sent: the headers, one token for many runs, one connection for a
// paginated run, nothing to another origin. Every output is searched for the tokens and secrets.
import { spawn } from "node:child_process";
import { createServer, type IncomingMessage } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { throwawayCertificate } from "./support/tls.js";
import { BIN, runCli, type CliOptions, type CliResult } from "./support/cli.js";
import { listenOnLoopback } from "./support/loopback-server.js";
import { startOctopiaEmulator, type OctopiaEmulator } from "./support/octopia-emulator.js";
import { ptyRun } from "./support/pty.js";
import { clearLogins, filesUnder, secretToolLookup, tempConfig, uniqueLogin } from "./support/store-helpers.js";

const clients: string[] = [];
let config: Awaited<ReturnType<typeof tempConfig>>;
let auth: OctopiaEmulator;
const outputs: { args: string[]; stdout: string; stderr: string }[] = [];
const secrets: string[] = [];

beforeEach(async () => {
  config = await tempConfig();
  auth = await startOctopiaEmulator();
});
afterEach(async () => {
  secrets.push(...auth.issued, auth.token);
  // Nothing in clear in the config folder either (the account index, the lock files).
  for (const [path, content] of await filesUnder(config.dir)) for (const secret of secrets) expect(content, path).not.toContain(secret);
  await auth.close();
  await config.remove();
});
afterAll(() => {
  clearLogins(clients);
  // No token and no client secret in any output, --debug and errors included.
  for (const output of outputs)
    for (const secret of secrets) {
      expect(output.stdout, output.args.join(" ")).not.toContain(secret);
      expect(output.stderr, output.args.join(" ")).not.toContain(secret);
    }
  expect(secrets.length).toBeGreaterThan(0); // the scan had something to look for
});

async function cdcreds(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const result = await runCli(["--auth-url", auth.url, "--api-url", auth.apiUrl, ...args], {
    ...options,
    env: { XDG_CONFIG_HOME: config.dir, ...options.env },
  });
  outputs.push({ args, stdout: result.stdout, stderr: result.stderr });
  return result;
}

/** Stores a client with these sellers (checked against the emulator); its token is then cached. */
async function storedClient(name: string, sellerIds: string[] = ["12345"]): Promise<string> {
  const clientId = `Agency ${uniqueLogin(name)}@example.com`;
  clients.push(clientId);
  const secret = `S3cr+t&=%/: ${randomBytes(6).toString("hex")}`;
  secrets.push(secret);
  auth.accept(clientId, secret);
  auth.sellers(Object.fromEntries(sellerIds.map((id) => [id, 200 as const])));
  const stored = await cdcreds(
    ["--kind", "octopia", "set", "--secret-stdin", clientId, ...sellerIds.flatMap((id) => ["--seller-id", id])],
    { input: secret },
  );
  expect(stored.code, stored.stderr).toBe(0);
  auth.requests.length = 0;
  auth.sellerRequests.length = 0;
  return clientId;
}

/** `cdcreds --kind octopia --retries 0 api --login CLIENT ...args`. */
const api = (clientId: string, args: string[], options: CliOptions = {}) =>
  cdcreds(["--kind", "octopia", "--retries", "0", "api", "--login", clientId, ...args], options);

/** A listener on another origin: whatever reaches it is recorded. */
async function otherOrigin(): Promise<{ url: string; received: string[]; close: () => Promise<void> }> {
  const received: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    received.push(`${req.method} ${req.url} ${req.headers.authorization ?? ""}`);
    res.end("{}");
  });
  const { port, close } = await listenOnLoopback(server);
  return { url: `http://127.0.0.1:${port}`, received, close };
}

describe("cdcreds api: one request", () => {
  it("sends the cached token and the only seller; one token serves many runs (the token endpoint is not asked)", async () => {
    const client = await storedClient("one");
    for (let i = 0; i < 5; i++) {
      const run = await api(client, ["/orders?pageSize=2"]);
      expect(run).toMatchObject({ code: 0, stderr: "", stdout: '{"items":[{"orderId":"O1"},{"orderId":"O2"}]}\n' });
    }
    expect(auth.requests).toHaveLength(0);
    expect(auth.apiRequests).toHaveLength(5);
    for (const request of auth.apiRequests) {
      expect(request).toMatchObject({
        method: "GET",
        url: "/seller/v2/orders?pageSize=2",
        authorization: `Bearer ${auth.token}`,
        sellerId: "12345",
        salesChannelId: undefined,
      });
    }
  });

  it("ten runs at once with nothing cached share one new token", async () => {
    const client = `Agency ${uniqueLogin("cold")}@example.com`;
    clients.push(client);
    const secret = `S3cr+t ${randomBytes(6).toString("hex")}`;
    secrets.push(secret);
    auth.accept(client, secret);
    const stored = await cdcreds(["--kind", "octopia", "set", "--no-verify", "--secret-stdin", client], { input: secret });
    expect(stored.code, stored.stderr).toBe(0);
    const runs = await Promise.all(Array.from({ length: 10 }, () => api(client, ["/orders?pageSize=1"])));
    expect(runs.map((r) => r.code)).toEqual(Array(10).fill(0));
    expect(auth.requests).toHaveLength(1);
    expect(new Set(auth.apiRequests.map((r) => r.authorization))).toEqual(new Set([`Bearer ${auth.token}`]));
    expect(auth.apiRequests.every((r) => r.sellerId === undefined)).toBe(true); // no seller stored: no SellerId
  }, 30_000);

  it("takes a path without a slash, a full URL under the base, --seller-id, --sales-channel, -H and -f on a GET", async () => {
    const client = await storedClient("headers", ["12345", "67890"]);
    const plain = await api(client, ["echo", "--seller-id", "67890", "--sales-channel", "CDISFR", "-H", "X-Trace: abc", "-f", "a=1 2"]);
    expect(plain.code, plain.stderr).toBe(0);
    const { headers } = JSON.parse(plain.stdout) as { headers: Record<string, string> };
    expect(headers).toMatchObject({ sellerid: "67890", saleschannelid: "CDISFR", "x-trace": "abc", accept: "application/json" });
    expect(auth.apiRequests[0]!.url).toBe("/seller/v2/echo?a=1+2");
    const full = await api(client, [`${auth.apiUrl}/orders?pageSize=1`, "--seller-id", "12345"]);
    expect(full).toMatchObject({ code: 0, stdout: '{"items":[{"orderId":"O1"}]}\n' });
    // Several sellers and none named: a usage error, nothing sent.
    const several = await api(client, ["/orders"]);
    expect(several.code).toBe(2);
    expect(several.stderr).toMatch(/acts for several sellers \(12345, 67890\): name one with --seller-id/);
    expect(auth.apiRequests).toHaveLength(2);
  });

  it("POSTs JSON from --input (a file or stdin) and -f fields as a JSON body", async () => {
    const client = await storedClient("post");
    const file = join(config.dir, "offer.json");
    await writeFile(file, '{"sku":"A1","price":12.5}');
    const fromFile = await api(client, ["-X", "POST", "/offers", "--input", file]);
    expect(fromFile).toMatchObject({ code: 0, stdout: '{"id":"new-offer","received":{"sku":"A1","price":12.5}}\n' });
    const fromStdin = await api(client, ["/offers", "--input", "-"], { input: '{"sku":"B2"}' });
    expect(fromStdin).toMatchObject({ code: 0, stdout: '{"id":"new-offer","received":{"sku":"B2"}}\n' });
    const fields = await api(client, ["-X", "POST", "/offers", "-f", "sku=C3", "-f", "state=new"]);
    expect(fields).toMatchObject({ code: 0, stdout: '{"id":"new-offer","received":{"sku":"C3","state":"new"}}\n' });
    expect(auth.apiRequests.map((r) => [r.method, r.contentType, r.body])).toEqual([
      ["POST", "application/json", '{"sku":"A1","price":12.5}'],
      ["POST", "application/json", '{"sku":"B2"}'],
      ["POST", "application/json", '{"sku":"C3","state":"new"}'],
    ]);
  });

  it("-i prints the status line and headers before the body", async () => {
    const client = await storedClient("include");
    const run = await api(client, ["-i", "/orders?pageSize=1"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^HTTP\/1\.1 200 OK\ncontent-type: application\/json\n[\s\S]*\n\n\{"items":\[\{"orderId":"O1"\}\]\}\n$/);
  });

  it("an api-login account: exit 2, the command is for Octopia clients, nothing sent", async () => {
    const run = await cdcreds(["--kind", "api-login", "api", "/orders"], {
      env: { CDISCOUNT_API_LOGIN: "bestshop-api", CDISCOUNT_API_PASSWORD: "not-used-here" },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: this command calls the Octopia seller API: api-login accounts have no such API/);
    expect(auth.apiRequests).toHaveLength(0);
    expect(auth.requests).toHaveLength(0);
  });
});

describe("cdcreds api: the token goes to no other origin", () => {
  it("refuses another origin's URL, a path leaving the base and credentials in a URL: exit 2, nothing sent anywhere", async () => {
    const client = await storedClient("origin");
    const away = await otherOrigin();
    try {
      for (const endpoint of [
        `${away.url}/seller/v2/orders`,
        `${auth.apiUrl.replace("127.0.0.1", "localhost")}/orders`,
        `${auth.apiUrl.replace("http:", "https:")}/orders`,
        `${auth.apiUrl}/../../auth/realms/maas`,
        "/../../auth/realms/maas",
        `${auth.apiUrl.replace("//", "//user:pw@")}/orders`,
        "file:///etc/passwd",
      ]) {
        const run = await api(client, [endpoint]);
        expect(run.code, endpoint).toBe(2);
        expect(run.stderr, endpoint).toMatch(
          /is not under the seller API's base http:\/\/127\.0\.0\.1:\d+\/seller\/v2\/: nothing was sent/,
        );
      }
      expect(away.received).toEqual([]);
      expect(auth.apiRequests).toEqual([]);
    } finally {
      await away.close();
    }
  });

  it("--paginate does not follow a Link to another origin: exit 4, that origin receives nothing", async () => {
    const client = await storedClient("away");
    const away = await otherOrigin();
    auth.awayUrl(`${away.url}/seller/v2/away?page=2`);
    try {
      const run = await api(client, ["/away", "--paginate"]);
      expect(run.code).toBe(4);
      expect(run.stdout).toBe('{"items":[1]}\n');
      expect(run.stderr).toMatch(
        /^error: the next page's link leads out of the seller API \(http:\/\/127\.0\.0\.1:\d+\/seller\/v2\/away\): not followed$/m,
      );
      expect(away.received).toEqual([]);
    } finally {
      await away.close();
    }
  });
});

describe("cdcreds api --paginate", () => {
  it("follows pageIndex until the short page, one line a page, over one connection", async () => {
    const client = await storedClient("orders");
    const run = await api(client, ["/orders?pageSize=100", "--paginate"]);
    expect(run.code, run.stderr).toBe(0);
    const pages = run.stdout
      .trimEnd()
      .split("\n")
      .map((line) => (JSON.parse(line) as { items: unknown[] }).items.length);
    expect(pages).toEqual([100, 100, 50]);
    expect(auth.apiRequests.map((r) => r.url)).toEqual([
      "/seller/v2/orders?pageSize=100",
      "/seller/v2/orders?pageSize=100&pageIndex=2",
      "/seller/v2/orders?pageSize=100&pageIndex=3",
    ]);
    expect(new Set(auth.apiRequests.map((r) => r.connection)).size).toBe(1);
  });

  it("asks one page more when the last one is full, and stops at the empty one", async () => {
    const client = await storedClient("full");
    auth.orderCount(200);
    const run = await api(client, ["/orders?pageSize=100&pageIndex=1", "--paginate", "--slurp"]);
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as unknown[]).length).toBe(200);
    expect(auth.apiRequests.map((r) => new URL(r.url, "http://x").searchParams.get("pageIndex"))).toEqual(["1", "2", "3"]);
  });

  it("follows Link rel=next (cursor), and --slurp prints one array of every item, over one connection", async () => {
    const client = await storedClient("offers");
    const run = await api(client, ["/offers?limit=20", "--paginate", "--slurp"]);
    expect(run.code, run.stderr).toBe(0);
    const items = JSON.parse(run.stdout) as { offerId: string }[];
    expect(items.map((i) => i.offerId)).toEqual(Array.from({ length: 95 }, (_, i) => `F${i + 1}`));
    expect(run.stdout.split("\n")).toHaveLength(2); // one line in a pipe
    expect(auth.apiRequests).toHaveLength(5);
    expect(new Set(auth.apiRequests.map((r) => r.connection)).size).toBe(1);
    expect(auth.requests).toHaveLength(0);
  });

  it("stops asking for pages once stdout's reader is gone (| head)", async () => {
    const client = await storedClient("head");
    auth.orderCount(50_000); // 500 pages of 100
    const args = [
      "--auth-url",
      auth.url,
      "--api-url",
      auth.apiUrl,
      "--kind",
      "octopia",
      "api",
      "--login",
      client,
      "/orders?pageSize=100",
      "--paginate",
    ];
    const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
    // Asynchronous: the emulator answers from this process's event loop.
    const run = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn("sh", ["-c", `${quoted} | head -c 20`], { env: { ...process.env, XDG_CONFIG_HOME: config.dir } });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      child.on("error", reject).on("close", () => resolve({ stdout, stderr }));
    });
    outputs.push({ args, stdout: run.stdout, stderr: run.stderr });
    expect(run.stdout).toBe('{"items":[{"orderId"');
    expect(run.stderr).toBe("");
    expect(auth.apiRequests.length).toBeGreaterThan(0);
    expect(auth.apiRequests.length).toBeLessThan(500);
  });

  it("a page over several lines is printed on one", async () => {
    const client = await storedClient("pretty");
    const paged = await api(client, ["/pretty", "--paginate"]);
    expect(paged).toMatchObject({ code: 0, stdout: '{"items":[1,2]}\n' });
    const single = await api(client, ["/pretty"]);
    expect(single).toMatchObject({ code: 0, stdout: '{\n  "items": [\n    1,\n    2\n  ]\n}\n' }); // as received
  });

  it("--debug shows each request's method, URL, status, time and connection reuse, never the token", async () => {
    const client = await storedClient("debug");
    const run = await api(client, ["--debug", "/orders?pageSize=100", "--paginate"]);
    expect(run.code).toBe(0);
    const lines = run.stderr.split("\n").filter((l) => l.includes(" -> "));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^debug: GET http:\/\/127\.0\.0\.1:\d+\/seller\/v2\/orders\?pageSize=100 -> HTTP 200 in \d+ ms, new connection$/,
    );
    expect(lines[1]).toMatch(/pageIndex=2 -> HTTP 200 in \d+ ms, reused connection$/);
    expect(lines[2]).toMatch(/pageIndex=3 -> HTTP 200 in \d+ ms, reused connection$/);
    expect(run.stderr).not.toContain(auth.token);
  });
});

describe("cdcreds api: errors and retries", () => {
  it("a problem+json 400: the body on stdout as sent, one escaped line on stderr with each field error, exit 6", async () => {
    const client = await storedClient("problem");
    const run = await api(client, ["-X", "POST", "/problem", "-f", "x=1"]);
    expect(run.code).toBe(6);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 400, errors: { sellerId: ["must be a number"] } });
    expect(run.stdout).toContain("\\u001b[31m"); // as the API sent it: JSON's own escape
    expect(run.stderr).toBe(
      "error: HTTP 400: Validation \\e[31mfailed: One or more fields are invalid.; sellerId: must be a number; items[0].price: must be positive; items[0].price: must have two decimals\n",
    );
    expect(auth.apiRequests).toHaveLength(1); // a 4xx is never retried
  });

  it("a 404 is exit 6 too; a 403 exit 1, not retried", async () => {
    const client = await storedClient("404");
    const missing = await api(client, ["/nowhere"]);
    expect(missing.code).toBe(6);
    expect(missing.stderr).toBe("error: HTTP 404: Not Found: No route /nowhere\n");
    auth.apiAnswer("403");
    const denied = await api(client, ["/orders"]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^error: HTTP 403: Forbidden: This client may not act for this seller\.\n/);
    expect(auth.apiRequests).toHaveLength(2);
    expect(auth.requests).toHaveLength(0); // a 403 gets no new token
  });

  it("a 429 without Retry-After is retried with backoff; the retries used up, exit 4", async () => {
    const client = await storedClient("429");
    auth.apiAnswer("429", "429", "rules");
    const run = await cdcreds(["--kind", "octopia", "--retries", "2", "--debug", "api", "--login", client, "/orders?pageSize=1"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('{"items":[{"orderId":"O1"}]}\n');
    expect(run.stderr).toMatch(/-> HTTP 429 in \d+ ms, new connection, retry in \d+ ms/);
    expect(auth.apiRequests).toHaveLength(3);
    auth.apiAnswer("429");
    const limited = await api(client, ["/orders"]);
    expect(limited.code).toBe(4);
    expect(limited.stderr).toMatch(/^error: HTTP 429: Too Many Requests: Wait, then retry\.\n/);
  });

  it("honours a Retry-After up to 60 s; a longer one is reported at once", async () => {
    const client = await storedClient("retry-after");
    auth.retryAfter("1");
    auth.apiAnswer("429", "rules");
    const run = await cdcreds(["--kind", "octopia", "--retries", "1", "--debug", "api", "--login", client, "/orders?pageSize=1"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/-> HTTP 429 in \d+ ms, new connection, retry in 1000 ms/);
    auth.retryAfter("120");
    auth.apiAnswer("429", "rules");
    const later = await cdcreds(["--kind", "octopia", "--retries", "3", "api", "--login", client, "/orders?pageSize=1"]);
    expect(later.code).toBe(4);
    expect(auth.apiRequests).toHaveLength(3);
  });

  it("a 503 is retried for a GET, never for a POST", async () => {
    const client = await storedClient("503");
    auth.apiAnswer("503", "rules");
    const get = await cdcreds(["--kind", "octopia", "--retries", "1", "api", "--login", client, "/orders?pageSize=1"]);
    expect(get.code, get.stderr).toBe(0);
    expect(auth.apiRequests).toHaveLength(2);
    auth.apiAnswer("503", "rules");
    const post = await cdcreds(["--kind", "octopia", "--retries", "1", "api", "--login", client, "/offers", "--input", "-"], {
      input: "{}",
    });
    expect(post.code).toBe(4);
    expect(post.stdout).toBe("Service Unavailable\n");
    expect(post.stderr).toBe("error: HTTP 503\n");
    expect(auth.apiRequests).toHaveLength(3);
  });

  it("--timeout bounds each attempt: a hanging API is exit 4", async () => {
    const client = await storedClient("hang");
    auth.apiAnswer("hang");
    const run = await cdcreds(["--kind", "octopia", "--retries", "0", "--timeout", "0.5", "api", "--login", client, "/orders"]);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/^error: GET \/seller\/v2\/orders: 127\.0\.0\.1:\d+ unreachable: timed out after 0\.5 s\n/);
  });

  it("a token revoked server-side: one new token, the request made again; later runs use the new one", async () => {
    const client = await storedClient("revoked");
    const old = auth.token;
    auth.revokeToken();
    const run = await api(client, ["/orders?pageSize=1"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('{"items":[{"orderId":"O1"}]}\n');
    expect(auth.requests).toHaveLength(1); // one new token
    expect(auth.apiRequests.map((r) => r.authorization)).toEqual([`Bearer ${old}`, `Bearer ${auth.token}`]);
    const again = await api(client, ["/orders?pageSize=1"]);
    expect(again.code).toBe(0);
    expect(auth.requests).toHaveLength(1);
    expect(auth.apiRequests[2]!.authorization).toBe(`Bearer ${auth.token}`);
  });

  it("a 401 to a new token is not retried again: exit 1", async () => {
    const client = await storedClient("401");
    auth.apiAnswer("401");
    const run = await api(client, ["/orders"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: HTTP 401: Unauthorized: The token is not valid\.\n/);
    expect(auth.requests).toHaveLength(1); // the cached token refused: one new one
    expect(auth.apiRequests).toHaveLength(2); // and one more try, no more
  });
});

describe("cdcreds exec and the token's expiry", () => {
  it("sets OCTOPIA_TOKEN_EXPIRES_AT to the cached token's expiry, and never passes on a stale one", async () => {
    const client = await storedClient("expiry");
    const print =
      "process.stdout.write(JSON.stringify([process.env.OCTOPIA_ACCESS_TOKEN === undefined, process.env.OCTOPIA_TOKEN_EXPIRES_AT ?? null]))";
    const run = await cdcreds(["exec", "--login", client, "--", process.execPath, "-e", print], {
      env: { OCTOPIA_TOKEN_EXPIRES_AT: "1999-01-01T00:00:00Z" },
    });
    expect(run.code, run.stderr).toBe(0);
    const cached = JSON.parse(secretToolLookup("cdcreds-octopia-token:prod", client)!) as { expiresAt: string };
    expect(JSON.parse(run.stdout)).toEqual([false, cached.expiresAt]);
    const none = await cdcreds(["exec", "--no-token", "--login", client, "--", process.execPath, "-e", print], {
      env: { OCTOPIA_TOKEN_EXPIRES_AT: "1999-01-01T00:00:00Z" },
    });
    expect(JSON.parse(none.stdout)).toEqual([true, null]);
  });
});

describe("cdcreds api over TLS and on a terminal", () => {
  it("verifies the API's certificate whatever NODE_TLS_REJECT_UNAUTHORIZED says; a trusted one carries every page over one connection", async () => {
    const client = await storedClient("tls");
    const tls = await throwawayCertificate(["api.example.test"]);
    const seen: { url: string; authorization: string | undefined; connection: number }[] = [];
    const connectionOf = new WeakMap<object, number>();
    let connections = 0;
    const server = createHttpsServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      seen.push({ url: req.url ?? "", authorization: req.headers.authorization, connection: connectionOf.get(req.socket) ?? 0 });
      const pageIndex = Number(new URL(req.url ?? "/", "https://x").searchParams.get("pageIndex") ?? 1);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ items: pageIndex < 3 ? [1, 2] : [3] }));
    });
    server.on("secureConnection", (socket: object) => connectionOf.set(socket, ++connections));
    const { port, close } = await listenOnLoopback(server);
    try {
      const base = `https://127.0.0.1:${port}/seller/v2`;
      const args = ["--kind", "octopia", "--retries", "0", "--api-url", base, "api", "--login", client, "/orders?pageSize=2", "--paginate"];
      const refused = await cdcreds(args, { env: { NODE_TLS_REJECT_UNAUTHORIZED: "0" } });
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain("TLS certificate not accepted (DEPTH_ZERO_SELF_SIGNED_CERT)");
      expect(seen).toEqual([]);
      const trusted = await cdcreds(args, { env: { NODE_EXTRA_CA_CERTS: tls.certPath } });
      expect(trusted).toMatchObject({ code: 0, stdout: '{"items":[1,2]}\n{"items":[1,2]}\n{"items":[3]}\n' });
      expect(seen.map((r) => r.authorization)).toEqual(Array(3).fill(`Bearer ${auth.token}`));
      expect(new Set(seen.map((r) => r.connection))).toEqual(new Set([1]));
    } finally {
      await close();
    }
  });

  it("on a terminal, indents JSON and escapes control characters", async () => {
    const client = await storedClient("tty");
    const run = ptyRun(
      [
        "--auth-url",
        auth.url,
        "--api-url",
        auth.apiUrl,
        "--kind",
        "octopia",
        "api",
        "--login",
        client,
        "-X",
        "POST",
        "/offers",
        "-f",
        "name=\u001b]0;owned\u0007x",
      ],
      {
        XDG_CONFIG_HOME: config.dir,
      },
    );
    expect(await run.exited).toBe(0);
    outputs.push({ args: ["pty"], stdout: run.screen, stderr: "" });
    expect(run.screen).toContain('{\r\n  "id": "new-offer",\r\n  "received": {\r\n    "name": "\\u001b]0;owned\\u0007x"\r\n  }\r\n}\r\n');
    expect(run.screen).not.toContain("\u001b]0;");
  });
});
