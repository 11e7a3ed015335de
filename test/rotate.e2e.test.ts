// `cdcreds rotate` as a seller uses it after changing a secret at Cdiscount or Octopia: in a real
// pseudo-terminal (the steps, the masked prompts, Ctrl-C at each), and with --secret-stdin. A
// rejected new secret, or a run stopped at any prompt, leaves the stored one byte for byte.
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";
import { startOctopiaEmulator } from "./support/octopia-emulator.js";
import { ptyRun } from "./support/pty.js";
import { startPassSandbox } from "./support/pass-store.js";
import { useSandbox } from "./support/sandbox.js";
import { clearLogins, filesUnder, keyFileEnv, secretToolLookup, sentinel, uniqueLogin } from "./support/store-helpers.js";

const CTRL_C = "\u0003";
const box = useSandbox();
const clients: string[] = [];
afterAll(() => clearLogins(clients));

const terminal = (args: string[]) => ptyRun(["--auth-url", box.sts.url, "--retries", "0", ...args], { XDG_CONFIG_HOME: box.config.dir });

const secretSetAt = async (account: string, key = "apiLogin") =>
  (
    JSON.parse(await readFile(join(box.config.dir, "cdcreds", "accounts.json"), "utf8")) as { accounts: Record<string, string>[] }
  ).accounts.find((a) => a[key] === account)?.secretSetAt;

/** A stored account with a cached token; the password is then changed at "Cdiscount" (the emulator). */
async function changedAccount(name: string): Promise<{ api: string; old: string; fresh: string }> {
  const { api, password: old } = await box.storedAccount(name);
  expect((await box.cdcreds(["token", api])).code).toBe(0);
  expect(secretToolLookup("cdcreds-token:prod", api)).toBeDefined();
  const fresh = sentinel();
  box.sts.setCredentials(api, fresh);
  box.sts.requests.length = 0;
  return { api, old, fresh };
}

async function expectNowhere(secret: string): Promise<void> {
  for (const [path, content] of await filesUnder(box.config.dir)) expect(content, path).not.toContain(secret);
}

describe("rotate in a terminal (API login)", () => {
  it("prints where the password is changed, waits, asks it twice (masked), checks it, stores it, drops the token", async () => {
    const { api, old, fresh } = await changedAccount("rot");
    const before = await secretSetAt(api);
    const run = terminal(["rotate", api]);
    const shown = await run.waitFor(/Press Enter once the password is changed/);
    expect(run.screen).toContain(`To change the password of the API login ${api} (seller login ${api.slice(0, -4)}):`);
    expect(run.screen).toContain("log in at https://seller.cdiscount.com/login");
    expect(run.screen).toContain(`tab "Settings", then "Your personal Settings & Bank details"`);
    expect(run.screen).toContain(`the last tab, "Connection information": section "Change your API connection settings"`);
    expect(run.screen).toContain("If that menu is missing, the account is not fully validated yet: contact the marketplace.");
    expect(run.screen).toContain("Every tool using the API must be updated after a change");
    expect(box.sts.requests).toEqual([]); // nothing asked before the new password is typed
    run.type("\r");
    await run.waitFor(/New password of/, shown);
    run.type(`${fresh}\r`);
    await run.waitFor(/The same password again/, shown);
    run.type(`${fresh}\r`);
    expect(await run.exited).toBe(0);
    expect(run.screen).toContain(`✓ ${api} (prod): new password verified and stored in the keychain; the cached token dropped`);
    expect(run.screen).toContain("Up to date: everything that reads it through cdcreds");
    expect(run.screen).not.toContain(fresh);
    expect(run.screen).not.toContain(old);
    expect(secretToolLookup("cdcreds:prod", api)).toBe(fresh);
    expect(secretToolLookup("cdcreds-token:prod", api)).toBeUndefined();
    expect(box.sts.requests.map((r) => r.password)).toEqual([fresh]);
    expect(Date.parse((await secretSetAt(api))!)).toBeGreaterThan(Date.parse(before!));
    await expectNowhere(fresh);
  });

  it("asks again when the two passwords differ, or when the stored one is typed", async () => {
    const { api, old, fresh } = await changedAccount("rotdiff");
    const run = terminal(["rotate", api]);
    await run.waitFor(/Press Enter/);
    run.type("\r");
    let at = await run.waitFor(/New password of/);
    run.type(`${old}\r`);
    at = await run.waitFor(/this is the stored password: change it first[\s\S]*New password of/, at);
    run.type(`${fresh}\r`);
    at = await run.waitFor(/The same password again/, at);
    run.type(`${fresh}x\r`);
    at = await run.waitFor(/the two passwords differ[\s\S]*New password of/, at);
    run.type(`${fresh}\r`);
    await run.waitFor(/The same password again/, at);
    run.type(`${fresh}\r`);
    expect(await run.exited).toBe(0);
    expect(box.sts.requests.map((r) => r.password)).toEqual([fresh]);
    expect(secretToolLookup("cdcreds:prod", api)).toBe(fresh);
  });

  it("a rejected new password leaves the old one stored, byte for byte (exit 1)", async () => {
    const { api, old } = await changedAccount("rotrej");
    const wrong = sentinel();
    const run = terminal(["rotate", api]);
    await run.waitFor(/Press Enter/);
    run.type("\r");
    await run.waitFor(/New password of/);
    run.type(`${wrong}\r`);
    await run.waitFor(/The same password again/);
    run.type(`${wrong}\r`);
    expect(await run.exited).toBe(1);
    expect(run.screen).toMatch(/credentials rejected by Cdiscount \(HTTP 401\); the stored password is unchanged/);
    expect(secretToolLookup("cdcreds:prod", api)).toBe(old);
    expect(secretToolLookup("cdcreds-token:prod", api)).toBeDefined();
    expect(run.screen).not.toContain(wrong);
  });

  for (const [at, steps] of [
    ["the Enter prompt", 0],
    ["the new password", 1],
    ["the second typing", 2],
  ] as const) {
    it(`Ctrl-C at ${at} changes nothing (exit 130)`, async () => {
      const { api, old, fresh } = await changedAccount(`rotc${steps}`);
      const before = await secretSetAt(api);
      const run = terminal(["rotate", api]);
      await run.waitFor(/Press Enter/);
      if (steps >= 1) {
        run.type("\r");
        await run.waitFor(/New password of/);
      }
      if (steps >= 2) {
        run.type(`${fresh}\r`);
        await run.waitFor(/The same password again/);
      }
      run.type(CTRL_C);
      expect(await run.exited).toBe(130);
      expect(secretToolLookup("cdcreds:prod", api)).toBe(old);
      expect(secretToolLookup("cdcreds-token:prod", api)).toBeDefined();
      expect(await secretSetAt(api)).toBe(before);
      expect(box.sts.requests).toEqual([]);
    });
  }
});

