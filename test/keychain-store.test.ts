// The keychain store against the private gnome-keyring that scripts/with-keyring.sh starts, and
// with a fake binding to see exactly how the library is called and how its failures are mapped.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { ExitCode, StoreError } from "../src/errors.js";
import { keychainError, openKeychainStore, type KeyringBinding } from "../src/stores/keychain/index.js";

const unique = (name: string): string => `${name}-${randomBytes(4).toString("hex")}-api`;
const SERVICE = "cdcreds-test:keychain-store";
const used: string[] = [];
const account = (name: string): string => {
  const login = unique(name);
  used.push(login);
  return login;
};

afterAll(() => {
  for (const login of used) spawnSync("secret-tool", ["clear", "service", SERVICE, "username", login]);
});

describe("keychain store on the Secret Service", () => {
  const store = openKeychainStore();

  it("passes its check in the unlocked test keyring", async () => {
    await expect(store.check()).resolves.toBeUndefined();
    expect((await store.probe()).map(({ name, ok }) => [name, ok])).toEqual([
      ["keychain reachable", true],
      ["keychain unlocked", true],
    ]);
  });

  it("stores, reads, replaces and deletes a secret, byte for byte", async () => {
    const login = account("roundtrip");
    const secret = "=/ |.-_~^@!#$%?*€,;:)(& héllo ünïcode";
    expect(await store.get(SERVICE, login)).toBeUndefined();
    await store.set(SERVICE, login, secret);
    expect(await store.get(SERVICE, login)).toBe(secret);
    await store.set(SERVICE, login, "second");
    expect(await store.get(SERVICE, login)).toBe("second");
    expect(await store.delete(SERVICE, login)).toBe(true);
    expect(await store.get(SERVICE, login)).toBeUndefined();
    expect(await store.delete(SERVICE, login)).toBe(false);
  });

  it("reads an account its last search did not return, rather than answering from the search", async () => {
    // macOS's search leaves out the items whose secret it refused; here another program writes
    // the entry after the search: either way only a read can say it is not there.
    const reader = openKeychainStore();
    const login = account("after-search");
    await reader.accounts(SERVICE);
    const store = spawnSync("secret-tool", ["store", "--label=later", "service", SERVICE, "username", login], { input: "written later" });
    expect(store.status).toBe(0);
    expect(await reader.get(SERVICE, login)).toBe("written later");
    expect(await reader.get(SERVICE, unique("never-written"))).toBeUndefined();
  });

  it("writes entries secret-tool finds by the service and username attributes", async () => {
    const login = account("interop");
    await store.set(SERVICE, login, "visible-to-secret-tool");
    const lookup = spawnSync("secret-tool", ["lookup", "service", SERVICE, "username", login], { encoding: "utf8" });
    expect(lookup.stdout).toBe("visible-to-secret-tool");
  });

  it("closes the connections of the entries it is done with: 200 reads leave a few descriptors open, not 200", async () => {
    // Each entry of the binding holds a D-Bus connection until V8 collects it; at the 1,000th
    // a batch hung (shared/KEYRING.md). A fresh store: the others' entries do not count.
    const reader = openKeychainStore();
    const descriptors = (): number => readdirSync("/proc/self/fd").length;
    await reader.get(SERVICE, unique("absent")); // the binding loaded, a first connection made
    const before = descriptors();
    for (let i = 0; i < 200; i++) expect(await reader.get(SERVICE, unique("absent"))).toBeUndefined();
    expect(descriptors() - before).toBeLessThan(50);
  });

  it("leaves no probe entry behind after a check", async () => {
    await store.check();
    // This process's probe (check-<pid>): other test files, run at the same time, make theirs.
    const search = spawnSync("secret-tool", ["search", "--all", "service", "cdcreds-probe", "username", `check-${process.pid}`], {
      encoding: "utf8",
    });
    expect(search.stdout + search.stderr).not.toContain("cdcreds-probe");
  });
});

