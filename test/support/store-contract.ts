// The behaviour every secret store must have, as one suite each store's test runs with a single
// factory (after Python keyring's BackendBasicTests): `describeSecretStore("file", () => open())`.
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { SecretStore } from "../../src/stores/types.js";

/** Registers the contract suite for the store that `open` gives (a fresh one per test is fine). */
export function describeSecretStore(name: string, open: () => Promise<SecretStore>): void {
  describe(`the ${name} store keeps the SecretStore contract`, () => {
    // Services of their own, so a shared keyring never mixes these entries with real ones.
    const service = `cdcreds-contract-${randomBytes(4).toString("hex")}`;
    const other = `${service}-other`;
    const written: [string, string][] = [];
    const set = async (store: SecretStore, s: string, account: string, secret: string): Promise<void> => {
      written.push([s, account]);
      await store.set(s, account, secret);
    };
    afterEach(async () => {
      const store = await open();
      for (const [s, account] of written.splice(0)) await store.delete(s, account);
    });

    it("gives back what was set", async () => {
      const store = await open();
      await set(store, service, "bestshop-api", "p€ss:w=/|@()&é ñ");
      expect(await store.get(service, "bestshop-api")).toBe("p€ss:w=/|@()&é ñ");
    });

    it("replaces a secret set again", async () => {
      const store = await open();
      await set(store, service, "replaced-api", "first");
      await set(store, service, "replaced-api", "second");
      expect(await (await open()).get(service, "replaced-api")).toBe("second");
    });

    it("deletes: true the first time, then false, and the secret is gone", async () => {
      const store = await open();
      await set(store, service, "deleted-api", "secret");
      expect(await store.delete(service, "deleted-api")).toBe(true);
      expect(await store.get(service, "deleted-api")).toBeUndefined();
      expect(await store.delete(service, "deleted-api")).toBe(false);
    });

    it("keeps accounts and secrets of any Unicode, spaces and @ included", async () => {
      const store = await open();
      const account = "My Client @ épicerie 😀";
      await set(store, service, account, "秘密 🔑 \u00a0end");
      expect(await store.get(service, account)).toBe("秘密 🔑 \u00a0end");
    });

    it("answers undefined for what was never set", async () => {
      expect(await (await open()).get(service, `never-${randomBytes(4).toString("hex")}`)).toBeUndefined();
    });

    it("keeps services apart: the same account under two services is two secrets", async () => {
      const store = await open();
      await set(store, service, "twice-api", "one");
      await set(store, other, "twice-api", "two");
      expect([await store.get(service, "twice-api"), await store.get(other, "twice-api")]).toEqual(["one", "two"]);
    });

    it("lists the accounts of a service in one pass: those set, under that service only, names kept exactly", async () => {
      const store = await open();
      const names = ["listed-api", "a/b%c d", ".hidden @x%2F"];
      for (const account of names) await set(store, service, account, `secret of ${account}`);
      await set(store, other, "elsewhere-api", "other");
      expect((await (await open()).accounts(service)).sort()).toEqual([...names].sort());
      await store.delete(service, "listed-api");
      expect((await store.accounts(service)).sort()).toEqual(names.slice(1).sort());
      expect(await store.accounts(`${service}-none`)).toEqual([]);
    });

    it("reads, replaces and deletes right after listing a service (what a store may remember of it stays true)", async () => {
      const store = await open();
      await set(store, service, "after-list-api", "first");
      expect(await store.accounts(service)).toContain("after-list-api");
      expect(await store.get(service, "after-list-api")).toBe("first");
      await set(store, service, "after-list-api", "second");
      expect(await store.get(service, "after-list-api")).toBe("second");
      await set(store, service, "added-after-list-api", "third");
      expect(await store.get(service, "added-after-list-api")).toBe("third");
      expect(await store.delete(service, "after-list-api")).toBe(true);
      expect(await store.get(service, "after-list-api")).toBeUndefined();
      expect(await (await open()).get(service, "added-after-list-api")).toBe("third");
    });

    it("passes its own health check, every step answered", async () => {
      const store = await open();
      const steps = await store.probe();
      expect(steps.length).toBeGreaterThan(0);
      expect(steps.filter((step) => !step.ok)).toEqual([]);
      await expect(store.check()).resolves.toBeUndefined();
      expect(store.description).not.toBe("");
    });
  });
}
