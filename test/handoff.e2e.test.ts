// token, exec and environment credentials, run as the built binary against the private test keyring
// (scripts/with-keyring.sh) and a loopback token-service emulator that counts every request.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { BIN, type CliOptions } from "./support/cli.js";
import { filesUnder, secretToolLookup, sentinel, uniqueLogin } from "./support/store-helpers.js";
import { useSandbox } from "./support/sandbox.js";

const HOUR = 3_600_000;
let outputs: string[];

async function cdcreds(args: string[], options: CliOptions = {}) {
  const result = await box.cdcreds(args, options);
  outputs.push(result.stderr);
  return result;
}

const storedAccount = (name: string) => box.storedAccount(name);

/** Writes a cached-token entry as another tool would, with secret-tool. */
function storeTokenEntry(api: string, value: string): void {
  const result = spawnSync("secret-tool", ["store", "--label=test", "service", "cdcreds-token:prod", "username", api], { input: value });
  expect(result.status).toBe(0);
}

const cachedEntry = (api: string): { token: string; expiresAt: string } | undefined => {
  const raw = secretToolLookup("cdcreds-token:prod", api);
  return raw === undefined ? undefined : (JSON.parse(raw) as { token: string; expiresAt: string });
};

const box = useSandbox();
const { apiLogins } = box;
beforeEach(() => {
  outputs = [];
});