describe("keychain store with a fake binding", () => {
  function fake(behaviour: { construct?: () => void; get?: () => string | null; set?: () => void }) {
    const calls: { service: string; username: string; options: unknown }[] = [];
    class Entry {
      constructor(service: string, username: string, options?: unknown) {
        calls.push({ service, username, options });
        behaviour.construct?.();
      }
      getPassword = () => behaviour.get?.() ?? null;
      setPassword = () => behaviour.set?.();
      deleteCredential = () => true;
    }
    return { calls, binding: { Entry } as unknown as KeyringBinding };
  }

  it("pins every entry to the Secret Service, so it can never fall back to the kernel keyring", async () => {
    const { calls, binding } = fake({});
    const store = openKeychainStore({ loadBinding: () => binding, platform: "linux" });
    await store.get("s", "a");
    await store.set("s", "a", "x");
    await store.delete("s", "a");
    await store.check();
    expect(calls.length).toBeGreaterThanOrEqual(5);
    for (const call of calls) expect(call.options).toEqual({ linux: { store: "secret-service" } });
  });

  it("never names a target on Linux (there it is a Secret Service collection), and on Windows only to write or delete", async () => {
    // withTarget on Linux names a keyring collection (a GUI prompt to create one); on Windows it
    // writes an empty credential at once, so a read through it would erase the secret.
    const targets: string[] = [];
    const searches: (string | undefined)[] = [];
    const { binding } = fake({});
    const Entry = binding.Entry as unknown as { withTarget: (target: string) => unknown };
    Entry.withTarget = (target: string) => {
      targets.push(target);
      return { setPassword: () => undefined, deleteCredential: () => true };
    };
    const findCredentials = (_service: string, filter?: string): { account: string; password: string }[] => {
      searches.push(filter);
      return filter === "a@s" && targets.length > 0 ? [{ account: "a", password: "x" }] : [];
    };
    const withSearch = { Entry: binding.Entry, findCredentials } as KeyringBinding;
    const linux = openKeychainStore({ loadBinding: () => withSearch, platform: "linux" });
    await linux.get("s", "a");
    await linux.set("s", "a", "x");
    await linux.delete("s", "a");
    await linux.accounts("s");
    expect(targets).toEqual([]);
    expect(searches).toEqual([undefined]);
    const windows = openKeychainStore({ loadBinding: () => withSearch, platform: "win32" });
    expect(await windows.get("s", "a")).toBeUndefined();
    await windows.accounts("s");
    expect(targets).toEqual([]); // reads are searches by exact target: no side effect
    await windows.set("s", "a", "x");
    expect(targets).toEqual(["a@s"]);
  });

  // gnome-keyring says it either way, depending on when the item went: both seen under concurrent runs.
  it.each([
    "zbus error: org.freedesktop.DBus.Error.UnknownMethod: No such interface “org.freedesktop.Secret.Item” on object at path /org/freedesktop/secrets/collection/login/222",
    "zbus error: org.freedesktop.DBus.Error.UnknownMethod: Object does not exist at path “/org/freedesktop/secrets/collection/login/465”",
  ])("searches a service again when an entry vanished under the search (another process deleted it): %s", async (message) => {
    let searches = 0;
    const findCredentials = (): { account: string; password: string }[] => {
      searches++;
      if (searches === 1) throw new Error(message);
      return [{ account: "a", password: "x" }];
    };
    const binding = { ...fake({}).binding, findCredentials } as KeyringBinding;
    const store = openKeychainStore({ loadBinding: () => binding, platform: "linux" });
    expect(await store.accounts("s")).toEqual(["a"]);
    expect(searches).toBe(2);
  });

  const noReply =
    "Platform failure: DBus error: Did not receive a reply. Possible causes include: the remote application did not send a reply, the message bus security policy blocked the reply, the reply timeout expired, or the network connection was broken.";
  const crashed = "Platform failure: DBus error: Message recipient disconnected from message bus without replying";

  it.each([noReply, crashed])("tries a call the Secret Service did not answer twice more, after pauses: %s", async (message) => {
    let reads = 0;
    const pauses: number[] = [];
    const { binding } = fake({
      get: () => {
        if (++reads < 3) throw new Error(message);
        return "x";
      },
    });
    const store = openKeychainStore({
      loadBinding: () => binding,
      platform: "linux",
      sleep: (ms) => Promise.resolve(void pauses.push(ms)),
    });
    expect(await store.get("s", "a")).toBe("x");
    expect(reads).toBe(3);
    expect(pauses).toEqual([250, 750]);
  });

  it("gives up after the third unanswered try, saying the Secret Service did not answer, not that it is locked", async () => {
    let writes = 0;
    const { binding } = fake({
      set: () => {
        writes++;
        throw new Error(noReply);
      },
    });
    const store = openKeychainStore({ loadBinding: () => binding, platform: "linux", sleep: () => Promise.resolve() });
    await expect(store.set("s", "a", "x")).rejects.toMatchObject({
      exitCode: ExitCode.Store,
      message: "the Secret Service did not answer: it stopped, or was too busy to answer within 2 s",
    });
    expect(writes).toBe(3);
  });

  it("tries other failures once: a locked keyring, and any failure off the Secret Service", async () => {
    let writes = 0;
    const pauses: number[] = [];
    const sleep = (ms: number): Promise<void> => Promise.resolve(void pauses.push(ms));
    const locked = fake({
      set: () => {
        writes++;
        throw new Error("Couldn't access platform storage: Secret Service: unlock prompt was dismissed");
      },
    });
    await expect(openKeychainStore({ loadBinding: () => locked.binding, platform: "linux", sleep }).set("s", "a", "x")).rejects.toThrow(
      "the keyring is locked",
    );
    const mac = fake({
      set: () => {
        writes++;
        throw new Error("Platform failure: Did not receive a reply"); // NO_ANSWER's words, on another platform
      },
    });
    await expect(openKeychainStore({ loadBinding: () => mac.binding, platform: "darwin", sleep }).set("s", "a", "x")).rejects.toThrow(
      /^the macOS Keychain failed: /,
    );
    expect({ writes, pauses }).toEqual({ writes: 2, pauses: [] });
  });

  it("counts a delete as done when a try before it got no answer (the daemon may have done it meanwhile)", async () => {
    let deletes = 0;
    class Entry {
      deleteCredential = () => {
        if (++deletes === 1) throw new Error(noReply);
        return false; // the entry is gone by the second try
      };
    }
    const binding = { Entry } as unknown as KeyringBinding;
    const store = openKeychainStore({ loadBinding: () => binding, platform: "linux", sleep: () => Promise.resolve() });
    expect(await store.delete("s", "a")).toBe(true);
    expect(deletes).toBe(2);
    deletes = 1; // no try without an answer this time: an entry that was not there
    expect(await store.delete("s", "b")).toBe(false);
  });

  it("loads nothing until the first use", () => {
    let loaded = false;
    openKeychainStore({ loadBinding: () => ((loaded = true), fake({}).binding) });
    expect(loaded).toBe(false);
  });

  it("reports a write refused by a locked keyring as reachable but not unlocked", async () => {
    const { binding } = fake({
      set: () => {
        throw new Error("Couldn't access platform storage: Secret Service: unlock prompt was dismissed");
      },
    });
    const steps = await openKeychainStore({ loadBinding: () => binding, platform: "linux" }).probe();
    expect(steps.map(({ name, ok }) => [name, ok])).toEqual([
      ["keychain reachable", true],
      ["keychain unlocked", false],
    ]);
    expect(steps[1]?.problem?.message).toBe("the keyring is locked");
  });

  it("turns a binding that cannot load into exit 5", async () => {
    const store = openKeychainStore({
      loadBinding: () => {
        throw new Error("Cannot find module '@napi-rs/keyring-linux-x64-gnu'");
      },
      platform: "linux",
    });
    await expect(store.get("s", "a")).rejects.toMatchObject({ exitCode: ExitCode.Store });
  });
});

