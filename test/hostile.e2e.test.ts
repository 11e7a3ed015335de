// A hostile environment, as an attacker or a confused user makes it: a resolver that maps a
// "loopback" name elsewhere, a proxy that never answers, NODE_TLS_REJECT_UNAUTHORIZED=0, control
// sequences in the account index and in a file header, FIFOs, devices and huge files where cdcreds
// keeps its files, a folder others can write, and inputs no password can be. Each case ends with
// its documented exit status, nothing sent where it must not go, and nothing raw on the terminal.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, chown, mkdir, readFile, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { createServer as createHttpsServer, type Server } from "node:https";
import { createServer as createNetServer, type Socket } from "node:net";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { throwawayCertificate } from "./support/tls.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, runCli } from "./support/cli.js";
import { startProxy } from "./support/emulator.js";
import { useSandbox } from "./support/sandbox.js";

const box = useSandbox();
const ESC = "\u001b";
const PASSPHRASE = "correct horse battery staple";

const { cdcreds, newLogin } = box;
const cliEnv = (env: Record<string, string | undefined> = {}) => ({ XDG_CONFIG_HOME: box.config.dir, ...env });
const configDir = () => join(box.config.dir, "cdcreds");

describe("loopback is a property of the address, not of the name", () => {
  it("sends nothing to a 'localhost' name that resolves elsewhere, directly or through a proxy", (ctx) => {
    const probe = spawnSync("unshare", ["-n", "-m", "true"]);
    ctx.skip(probe.status !== 0, "needs a private network and mount namespace (`unshare -n -m`: root, with iproute2 and util-linux)");
    // A private network and mount namespace: 203.0.113.5 is on its own lo, and a bind-mounted
    // hosts file maps the names there. The listeners of netns-run.mjs count what reaches them.
    const hosts = join(box.config.dir, "hosts");
    spawnSync("sh", ["-c", `printf '203.0.113.5 evil.localhost localhost\\n' > "$0"`, hosts]);
    const helper = fileURLToPath(new URL("./support/netns-run.mjs", import.meta.url));
    const script = 'ip link set lo up && ip addr add 203.0.113.5/32 dev lo && mount --bind "$0" /etc/hosts && exec "$1" "$2" "$3"';
    const run = spawnSync("unshare", ["-n", "-m", "sh", "-c", script, hosts, process.execPath, helper, BIN], {
      encoding: "utf8",
      env: { ...process.env, XDG_CONFIG_HOME: box.config.dir },
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const results = JSON.parse(run.stdout) as Record<string, { code?: number; stderr?: string; trapped: number; requests?: number }>;
    const refused = "resolves to 203.0.113.5, not a loopback address: nothing is sent in clear to another machine";
    expect(results.evilName).toMatchObject({ code: 2, trapped: 0 });
    expect(results.evilName!.stderr).toContain(`error: evil.localhost ${refused}`);
    expect(results.localhostName).toMatchObject({ code: 2, trapped: 0 });
    expect(results.localhostName!.stderr).toContain(`error: localhost ${refused}`);
    // A proxy whose name points off the machine is not used: the request goes straight to loopback.
    expect(results.evilProxy).toMatchObject({ code: 0, trapped: 0, requests: 1 });
    expect(results.control).toEqual({ trapped: 1 });
  });
});

describe("TLS is always verified", () => {
  let tls: { key: Buffer; cert: Buffer; certPath: string };
  let server: Server;
  let requests = 0;
  let url: string;
  beforeAll(async () => {
    tls = await throwawayCertificate(["sts.example.test"]);
    server = createHttpsServer({ key: tls.key, cert: tls.cert }, (_req, res) => {
      requests++;
      res.writeHead(200, { "content-type": "text/plain" }).end("<string>e1d87736dca748128735ca2277f71ba7</string>");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `https://127.0.0.1:${(server.address() as { port: number }).port}/token`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });
  const verify = (authUrl: string, env: Record<string, string>) =>
    cdcreds(["--auth-url", authUrl, "verify", "--password-stdin", "bestshop"], { input: "Sentinel-password-1", env });

  it("ignores NODE_TLS_REJECT_UNAUTHORIZED=0, straight out and through a proxy: nothing is sent", async () => {
    requests = 0;
    const direct = await verify(url, { NODE_TLS_REJECT_UNAUTHORIZED: "0" });
    expect(direct.code).toBe(4);
    expect(direct.stderr).toContain("TLS certificate not accepted (DEPTH_ZERO_SELF_SIGNED_CERT)");
    const proxy = await startProxy();
    try {
      const tunnelled = await verify(url, { NODE_TLS_REJECT_UNAUTHORIZED: "0", HTTPS_PROXY: proxy.url });
      expect(tunnelled.code).toBe(4);
      expect(proxy.seen).toEqual([`CONNECT ${new URL(url).host}`]);
    } finally {
      await proxy.close();
    }
    expect(requests).toBe(0);
  });

  it("trusts the extra roots of NODE_EXTRA_CA_CERTS (a company's intercepting proxy)", async () => {
    requests = 0;
    const result = await verify(url, { NODE_EXTRA_CA_CERTS: tls.certPath });
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "✓ bestshop-api: credentials valid (prod)\n" });
    expect(requests).toBe(1);
  });

  it("says which host answered when the replaced token service is neither Cdiscount's nor local", async () => {
    const proxy = await startProxy({ "sts.example.test": (server.address() as { port: number }).port });
    try {
      const result = await verify("https://sts.example.test/token", { NODE_EXTRA_CA_CERTS: tls.certPath, HTTPS_PROXY: proxy.url });
      expect({ code: result.code, stderr: result.stderr }).toEqual({
        code: 0,
        stderr:
          "✓ bestshop-api: credentials valid (prod)\nnote: the token service was replaced (--auth-url or CDCREDS_AUTH_URL): sts.example.test answered, not Cdiscount\n",
      });
    } finally {
      await proxy.close();
    }
  });

  it("doctor says that NODE_TLS_REJECT_UNAUTHORIZED is set and ignored", async () => {
    const result = await cdcreds(["doctor"], { env: { NODE_TLS_REJECT_UNAUTHORIZED: "0" } });
    expect(result.stderr).toContain("warning: NODE_TLS_REJECT_UNAUTHORIZED is set: cdcreds ignores it and always verifies certificates");
  });
});

describe("a proxy that accepts the connection and never answers CONNECT", () => {
  it("is bounded by --timeout like the rest of the attempt", { timeout: 30_000 }, async () => {
    const sockets = new Set<Socket>();
    const silent = createNetServer((socket) => sockets.add(socket.on("error", () => {})));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const proxy = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
      const result = await cdcreds(
        ["--auth-url", "https://sts.example.test/token", "--timeout", "1", "verify", "--password-stdin", "bestshop"],
        {
          input: "Sentinel-password-1",
          env: { HTTPS_PROXY: proxy },
        },
      );
      expect(result.code).toBe(4);
      expect(result.stderr).toBe("error: cannot verify bestshop-api: sts.example.test unreachable: timed out after 1 s\n");
      expect(sockets.size).toBe(1);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});

describe("exec", () => {
  it("hands the program its account's credentials and none of cdcreds' own secrets", async () => {
    const api = newLogin("exec-env");
    const env = { CDCREDS_PASSPHRASE: PASSPHRASE, CDCREDS_STORE: "file" };
    expect((await cdcreds(["set", "--no-verify", "--password-stdin", api], { input: "Sentinel-password-1", env })).code).toBe(0);
    const show = "process.stdout.write(JSON.stringify(process.env))";
    const result = await cdcreds(["exec", "--no-token", "--login", api, "--", process.execPath, "-e", show], { env });
    expect(result.code).toBe(0);
    const seen = JSON.parse(result.stdout) as Record<string, string>;
    expect(seen).toMatchObject({ CDISCOUNT_API_LOGIN: api, CDISCOUNT_API_PASSWORD: "Sentinel-password-1" });
    expect(Object.keys(seen)).not.toContain("CDCREDS_PASSPHRASE");
    expect(result.stdout).not.toContain(PASSPHRASE);
  });
});

describe("text from outside reaches the terminal escaped", () => {
  const writeIndex = async (logins: string[]) => {
    await mkdir(configDir(), { recursive: true, mode: 0o700 });
    const accounts = logins.map((apiLogin) => ({ apiLogin, env: "prod", store: "keychain" }));
    await writeFile(join(configDir(), "accounts.json"), JSON.stringify({ version: 1, accounts }));
  };

  it("list shows the valid rows and names each bad login, escaped, without breaking the table", async () => {
    const good = newLogin("listed");
    await writeIndex([`evil${ESC}]0;pwned\u0007-api`, good, `x${ESC}[2J\u202e-api`]);
    const result = await cdcreds(["list"]);
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(ESC);
    expect(
      result.stdout
        .split("\n")
        .filter(Boolean)
        .map((line) => line.split(/\s+/)[0]),
    ).toEqual(["API", good]);
    expect(result.stderr).toContain(
      "warning: the account index's entry 1 (evil\\e]0;pwned\\x07-api) is ignored: the login contains a control character (U+001B)",
    );
    expect(result.stderr).toContain(
      "warning: the account index's entry 3 (x\\e[2J\\u{202e}-api) is ignored: the login contains a control character (U+001B)",
    );
    // Nothing lost: the bad entries stay in the file for their owner to fix.
    expect(await readFile(join(configDir(), "accounts.json"), "utf8")).toContain("pwned");
  });

  it("the 'several accounts' error lists only valid logins, and prints nothing raw", async () => {
    await writeIndex(["a-api", "b-api", `c${ESC}[31m-api`]);
    const result = await cdcreds(["get"]);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain(ESC);
    expect(result.stderr).toMatch(/^error: several accounts are stored for prod: a-api, b-api$/m);
  });

  it("a crafted encrypted-file header is quoted escaped", async () => {
    await mkdir(configDir(), { recursive: true, mode: 0o700 });
    const name = Buffer.from(`${ESC}]0;pwned\u0007`, "latin1");
    await writeFile(
      join(configDir(), "secrets.enc"),
      Buffer.concat([Buffer.from("CDCREDS\0", "latin1"), Buffer.from([1, name.length]), name]),
      { mode: 0o600 },
    );
    const result = await cdcreds(["--store", "file", "get", "bestshop"], { env: { CDCREDS_PASSPHRASE: PASSPHRASE } });
    expect(result.code).toBe(5);
    expect(result.stderr).not.toContain(ESC);
    expect(result.stderr).toContain('uses the key derivation "\\e]0;pwned\\x07", which this cdcreds does not know');
  });
});

describe("redaction is a last resort that never rewrites ordinary words", () => {
  it("leaves a message intact when the password is a single letter", async () => {
    const api = newLogin("short");
    const result = await cdcreds(["set", "--no-verify", "--password-stdin", api], { input: "e" });
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 0,
      stderr: `✓ ${api} (prod): password stored in the keychain without verification\n`,
    });
  });
});

describe("cdcreds' own files and folder", () => {
  const indexPath = () => join(configDir(), "accounts.json");
  const prepare = async () => mkdir(configDir(), { recursive: true, mode: 0o700 });

  it("a folder where the file store's lock goes: exit 5 naming it, not an unexpected failure", async () => {
    await mkdir(join(configDir(), "secrets.enc.lock"), { recursive: true });
    const result = await cdcreds(["--store", "file", "set", "--no-verify", "--password-stdin", "bestshop"], {
      input: "pw",
      env: { CDCREDS_PASSPHRASE: PASSPHRASE },
    });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/^error: cannot use the lock file .*secrets\.enc\.lock: it is not a regular file$/m);
  });

  it("a FIFO as the account index is refused at once, not waited on", async () => {
    await prepare();
    expect(spawnSync("mkfifo", [indexPath()]).status).toBe(0);
    const result = await cdcreds(["list"]);
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/^error: the account index .*accounts\.json is not a regular file$/m);
  });

  it("a device as the encrypted file is refused, not read without end", async () => {
    await prepare();
    await symlink("/dev/zero", join(configDir(), "secrets.enc"));
    const result = await cdcreds(["--store", "file", "get", "bestshop"], { env: { CDCREDS_PASSPHRASE: PASSPHRASE } });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/^error: the encrypted file .*secrets\.enc is not a regular file$/m);
  });

  it("an account index over 16 MiB is refused unread", async () => {
    await prepare();
    await writeFile(indexPath(), "");
    await truncate(indexPath(), 17 * 1024 * 1024);
    const result = await cdcreds(["list"]);
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/^error: the account index .*accounts\.json is larger than 16 MiB$/m);
  });

  it("a config folder every user can write is refused, in list and in doctor", async () => {
    await prepare();
    await chmod(configDir(), 0o777);
    const message = `error: refusing the folder ${configDir()}: it is writable by every user, so others could replace cdcreds' files in it`;
    for (const args of [["list"], ["doctor"], ["set", "--no-verify", "--password-stdin", "bestshop"]]) {
      const result = await cdcreds(args, { input: "pw" });
      expect(result.code, args.join(" ")).toBe(5);
      expect(result.stderr, args.join(" ")).toContain(message.replace(/^error: /, ""));
    }
  });

  it("a config folder owned by another user is refused", async (ctx) => {
    ctx.skip(process.getuid?.() !== 0, "needs root, to give the folder to another user");
    await prepare();
    await chown(configDir(), 65534, 65534);
    const result = await cdcreds(["list"]);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain(`error: refusing the folder ${configDir()}: it belongs to another user (uid 65534)`);
  });

  it("a lock dated in the future counts as stale, instead of blocking for ever", async () => {
    const api = newLogin("future-lock");
    await prepare();
    const future = { pid: process.pid, host: hostname(), time: Date.now() + 24 * 3600_000, token: randomBytes(4).toString("hex") };
    await writeFile(`${indexPath()}.lock`, JSON.stringify(future));
    const started = Date.now();
    const result = await cdcreds(["set", "--no-verify", "--password-stdin", api], { input: "Sentinel-password-1" });
    expect(result.code, result.stderr).toBe(0);
    // The lock's own timeout is 10 s: finishing well before it means it was taken over, not waited out.
    expect(Date.now() - started).toBeLessThan(8000);
    await rm(`${indexPath()}.lock`, { force: true });
  });
});

