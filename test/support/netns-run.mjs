// Runs inside a private network and mount namespace made by test/hostile.e2e.test.ts, where a
// hostile hosts file maps `evil.localhost` and `localhost` to 203.0.113.5 (an address of this
// namespace's own loopback device, so nothing ever leaves the machine). Listeners there count every
// connection: a credential sent by name instead of by checked address would land in them.
//
//   node netns-run.mjs BIN  ->  prints one JSON object: each case's exit code, stderr and counts
import { spawn } from "node:child_process";
import { createServer as createHttpServer } from "node:http";
import { connect, createServer } from "node:net";

const [bin] = process.argv.slice(2);
const OUTSIDE = "203.0.113.5";

/** A listener on OUTSIDE:port that only counts connections (and answers nothing). */
async function trap(port) {
  const trapped = { connections: 0 };
  const server = createServer((socket) => {
    trapped.connections++;
    socket.destroy();
  });
  await new Promise((resolve) => server.listen(port, OUTSIDE, resolve));
  return { trapped, server };
}

/** A token service on 127.0.0.1 that answers every request with a token. */
async function tokenService() {
  const seen = { requests: 0 };
  const server = createHttpServer((_req, res) => {
    seen.requests++;
    res.writeHead(200, { "content-type": "text/plain" }).end("<string>e1d87736dca748128735ca2277f71ba7</string>");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { seen, server, url: `http://127.0.0.1:${server.address().port}/token` };
}

function cdcreds(args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, "--retries", "0", "--timeout", "3", ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME, ...env },
      stdio: ["pipe", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    child.stdin.end("Sentinel-password-1");
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

const web = await trap(8080);
const proxy = await trap(3128);
const sts = await tokenService();
const results = {};
results.evilName = {
  ...(await cdcreds(["--auth-url", "http://evil.localhost:8080/token", "verify", "--password-stdin", "bestshop"])),
  trapped: web.trapped.connections,
};
results.localhostName = {
  ...(await cdcreds(["--auth-url", "http://localhost:8080/token", "verify", "--password-stdin", "bestshop"])),
  trapped: web.trapped.connections,
};
results.evilProxy = {
  ...(await cdcreds(["--auth-url", sts.url, "verify", "--password-stdin", "bestshop"], { HTTP_PROXY: "http://evil.localhost:3128" })),
  trapped: proxy.trapped.connections,
  requests: sts.seen.requests,
};
// The control: the traps do catch what is sent to them by name, so a zero above means something.
await new Promise((resolve) => connect(8080, "evil.localhost").on("close", resolve).on("error", resolve));
results.control = { trapped: web.trapped.connections };
for (const server of [web.server, proxy.server, sts.server]) server.close();
process.stdout.write(JSON.stringify(results));