describe("cdcreds token", () => {
  it("gets a token once, then serves it from the keychain with no request", async () => {
    const { api, password } = await storedAccount("cache");
    const before = Date.now();
    const first = await cdcreds(["token", api]);
    expect(first).toMatchObject({ code: 0, stdout: `${box.sts.token}\n`, stderr: "" });
    expect(box.sts.requests).toHaveLength(1);

    const entry = cachedEntry(api);
    expect(entry?.token).toBe(box.sts.token);
    const expires = Date.parse(entry!.expiresAt);
    expect(expires).toBeGreaterThanOrEqual(before + 48 * HOUR);
    expect(expires).toBeLessThanOrEqual(Date.now() + 48 * HOUR);

    const second = await cdcreds(["token", api]);
    expect(second).toMatchObject({ code: 0, stdout: `${box.sts.token}\n`, stderr: "" });
    expect(box.sts.requests).toHaveLength(1);

    const json = await cdcreds(["token", "--json", api]);
    expect(JSON.parse(json.stdout)).toEqual({ apiLogin: api, env: "prod", token: box.sts.token, expiresAt: entry!.expiresAt });
    expect(box.sts.requests).toHaveLength(1);
    for (const output of outputs) expect(output).not.toContain(password);
  });

  it("--refresh gets a new token and caches it", async () => {
    const { api } = await storedAccount("refresh");
    storeTokenEntry(
      api,
      JSON.stringify({ token: "a".repeat(32), expiresAt: new Date(Date.now() + 40 * HOUR).toISOString(), authUrl: box.sts.url }),
    );
    expect((await cdcreds(["token", api])).stdout).toBe(`${"a".repeat(32)}\n`);
    expect(box.sts.requests).toHaveLength(0);
    expect(await cdcreds(["token", "--refresh", api])).toMatchObject({ code: 0, stdout: `${box.sts.token}\n` });
    expect(box.sts.requests).toHaveLength(1);
    expect(cachedEntry(api)?.token).toBe(box.sts.token);
  });

  it.each([
    [
      "less than an hour left",
      () => JSON.stringify({ token: "b".repeat(32), expiresAt: new Date(Date.now() + 50 * 60_000).toISOString() }),
    ],
    ["expired", () => JSON.stringify({ token: "b".repeat(32), expiresAt: new Date(Date.now() - HOUR).toISOString() })],
    ["not JSON", () => "garbage{"],
    ["JSON of the wrong shape", () => JSON.stringify({ token: 42 })],
    [
      "a token with forbidden characters",
      () => JSON.stringify({ token: "<script>x</script>xxxxxxxxxxxx", expiresAt: new Date(Date.now() + 40 * HOUR).toISOString() }),
    ],
  ])("replaces a cached entry that is %s, without an error", async (_what, entry) => {
    const { api } = await storedAccount("stale");
    storeTokenEntry(api, entry());
    expect(await cdcreds(["token", api])).toMatchObject({ code: 0, stdout: `${box.sts.token}\n`, stderr: "" });
    expect(box.sts.requests).toHaveLength(1);
    expect(cachedEntry(api)?.token).toBe(box.sts.token);
  });

  it("serves a cached token with a little more than an hour left", async () => {
    const { api } = await storedAccount("margin");
    storeTokenEntry(
      api,
      JSON.stringify({ token: "c".repeat(32), expiresAt: new Date(Date.now() + 70 * 60_000).toISOString(), authUrl: box.sts.url }),
    );
    expect((await cdcreds(["token", api])).stdout).toBe(`${"c".repeat(32)}\n`);
    expect(box.sts.requests).toHaveLength(0);
  });

  it("reports a rejected password with exit 1 and caches nothing", async () => {
    const { api } = await storedAccount("rejected");
    box.sts.setCredentials(api, "another password");
    const result = await cdcreds(["token", api]);
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr).toMatch(/^error: .*rejected/);
    expect(box.sts.requests).toHaveLength(1);
    expect(cachedEntry(api)).toBeUndefined();
  });

  it("exits 3 for a login with nothing stored, before taking any lock", async () => {
    const api = `${uniqueLogin("none")}-api`;
    const result = await cdcreds(["token", api]);
    expect(result).toMatchObject({ code: 3, stdout: "" });
    expect(result.stderr).toMatch(/^error: no password stored for /);
    expect(box.sts.requests).toHaveLength(0);
    expect(await readdir(box.config.dir, { recursive: true })).toEqual([]); // no locks/ folder either
  });

  // A fresh cached token is served without reading the password (one keychain read, not two).
  // So a token cached before its password was removed by another tool is still served until it
  // nears expiry, as it would be by any caller holding it; `cdcreds delete` removes both.
  it("serves a fresh cached token without reading the password; a refresh then needs it (exit 3)", async () => {
    const { api } = await storedAccount("tokenfirst");
    storeTokenEntry(
      api,
      JSON.stringify({ token: "d".repeat(32), expiresAt: new Date(Date.now() + 40 * HOUR).toISOString(), authUrl: box.sts.url }),
    );
    expect(spawnSync("secret-tool", ["clear", "service", "cdcreds:prod", "username", api]).status).toBe(0);

    expect(await cdcreds(["token", api])).toMatchObject({ code: 0, stdout: `${"d".repeat(32)}\n`, stderr: "" });
    const refresh = await cdcreds(["token", "--refresh", api]);
    expect(refresh).toMatchObject({ code: 3, stdout: "" });
    expect(refresh.stderr).toMatch(/^error: no password stored for /);
    expect(box.sts.requests).toHaveLength(0);
  });
});

describe("set and verify keep the token they obtain", () => {
  it("set caches the token of its check: token then makes no request", async () => {
    const api = `${uniqueLogin("setcache")}-api`;
    apiLogins.push(api);
    const password = sentinel();
    box.sts.setCredentials(api, password);
    expect((await cdcreds(["set", "--password-stdin", api], { input: password })).code).toBe(0);
    expect(box.sts.requests).toHaveLength(1);
    expect(await cdcreds(["token", api])).toMatchObject({ code: 0, stdout: `${box.sts.token}\n` });
    expect(box.sts.requests).toHaveLength(1);
  });

  it("verify of stored credentials caches the token and records when", async () => {
    const { api } = await storedAccount("verifycache");
    const listed = async () =>
      (JSON.parse((await cdcreds(["list", "--json"])).stdout) as { apiLogin: string; lastVerified?: string }[]).find(
        (a) => a.apiLogin === api,
      );
    expect((await listed())?.lastVerified ?? null).toBeNull();
    const before = Date.now();
    expect(await cdcreds(["verify", api])).toMatchObject({ code: 0, stdout: "" });
    expect(Date.parse((await listed())!.lastVerified!)).toBeGreaterThanOrEqual(before - 1000);
    expect(await cdcreds(["token", api])).toMatchObject({ code: 0, stdout: `${box.sts.token}\n` });
    expect(box.sts.requests).toHaveLength(1);
  });

  it("verify with --password-stdin caches nothing: that password is not the stored one", async () => {
    const { api } = await storedAccount("verifystdin");
    box.sts.answer("token");
    expect(await cdcreds(["verify", "--password-stdin", api], { input: "some other password" })).toMatchObject({ code: 0 });
    expect(cachedEntry(api)).toBeUndefined();
  });
});