describe("rotate with --secret-stdin (no terminal)", () => {
  it("checks and stores the new password; a rejected one leaves the old one; nothing stored is exit 3; no terminal and no flag is exit 2", async () => {
    const { api, old, fresh } = await changedAccount("rotstdin");
    const rejected = await box.cdcreds(["rotate", "--password-stdin", api], { input: sentinel() });
    expect({ code: rejected.code, stdout: rejected.stdout }).toEqual({ code: 1, stdout: "" });
    expect(rejected.stderr).toContain("the stored password is unchanged");
    expect(secretToolLookup("cdcreds:prod", api)).toBe(old);
    const same = await box.cdcreds(["rotate", "--password-stdin", api], { input: old });
    expect(same.code).toBe(2);
    const done = await box.cdcreds(["rotate", "--secret-stdin", api], { input: `${fresh}\n` });
    expect({ code: done.code, stdout: done.stdout }, done.stderr).toEqual({ code: 0, stdout: "" });
    expect(secretToolLookup("cdcreds:prod", api)).toBe(fresh);
    expect(secretToolLookup("cdcreds-token:prod", api)).toBeUndefined();
    for (const text of [rejected.stderr, done.stderr]) {
      expect(text).not.toContain(fresh);
      expect(text).not.toContain(old);
    }
    const nothing = box.newLogin("rotnone");
    expect((await box.cdcreds(["rotate", "--password-stdin", nothing], { input: fresh })).code).toBe(3);
    expect((await box.cdcreds(["rotate", api])).code).toBe(2);
  });
});

describe("rotate in the encrypted file store", () => {
  it("replaces the secret in the file and drops its cached token; a rejected one leaves the file's secret", async () => {
    const env = { CDCREDS_STORE: "file", ...(await keyFileEnv(box.config.dir)), DBUS_SESSION_BUS_ADDRESS: undefined };
    const api = box.newLogin("rotfile");
    const [old, fresh] = [sentinel(), sentinel()];
    box.sts.setCredentials(api, old);
    expect((await box.cdcreds(["set", "--password-stdin", api], { input: old, env })).code).toBe(0);
    box.sts.setCredentials(api, fresh);
    expect((await box.cdcreds(["rotate", "--password-stdin", api], { input: sentinel(), env })).code).toBe(1);
    expect(await box.cdcreds(["get", api], { env })).toMatchObject({ code: 0, stdout: `${old}\n` });
    const done = await box.cdcreds(["rotate", "--password-stdin", api], { input: fresh, env });
    expect(done.code, done.stderr).toBe(0);
    expect(await box.cdcreds(["get", api], { env })).toMatchObject({ code: 0, stdout: `${fresh}\n` });
    box.sts.requests.length = 0;
    expect((await box.cdcreds(["token", api], { env })).code).toBe(0);
    expect(box.sts.requests.map((r) => r.password)).toEqual([fresh]); // the old secret's token was dropped
    await expectNowhere(fresh);
  });
});

