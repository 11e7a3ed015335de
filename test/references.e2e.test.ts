// References (`cdcreds://...`) resolved by the built binary (`inject`) and by the library, against
// the private test keyring and loopback emulators of both token services. Every output is searched
// for the secrets and tokens.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CliOptions, CliResult } from "./support/cli.js";
import { startOctopiaEmulator, type OctopiaEmulator } from "./support/octopia-emulator.js";
import { clearLogins, uniqueLogin } from "./support/store-helpers.js";
import { useSandbox } from "./support/sandbox.js";

const box = useSandbox();
let auth: OctopiaEmulator;
let dir: string;
const clients: string[] = [];
/** Secrets no output may hold, but the ones a test expects on stdout. */
const secrets: string[] = [];
const outputs: string[] = [];

beforeEach(async () => {
  auth = await startOctopiaEmulator();
  dir = await mkdtemp(join(tmpdir(), "cdcreds-refs-"));
  secrets.push(box.sts.token, auth.token);
});
afterEach(async () => {
  await auth.close();
  await rm(dir, { recursive: true, force: true });
});
afterAll(() => {
  clearLogins(clients);
  for (const output of outputs) for (const secret of secrets) expect(output).not.toContain(secret);
});

async function cdcreds(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const result = await box.cdcreds(args, options);
  outputs.push(result.stderr);
  return result;
}

async function storedAccount(name: string): Promise<{ api: string; password: string }> {
  const account = await box.storedAccount(name);
  secrets.push(account.password);
  return account;
}

/** An Octopia client (a name with a space and `@`) stored unchecked with its sellers, which the emulator accepts. */
async function storedClient(name: string, sellerIds: string[]): Promise<{ clientId: string; secret: string }> {
  const clientId = `Best Shop ${uniqueLogin(name)}@agency.example`;
  clients.push(clientId);
  const secret = `S3cr+t&=%/: ${randomBytes(6).toString("hex")}`;
  secrets.push(secret);
  auth.accept(clientId, secret);
  const args = ["--kind", "octopia", "set", "--no-verify", "--secret-stdin", clientId];
  const stored = await cdcreds([...args, ...sellerIds.flatMap((id) => ["--seller-id", id])], { input: secret });
  expect(stored.code, stored.stderr).toBe(0);
  return { clientId, secret };
}

