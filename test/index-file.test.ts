import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExitCode, StoreError } from "../src/errors.js";
import { cacheHome, configDir } from "../src/platform/paths.js";
import { accountsPath, readAccounts, removeAccount, updateAccounts, upsertAccount, type AccountEntry } from "../src/core/account-index.js";

let root: string;
let deps: { processEnv: NodeJS.ProcessEnv };

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "cdcreds-index-"));
  deps = { processEnv: { XDG_CONFIG_HOME: join(root, "config"), HOME: join(root, "home") } };
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const entry = (apiLogin: string, extra: Partial<AccountEntry> = {}): AccountEntry => ({
  kind: "api-login",
  account: apiLogin,
  env: "prod",
  store: "keychain",
  ...extra,
});

describe("configDir", () => {
  it("uses XDG_CONFIG_HOME when it is absolute", () => {
    expect(configDir({ XDG_CONFIG_HOME: "/x/conf", HOME: "/h" }, "linux")).toBe("/x/conf/cdcreds");
  });

  it("ignores a relative XDG_CONFIG_HOME, as the XDG spec says, and falls back to ~/.config", () => {
    expect(configDir({ XDG_CONFIG_HOME: "conf", HOME: "/h" }, "linux")).toBe("/h/.config/cdcreds");
    expect(configDir({ HOME: "/h" }, "darwin")).toBe("/h/.config/cdcreds");
  });

  it("uses %APPDATA%\\cdcreds on Windows (XDG_CONFIG_HOME, which Git Bash may set, is not Windows'), else the profile's AppData\\Roaming", () => {
    const env = { APPDATA: "C:\\Users\\u\\AppData\\Roaming", XDG_CONFIG_HOME: "/x/conf", HOME: "/h" };
    expect(configDir(env, "win32")).toBe("C:\\Users\\u\\AppData\\Roaming\\cdcreds");
    expect(configDir({ APPDATA: "", USERPROFILE: "C:\\Users\\u" }, "win32")).toBe("C:\\Users\\u\\AppData\\Roaming\\cdcreds");
    expect(configDir({ APPDATA: "relative", USERPROFILE: "D:\\p" }, "win32")).toBe("D:\\p\\AppData\\Roaming\\cdcreds");
  });
});

describe("cacheHome", () => {
  it("uses XDG_CACHE_HOME when it is absolute, else ~/.cache, on Linux and macOS", () => {
    expect(cacheHome({ XDG_CACHE_HOME: "/x/cache", HOME: "/h" }, "linux")).toBe("/x/cache");
    expect(cacheHome({ XDG_CACHE_HOME: "cache", HOME: "/h" }, "darwin")).toBe("/h/.cache");
  });

  it("uses %LOCALAPPDATA% on Windows (caches stay on the machine), else the profile's AppData\\Local", () => {
    expect(cacheHome({ LOCALAPPDATA: "C:\\Users\\u\\AppData\\Local", XDG_CACHE_HOME: "/x/cache" }, "win32")).toBe(
      "C:\\Users\\u\\AppData\\Local",
    );
    expect(cacheHome({ USERPROFILE: "C:\\Users\\u" }, "win32")).toBe("C:\\Users\\u\\AppData\\Local");
  });
});

describe("account index", () => {
  it("reads a missing file as an empty index, without creating anything", async () => {
    expect(await readAccounts(deps)).toEqual([]);
    expect(await removeAccount(deps, entry("nobody-api"))).toBe(false);
    await expect(stat(join(root, "config"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("adds, replaces and removes entries, keyed by login, environment and store", async () => {
    await upsertAccount(deps, entry("a-api"));
    await upsertAccount(deps, entry("a-api", { env: "preprod" }));
    await upsertAccount(deps, entry("b-api", { store: "file" }));
    await upsertAccount(deps, entry("a-api", { lastVerified: "2025-01-02T03:04:05.000Z" }));
    expect(await readAccounts(deps)).toEqual([
      entry("a-api", { env: "preprod" }),
      entry("a-api", { lastVerified: "2025-01-02T03:04:05.000Z" }),
      entry("b-api", { store: "file" }),
    ]);
    expect(await removeAccount(deps, entry("a-api"))).toBe(true);
    expect((await readAccounts(deps)).map((e) => `${e.account}/${e.env}`)).toEqual(["a-api/preprod", "b-api/prod"]);
  });

  it("creates the folder 0700 and the file 0600, and leaves no temp or lock file", async () => {
    await upsertAccount(deps, entry("a-api"));
    const dir = configDir(deps.processEnv);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(accountsPath(deps))).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(["accounts.json"]);
  });

  it("survives many concurrent updates without losing one", async () => {
    const logins = Array.from({ length: 25 }, (_, i) => `user${i}-api`);
    await Promise.all(logins.map((login) => upsertAccount(deps, entry(login))));
    expect((await readAccounts(deps)).map((e) => e.account).sort()).toEqual([...logins].sort());
  });

  it("takes over a lock left by a dead process", async () => {
    await mkdir(configDir(deps.processEnv), { recursive: true });
    const lock = `${accountsPath(deps)}.lock`;
    await writeFile(lock, JSON.stringify({ pid: 2 ** 22 + 12345, host: "elsewhere", time: Date.now() - 120_000, token: "dead" }));
    const old = new Date(Date.now() - 120_000);
    await utimes(lock, old, old);
    await upsertAccount(deps, entry("after-crash-api"));
    expect((await readAccounts(deps)).map((e) => e.account)).toEqual(["after-crash-api"]);
    await expect(stat(lock)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("leaves the file untouched when the change fails", async () => {
    await upsertAccount(deps, entry("a-api"));
    const before = await readFile(accountsPath(deps), "utf8");
    await expect(
      updateAccounts(deps, () => {
        throw new StoreError("refused");
      }),
    ).rejects.toThrow("refused");
    expect(await readFile(accountsPath(deps), "utf8")).toBe(before);
  });

  it.each([
    ["not JSON", "{ nope", /is not valid JSON$/],
    ["another shape", '{"accounts":{}}', /is not a cdcreds account index \(version: /],
    ["a bad entry", '{"version":1,"accounts":[{"apiLogin":"a-api","env":"staging","store":"keychain"}]}', /accounts\.0\.env/],
  ])("refuses a damaged index (%s) with exit 5, naming the file and what to do", async (_what, content, message) => {
    await mkdir(configDir(deps.processEnv), { recursive: true });
    await writeFile(accountsPath(deps), content);
    const error = (await readAccounts(deps).catch((e: unknown) => e)) as StoreError;
    expect(error).toBeInstanceOf(StoreError);
    expect(error.exitCode).toBe(ExitCode.Store);
    expect(error.message).toContain(accountsPath(deps));
    expect(error.message).toMatch(message);
    expect(error.hint).toContain("holds no secret");
    // An update must not overwrite what it could not read.
    await expect(upsertAccount(deps, entry("x-api"))).rejects.toBeInstanceOf(StoreError);
    expect(await readFile(accountsPath(deps), "utf8")).toBe(content);
  });
});
