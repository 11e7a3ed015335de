// How old each stored secret is: `set` and `import` date it in the account index (`verify` does
// not), `list` shows it (SET, `secretSetAt`), `list --older-than` and `verify --all --max-age` filter
// on it. An index written before the date was recorded gives "unknown", never a made-up date.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useSandbox } from "./support/sandbox.js";
import { sentinel } from "./support/store-helpers.js";

const box = useSandbox();
const DAY = 86_400_000;

interface IndexEntry {
  apiLogin: string;
  lastVerified?: string;
  secretSetAt?: string;
}
const indexPath = () => join(box.config.dir, "cdcreds", "accounts.json");
const readIndex = async () => JSON.parse(await readFile(indexPath(), "utf8")) as { version: 1; accounts: IndexEntry[] };
const dateOf = async (api: string) => (await readIndex()).accounts.find((a) => a.apiLogin === api)?.secretSetAt;

/** Rewrites the index: each named account's secretSetAt set `days` ago, or removed (undefined). */
async function backdate(ages: Record<string, number | undefined>): Promise<void> {
  const index = await readIndex();
  for (const entry of index.accounts) {
    if (!(entry.apiLogin in ages)) continue;
    const days = ages[entry.apiLogin];
    if (days === undefined) delete entry.secretSetAt;
    else entry.secretSetAt = new Date(Date.now() - days * DAY).toISOString();
  }
  await writeFile(indexPath(), JSON.stringify(index));
}

/** Accounts stored unchecked, which the emulator then all accept. */
interface Account {
  api: string;
  password: string;
}
async function stored(...names: string[]): Promise<Account[]> {
  const accounts: Account[] = [];
  for (const name of names) {
    const account = await box.storedAccount(name);
    box.sts.addCredentials(account.api, account.password);
    accounts.push(account);
  }
  return accounts;
}

