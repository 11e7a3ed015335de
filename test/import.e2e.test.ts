// `cdcreds import`: accounts from a CSV file, as the built binary reads it, against the emulator and
// the test keyring. A malformed file stores nothing; a rejected account is named and not stored.
import { spawnSync } from "node:child_process";
import { watch } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startOctopiaEmulator } from "./support/octopia-emulator.js";
import { useSandbox } from "./support/sandbox.js";
import { keyFileEnv, secretToolLookup, sentinel, uniqueLogin } from "./support/store-helpers.js";

const box = useSandbox();

/** A CSV file in the test's config folder. */
async function csv(text: string): Promise<string> {
  const path = join(box.config.dir, "accounts.csv");
  await writeFile(path, text);
  return path;
}

/** New seller logins, registered for clean-up, with the sentinel passwords the emulator accepts. */
function sellers(name: string, count: number): { seller: string; api: string; password: string }[] {
  return Array.from({ length: count }, (_, i) => {
    const api = box.newLogin(`${name}${i}`);
    const password = `${sentinel()},"x"`; // a comma and quotes: the file must quote it
    box.sts.addCredentials(api, password);
    return { seller: api.slice(0, -"-api".length), api, password };
  });
}

const quote = (field: string): string => `"${field.replaceAll('"', '""')}"`;

