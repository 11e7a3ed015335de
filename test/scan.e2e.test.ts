// `cdcreds scan` from the built binary, over the encrypted file store (no keychain: the accounts
// searched for are this test's alone): each form of a secret found in a git work tree's tracked and
// untracked files, not in an ignored one, in a staged change, in a plain folder; binary and big
// files skipped and counted. No output holds a secret.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli, type CliResult } from "./support/cli.js";
import { keyFileEnv, tempConfig } from "./support/store-helpers.js";

let config: Awaited<ReturnType<typeof tempConfig>>;
let dir: string;
/** The file store opens with a key file: this file is about scan, not the passphrase. */
let keyFile: { CDCREDS_KEY_FILE: string };
const secrets: string[] = [];
const outputs: string[] = [];

beforeEach(async () => {
  config = await tempConfig();
  keyFile = await keyFileEnv(config.dir);
  dir = await mkdtemp(join(tmpdir(), "cdcreds-scan-"));
});
afterEach(async () => {
  await config.remove();
  await rm(dir, { recursive: true, force: true });
});
afterAll(() => {
  for (const output of outputs) for (const secret of secrets) expect(output).not.toContain(secret);
});

async function cdcreds(args: string[], cwd = dir, input?: string): Promise<CliResult> {
  const result = await runCli(args, {
    cwd,
    input,
    env: {
      XDG_CONFIG_HOME: config.dir,
      CDCREDS_STORE: "file",
      ...keyFile,
      DBUS_SESSION_BUS_ADDRESS: undefined,
    },
  });
  outputs.push(result.stdout, result.stderr);
  return result;
}

/** Stores an account unchecked, and gives its secret. */
async function stored(args: string[], account: string): Promise<string> {
  const secret = `Scan/é ${randomBytes(6).toString("hex")}`;
  secrets.push(secret);
  const result = await cdcreds([...args, "set", "--no-verify", "--secret-stdin", account], dir, secret);
  expect(result.code, result.stderr).toBe(0);
  return secret;
}

const git = (...args: string[]): string => execFileSync("git", args, { cwd: dir, encoding: "utf8" });

describe("cdcreds scan", () => {
  it("finds each form of each kind's secret in a work tree's tracked and untracked files, not in ignored ones", async () => {
    const password = await stored([], "shop-api");
    const clientSecret = await stored(["--kind", "octopia"], "Best Shop@agency.example");
    const basic = Buffer.from(`shop-api:${password}`).toString("base64");
    const php = JSON.stringify(clientSecret).slice(1, -1).replaceAll("/", "\\/").replace("é", "\\u00e9");
    secrets.push(basic, php, encodeURIComponent(password));
    git("init", "-q");
    await writeFile(join(dir, ".gitignore"), "secrets.local\n");
    await writeFile(join(dir, "tracked.env"), `A=1\nCD_PASSWORD=${password}\n`);
    await mkdir(join(dir, "config"));
    await writeFile(join(dir, "config", "config.json"), `{\n  "client_id": "Best Shop@agency.example",\n  "client_secret": "${php}"\n}\n`);
    git("add", "tracked.env", "config/config.json", ".gitignore");
    await writeFile(
      join(dir, "untracked.sh"),
      `curl -H 'Authorization: Basic ${basic}' \\\n  "https://x/?pw=${encodeURIComponent(password)}"\n`,
    );
    await writeFile(join(dir, "secrets.local"), password);
    await writeFile(join(dir, "dump.bin"), Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(password)]));
    await writeFile(join(dir, "big.log"), Buffer.concat([Buffer.alloc(9 * 1024 * 1024, 0x61), Buffer.from(password)]));

    const result = await cdcreds(["scan"]);
    expect(result.code).toBe(1);
    expect(result.stdout.split("\n").sort()).toEqual(
      [
        "",
        "config/config.json:3: Best Shop@agency.example (octopia, prod, JSON-escaped)",
        "tracked.env:2: shop-api (api-login, prod, value)",
        "untracked.sh:1: shop-api (api-login, prod, HTTP Basic)",
        "untracked.sh:2: shop-api (api-login, prod, percent-encoded)",
      ].sort(),
    );
    expect(result.stderr).toContain("skipped: 1 over 8 MiB, 1 binary");
    expect(result.stderr).toContain("for the secrets of 2 accounts (prod)");
  });

  it("--staged scans what the commit would record, not the work tree", async () => {
    const password = await stored([], "staged-api");
    git("init", "-q");
    await writeFile(join(dir, "settings.ini"), `password=${password}\n`);
    git("add", "settings.ini");
    await writeFile(join(dir, "settings.ini"), "password=\n");
    await writeFile(join(dir, "notes.txt"), password);
    const staged = await cdcreds(["scan", "--staged"]);
    expect(staged).toMatchObject({ code: 1, stdout: "settings.ini:1: staged-api (api-login, prod, value)\n" });
    git("add", "settings.ini");
    expect(await cdcreds(["scan", "--staged"])).toMatchObject({ code: 0, stdout: "" });
    expect(await cdcreds(["scan"])).toMatchObject({ code: 1, stdout: "notes.txt:1: staged-api (api-login, prod, value)\n" });
  });

  it("walks a folder that is no work tree, and looks for the environment's secrets only", async () => {
    const prod = await stored([], "walk-api");
    const preprod = await stored(["--env", "preprod"], "walk-api");
    await mkdir(join(dir, "a", "b"), { recursive: true });
    await writeFile(join(dir, "a", "b", "prod.txt"), `x ${prod}`);
    await writeFile(join(dir, "a", "preprod.txt"), `\n\n${preprod}`);
    expect(await cdcreds(["scan", "a"])).toMatchObject({ code: 1, stdout: "a/b/prod.txt:1: walk-api (api-login, prod, value)\n" });
    expect(await cdcreds(["--env", "preprod", "scan", join(dir, "a", "preprod.txt")])).toMatchObject({
      code: 1,
      stdout: `${join(dir, "a", "preprod.txt")}:3: walk-api (api-login, preprod, value)\n`,
    });
    await rm(join(dir, "a", "b", "prod.txt"));
    expect(await cdcreds(["scan", "a"])).toMatchObject({ code: 0, stdout: "" });
  });
});
