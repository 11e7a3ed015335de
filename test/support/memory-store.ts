// A store in memory, for the contract suite and for unit tests that must not touch a keychain.
import type { SecretStore } from "../../src/stores/types.js";

/** A store in memory that records what was read; `id` is what messages call it. */
export function memoryStore(secrets: Record<string, string> = {}, id = "memory"): SecretStore & { asked: string[] } {
  const asked: string[] = [];
  const entries = new Map(Object.entries(secrets));
  const key = (service: string, account: string): string => `${service}/${account}`;
  return {
    id,
    description: "memory",
    asked,
    probe: () => Promise.resolve([{ name: "memory", ok: true, detail: "always there" }]),
    check: () => Promise.resolve(),
    get: (service, account) => {
      asked.push(key(service, account));
      return Promise.resolve(entries.get(key(service, account)));
    },
    set: (service, account, secret) => {
      entries.set(key(service, account), secret);
      return Promise.resolve();
    },
    delete: (service, account) => Promise.resolve(entries.delete(key(service, account))),
    accounts: (service) =>
      Promise.resolve([...entries.keys()].filter((k) => k.startsWith(`${service}/`)).map((k) => k.slice(service.length + 1))),
  };
}