describe("cdcreds import", () => {
  it("checks and stores every account; BOM, CRLF and quoted fields with commas; one line each; tells to delete the file", async () => {
    const accounts = sellers("imp", 3);
    const file = await csv(`\uFEFFlogin,password\r\n${accounts.map((a) => `${a.seller},${quote(a.password)}`).join("\r\n")}\r\n`);
    const result = await box.cdcreds(["import", "--jobs", "2", file]);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 0, stdout: "" });
    accounts.forEach((a, i) => expect(result.stderr).toContain(`✓ line ${i + 2}: ${a.api} (prod): stored, credentials valid\n`));
    expect(result.stderr).toContain("3 of 3 accounts stored in the keychain\n");
    expect(result.stderr).toContain(`note: the file holds the secrets in clear: delete it now (shred -u ${file}, or rm)\n`);
    for (const a of accounts) {
      expect(secretToolLookup("cdcreds:prod", a.api)).toBe(a.password);
      expect(result.stderr).not.toContain(a.password);
    }
    expect(box.sts.requests).toHaveLength(3);
    const list = JSON.parse((await box.cdcreds(["list", "--json"])).stdout) as {
      apiLogin: string;
      stored: boolean;
      lastVerified: string | null;
    }[];
    expect(list.map((r) => [r.apiLogin, r.stored, r.lastVerified !== null])).toEqual(accounts.map((a) => [a.api, true, true]).sort());
  });

  it("stores the others when one is rejected (exit 1), and names the rejected one", async () => {
    const [good, bad] = sellers("rej", 2);
    box.sts.answerFor(bad!.api, "401");
    const file = await csv(`login,password,env\n${good!.api},${quote(good!.password)},prod\n${bad!.seller},${quote(bad!.password)},\n`);
    const result = await box.cdcreds(["import", file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^✗ line 3: ${bad!.api} \\(prod\\): .*rejected.*; not stored$`, "m"));
    expect(result.stderr).toContain("1 of 2 accounts stored in the keychain\n");
    expect(secretToolLookup("cdcreds:prod", good!.api)).toBe(good!.password);
    expect(secretToolLookup("cdcreds:prod", bad!.api)).toBeUndefined();
    expect(result.stderr).not.toContain(bad!.password);
  });

  it.each([
    [
      "a duplicate login",
      (a: string, b: string) => `login,password\n${a},one\n${b},two\n${a}-api,three\n`,
      /line 4, column login: the same account \(prod\) as line 2: one line per account/,
    ],
    ["a line with too many fields", (a: string) => `login,password\n${a},one,extra\n`, /line 2: 3 fields where the header has 2/],
    ["a quote left open", (a: string) => `login,password\n${a},"one\n`, /line 2: a quoted field is never closed/],
    ["an unknown column", (a: string) => `login,password,pasword\n${a},one,two\n`, /line 1: column 3 is not one of login, password, env/],
    ["an invalid login", () => `login,password\nnot a login!,one\n`, /^✗ line 2, column login: invalid login: /m],
    ["an empty password", (a: string) => `login,password\n${a},\n`, /line 2, column password: the password is refused: it is empty/],
    ["a header of no kind", (a: string) => `user,secret\n${a},one\n`, /line 1 is not a header: it does not name the columns/],
  ])("refuses a malformed file with exit 2, naming the line, and stores nothing: %s", async (_what, content, message) => {
    const [a, b] = [uniqueLogin("mal"), uniqueLogin("mal")];
    box.apiLogins.push(`${a}-api`, `${b}-api`);
    const result = await box.cdcreds(["import", "--no-verify", await csv(content(a, b))]);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 2, stdout: "" });
    expect(result.stderr).toMatch(message);
    expect(secretToolLookup("cdcreds:prod", `${a}-api`)).toBeUndefined();
    expect(secretToolLookup("cdcreds:prod", `${b}-api`)).toBeUndefined();
    expect(box.sts.requests).toHaveLength(0);
  });

  it("reads standard input (-) and, with --no-verify, stores without asking the service", async () => {
    const accounts = sellers("stdin", 2);
    const input = `login,password\n${accounts.map((a) => `${a.seller},${quote(a.password)}`).join("\n")}`; // no final line break
    const result = await box.cdcreds(["import", "--no-verify", "-"], { input });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`✓ line 3: ${accounts[1]!.api} (prod): stored (not checked)\n`);
    expect(result.stderr).not.toContain("delete it now");
    expect(box.sts.requests).toHaveLength(0);
    for (const a of accounts) expect(secretToolLookup("cdcreds:prod", a.api)).toBe(a.password);
  });

  it("says which accounts it replaced: the store held them already", async () => {
    const [kept, fresh] = sellers("again", 2);
    expect((await box.cdcreds(["set", "--no-verify", "--password-stdin", kept!.api], { input: "the old password" })).code).toBe(0);
    const input = `login,password\n${kept!.seller},${quote(kept!.password)}\n${fresh!.seller},${quote(fresh!.password)}\n`;
    const result = await box.cdcreds(["import", "--no-verify", "-"], { input });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`✓ line 2: ${kept!.api} (prod): replaced (not checked)\n`);
    expect(result.stderr).toContain(`✓ line 3: ${fresh!.api} (prod): stored (not checked)\n`);
    expect(result.stderr).toContain("2 of 2 accounts stored in the keychain (1 replaced)\n");
    expect(secretToolLookup("cdcreds:prod", kept!.api)).toBe(kept!.password);
  });

  it("imports into the encrypted file store as well, one file, nothing in clear", async () => {
    const accounts = sellers("fileimp", 3);
    const env = { CDCREDS_STORE: "file", ...(await keyFileEnv(box.config.dir)), DBUS_SESSION_BUS_ADDRESS: undefined };
    const file = await csv(`login,password\n${accounts.map((a) => `${a.seller},${quote(a.password)}`).join("\n")}\n`);
    const result = await box.cdcreds(["import", "--jobs", "3", file], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("3 of 3 accounts stored in the encrypted file\n");
    const list = JSON.parse((await box.cdcreds(["list", "--json"], { env })).stdout) as { apiLogin: string; stored: boolean }[];
    expect(list.map((r) => [r.apiLogin, r.stored])).toEqual(accounts.map((a) => [a.api, true]).sort());
    for (const a of accounts) expect(await box.cdcreds(["get", a.api], { env })).toMatchObject({ code: 0, stdout: `${a.password}\n` });
    const secrets = await readFile(join(box.config.dir, "cdcreds", "secrets.enc"));
    for (const a of accounts) expect(secrets.includes(Buffer.from(a.password))).toBe(false);
  });

  it("stores unchecked accounts in the file store a thousand to a write of the file, not one write each", async () => {
    const count = 1500;
    const env = { CDCREDS_STORE: "file", ...(await keyFileEnv(box.config.dir)), DBUS_SESSION_BUS_ADDRESS: undefined };
    const file = await csv(`login,password\n${Array.from({ length: count }, (_, i) => `bulk${i},secret-${i}-€`).join("\n")}\n`);
    const folder = join(box.config.dir, "cdcreds");
    await mkdir(folder, { recursive: true, mode: 0o700 });
    // Each write of the file is a temporary file of its own, renamed over it.
    const writes = new Set<string>();
    const watcher = watch(folder, (_event, name) => {
      if (name?.startsWith(".secrets.enc.") === true) writes.add(name);
    });
    try {
      const result = await box.cdcreds(["import", "--no-verify", file], { env });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain(`${count} of ${count} accounts stored in the encrypted file\n`);
    } finally {
      watcher.close();
    }
    expect(writes.size).toBe(Math.ceil(count / 1000));
    for (const i of [0, 999, 1000, count - 1]) {
      expect(await box.cdcreds(["get", `bulk${i}`], { env })).toMatchObject({ code: 0, stdout: `secret-${i}-€\n` });
    }
  }, 60_000);

  it("imports Octopia clients with their seller IDs (client_id,client_secret,seller_ids), checking each seller", async () => {
    const auth = await startOctopiaEmulator();
    try {
      const clients = [`Agency ${uniqueLogin("i")}@example.com`, `Agency ${uniqueLogin("j")}@example.com`];
      const secrets = [`${sentinel()}+&=%`, `${sentinel()}+&=%`];
      clients.forEach((c, i) => auth.accept(c, secrets[i]!));
      auth.sellers({ "1001": 200, "1002": 200, "3003": 403 });
      const file = await csv(
        `client_id,client_secret,seller_ids\n${quote(clients[0]!)},${quote(secrets[0]!)},"1001,1002"\n${quote(clients[1]!)},${quote(secrets[1]!)},3003\n`,
      );
      const result = await box.cdcreds(["--auth-url", auth.url, "--api-url", auth.apiUrl, "import", file]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`✓ line 2: ${clients[0]} (prod): stored, credentials valid\n`);
      expect(result.stderr).toMatch(/^✗ line 3: .*3003.*; not stored$/m);
      expect(auth.sellerRequests.map((r) => r.sellerId).sort()).toEqual(["1001", "1002", "3003"]);
      const list = JSON.parse((await box.cdcreds(["list", "--json"])).stdout) as { clientId: string; sellerIds: string[] }[];
      expect(list.map((r) => [r.clientId, r.sellerIds])).toEqual([[clients[0], ["1001", "1002"]]]);
      expect(secretToolLookup("cdcreds-octopia:prod", clients[0]!)).toBe(secrets[0]);
      for (const secret of secrets) expect(result.stderr).not.toContain(secret);
      spawnSync("secret-tool", ["clear", "service", "cdcreds-octopia:prod", "username", clients[0]!]);
    } finally {
      await auth.close();
    }
  });
});
