// `cdcreds migrate <api-login>`: from an API login (SOAP API) to an Octopia client, against the
// Octopia emulator (token and GET /sellers, whose answer names the seller's login) and the test
// keychain. Nothing is stored unless the client and seller are verified; nothing deleted unless so.
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli, type CliOptions } from "./support/cli.js";
import { startOctopiaEmulator, type OctopiaEmulator } from "./support/octopia-emulator.js";
import { ptyRun } from "./support/pty.js";
import { useSandbox } from "./support/sandbox.js";
import { clearLogins, filesUnder, secretToolLookup, uniqueLogin } from "./support/store-helpers.js";

const box = useSandbox();
const clients: string[] = [];
let octopia: OctopiaEmulator;
beforeEach(async () => {
  octopia = await startOctopiaEmulator();
});
afterEach(() => octopia.close());
afterAll(() => clearLogins(clients));

const urls = () => ["--auth-url", octopia.url, "--api-url", octopia.apiUrl, "--retries", "0"];
const migrate = (args: string[], options: CliOptions = {}) =>
  runCli([...urls(), "migrate", ...args], { ...options, env: { XDG_CONFIG_HOME: box.config.dir, ...options.env } });

/** A stored API login, and an Octopia client the emulator accepts for seller 12345 (whose login is given). */
async function world(name: string, sellerLogin?: string) {
  const { api, password } = await box.storedAccount(name);
  const seller = api.slice(0, -"-api".length);
  const clientId = `Agency ${uniqueLogin(name)}@example.com`;
  clients.push(clientId);
  const secret = `S3cr+t&= ${randomBytes(6).toString("hex")}`;
  octopia.accept(clientId, secret);
  octopia.sellers({ "12345": 200, "666": 403 });
  octopia.sellerLogins({ "12345": sellerLogin ?? seller });
  const flags = ["--client-id", clientId, "--secret-stdin", "--seller-id", "12345"];
  return { api, password, seller, clientId, secret, flags };
}

const index = async () =>
  (JSON.parse(await readFile(join(box.config.dir, "cdcreds", "accounts.json"), "utf8")) as { accounts: Record<string, unknown>[] })
    .accounts;