describe("environment credentials", () => {
  it("take precedence over the store for get and token, and their token is never stored", async () => {
    const { api } = await storedAccount("envwins");
    const envPassword = sentinel();
    box.sts.setCredentials(api, envPassword);
    const env = { CDISCOUNT_API_LOGIN: api, CDISCOUNT_API_PASSWORD: envPassword };
    expect(await cdcreds(["get"], { env })).toMatchObject({ code: 0, stdout: `${envPassword}\n`, stderr: "" });
    expect(await cdcreds(["token"], { env })).toMatchObject({ code: 0, stdout: `${box.sts.token}\n`, stderr: "" });
    expect(await cdcreds(["token"], { env })).toMatchObject({ code: 0, stdout: `${box.sts.token}\n` });
    expect(box.sts.requests.map((r) => [r.login, r.password])).toEqual([
      [api, envPassword],
      [api, envPassword],
    ]);
    expect(cachedEntry(api)).toBeUndefined();
  });

  it("work with no store at all (no D-Bus session)", async () => {
    const api = `${uniqueLogin("nostore")}-api`;
    const password = sentinel();
    box.sts.setCredentials(api, password);
    const env = { CDISCOUNT_API_LOGIN: api, CDISCOUNT_API_PASSWORD: password, DBUS_SESSION_BUS_ADDRESS: undefined };
    expect(await cdcreds(["token"], { env })).toMatchObject({ code: 0, stdout: `${box.sts.token}\n`, stderr: "" });
    expect(await cdcreds(["get", "--json"], { env })).toMatchObject({
      code: 0,
      stdout: `${JSON.stringify({ apiLogin: api, password, env: "prod" })}\n`,
    });
  });
});

