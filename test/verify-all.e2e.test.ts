// `cdcreds verify --all`: every stored account checked in one run, against the emulators, with a
// mix of answers; the report names each account, the exit status is the batch's, no secret shows.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startOctopiaEmulator } from "./support/octopia-emulator.js";
import { useSandbox } from "./support/sandbox.js";
import { sentinel, uniqueLogin } from "./support/store-helpers.js";

const box = useSandbox();

/** Stores `count` accounts, unchecked, that the emulator then accepts. */
async function accounts(name: string, count: number): Promise<{ api: string; password: string }[]> {
  const stored = [];
  for (let i = 0; i < count; i++) {
    const { api, password } = await box.storedAccount(`${name}${i}`);
    box.sts.addCredentials(api, password);
    stored.push({ api, password });
  }
  return stored;
}

const lastVerified = async (): Promise<Record<string, string | undefined>> => {
  const index = JSON.parse(await readFile(join(box.config.dir, "cdcreds", "accounts.json"), "utf8")) as {
    accounts: { apiLogin: string; lastVerified?: string }[];
  };
  return Object.fromEntries(index.accounts.map((a) => [a.apiLogin, a.lastVerified]));
};

describe("cdcreds verify --all", () => {
  it("checks every account; one line each, a summary, exit 0; each check dated in the index", async () => {
    const stored = await accounts("all", 5);
    box.sts.requests.length = 0;
    const result = await box.cdcreds(["verify", "--all", "--jobs", "2"]);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 0, stdout: "" });
    for (const { api } of stored) expect(result.stderr).toContain(`✓ ${api}: credentials valid (prod)\n`);
    expect(result.stderr).toMatch(/^5 accounts checked: 5 valid, 0 failed$/m);
    expect(box.sts.requests.map((r) => r.login).sort()).toEqual(stored.map((s) => s.api).sort());
    const dates = await lastVerified();
    for (const { api } of stored) expect(dates[api]).toMatch(/^\d{4}-\d\d-\d\dT/);
    for (const { password } of stored) expect(result.stderr).not.toContain(password);
  });

  it("with a mix of answers: names the rejected account, exit 1 over 5 over 4; --json is an array in name order", async () => {
    const [valid, rejected, unreachable] = await accounts("mix", 3);
    box.sts.answerFor(rejected!.api, "401");
    box.sts.answerFor(unreachable!.api, "503");
    const result = await box.cdcreds(["verify", "--all", "--json", "--timeout", "5"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`✓ ${valid!.api}: credentials valid (prod)\n`);
    expect(result.stderr).toMatch(new RegExp(`^✗ ${rejected!.api} \\(prod\\): .*rejected`, "m"));
    expect(result.stderr).toMatch(new RegExp(`^✗ ${unreachable!.api} \\(prod\\): `, "m"));
    expect(result.stderr).toMatch(/^3 accounts checked: 1 valid, 2 failed$/m);
    const report = JSON.parse(result.stdout) as { apiLogin: string; status: string; valid: boolean }[];
    expect(report.map((r) => r.apiLogin)).toEqual([valid, rejected, unreachable].map((a) => a!.api).sort((a, b) => a.localeCompare(b)));
    const byLogin = Object.fromEntries(report.map((r) => [r.apiLogin, r.status]));
    expect(byLogin).toEqual({ [valid!.api]: "valid", [rejected!.api]: "rejected", [unreachable!.api]: "unreachable" });
    const dates = await lastVerified();
    expect([dates[valid!.api] !== undefined, dates[rejected!.api], dates[unreachable!.api]]).toEqual([true, undefined, undefined]);

    // Without the rejected one, the service that could not answer decides: exit 4.
    box.sts.answerFor(rejected!.api, "check");
    expect((await box.cdcreds(["verify", "--all", "--quiet"])).code).toBe(4);
  });

  it("checks an account the index names several times once (one request, not one per copy), and dates every copy", async () => {
    const { api } = (await accounts("dup", 1))[0]!;
    const path = join(box.config.dir, "cdcreds", "accounts.json");
    const index = JSON.parse(await readFile(path, "utf8")) as { accounts: unknown[] };
    await writeFile(path, JSON.stringify({ ...index, accounts: [...index.accounts, ...index.accounts, ...index.accounts] }));
    box.sts.requests.length = 0;
    const result = await box.cdcreds(["verify", "--all"]);
    expect(result.code, result.stderr).toBe(0);
    expect(box.sts.requests.map((r) => r.login)).toEqual([api]);
    expect(result.stderr).toMatch(/^1 account checked: 1 valid, 0 failed$/m);
    const dated = (JSON.parse(await readFile(path, "utf8")) as { accounts: { lastVerified?: string }[] }).accounts;
    expect(dated.map((a) => a.lastVerified !== undefined)).toEqual([true, true, true]);
  });

  it("a secret gone from the store is exit 5 for that account, and the others are still checked", async () => {
    const [kept, gone] = await accounts("gone", 2);
    const { spawnSync } = await import("node:child_process");
    spawnSync("secret-tool", ["clear", "service", "cdcreds:prod", "username", gone!.api]);
    const result = await box.cdcreds(["verify", "--all", "--json"]);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain(`✓ ${kept!.api}: credentials valid (prod)\n`);
    expect(result.stderr).toMatch(
      new RegExp(`^✗ ${gone!.api} \\(prod\\): its password is in the account index but gone from the store$`, "m"),
    );
    expect((JSON.parse(result.stdout) as { status: string }[]).map((r) => r.status).sort()).toEqual(["missing", "valid"]);
  });

  it("checks the Octopia clients and their sellers too (--kind octopia), naming a seller that denies the client", async () => {
    const auth = await startOctopiaEmulator();
    try {
      const run = (args: string[], input?: string) =>
        box.cdcreds(["--kind", "octopia", "--auth-url", auth.url, "--api-url", auth.apiUrl, ...args], { input });
      const clients = [`Agency ${uniqueLogin("a")}@example.com`, `Agency ${uniqueLogin("b")}@example.com`];
      const secrets = [sentinel(), sentinel()];
      auth.sellers({ "1001": 200, "2002": 403 });
      for (const [i, clientId] of clients.entries()) {
        auth.accept(clientId, secrets[i]!);
        const set = await run(["set", "--no-verify", "--secret-stdin", clientId, "--seller-id", i === 0 ? "1001" : "2002"], secrets[i]);
        expect(set.code, set.stderr).toBe(0);
      }
      const result = await run(["verify", "--all", "--json"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`✓ ${clients[0]}: credentials valid (prod), may act for seller 1001\n`);
      expect(result.stderr).toMatch(new RegExp(`^✗ ${clients[1]!.replace(/[.]/g, "\\.")} \\(prod\\): .*2002`, "m"));
      const report = JSON.parse(result.stdout) as { kind: string; clientId: string; status: string; sellerId: string | null }[];
      expect(report.map((r) => [r.kind, r.clientId, r.status, r.sellerId])).toEqual([
        ["octopia", clients[0], "valid", "1001"],
        ["octopia", clients[1], "seller-denied", "2002"],
      ]);
      for (const secret of secrets) expect(`${result.stdout}${result.stderr}`).not.toContain(secret);
      // Both kinds stored and one --auth-url: refused, since it would send one kind's secrets to the other's service.
      await accounts("kinds", 1);
      const mixed = await box.cdcreds(["verify", "--all", "--auth-url", auth.url]);
      expect(mixed.code).toBe(2);
      expect(mixed.stderr).toMatch(/^error: --auth-url and --api-url replace one kind's services/m);
      expect(auth.requests).toHaveLength(2);
    } finally {
      await auth.close();
    }
  });

  it("refuses what it cannot combine with (exit 2), and with nothing stored says so (exit 3)", async () => {
    for (const args of [
      ["verify", "--all", "somebody"],
      ["verify", "--all", "--password-stdin"],
      ["verify", "--all", "--jobs", "0"],
      ["verify", "--all", "--jobs", "many"],
      ["verify", "--jobs", "2", "somebody"],
    ]) {
      const result = await box.cdcreds(args, { input: "x" });
      expect({ args, code: result.code, stdout: result.stdout }).toEqual({ args, code: 2, stdout: "" });
      expect(result.stderr).toMatch(/^error: /);
    }
    const none = await box.cdcreds(["verify", "--all"]);
    expect(none).toMatchObject({ code: 3, stdout: "" });
    expect(none.stderr).toMatch(/^error: no stored accounts to check \(prod, in the keychain\)/);
    expect(box.sts.requests).toHaveLength(0);
  });
});