describe("cdcreds inject", () => {
  it("fills an API login's secret (the default field), token and account, the token cached as `token` caches it", async () => {
    const { api, password } = await storedAccount("inject");
    const template = `{"login": "{{cdcreds://${api}/account}}", "password": "{{ cdcreds://${api} }}",\n "token": "{{  cdcreds://${api}/token }}", "again": "{{cdcreds://${api}/secret}}"}\n`;
    const result = await cdcreds(["inject"], { input: template });
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toBe(`{"login": "${api}", "password": "${password}",\n "token": "${box.sts.token}", "again": "${password}"}\n`);
    expect(box.sts.requests).toHaveLength(1);
    expect(await cdcreds(["token", api])).toMatchObject({ code: 0, stdout: `${box.sts.token}\n` });
    expect(box.sts.requests).toHaveLength(1);
  });

  it("fills an Octopia client's secret, token, client ID and seller ID, its name percent-encoded", async () => {
    const { clientId, secret } = await storedClient("octo", ["12345"]);
    const encoded = encodeURIComponent(clientId).replace("%40", "@");
    const template = [
      `{{cdcreds://${encoded}}}`,
      `{{cdcreds://${encoded}/account}}`,
      `{{cdcreds://${encoded}/seller-id}}`,
      `{{cdcreds://${encoded}/token?kind=octopia}}`,
    ].join("\n");
    const result = await cdcreds(["--auth-url", auth.url, "--api-url", auth.apiUrl, "inject"], { input: template });
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toBe([secret, clientId, "12345", auth.token].join("\n"));
  });

  it("reads the environment a reference names, and only that one", async () => {
    const api = box.newLogin("preprod");
    const password = `Preprod/ é${randomBytes(6).toString("hex")}`;
    secrets.push(password);
    const stored = await cdcreds(["--env", "preprod", "set", "--no-verify", "--password-stdin", api], { input: password });
    expect(stored.code, stored.stderr).toBe(0);
    expect(await cdcreds(["inject"], { input: `{{cdcreds://${api}?env=preprod}}` })).toMatchObject({ code: 0, stdout: password });
    expect(await cdcreds(["--env", "preprod", "inject"], { input: `{{cdcreds://${api}}}` })).toMatchObject({ code: 0, stdout: password });
    const prod = await cdcreds(["--env", "preprod", "inject"], { input: `{{cdcreds://${api}?env=prod&kind=api-login}}` });
    expect(prod).toMatchObject({ code: 3, stdout: "" });
    expect(prod.stderr).toContain(`reference "cdcreds://${api}?env=prod&kind=api-login": `);
  });

  it.each([
    ["an account not stored", (api: string) => `{{cdcreds://${api}x}}`, 3],
    ["an unknown field", (api: string) => `{{cdcreds://${api}/password}}`, 2],
    ["an unknown parameter", (api: string) => `{{cdcreds://${api}?store=file}}`, 2],
    ["a seller ID of an API login", (api: string) => `{{cdcreds://${api}/seller-id}}`, 2],
  ])("refuses %s, naming the reference, and writes nothing", async (_what, reference, code) => {
    const { api } = await storedAccount("refuse");
    const out = join(dir, "config.json");
    const template = join(dir, "config.json.tpl");
    await writeFile(template, `{"ok": "{{cdcreds://${api}}}", "bad": "${reference(api)}"}`);
    const result = await cdcreds(["inject", "-i", template, "-o", out]);
    expect(result).toMatchObject({ code, stdout: "" });
    expect(result.stderr).toContain(`reference "${reference(api).slice(2, -2)}"`);
    await expect(stat(out)).rejects.toThrow("ENOENT");
    expect((await cdcreds(["inject"], { input: reference(api) })).stdout).toBe("");
  });

  it("-o writes a file of mode 0600, refuses an existing one, and replaces it with --force", async () => {
    const { api, password } = await storedAccount("out");
    const out = join(dir, "config.json");
    expect(await cdcreds(["inject", "-o", out], { input: `pw={{cdcreds://${api}}}\n` })).toMatchObject({ code: 0, stdout: "", stderr: "" });
    expect(await readFile(out, "utf8")).toBe(`pw=${password}\n`);
    expect((await stat(out)).mode & 0o777).toBe(0o600);

    await writeFile(out, "kept\n");
    const refused = await cdcreds(["inject", "-o", out], { input: `pw={{cdcreds://${api}}}\n` });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--force");
    expect(await readFile(out, "utf8")).toBe("kept\n");

    expect(await cdcreds(["inject", "--force", "-o", out], { input: `pw={{cdcreds://${api}}}\n` })).toMatchObject({ code: 0 });
    expect(await readFile(out, "utf8")).toBe(`pw=${password}\n`);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
  });
});

describe('resolveReference from "cdcreds"', () => {
  it("resolves a reference as the CLI does, and throws the CLI's errors", async () => {
    const { api, password } = await storedAccount("lib");
    const code = `import { resolveReference } from "cdcreds";
const out = [await resolveReference(${JSON.stringify(`cdcreds://${api}`)}), await resolveReference(${JSON.stringify(`cdcreds://${api}/token`)})];
for (const ref of [${JSON.stringify(`cdcreds://${api}x`)}, ${JSON.stringify(`cdcreds://${api}/pw`)}]) {
  out.push(await resolveReference(ref).then(() => "resolved", (e) => [e.name, e.exitCode, e.message]));
}
process.stdout.write(JSON.stringify(out));`;
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", code], {
      env: { ...process.env, XDG_CONFIG_HOME: box.config.dir, CDCREDS_AUTH_URL: box.sts.url },
    });
    outputs.push(stderr);
    const [secret, token, missing, bad] = JSON.parse(stdout) as [string, string, [string, number, string], [string, number, string]];
    expect([secret, token]).toEqual([password, box.sts.token]);
    expect(missing.slice(0, 2)).toEqual(["NotFoundError", 3]);
    expect(missing[2]).toContain(`reference "cdcreds://${api}x": `);
    expect(bad.slice(0, 2)).toEqual(["UsageError", 2]);
    for (const message of [missing[2], bad[2]]) expect(message).not.toContain(password);
  });
});