describe("cdcreds exec", () => {
  const printEnv = `process.stdout.write(JSON.stringify([process.env.CDISCOUNT_API_LOGIN, process.env.CDISCOUNT_API_PASSWORD, process.env.CDISCOUNT_API_TOKEN]))`;

  it("runs the command with the login, password and token in its environment", async () => {
    const { api, password } = await storedAccount("exec");
    const result = await cdcreds(["exec", "--login", api, "--", process.execPath, "-e", printEnv]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(result.stdout)).toEqual([api, password, box.sts.token]);
    for (const [path, content] of await filesUnder(box.config.dir)) expect(content, path).not.toContain(password);
  });

  it("sets CDISCOUNT_API_TOKEN_EXPIRES_AT to the token's expiry (none with --no-token)", async () => {
    const { api } = await storedAccount("expiry");
    const print = "process.stdout.write(String(process.env.CDISCOUNT_API_TOKEN_EXPIRES_AT))";
    const result = await cdcreds(["exec", "--login", api, "--", process.execPath, "-e", print]);
    expect(result.code, result.stderr).toBe(0);
    const cached = JSON.parse(secretToolLookup("cdcreds-token:prod", api) ?? "{}") as { expiresAt?: string };
    expect(result.stdout).toBe(cached.expiresAt);
    const none = await cdcreds(["exec", "--login", api, "--no-token", "--", process.execPath, "-e", print]);
    expect(none.stdout).toBe("undefined");
  });

  it("passes stdin through and exits with the command's status", async () => {
    const { api } = await storedAccount("status");
    const script = `let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => { process.stdout.write(s.toUpperCase()); process.exit(7); })`;
    const result = await cdcreds(["exec", "--login", api, "--no-token", "--", process.execPath, "-e", script], { input: "hello" });
    expect(result).toMatchObject({ code: 7, stdout: "HELLO", stderr: "" });
    expect(box.sts.requests).toHaveLength(0);
  });

  it("exits 128 + the signal when the command dies of one", async () => {
    const { api } = await storedAccount("signal");
    const result = await cdcreds([
      "exec",
      "--login",
      api,
      "--no-token",
      "--",
      process.execPath,
      "-e",
      "process.kill(process.pid, 'SIGTERM')",
    ]);
    expect(result).toMatchObject({ code: 143, stdout: "", stderr: "" });
  });

  it("forwards SIGTERM to the command", async () => {
    const { api } = await storedAccount("forward");
    const script = `process.on("SIGTERM", () => { process.stdout.write("got SIGTERM"); process.exit(5); }); process.stdout.write("ready"); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, [BIN, "exec", "--login", api, "--no-token", "--", process.execPath, "-e", script], {
      env: { ...process.env, XDG_CONFIG_HOME: box.config.dir },
    });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      if (stdout === "ready") child.kill("SIGTERM");
    });
    const code = await new Promise((resolve) => child.on("close", resolve));
    expect(stdout).toBe("readygot SIGTERM");
    expect(code).toBe(5);
  });

  it("ignores SIGUSR1, which would open Node's inspector on the process holding the password", async () => {
    const { api } = await storedAccount("usr1");
    const script = `process.stdout.write("ready"); process.stdin.once("data", () => { process.stdout.write(" done"); process.exit(0); });`;
    // Port 0: a cdcreds that did open the inspector takes no port another program may be using.
    const child = spawn(process.execPath, [BIN, "exec", "--login", api, "--no-token", "--", process.execPath, "-e", script], {
      env: { ...process.env, XDG_CONFIG_HOME: box.config.dir, NODE_OPTIONS: "--inspect-port=0" },
    });
    let stdout = "";
    let stderr = "";
    const ready = new Promise<void>((resolve) =>
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        stdout += d;
        if (stdout === "ready") resolve();
      }),
    );
    const inspector = new Promise<void>((resolve) =>
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        stderr += d;
        if (stderr.includes("Debugger listening")) resolve();
      }),
    );
    const closed = new Promise((resolve) => child.on("close", resolve));
    await ready;
    child.kill("SIGUSR1");
    // Node announces an inspector it opened within milliseconds; a second is ample to see it.
    await Promise.race([inspector, new Promise((resolve) => setTimeout(resolve, 1000))]);
    child.stdin.end("go\n");
    expect(await closed).toBe(0);
    expect({ stdout, stderr }).toEqual({ stdout: "ready done", stderr: "" });
  });

  it("exits 127 with a message when the command cannot be started", async () => {
    const { api } = await storedAccount("enoent");
    const result = await cdcreds(["exec", "--login", api, "--no-token", "--", "cdcreds-no-such-command"]);
    expect(result).toMatchObject({
      code: 127,
      stdout: "",
      stderr: 'error: cannot run "cdcreds-no-such-command": command not found\nhint: check the command name and PATH\n',
    });
  });

  it("says why a program found on PATH cannot run (permission denied), and a PATH folder it may not search hides no command (not found)", async () => {
    const { api } = await storedAccount("eacces");
    const dir = await mkdtemp(join(tmpdir(), "cdcreds-exec-path-"));
    try {
      await writeFile(join(dir, "not-executable"), "#!/bin/sh\n", { mode: 0o644 });
      const denied = await cdcreds(["exec", "--login", api, "--no-token", "--", "not-executable"], {
        env: { PATH: `${dir}:/usr/bin:/bin` },
      });
      expect(denied).toMatchObject({ code: 127, stdout: "", stderr: 'error: cannot run "not-executable": permission denied\n' });
      // As root every folder can be searched: the case needs another user.
      if (process.getuid?.() === 0) return;
      const closed = join(dir, "closed");
      await mkdir(closed, { mode: 0o000 });
      const hidden = await cdcreds(["exec", "--login", api, "--no-token", "--", "cdcreds-no-such-command"], {
        env: { PATH: `${closed}:/usr/bin:/bin` },
      });
      expect(hidden).toMatchObject({
        code: 127,
        stderr: 'error: cannot run "cdcreds-no-such-command": command not found\nhint: check the command name and PATH\n',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("runs nothing when the credentials are missing", async () => {
    const api = `${uniqueLogin("missing")}-api`;
    const result = await cdcreds(["exec", "--login", api, "--", process.execPath, "-e", "process.stdout.write('ran')"]);
    expect(result).toMatchObject({ code: 3, stdout: "" });
  });

  it("hands the program no way to the file store's key: CDCREDS_KEY_FILE, and CREDENTIALS_DIRECTORY when it holds cdcreds.key", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cdcreds-exec-key-"));
    try {
      const key = randomBytes(32).toString("base64");
      await writeFile(join(dir, "cdcreds.key"), `${key}\n`, { mode: 0o600 });
      const fileStore = { CDCREDS_STORE: "file", CDCREDS_PASSPHRASE: undefined, DBUS_SESSION_BUS_ADDRESS: undefined };
      const byPath = { ...fileStore, CDCREDS_KEY_FILE: join(dir, "cdcreds.key") };
      const bySystemd = { ...fileStore, CREDENTIALS_DIRECTORY: dir };
      const api = box.newLogin("exec-key");
      const password = sentinel();
      const set = await cdcreds(["set", "--no-verify", "--password-stdin", api], { input: password, env: byPath });
      expect(set.code, set.stderr).toBe(0);
      const show = "process.stdout.write(JSON.stringify(process.env))";
      for (const env of [byPath, bySystemd]) {
        const result = await cdcreds(["exec", "--no-token", "--login", api, "--", process.execPath, "-e", show], { env });
        expect(result.code, result.stderr).toBe(0);
        const seen = JSON.parse(result.stdout) as Record<string, string>;
        expect(seen).toMatchObject({ CDISCOUNT_API_LOGIN: api, CDISCOUNT_API_PASSWORD: password });
        expect(Object.keys(seen).filter((name) => ["CDCREDS_KEY_FILE", "CREDENTIALS_DIRECTORY"].includes(name))).toEqual([]);
        expect(result.stdout).not.toContain(dir);
        expect(result.stdout).not.toContain(key);
      }
      // A credentials folder without cdcreds.key is the program's own: it keeps it.
      const own = join(dir, "own");
      await mkdir(own, { mode: 0o700 });
      const kept = await cdcreds(["exec", "--no-token", "--login", api, "--", process.execPath, "-e", show], {
        env: { ...byPath, CREDENTIALS_DIRECTORY: own },
      });
      expect(kept.code, kept.stderr).toBe(0);
      expect(JSON.parse(kept.stdout) as Record<string, string>).toMatchObject({ CREDENTIALS_DIRECTORY: own });
      expect(kept.stdout).not.toContain("CDCREDS_KEY_FILE");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("uses environment credentials and does not cache their token", async () => {
    const api = `${uniqueLogin("execenv")}-api`;
    const password = sentinel();
    box.sts.setCredentials(api, password);
    const result = await cdcreds(["exec", "--", process.execPath, "-e", printEnv], {
      env: { CDISCOUNT_API_LOGIN: api, CDISCOUNT_API_PASSWORD: password },
    });
    expect(JSON.parse(result.stdout)).toEqual([api, password, box.sts.token]);
    expect(cachedEntry(api)).toBeUndefined();
  });
});