const listed = async (args: string[] = []) => {
  const result = await box.cdcreds(["list", "--json", ...args]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as { apiLogin: string; secretSetAt: string | null }[];
};

describe("the age of a stored secret", () => {
  it("set dates the secret; verify leaves the date alone; list shows it (SET, secretSetAt)", async () => {
    const before = Date.now();
    const { api, password } = await box.storedAccount("age");
    const setAt = await dateOf(api);
    expect(Date.parse(setAt!)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(setAt!)).toBeLessThanOrEqual(Date.now());
    expect((await box.cdcreds(["verify", api])).code).toBe(0);
    expect((await readIndex()).accounts[0]).toMatchObject({
      apiLogin: api,
      secretSetAt: setAt,
      lastVerified: expect.any(String) as unknown,
    });
    expect((await box.cdcreds(["verify", "--all"])).code).toBe(0);
    expect(await dateOf(api)).toBe(setAt);
    expect((await listed()).map((r) => [r.apiLogin, r.secretSetAt])).toEqual([[api, setAt]]);
    const table = await box.cdcreds(["list"]);
    expect(table.stdout).toMatch(/^API LOGIN +ENV +STORE +LAST VERIFIED +SET +PASSWORD\n/);
    expect(table.stdout).toMatch(new RegExp(`^${api} +prod +keychain +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC +< 1 day +ok$`, "m"));
    await backdate({ [api]: 3 });
    expect((await box.cdcreds(["list"])).stdout).toMatch(/ 3 days +ok$/m);
    await backdate({ [api]: 430 });
    expect((await box.cdcreds(["list"])).stdout).toMatch(/ 14 months +ok$/m);
    // Storing it again is a new secret: a new date.
    const again = await box.cdcreds(["set", "--password-stdin", api], { input: password });
    expect(again.code, again.stderr).toBe(0);
    expect(Date.parse((await dateOf(api))!)).toBeGreaterThanOrEqual(before - 1000);
    for (const text of [table.stdout, table.stderr, JSON.stringify(await readIndex())]) expect(text).not.toContain(password);
  });

  it("import dates each account it stores", async () => {
    const api = box.newLogin("ageimp");
    const password = sentinel();
    box.sts.setCredentials(api, password);
    const file = join(box.config.dir, "a.csv");
    await writeFile(file, `login,password\n${api},"${password}"\n`);
    const before = Date.now();
    const result = await box.cdcreds(["import", file]);
    expect(result.code, result.stderr).toBe(0);
    expect(Date.parse((await dateOf(api))!)).toBeGreaterThanOrEqual(before - 1000);
  });

  it("an index from the previous version (no date) shows unknown and null; verify makes no date up", async () => {
    const { api } = await box.storedAccount("old");
    await backdate({ [api]: undefined });
    expect((await listed()).map((r) => r.secretSetAt)).toEqual([null]);
    expect((await box.cdcreds(["list"])).stdout).toMatch(new RegExp(`^${api} .* unknown +ok$`, "m"));
    expect((await box.cdcreds(["verify", api])).code).toBe(0);
    expect((await box.cdcreds(["verify", "--all"])).code).toBe(0);
    expect(await dateOf(api)).toBeUndefined();
  });

  it("list --older-than keeps the accounts known to be older, and says how many are of unknown age", async () => {
    const [young, old, unknown] = (await stored("young", "older", "unk")) as [Account, Account, Account];
    await backdate({ [young.api]: 10, [old.api]: 100, [unknown.api]: undefined });
    expect((await listed(["--older-than", "90d"])).map((r) => r.apiLogin)).toEqual([old.api]);
    expect((await listed(["--older-than", "13w"])).map((r) => r.apiLogin)).toEqual([old.api]);
    expect((await listed(["--older-than", "1w"])).map((r) => r.apiLogin).sort()).toEqual([young.api, old.api].sort());
    expect(await listed(["--older-than", "1y"])).toEqual([]);
    const text = await box.cdcreds(["list", "--older-than", "3m"]);
    expect(text.code).toBe(0);
    expect(text.stdout.trimEnd().split("\n").slice(1)).toEqual([expect.stringMatching(new RegExp(`^${old.api} .* 3 months +ok$`))]);
    expect(text.stderr).toContain("note: 1 account of unknown age not shown (stored before cdcreds recorded the date)");
    for (const bad of ["90", "0d", "1h", "-5d", "d", "1.5y", "90 d"]) {
      const result = await box.cdcreds(["list", "--older-than", bad]);
      expect({ code: result.code, stdout: result.stdout }, bad).toEqual({ code: 2, stdout: "" });
      expect(result.stderr).toContain("--older-than must be a whole number and a unit, as 90d, 12w, 6m or 1y");
    }
  });

  it("verify --all --max-age: old secrets named, exit 7 when every check passed; a rejection keeps exit 1", async () => {
    const [young, old, unknown] = (await stored("mayoung", "maold", "maunk")) as [Account, Account, Account];
    await backdate({ [young.api]: 30, [old.api]: 400, [unknown.api]: undefined });
    const result = await box.cdcreds(["verify", "--all", "--max-age", "365d"]);
    expect(result.code).toBe(7);
    expect(result.stderr).toMatch(
      new RegExp(
        `^✗ ${old.api} \\(prod\\): its password was stored 13 months ago \\(\\d{4}-\\d\\d-\\d\\d\\), more than --max-age 365d: change it with \`cdcreds rotate ${old.api}\`$`,
        "m",
      ),
    );
    expect(result.stderr).toContain(`note: ${unknown.api} (prod): the age of its password is unknown`);
    expect(result.stderr).not.toMatch(new RegExp(`${young.api} \\(prod\\): its`));
    expect(result.stderr).toMatch(/^1 secret older than 365d$/m);
    const json = await box.cdcreds(["verify", "--all", "--max-age", "1y", "--json", "--quiet"]);
    expect({ code: json.code, stderr: json.stderr }).toEqual({ code: 7, stderr: "" });
    const records = JSON.parse(json.stdout) as { apiLogin: string; valid: boolean; olderThanMaxAge: boolean; secretSetAt: string | null }[];
    const byLogin = Object.fromEntries(records.map((r) => [r.apiLogin, [r.valid, r.olderThanMaxAge, r.secretSetAt === null]]));
    expect(byLogin).toEqual({ [young.api]: [true, false, false], [old.api]: [true, true, false], [unknown.api]: [true, false, true] });
    // Younger than the limit: exit 0. Without --max-age, age plays no part.
    expect((await box.cdcreds(["verify", "--all", "--max-age", "2y"])).code).toBe(0);
    expect((await box.cdcreds(["verify", "--all"])).code).toBe(0);
    // A rejected account says more than an old one: exit 1.
    box.sts.answerFor(young.api, "401");
    expect((await box.cdcreds(["verify", "--all", "--max-age", "365d"])).code).toBe(1);
  });

  it("refuses a bad --max-age (exit 2, nothing checked), and --max-age without --all", async () => {
    const { api } = await box.storedAccount("mabad");
    box.sts.requests.length = 0;
    for (const args of [
      ["--all", "--max-age", "1x"],
      ["--all", "--max-age", "0y"],
      ["--max-age", "1y", api],
    ]) {
      const result = await box.cdcreds(["verify", ...args]);
      expect({ code: result.code, stdout: result.stdout }, args.join(" ")).toEqual({ code: 2, stdout: "" });
    }
    expect(box.sts.requests).toEqual([]);
  });
});