describe("rotate of an Octopia client", () => {
  it("in a terminal: the portal's page, one masked prompt, the check, the store, and the old secret to revoke", async () => {
    const octopia = await startOctopiaEmulator();
    try {
      const clientId = `Agency ${uniqueLogin("rot")}@example.com`;
      clients.push(clientId);
      const [old, fresh] = [`S3cr+t&= ${randomBytes(6).toString("hex")}`, `N3w+s&= ${randomBytes(6).toString("hex")}`];
      const urls = ["--auth-url", octopia.url, "--api-url", octopia.apiUrl, "--retries", "0", "--kind", "octopia"];
      octopia.accept(clientId, old);
      const env = { XDG_CONFIG_HOME: box.config.dir };
      expect((await runCli([...urls, "set", "--secret-stdin", clientId], { input: old, env })).code).toBe(0);
      octopia.accept(clientId, fresh); // the portal made a new secret: it replaces the old one
      octopia.requests.length = 0;
      const run = ptyRun([...urls, "rotate", clientId], env);
      await run.waitFor(/Press Enter once the client secret is changed/);
      expect(run.screen).toContain(`on Octopia's seller portal, open the "API Credentials Management" page`);
      expect(run.screen).toContain("it replaces the old one and is shown once");
      run.type("\r");
      await run.waitFor(/New client secret of/);
      run.type(`${fresh}\r`);
      expect(await run.exited).toBe(0);
      expect(run.screen).not.toMatch(/The same client secret again/);
      expect(run.screen).toContain(`revoke the old client secret on the portal's "API Credentials Management" page`);
      expect(run.screen).not.toContain(fresh);
      expect(octopia.requests.map((r) => r.form.client_secret)).toEqual([fresh]);
      expect(secretToolLookup("cdcreds-octopia:prod", clientId)).toBe(fresh);
      expect(await secretSetAt(clientId, "clientId")).toBeDefined();
    } finally {
      await octopia.close();
    }
  });
});

describe("rotate in a team's pass store", () => {
  it("says what reaches the teammates and offers `pass git push`, which sends the new secret to the remote", async () => {
    const pass = await startPassSandbox();
    try {
      const api = box.newLogin("rotpass");
      const [old, fresh] = [sentinel(), sentinel()];
      const env = { ...pass.env, XDG_CONFIG_HOME: box.config.dir };
      const stored = await box.cdcreds(["--store", "pass", "set", "--no-verify", "--password-stdin", api], { input: old, env });
      expect(stored.code, stored.stderr).toBe(0);
      pass.sh("git", ["-C", pass.storeDir, "push", "-q", "-u", "origin", "HEAD"]);
      const remoteHead = () => pass.sh("git", ["-C", pass.remote, "rev-parse", "HEAD"]).trim();
      const pushedBefore = remoteHead();
      box.sts.setCredentials(api, fresh);
      const run = ptyRun(["--auth-url", box.sts.url, "--retries", "0", "--store", "pass", "rotate", api], env);
      await run.waitFor(/Press Enter/);
      run.type("\r");
      await run.waitFor(/New password of/);
      run.type(`${fresh}\r`);
      await run.waitFor(/The same password again/);
      run.type(`${fresh}\r`);
      await run.waitFor(/Run `pass git push` now\?/);
      expect(run.screen).toContain("Your teammates get the new secret from the pass store's git remote: `pass git push` sends it");
      run.type("\r"); // the default: yes
      expect(await run.exited).toBe(0);
      expect(run.screen).toContain("pushed: teammates get the new secret with `pass git pull`");
      expect(run.screen).not.toContain(fresh);
      expect(remoteHead()).not.toBe(pushedBefore);
      expect(pass.sh("git", ["-C", pass.storeDir, "status", "-sb"])).not.toMatch(/ahead/);
      expect(pass.sh("pass", ["show", `cdcreds/prod/${api}`]).trimEnd()).toBe(fresh);
    } finally {
      await pass.remove();
    }
  });
});
