// How `list` tells an index entry's state when the store's search did not return it: a read
// confirms it. macOS's keychain search drops every item whose secret it refused (the binding's
// findCredentials), which cannot happen here: the search's answer is given as such (`held`), and
// the reads go to the real test keyring (scripts/with-keyring.sh) and a real encrypted file.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { presenceOf } from "../src/cli/commands/list.js";
import { CdcredsError, ExitCode } from "../src/errors.js";
import { openKeychainStore } from "../src/stores/keychain/index.js";
import { fileStore, useTempDirs } from "./support/file-store.js";

const SERVICE = "cdcreds-test:list-presence";
const login = (name: string): string => `${name}-${randomBytes(4).toString("hex")}-api`;
const present = login("present");
const absent = login("absent");

afterAll(() => {
  spawnSync("secret-tool", ["clear", "service", SERVICE, "username", present]);
});

describe("an index entry the store's search did not return", () => {
  const tempDir = useTempDirs();

  it("is ok when a read finds it, MISSING when the read finds nothing either", async () => {
    const store = openKeychainStore();
    await store.set(SERVICE, present, "still here");
    const searched = new Map([[SERVICE, new Set<string>()]]); // as a search that dropped `present`
    const entries = [present, absent].map((account) => ({ service: SERVICE, account }));
    expect(await presenceOf(store, entries, searched)).toEqual([true, false]);
  });

  it("is unknown, with the store's failure, when the read fails", async () => {
    const path = join(await tempDir(), "secrets.enc");
    await (await fileStore(path)).set(SERVICE, present, "in the file");
    const locked = await fileStore(path, { processEnv: { CDCREDS_PASSPHRASE: "not this one", HOME: "/nonexistent-home" } });
    const [answer] = await presenceOf(locked, [{ service: SERVICE, account: present }], new Map());
    expect(answer).toBeInstanceOf(CdcredsError);
    expect((answer as CdcredsError).exitCode).toBe(ExitCode.Store);
  });

  it("reads nothing for an entry the search found", async () => {
    const failing = {
      get: () => Promise.reject(new Error("not to be read")),
    };
    expect(await presenceOf(failing, [{ service: SERVICE, account: present }], new Map([[SERVICE, new Set([present])]]))).toEqual([true]);
  });
});
