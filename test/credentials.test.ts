import { describe, expect, it } from "vitest";
import { loadSecret, resolveAccount, resolveName, type AccountInputs } from "../src/core/account.js";
import { kind } from "../src/kinds/api-login/index.js";
import { ExitCode, NotFoundError, UsageError } from "../src/errors.js";
import type { AccountEntry } from "../src/core/account-index.js";
import type { SecretStore } from "../src/stores/types.js";
import { memoryStore as inMemory } from "./support/memory-store.js";

// As messages name it: a store in memory standing for the keychain.
const memoryStore = (secrets: Record<string, string> = {}) => inMemory(secrets, "keychain");

/** The account resolved and its secret read, as `get` does. */
async function getCredentials(inputs: AccountInputs & { openStore: () => Promise<SecretStore> }) {
  const { account, source, secret } = await resolveAccount(inputs);
  return { apiLogin: account, password: await secret(), source };
}

const account = (apiLogin: string, extra: Partial<AccountEntry> = {}): AccountEntry => ({
  kind: "api-login",
  account: apiLogin,
  env: "prod",
  store: "keychain",
  ...extra,
});
const inputs = (over: Partial<AccountInputs> = {}) => ({
  kind,
  argument: undefined,
  processEnv: {},
  env: "prod" as const,
  store: "keychain" as const,
  listAccounts: () => Promise.reject(new Error("the index must not be read")),
  ...over,
});

describe("resolveName", () => {
  it("takes the argument first, derived, without reading the index", async () => {
    expect(await resolveName(inputs({ argument: " bestshop ", processEnv: { CDCREDS_LOGIN: "other" } }))).toEqual({
      account: "bestshop-api",
      source: "argument",
    });
  });

  it("then CDCREDS_LOGIN", async () => {
    expect(await resolveName(inputs({ processEnv: { CDCREDS_LOGIN: "envshop-api" } }))).toEqual({
      account: "envshop-api",
      source: "CDCREDS_LOGIN",
    });
    await expect(resolveName(inputs({ processEnv: { CDCREDS_LOGIN: "bad login" } }))).rejects.toThrow(/^CDCREDS_LOGIN: invalid login/);
  });

  it("then the only account stored for that environment and store", async () => {
    const listAccounts = () =>
      Promise.resolve([account("one-api"), account("pre-api", { env: "preprod" }), account("file-api", { store: "file" })]);
    expect(await resolveName(inputs({ listAccounts }))).toEqual({ account: "one-api", source: "index" });
  });

  it("else exit 2, listing the accounts it could not choose from, or where others are", async () => {
    const several = resolveName(inputs({ listAccounts: () => Promise.resolve([account("a-api"), account("b-api")]) }));
    await expect(several).rejects.toThrow("several accounts are stored for prod: a-api, b-api");
    const none = (await resolveName(inputs({ listAccounts: () => Promise.resolve([account("p-api", { env: "preprod" })]) })).catch(
      (e: unknown) => e,
    )) as UsageError;
    expect(none.exitCode).toBe(ExitCode.Usage);
    expect(none.message).toBe("no login given and no account is stored for prod in the keychain store");
    expect(none.hint).toContain("stored elsewhere: p-api (preprod, keychain)");
  });
});

describe("getCredentials", () => {
  it("reads the store under cdcreds:<env> and the API login", async () => {
    const store = memoryStore({ "cdcreds:preprod/shop-api": "pw" });
    const credentials = await getCredentials({ ...inputs({ argument: "shop", env: "preprod" }), openStore: () => Promise.resolve(store) });
    expect(credentials).toEqual({ apiLogin: "shop-api", password: "pw", source: "store" });
    expect(store.asked).toEqual(["cdcreds:preprod/shop-api"]);
  });

  it("prefers environment credentials and never opens the store for them", async () => {
    const env = { CDISCOUNT_API_LOGIN: "envshop", CDISCOUNT_API_PASSWORD: "pw" };
    const openStore = () => Promise.reject(new Error("the store must not be opened"));
    expect(await getCredentials({ ...inputs({ processEnv: env }), openStore })).toEqual({
      apiLogin: "envshop-api",
      password: "pw",
      source: "environment",
    });
    expect(await getCredentials({ ...inputs({ processEnv: env, argument: "envshop-api" }), openStore })).toMatchObject({
      source: "environment",
    });
    await expect(getCredentials({ ...inputs({ processEnv: env, argument: "other" }), openStore })).rejects.toThrow(
      "CDISCOUNT_API_LOGIN is envshop-api, not other-api",
    );
  });

  it("ignores environment credentials when only one of the two is set", async () => {
    const store = memoryStore({ "cdcreds:prod/shop-api": "stored" });
    const env = { CDISCOUNT_API_LOGIN: "envshop" };
    expect(
      await getCredentials({ ...inputs({ processEnv: env, argument: "shop" }), openStore: () => Promise.resolve(store) }),
    ).toMatchObject({ password: "stored", source: "store" });
  });
});

describe("loadSecret", () => {
  it("is exit 3 when nothing is stored, with the command that fixes it", async () => {
    const error = (await loadSecret(memoryStore(), kind, "preprod", "shop-api").catch((e: unknown) => e)) as NotFoundError;
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.exitCode).toBe(ExitCode.NotFound);
    expect(error.message).toBe("no password stored for shop-api (preprod) in the keychain");
    expect(error.hint).toContain("cdcreds set shop-api --env preprod");
  });
});