describe("keychainError", () => {
  it.each([
    [
      "Platform failure: DBus error: Using X11 for dbus-daemon autolaunch was disabled at compile time, set your DBUS_SESSION_BUS_ADDRESS instead",
      /^no Secret Service is reachable/,
    ],
    ["Couldn't access platform storage: Secret Service: unlock prompt was dismissed", /^the keyring is locked$/],
    // what a search (list) meets on a locked item: a D-Bus error name, yet not a missing bus
    ["zbus error: org.freedesktop.Secret.Error.IsLocked: Cannot get secret of a locked object", /^the keyring is locked$/],
    ["Couldn't access platform storage: Secret Service: no result found", /never created or unlocked/],
    // a call with no answer: its message says the bus may have "blocked" it, which is no lock
    [
      "Platform failure: DBus error: Did not receive a reply. Possible causes include: the remote application did not send a reply, the message bus security policy blocked the reply, the reply timeout expired, or the network connection was broken.",
      /^the Secret Service did not answer/,
    ],
    [
      "Platform failure: DBus error: Message recipient disconnected from message bus without replying",
      /^the Secret Service did not answer/,
    ],
    ["zbus error: org.freedesktop.DBus.Error.NoReply: Remote peer disconnected", /^the Secret Service did not answer/],
    ["Couldn't access platform storage: AccessDenied", /failed: Couldn't access platform storage: AccessDenied$/],
  ])("maps %j to a StoreError (exit 5) that says what to do", (message, expected) => {
    const error = keychainError(new Error(message), "linux");
    expect(error).toBeInstanceOf(StoreError);
    expect(error.exitCode).toBe(ExitCode.Store);
    expect(error.message).toMatch(expected);
    expect(error.hint).toContain("--store file");
    expect(error.hint).toContain("CDISCOUNT_API_LOGIN and CDISCOUNT_API_PASSWORD");
  });

  it.each([
    ["darwin", "User interaction is not allowed.", /^the macOS Keychain needs a desktop session/, /security unlock-keychain/],
    ["darwin", "The user name or passphrase you entered is not correct.", /^the macOS Keychain is locked$/, /security unlock-keychain/],
    ["darwin", "Platform secure storage failure: keychain is locked", /^the macOS Keychain is locked$/, /security unlock-keychain/],
    ["darwin", "Couldn't access platform storage: AccessDenied", /^the macOS Keychain failed: /, /--store file/],
    [
      "win32",
      "Platform secure storage failure: A specified logon session does not exist. (0x80070520)",
      /has no Credential Manager/,
      /store the password/,
    ],
    ["win32", "Failed to enumerate credentials Error(0x8007000e)", /^the Windows Credential Manager failed: /, /--store file/],
    ["win32", "Couldn't access platform storage: locked", /^the Windows Credential Manager failed: /, /--store file/],
  ] as const)(
    "on %s, maps %j to a StoreError naming that OS's keychain, never gnome-keyring or D-Bus",
    (platform, message, expected, hint) => {
      const error = keychainError(new Error(message), platform);
      expect(error.exitCode).toBe(ExitCode.Store);
      expect(error.message).toMatch(expected);
      expect(error.hint).toMatch(hint);
      expect(`${error.message} ${error.hint}`).not.toMatch(/gnome|d-bus|dbus|Secret Service/i);
    },
  );
});