describe("cdcreds migrate", () => {
  it("checks the client and the seller, stores the client, says the seller logins match, deletes the API login with --delete-legacy", async () => {
    const { api, seller, clientId, secret, flags } = await world("mig");
    const result = await migrate([seller, ...flags, "--delete-legacy"], { input: secret });
    expect({ code: result.code, stdout: result.stdout }, result.stderr).toEqual({ code: 0, stdout: "" });
    expect(result.stderr).toContain(`${api} is an API login of the SOAP API (retired by Octopia), for seller login ${seller}.`);
    expect(result.stderr).toContain(`✓ seller 12345's seller login in Octopia's answer, ${seller}, matches ${api}'s seller login`);
    expect(result.stderr).toContain(`✓ ${api} (prod): removed from the keychain`);
    expect(secretToolLookup("cdcreds-octopia:prod", clientId)).toBe(secret);
    expect(secretToolLookup("cdcreds:prod", api)).toBeUndefined();
    expect(await index()).toEqual([
      expect.objectContaining({ kind: "octopia", clientId, sellerIds: ["12345"], secretSetAt: expect.any(String) as unknown }),
    ]);
    expect(octopia.sellerRequests.map((r) => r.sellerId)).toEqual(["12345", "12345"]);
    expect(result.stderr).not.toContain(secret);
    expect(result.stderr).not.toContain(octopia.token);
    for (const [path, content] of await filesUnder(box.config.dir)) expect(content, path).not.toContain(secret);
  });

  it("a seller login that differs is said, and the API login kept even with --delete-legacy", async () => {
    const { api, password, seller, clientId, secret, flags } = await world("migdiff", "someoneelse");
    const result = await migrate([seller, ...flags, "--delete-legacy"], { input: secret });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`warning: seller 12345's seller login in Octopia's answer is someoneelse, not ${seller} (${api}'s)`);
    expect(result.stderr).toContain(`${api} is kept: the seller logins differ (--delete-legacy is not applied)`);
    expect(secretToolLookup("cdcreds:prod", api)).toBe(password);
    expect(secretToolLookup("cdcreds-octopia:prod", clientId)).toBe(secret);
  });

  it("without a terminal and without --delete-legacy, the API login is kept", async () => {
    const { api, password, seller, secret, flags } = await world("migkeep");
    const result = await migrate([seller, ...flags], { input: secret });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`${api} is kept: delete it once nothing uses it with \`cdcreds delete ${api}\``);
    expect(secretToolLookup("cdcreds:prod", api)).toBe(password);
  });

  it("a rejected client or a denied seller stores nothing and keeps the API login (exit 1), even with --delete-legacy", async () => {
    const { api, password, seller, clientId, secret, flags } = await world("migrej");
    const rejected = await migrate([seller, ...flags, "--delete-legacy"], { input: `${secret}x` });
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toContain(`; nothing was stored, and ${api} is kept`);
    const denied = await migrate([seller, "--client-id", clientId, "--secret-stdin", "--seller-id", "666", "--delete-legacy"], {
      input: secret,
    });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/not allowed to act for seller 666 .*; nothing was stored, and .* is kept/);
    expect(secretToolLookup("cdcreds-octopia:prod", clientId)).toBeUndefined();
    expect(secretToolLookup("cdcreds:prod", api)).toBe(password);
    expect((await index()).map((e) => e.kind ?? "api-login")).toEqual(["api-login"]);
  });

  it("refuses to run unattended without the client's flags (exit 2), and an API login not stored (exit 3)", async () => {
    const { seller, clientId, secret } = await world("migflags");
    const noFlags = await migrate([seller], { input: secret });
    expect(noFlags.code).toBe(2);
    expect(noFlags.stderr).toContain("migrate needs --client-id, --secret-stdin, --seller-id");
    const none = await migrate([uniqueLogin("nobody"), "--client-id", clientId, "--secret-stdin", "--seller-id", "12345"], {
      input: secret,
    });
    expect(none.code).toBe(3);
    expect(octopia.requests).toEqual([]);
  });

  it("in a terminal: the walkthrough, the client asked (secret masked), and the deletion declined by default", async () => {
    const { api, password, seller, clientId, secret } = await world("migtty");
    const run = ptyRun([...urls(), "migrate", seller], { XDG_CONFIG_HOME: box.config.dir });
    await run.waitFor(/Client ID/);
    expect(run.screen).toContain(`"API Credentials Management", create one; its secret is shown once`);
    expect(run.screen).toContain("an aggregator's client (an agency, a connector): authorise it on the portal");
    run.type(`${clientId}\r`);
    await run.waitFor(/Client secret of/);
    run.type(`${secret}\r`);
    await run.waitFor(/Seller ID/);
    run.type("12345\r");
    await run.waitFor(/Delete the API login .* now\?/);
    run.type("\r"); // the default: no
    expect(await run.exited).toBe(0);
    expect(run.screen).toContain("matches");
    expect(run.screen).not.toContain(secret);
    expect(secretToolLookup("cdcreds:prod", api)).toBe(password);
    expect(secretToolLookup("cdcreds-octopia:prod", clientId)).toBe(secret);
  });
});

describe("API logins in list and doctor", () => {
  it("are marked SOAP API (retired by Octopia) with a pointer to migrate; an Octopia client is not", async () => {
    const { api, seller, secret, flags } = await world("mark");
    const note = `note: ${api}: SOAP API (retired by Octopia): \`cdcreds migrate ${api}\` moves it to an Octopia client`;
    expect((await box.cdcreds(["list"])).stderr).toContain(note);
    expect((await box.cdcreds(["doctor"])).stderr).toContain(note);
    const other = await box.storedAccount("mark2");
    expect((await box.cdcreds(["list"])).stderr).toContain("note: 2 API logins (");
    expect((await box.cdcreds(["delete", other.api])).code).toBe(0);
    expect((await migrate([seller, ...flags, "--delete-legacy"], { input: secret })).code).toBe(0);
    for (const args of [["list"], ["doctor"]]) expect((await box.cdcreds(args)).stderr).not.toContain("retired by Octopia");
  });
});