describe("input no password can be is refused before any request (exit 2)", () => {
  it.each([
    ["a megabyte", "x".repeat(1024 * 1024), "the password on standard input is longer than 512 characters"],
    ["a NUL byte", "pass\u0000word", "the password on standard input is refused: it contains a control character (U+0000)"],
    ["an escape", `pass${ESC}word`, "the password on standard input is refused: it contains a control character (U+001B)"],
  ])("%s on standard input", async (_what, input, message) => {
    const result = await cdcreds(["verify", "--password-stdin", "bestshop"], { input });
    expect({ code: result.code, stderr: result.stderr.split("\n")[0] }).toEqual({ code: 2, stderr: `error: ${message}` });
    expect(box.sts.requests).toHaveLength(0);
  });

  it("a control character in CDISCOUNT_API_PASSWORD", async () => {
    const result = await cdcreds(["verify"], { env: { CDISCOUNT_API_LOGIN: "bestshop", CDISCOUNT_API_PASSWORD: "pass\u0001word" } });
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 2,
      stderr: "error: CDISCOUNT_API_PASSWORD is refused: it contains a control character (U+0001)\n",
    });
    expect(box.sts.requests).toHaveLength(0);
  });

  it("an empty CDCREDS_AUTH_URL is not production", async () => {
    const result = await runCli(["verify", "--password-stdin", "bestshop"], { input: "pw", env: cliEnv({ CDCREDS_AUTH_URL: "" }) });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: CDCREDS_AUTH_URL is empty$/m);
  });
});

describe("help", () => {
  it("`cdcreds help set` shows the command's help and exits 0", async () => {
    const result = await runCli(["help", "set"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: cdcreds set \[options\] \[login\]/);
  });
});
