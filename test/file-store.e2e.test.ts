// Every command with `--store file`, as the built binary, on a machine without any keychain: the
// child gets no D-Bus session at all, so nothing can silently land in a keyring.
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli, type CliOptions } from "./support/cli.js";
import { filesUnder, PRINT_API_CREDENTIALS, sentinel, uniqueLogin } from "./support/store-helpers.js";
import { useSandbox } from "./support/sandbox.js";

const PASSPHRASE = "a long passphrase for the test €";
let outputs: string[];

async function cdcreds(args: string[], options: CliOptions = {}) {
  const result = await runCli(["--auth-url", box.sts.url, "--retries", "0", ...args], {
    ...options,
    env: {
      XDG_CONFIG_HOME: box.config.dir,
      CDCREDS_STORE: "file",
      CDCREDS_PASSPHRASE: PASSPHRASE,
      DBUS_SESSION_BUS_ADDRESS: undefined,
      ...options.env,
    },
  });
  outputs.push(result.stderr);
  return result;
}

const box = useSandbox();
beforeEach(() => {
  outputs = [];
});

describe("--store file, end to end", () => {
  it("set, get, list, verify, token, exec and delete all work, with nothing in clear on disk", async () => {
    const seller = uniqueLogin("file");
    const api = `${seller}-api`;
    const password = sentinel();
    box.sts.setCredentials(api, password);

    expect(await cdcreds(["set", "--password-stdin", seller], { input: `${password}\n` })).toMatchObject({ code: 0, stdout: "" });
    expect(box.sts.requests).toHaveLength(1);
    const secrets = join(box.config.dir, "cdcreds", "secrets.enc");
    expect((await stat(secrets)).mode & 0o777).toBe(0o600);

    expect(await cdcreds(["get"])).toMatchObject({ code: 0, stdout: `${password}\n`, stderr: "" });
    const list = await cdcreds(["list", "--json"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(api);
    expect(list.stdout).toContain('"file"');
    expect(list.stdout).not.toContain(password);

    expect(await cdcreds(["verify", "--quiet"])).toMatchObject({ code: 0, stdout: "", stderr: "" });
    const requestsBeforeToken = box.sts.requests.length;
    expect(await cdcreds(["token"])).toMatchObject({ code: 0, stdout: `${box.sts.token}\n`, stderr: "" });
    expect(await cdcreds(["token"])).toMatchObject({ code: 0, stdout: `${box.sts.token}\n`, stderr: "" });
    expect(box.sts.requests.length - requestsBeforeToken).toBeLessThanOrEqual(1);

    const exec = await cdcreds(["exec", "--", ...PRINT_API_CREDENTIALS]);
    expect(exec).toMatchObject({ code: 0, stdout: `${password} ${box.sts.token}`, stderr: "" });

    const doctor = await cdcreds(["doctor"]);
    expect(doctor.code).toBe(0);
    expect(`${doctor.stdout}${doctor.stderr}`).toMatch(/file/);

    for (const [path, content] of await filesUnder(box.config.dir)) {
      expect(content, path).not.toContain(password);
      expect(content, path).not.toContain(box.sts.token);
      expect((await readFile(path)).toString("latin1"), path).not.toContain(PASSPHRASE);
    }

    expect(await cdcreds(["delete", api])).toMatchObject({ code: 0, stdout: "" });
    expect(await cdcreds(["get", api])).toMatchObject({ code: 3, stdout: "" });
    expect(await cdcreds(["delete", api])).toMatchObject({ code: 3, stdout: "" });
    for (const output of outputs) expect(output).not.toContain(password);
  });

  it("refuses a wrong passphrase with exit 5 and leaves the file as it was", async () => {
    const api = `${uniqueLogin("wrongpass")}-api`;
    expect((await cdcreds(["set", "--no-verify", "--password-stdin", api], { input: "pw" })).code).toBe(0);
    const path = join(box.config.dir, "cdcreds", "secrets.enc");
    const before = await readFile(path);
    const result = await cdcreds(["get", api], { env: { CDCREDS_PASSPHRASE: "not it" } });
    expect(result).toMatchObject({ code: 5, stdout: "" });
    expect(result.stderr).toMatch(/^error: .*wrong passphrase or damaged file/);
    const set = await cdcreds(["set", "--no-verify", "--password-stdin", `${uniqueLogin("other")}-api`], {
      input: "pw2",
      env: { CDCREDS_PASSPHRASE: "not it" },
    });
    expect(set.code).toBe(5);
    expect((await readFile(path)).equals(before)).toBe(true);
  });

  it("without a terminal or CDCREDS_PASSPHRASE, exits 2 naming the variable", async () => {
    const result = await cdcreds(["get", "someone"], { env: { CDCREDS_PASSPHRASE: undefined } });
    const set = await cdcreds(["set", "--no-verify", "--password-stdin", "someone"], {
      input: "pw",
      env: { CDCREDS_PASSPHRASE: undefined },
    });
    expect(set).toMatchObject({ code: 2, stdout: "" });
    expect(set.stderr).toContain("CDCREDS_PASSPHRASE");
    // Reading an absent file needs no passphrase: there is simply nothing stored.
    expect([2, 3]).toContain(result.code);
  });
});

describe("--store file with a key file (services, systemd credentials)", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "cdcreds-key-file-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));
  const KEY = Buffer.from("a 32-byte key made for this test", "latin1");

  it("works with no passphrase anywhere, from CDCREDS_KEY_FILE or $CREDENTIALS_DIRECTORY/cdcreds.key", async () => {
    const seller = uniqueLogin("keyfile");
    const password = sentinel();
    box.sts.setCredentials(`${seller}-api`, password);
    await writeFile(join(dir, "cdcreds.key"), `${KEY.toString("base64")}\n`, { mode: 0o600 });
    const env = { XDG_CONFIG_HOME: join(dir, "config"), CDCREDS_PASSPHRASE: undefined, CDCREDS_KEY_FILE: join(dir, "cdcreds.key") };
    expect(await cdcreds(["set", "--password-stdin", seller], { input: password, env })).toMatchObject({ code: 0, stdout: "" });
    expect(await cdcreds(["token"], { env })).toMatchObject({ code: 0, stdout: `${box.sts.token}\n`, stderr: "" });
    const systemd = { ...env, CDCREDS_KEY_FILE: undefined, CREDENTIALS_DIRECTORY: dir };
    expect(await cdcreds(["get", seller], { env: systemd })).toMatchObject({ code: 0, stdout: `${password}\n`, stderr: "" });
    const doctor = await cdcreds(["doctor"], { env: systemd });
    expect(doctor.code, doctor.stderr).toBe(0);
    expect(doctor.stderr).toContain("key from $CREDENTIALS_DIRECTORY/cdcreds.key");
    for (const [path, content] of await filesUnder(join(dir, "config"))) {
      expect(content, path).not.toContain(password);
      expect(content, path).not.toContain(box.sts.token);
    }
    for (const output of outputs) expect(output).not.toContain(password);
  });

  it("refuses a passphrase file when a key file is set, and the reverse (exit 5, file untouched)", async () => {
    const seller = uniqueLogin("crosswise");
    await writeFile(join(dir, "cdcreds.key"), KEY, { mode: 0o600 });
    const byKey = { XDG_CONFIG_HOME: join(dir, "keyed"), CDCREDS_PASSPHRASE: undefined, CDCREDS_KEY_FILE: join(dir, "cdcreds.key") };
    const byPassphrase = { XDG_CONFIG_HOME: join(dir, "passphrase") };
    for (const env of [byKey, byPassphrase]) {
      expect((await cdcreds(["set", "--no-verify", "--password-stdin", seller], { input: "pw", env })).code).toBe(0);
    }
    const files = [join(dir, "keyed", "cdcreds", "secrets.enc"), join(dir, "passphrase", "cdcreds", "secrets.enc")];
    const before = await Promise.all(files.map((f) => readFile(f)));
    const keyedWithout = await cdcreds(["get", seller], { env: { ...byKey, CDCREDS_KEY_FILE: undefined, CDCREDS_PASSPHRASE: PASSPHRASE } });
    expect(keyedWithout).toMatchObject({ code: 5, stdout: "" });
    expect(keyedWithout.stderr).toMatch(
      /^error: the encrypted file .* was made with a key file, and none is set\nhint: set CDCREDS_KEY_FILE/,
    );
    const passWithKey = await cdcreds(["set", "--no-verify", "--password-stdin", seller], {
      input: "pw2",
      env: { ...byPassphrase, CDCREDS_KEY_FILE: byKey.CDCREDS_KEY_FILE },
    });
    expect(passWithKey).toMatchObject({ code: 5, stdout: "" });
    expect(passWithKey.stderr).toMatch(
      /^error: the encrypted file .* was made with a passphrase, but a key file is set \(CDCREDS_KEY_FILE\)/,
    );
    expect(await Promise.all(files.map((f) => readFile(f)))).toEqual(before);
  });
});
