import { chmod, chown, mkdir, readdir, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { InterruptedError, StoreError, UsageError } from "../src/errors.js";
import { parseHeader } from "../src/stores/file/format.js";
import { DEFAULT_SCRYPT } from "../src/stores/file/kdf.js";
import { fileStorePath, openFileStore } from "../src/stores/file/index.js";
import { FAST_KDF, fileStore, freeze, PASSPHRASE, snapshot, useTempDirs } from "./support/file-store.js";

// Counts key derivations, encryptions and decryptions, passing every call through to the real scrypt and AES.
const derivations = vi.hoisted(() => ({ count: 0, decryptions: 0, encryptions: 0 }));
vi.mock("node:crypto", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:crypto")>();
  const scrypt = (...args: unknown[]): void => {
    derivations.count++;
    (actual.scrypt as (...a: unknown[]) => void)(...args);
  };
  const createDecipheriv = (...args: Parameters<typeof actual.createDecipheriv>) => {
    derivations.decryptions++;
    return actual.createDecipheriv(...args);
  };
  const createCipheriv = (...args: Parameters<typeof actual.createCipheriv>) => {
    derivations.encryptions++;
    return actual.createCipheriv(...args);
  };
  return { ...actual, scrypt, createDecipheriv, createCipheriv };
});

const tempDir = useTempDirs();
const SECRET = "p€ss:w=/|@()&é";

/** A store file holding a few entries, and its path. */
async function filled(): Promise<{ dir: string; path: string }> {
  const dir = await tempDir();
  const path = join(dir, "cdcreds", "secrets.enc");
  const store = await fileStore(path);
  await store.set("cdcreds:prod", "bestshop-api", SECRET);
  await store.set("cdcreds-token:prod", "bestshop-api", '{"token":"e1d87736dca748128735ca2277f71ba7"}');
  return { dir, path };
}

describe("changes asked together", () => {
  it("go into one write of the file, in the order asked, each told what it changed", async () => {
    const path = join(await tempDir(), "secrets.enc");
    const store = await fileStore(path);
    await store.set("cdcreds:prod", "old-api", "old");
    derivations.encryptions = 0;
    const asked = [
      ...Array.from({ length: 200 }, (_, i) => store.set("cdcreds:prod", `shop${i}-api`, `secret ${i}`)),
      store.set("cdcreds:prod", "shop7-api", "secret 7, replaced"),
      store.delete("cdcreds:prod", "shop9-api"),
      store.delete("cdcreds:prod", "absent-api"),
      store.delete("cdcreds:prod", "old-api"),
    ];
    expect((await Promise.all(asked)).slice(200)).toEqual([undefined, true, false, true]);
    expect(derivations.encryptions).toBe(1);
    const reader = await fileStore(path);
    expect((await reader.accounts("cdcreds:prod")).length).toBe(199);
    expect(await reader.get("cdcreds:prod", "shop7-api")).toBe("secret 7, replaced");
    expect(await reader.get("cdcreds:prod", "shop199-api")).toBe("secret 199");
    expect([await reader.get("cdcreds:prod", "shop9-api"), await reader.get("cdcreds:prod", "old-api")]).toEqual([undefined, undefined]);
  });

  it("all fail, with the store's error, when their write fails; the next ones are written", async () => {
    const path = join(await tempDir(), "secrets.enc");
    const store = await fileStore(path, { lock: { timeoutMs: 200 } });
    await store.set("cdcreds:prod", "first-api", "1");
    await writeFile(`${path}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), time: Date.now(), token: "someone else" }));
    const failed = await Promise.allSettled([store.set("cdcreds:prod", "a-api", "a"), store.delete("cdcreds:prod", "first-api")]);
    expect(failed.map((r) => r.status === "rejected" && r.reason instanceof StoreError && r.reason.exitCode)).toEqual([5, 5]);
    await rm(`${path}.lock`);
    await store.set("cdcreds:prod", "b-api", "b");
    expect(await (await fileStore(path)).accounts("cdcreds:prod")).toEqual(["first-api", "b-api"]);
  });
});

describe("file store round trip", () => {
  it("stores, replaces and deletes secrets of several services and accounts, across store instances", async () => {
    const path = join(await tempDir(), "secrets.enc");
    const a = await fileStore(path);
    await a.set("cdcreds:prod", "bestshop-api", SECRET);
    await a.set("cdcreds:prod", "othershop-api", "second");
    await a.set("cdcreds:preprod", "bestshop-api", "préprod ✓");
    await a.set("cdcreds:prod", "othershop-api", "second, replaced");
    const b = await fileStore(path);
    expect(await b.get("cdcreds:prod", "bestshop-api")).toBe(SECRET);
    expect(await b.get("cdcreds:prod", "othershop-api")).toBe("second, replaced");
    expect(await b.get("cdcreds:preprod", "bestshop-api")).toBe("préprod ✓");
    expect(await b.get("cdcreds:preprod", "othershop-api")).toBeUndefined();
    expect(await b.delete("cdcreds:prod", "bestshop-api")).toBe(true);
    expect(await b.delete("cdcreds:prod", "bestshop-api")).toBe(false);
    expect(await a.get("cdcreds:prod", "bestshop-api")).toBeUndefined();
    expect(await a.get("cdcreds:prod", "othershop-api")).toBe("second, replaced");
  });

  it("derives the key once per store, however many operations it serves", async () => {
    const path = join(await tempDir(), "secrets.enc");
    derivations.count = 0;
    const creating = await fileStore(path);
    await creating.set("cdcreds:prod", "a-api", "1");
    await creating.set("cdcreds:prod", "b-api", "2");
    expect(derivations.count).toBe(1);
    derivations.count = 0;
    const store = await fileStore(path);
    await store.check();
    expect(await store.get("cdcreds:prod", "a-api")).toBe("1");
    await store.set("cdcreds:prod", "c-api", "3");
    expect(await store.delete("cdcreds:prod", "b-api")).toBe(true);
    expect(derivations.count).toBe(1);
  });

  it("decrypts the file once while its bytes stay the same, and again once another writer changed it", async () => {
    const path = join(await tempDir(), "secrets.enc");
    const writer = await fileStore(path);
    for (const name of ["a-api", "b-api", "c-api"]) await writer.set("cdcreds:prod", name, `secret of ${name}`);
    const reader = await fileStore(path);
    derivations.decryptions = 0;
    for (const name of ["a-api", "b-api", "c-api"]) expect(await reader.get("cdcreds:prod", name)).toBe(`secret of ${name}`);
    expect(await reader.accounts("cdcreds:prod")).toEqual(["a-api", "b-api", "c-api"]);
    expect(derivations.decryptions).toBe(1);
    await writer.set("cdcreds:prod", "b-api", "changed");
    const beforeRead = derivations.decryptions;
    expect(await reader.get("cdcreds:prod", "b-api")).toBe("changed");
    expect(await reader.get("cdcreds:prod", "a-api")).toBe("secret of a-api");
    expect(derivations.decryptions - beforeRead).toBe(1);
  });

  it("keeps odd names as data (a login named __proto__)", async () => {
    const path = join(await tempDir(), "secrets.enc");
    await (await fileStore(path)).set("__proto__", "constructor", "x");
    const store = await fileStore(path);
    expect(await store.get("__proto__", "constructor")).toBe("x");
    expect(await store.get("cdcreds:prod", "toString")).toBeUndefined();
  });

  it("reads nothing and creates nothing when there is no file, without asking for a passphrase", async () => {
    const path = join(await tempDir(), "sub", "secrets.enc");
    const askPassphrase = (): Promise<string> => Promise.reject(new Error("unexpected prompt"));
    const store = await fileStore(path, { processEnv: {}, interactive: true, askPassphrase });
    expect(await store.get("cdcreds:prod", "bestshop-api")).toBeUndefined();
    expect(await store.delete("cdcreds:prod", "bestshop-api")).toBe(false);
    await expect(stat(join(path, ".."))).rejects.toThrow(/ENOENT/);
  });

  it("round-trips with the real default scrypt cost, written in the header", async () => {
    const path = join(await tempDir(), "secrets.enc");
    await (await fileStore(path, { kdf: undefined })).set("cdcreds:prod", "bestshop-api", SECRET);
    expect(parseHeader(await readFile(path), path).header.kdf).toEqual({ log2N: 16, r: 8, p: 1 });
    expect(DEFAULT_SCRYPT.log2N).toBeGreaterThanOrEqual(15);
    expect(await (await fileStore(path, { kdf: undefined })).get("cdcreds:prod", "bestshop-api")).toBe(SECRET);
  });

  it("re-keys a file written with a weaker cost on the next write, keeping its entries", async () => {
    const path = join(await tempDir(), "secrets.enc");
    await (await fileStore(path)).set("cdcreds:prod", "a-api", "one");
    const before = parseHeader(await readFile(path), path).header;
    const stronger = await fileStore(path, { kdf: { ...FAST_KDF, log2N: 11 } });
    await stronger.set("cdcreds:prod", "b-api", "two");
    const after = parseHeader(await readFile(path), path).header;
    expect(after.kdf?.log2N).toBe(11);
    expect(after.salt.equals(before.salt)).toBe(false);
    expect(await stronger.get("cdcreds:prod", "a-api")).toBe("one");
  });
});

describe("what lands on disk", () => {
  it("never holds a secret, the passphrase or even a name in clear", async () => {
    const { path } = await filled();
    const bytes = await readFile(path);
    for (const text of [bytes.toString("utf8"), bytes.toString("latin1")]) {
      for (const clear of [SECRET, PASSPHRASE, "p€ss", "bestshop-api", "cdcreds:prod", "e1d87736dca748128735ca2277f71ba7"])
        expect(text).not.toContain(clear);
    }
  });

  it("creates the directory 0700 and the file 0600, and leaves no temporary or lock file", async () => {
    const { path } = await filled();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(path, ".."))).mode & 0o777).toBe(0o700);
    expect(await readdir(join(path, ".."))).toEqual(["secrets.enc"]);
  });

  it("tightens a file loosened to 0644 on the next write, and leaves an existing directory's mode alone", async () => {
    const { path } = await filled();
    await chmod(path, 0o644);
    await chmod(join(path, ".."), 0o750);
    await (await fileStore(path)).set("cdcreds:prod", "x-api", "y");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(path, ".."))).mode & 0o777).toBe(0o750);
  });

  it("starts with the documented header: magic, version 1, scrypt and its cost, salt", async () => {
    const { path } = await filled();
    const bytes = await readFile(path);
    expect(bytes.subarray(0, 16).toString("latin1")).toBe("CDCREDS\0\x01\x06scrypt");
    expect([...bytes.subarray(HEADER_LOG2N, HEADER_SALT)]).toEqual([FAST_KDF.log2N, FAST_KDF.r, FAST_KDF.p, 16]);
  });

  it("uses a fresh nonce on every write, even of the same content", async () => {
    const { path } = await filled();
    const store = await fileStore(path);
    await store.set("cdcreds:prod", "bestshop-api", SECRET);
    const first = await readFile(path);
    await store.set("cdcreds:prod", "bestshop-api", SECRET);
    const second = await readFile(path);
    expect(second.length).toBe(first.length);
    expect(second.equals(first)).toBe(false);
    const [h1, h2] = [parseHeader(first, path).header, parseHeader(second, path).header];
    expect(h2.salt.equals(h1.salt)).toBe(true); // same key, so the nonce is what must change
    expect(h2.nonce.equals(h1.nonce)).toBe(false);
  });

  it("lives in $XDG_CONFIG_HOME/cdcreds, else ~/.config/cdcreds, and says so", async () => {
    const home = await tempDir();
    expect(fileStorePath({ HOME: home, XDG_CONFIG_HOME: "/srv/conf" })).toBe("/srv/conf/cdcreds/secrets.enc");
    expect(fileStorePath({ HOME: home, XDG_CONFIG_HOME: "relative/conf" })).toBe(join(home, ".config/cdcreds/secrets.enc"));
    const env = { HOME: home, CDCREDS_PASSPHRASE: PASSPHRASE };
    const store = await openFileStore({ processEnv: env, interactive: false, kdf: FAST_KDF });
    expect(store.id).toBe("file");
    expect(store.description).toBe("encrypted file ~/.config/cdcreds/secrets.enc");
    await store.set("cdcreds:prod", "bestshop-api", SECRET);
    expect((await stat(join(home, ".config/cdcreds/secrets.enc"))).isFile()).toBe(true);
  });
});

/** Changes one bit of the byte at `at` (negative: from the end). */
async function flipBit(path: string, at: number): Promise<void> {
  const bytes = await readFile(path);
  const i = at < 0 ? bytes.length + at : at;
  bytes[i] = bytes[i]! ^ 0x04;
  await writeFile(path, bytes);
}

const HEADER_LOG2N = 16; // magic 8, version 1, name length 1, "scrypt" 6
const HEADER_SALT = 20; // then log2N, r, p, salt length
const damages: [string, (path: string) => Promise<void>, RegExp][] = [
  ["a bit of the scrypt cost in the header", (p) => flipBit(p, HEADER_LOG2N), /wrong passphrase or damaged file/],
  ["a bit of the salt in the header", (p) => flipBit(p, HEADER_SALT), /wrong passphrase or damaged file/],
  ["a bit of the ciphertext", (p) => flipBit(p, -20), /wrong passphrase or damaged file/],
  ["a bit of the tag", (p) => flipBit(p, -1), /wrong passphrase or damaged file/],
  ["the last bytes cut off", async (p) => truncate(p, (await stat(p)).size - 5), /is truncated \(\d+ bytes of \d+\)/],
  ["a cut inside the header", (p) => truncate(p, 30), /is truncated \(30 bytes, inside the header\)/],
  ["an empty file", (p) => truncate(p, 0), /is empty/],
  ["a future format version", (p) => flipVersion(p), /format version 2, .*reads version 1/],
  ["foreign magic bytes", (p) => flipBit(p, 0), /not a cdcreds encrypted file/],
];

/** Writes 2 into the version byte (offset 8), leaving everything else as it was. */
async function flipVersion(path: string): Promise<void> {
  const bytes = await readFile(path);
  bytes[8] = 2;
  await writeFile(path, bytes);
}

describe("refusals leave the file exactly as it was (exit 5)", () => {
  it.each(damages)("%s", async (_what, damage, message) => {
    const { path } = await filled();
    await damage(path);
    const before = await freeze(path);
    const store = await fileStore(path);
    for (const attempt of [
      () => store.get("cdcreds:prod", "bestshop-api"),
      () => store.set("cdcreds:prod", "new-api", "new secret"),
      () => store.delete("cdcreds:prod", "bestshop-api"),
      () => store.check(),
    ]) {
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).exitCode).toBe(5);
      expect((error as StoreError).message).toMatch(message);
      expect((error as StoreError).message).not.toContain(PASSPHRASE);
    }
    expect(await snapshot(path)).toEqual(before);
    expect(await readdir(join(path, ".."))).toEqual(["secrets.enc"]);
  });

  it("a wrong passphrase", async () => {
    const { path } = await filled();
    const before = await freeze(path);
    const store = await fileStore(path, { processEnv: { CDCREDS_PASSPHRASE: "wrong horse" } });
    await expect(store.get("cdcreds:prod", "bestshop-api")).rejects.toThrow(/^cannot decrypt .*: wrong passphrase or damaged file$/);
    await expect(store.set("cdcreds:prod", "bestshop-api", "other")).rejects.toMatchObject({ exitCode: 5 });
    await expect(store.check()).rejects.toMatchObject({ exitCode: 5 });
    expect(await snapshot(path)).toEqual(before);
    expect(await (await fileStore(path)).get("cdcreds:prod", "bestshop-api")).toBe(SECRET);
  });

  it("names an upgrade for a future version", async () => {
    const { path } = await filled();
    await flipVersion(path);
    await expect((await fileStore(path)).get("cdcreds:prod", "bestshop-api")).rejects.toMatchObject({
      hint: expect.stringMatching(/upgrade cdcreds/) as unknown,
    });
  });
});

describe("the passphrase", () => {
  const interactive = (answers: string[]) => {
    const asked: string[] = [];
    const askPassphrase = (message: string, validate: (v: string) => string | true): Promise<string> => {
      asked.push(message);
      const answer = answers.shift();
      if (answer === undefined) return Promise.reject(new Error(`unexpected prompt: ${message}`));
      expect(validate("")).not.toBe(true); // the prompt itself refuses an empty answer
      return Promise.resolve(answer);
    };
    return { asked, deps: { processEnv: {}, interactive: true, askPassphrase } };
  };

  it("is asked twice when the file is created, then once", async () => {
    const path = join(await tempDir(), "secrets.enc");
    const create = interactive(["typed one", "typed one"]);
    await (await fileStore(path, create.deps)).set("cdcreds:prod", "bestshop-api", SECRET);
    expect(create.asked).toEqual([`New passphrase for ${path}`, "Repeat the passphrase"]);
    const reopen = interactive(["typed one"]);
    const store = await fileStore(path, reopen.deps);
    expect(await store.get("cdcreds:prod", "bestshop-api")).toBe(SECRET);
    await store.set("cdcreds:prod", "other-api", "x");
    expect(reopen.asked).toEqual([`Passphrase for ${path}`]);
  });

  it("is asked once when several operations need it at the same time", async () => {
    const { path } = await filled();
    const { asked, deps } = interactive([PASSPHRASE]);
    const store = await fileStore(path, deps);
    const [a, b] = await Promise.all([store.get("cdcreds:prod", "bestshop-api"), store.get("cdcreds:prod", "bestshop-api")]);
    expect([a, b, asked.length]).toEqual([SECRET, SECRET, 1]);
  });

  it("typed wrong is refused with exit 5, then asked again", async () => {
    const { path } = await filled();
    const { asked, deps } = interactive(["typo", PASSPHRASE]);
    const store = await fileStore(path, deps);
    await expect(store.get("cdcreds:prod", "bestshop-api")).rejects.toMatchObject({ exitCode: 5 });
    expect(await store.get("cdcreds:prod", "bestshop-api")).toBe(SECRET);
    expect(asked).toHaveLength(2);
  });

  it("stores nothing when the prompt is interrupted (Ctrl-C)", async () => {
    const path = join(await tempDir(), "secrets.enc");
    const askPassphrase = (): Promise<string> => Promise.reject(new InterruptedError());
    await expect((await fileStore(path, { processEnv: {}, interactive: true, askPassphrase })).set("a", "b", "c")).rejects.toMatchObject({
      exitCode: 130,
    });
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });

  it("starts over at new, empty prompts when the two answers differ, and stores nothing after three tries", async () => {
    const path = join(await tempDir(), "secrets.enc");
    const { asked, deps } = interactive(["typed one", "typed two", "one", "two", "un", "deux"]);
    await expect((await fileStore(path, deps)).set("cdcreds:prod", "bestshop-api", SECRET)).rejects.toThrow(
      /^the two passphrases do not match; nothing was stored$/,
    );
    expect(asked).toEqual([
      `New passphrase for ${path}`,
      "Repeat the passphrase",
      `The passphrases did not match. New passphrase for ${path}`,
      "Repeat the passphrase",
      `The passphrases did not match. New passphrase for ${path}`,
      "Repeat the passphrase",
    ]);
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });

  it("takes the passphrase typed twice alike after a mismatch", async () => {
    const path = join(await tempDir(), "secrets.enc");
    const { deps } = interactive(["typed one", "typed two", PASSPHRASE, PASSPHRASE]);
    await (await fileStore(path, deps)).set("cdcreds:prod", "bestshop-api", SECRET);
    expect(await (await fileStore(path, { processEnv: { CDCREDS_PASSPHRASE: PASSPHRASE } })).get("cdcreds:prod", "bestshop-api")).toBe(
      SECRET,
    );
  });

  it("is refused with exit 2 naming CDCREDS_PASSPHRASE when it is missing and no one can type it", async () => {
    const { path } = await filled();
    const before = await freeze(path);
    const store = await fileStore(path, { processEnv: {} });
    for (const attempt of [() => store.get("cdcreds:prod", "bestshop-api"), () => store.set("a", "b", "c"), () => store.check()]) {
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).exitCode).toBe(2);
      expect((error as UsageError).message).toMatch(/set CDCREDS_PASSPHRASE/);
    }
    await expect((await fileStore(join(await tempDir(), "new.enc"), { processEnv: {} })).set("a", "b", "c")).rejects.toThrow(
      /CDCREDS_PASSPHRASE/,
    );
    expect(await snapshot(path)).toEqual(before);
  });

  it("is refused when empty", async () => {
    const path = join(await tempDir(), "secrets.enc");
    await expect((await fileStore(path, { processEnv: { CDCREDS_PASSPHRASE: "" } })).set("a", "b", "c")).rejects.toThrow(
      /CDCREDS_PASSPHRASE is set but empty/,
    );
    await expect((await fileStore(path, interactive(["", ""]).deps)).set("a", "b", "c")).rejects.toThrow(/cannot be empty/);
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });

  it("lets check() pass with a usable passphrase and no file yet, without creating anything", async () => {
    const dir = await tempDir();
    await (await fileStore(join(dir, "sub", "secrets.enc"))).check();
    expect(await readdir(dir)).toEqual([]);
  });
});

describe("a key file instead of a passphrase (CDCREDS_KEY_FILE, systemd credentials)", () => {
  const KEY = Buffer.from("0123456789abcdef0123456789abcdef", "latin1");
  /** A key file of that content, mode 0600, in a folder of its own. */
  async function keyFile(content: Buffer | string = KEY, name = "cdcreds.key"): Promise<string> {
    const path = join(await tempDir(), name);
    await writeFile(path, content, { mode: 0o600 });
    return path;
  }
  const keyed = (path: string, env: NodeJS.ProcessEnv) => fileStore(path, { processEnv: { HOME: "/nonexistent-home", ...env } });
  const failure = (promise: Promise<unknown>): Promise<unknown> =>
    promise.then(
      () => undefined,
      (e: unknown) => e,
    );

  it("stores and reads with no passphrase and no scrypt; the header says hkdf-sha256 and no cost", async () => {
    const path = join(await tempDir(), "secrets.enc");
    const env = { CDCREDS_KEY_FILE: await keyFile() };
    derivations.count = 0;
    await (await keyed(path, env)).set("cdcreds:prod", "bestshop-api", SECRET);
    expect(await (await keyed(path, env)).get("cdcreds:prod", "bestshop-api")).toBe(SECRET);
    expect(await (await keyed(path, env)).accounts("cdcreds:prod")).toEqual(["bestshop-api"]);
    expect(derivations.count).toBe(0);
    const bytes = await readFile(path);
    expect(parseHeader(bytes, path).header.kdf).toBeUndefined();
    expect(bytes.subarray(8, 9 + 1 + "hkdf-sha256".length).toString("latin1")).toBe("\x01\x0bhkdf-sha256");
    expect(bytes.includes(KEY)).toBe(false);
    expect(bytes.includes(Buffer.from(SECRET))).toBe(false);
  });

  it("reads the same key written as raw bytes, base64 or hex (a trailing newline allowed)", async () => {
    const path = join(await tempDir(), "secrets.enc");
    await (await keyed(path, { CDCREDS_KEY_FILE: await keyFile(KEY) })).set("cdcreds:prod", "a-api", "one");
    for (const text of [`${KEY.toString("base64")}\n`, KEY.toString("hex"), `${KEY.toString("hex")}\n`]) {
      expect(await (await keyed(path, { CDCREDS_KEY_FILE: await keyFile(text) })).get("cdcreds:prod", "a-api")).toBe("one");
    }
  });

  it("uses $CREDENTIALS_DIRECTORY/cdcreds.key (systemd LoadCredential=) when no CDCREDS_KEY_FILE is set", async () => {
    const path = join(await tempDir(), "secrets.enc");
    const credentials = join(await keyFile(), "..");
    await (await keyed(path, { CREDENTIALS_DIRECTORY: credentials })).set("cdcreds:prod", "a-api", "one");
    expect(await (await keyed(path, { CDCREDS_KEY_FILE: join(credentials, "cdcreds.key") })).get("cdcreds:prod", "a-api")).toBe("one");
    // A credentials folder without cdcreds.key leaves the passphrase in charge.
    const other = join(await tempDir(), "secrets.enc");
    await (
      await fileStore(other, { processEnv: { CDCREDS_PASSPHRASE: PASSPHRASE, CREDENTIALS_DIRECTORY: await tempDir() } })
    ).set("s", "a", "x");
    expect(parseHeader(await readFile(other), other).header.kdf).toEqual(FAST_KDF);
  });

  it("refuses each mode's file in the other mode (exit 5), and a wrong key, leaving the file untouched", async () => {
    const passFile = (await filled()).path;
    const keyPath = join(await tempDir(), "secrets.enc");
    const env = { CDCREDS_KEY_FILE: await keyFile() };
    await (await keyed(keyPath, env)).set("cdcreds:prod", "a-api", "one");
    const before = [await freeze(passFile), await freeze(keyPath)];
    const cases: [string, NodeJS.ProcessEnv, RegExp][] = [
      [passFile, { ...env, CDCREDS_PASSPHRASE: PASSPHRASE }, /was made with a passphrase, but a key file is set \(CDCREDS_KEY_FILE\)$/],
      [keyPath, { CDCREDS_PASSPHRASE: PASSPHRASE }, /was made with a key file, and none is set$/],
      [keyPath, { CDCREDS_KEY_FILE: await keyFile(Buffer.alloc(32, 7)) }, /^cannot decrypt .*: wrong key or damaged file$/],
    ];
    for (const [path, processEnv, message] of cases) {
      const store = await keyed(path, processEnv);
      for (const attempt of [
        () => store.get("cdcreds:prod", "a-api"),
        () => store.set("cdcreds:prod", "b-api", "two"),
        () => store.check(),
      ]) {
        const error = await failure(attempt());
        expect(error).toBeInstanceOf(StoreError);
        expect(error).toMatchObject({ exitCode: 5, message: expect.stringMatching(message) as unknown });
      }
    }
    expect([await snapshot(passFile), await snapshot(keyPath)]).toEqual(before);
  });

  it("refuses a key file others can read, one of the wrong size, and a missing one (exit 5), naming the fix", async () => {
    const path = join(await tempDir(), "secrets.enc");
    const open = await keyFile();
    await chmod(open, 0o644);
    const cases: [string, RegExp, RegExp][] = [
      [open, /can be read or written by other users \(mode 644\)$/, /chmod 600/],
      [await keyFile("too short"), /is not a 256-bit key/, /head -c 32 \/dev\/urandom/],
      [join(await tempDir(), "absent.key"), /does not exist$/, /CDCREDS_KEY_FILE/],
      [await tempDir(), /is not a regular file$/, /head -c 32/],
    ];
    for (const [keyPath, message, hint] of cases) {
      const error = await failure((await keyed(path, { CDCREDS_KEY_FILE: keyPath })).set("cdcreds:prod", "a-api", "one"));
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({
        exitCode: 5,
        message: expect.stringMatching(message) as unknown,
        hint: expect.stringMatching(hint) as unknown,
      });
      expect((error as StoreError).message).toContain(keyPath);
    }
    await expect(stat(path)).rejects.toMatchObject({ code: "ENOENT" }); // nothing was created
  });

  const root = process.getuid?.() === 0; // only root can give a file to another user
  const NOBODY = 65534;

  it("refuses a key file in a folder others can write to, or below one (exit 5), naming that folder", async () => {
    const path = join(await tempDir(), "secrets.enc");
    const inOpen = await keyFile();
    await chmod(dirname(inOpen), 0o777);
    const above = await tempDir();
    const below = join(above, "keys");
    await mkdir(below, { mode: 0o700 });
    const belowOpen = join(below, "cdcreds.key");
    await writeFile(belowOpen, KEY, { mode: 0o600 });
    await chmod(above, 0o777);
    for (const [keyPath, folder] of [
      [inOpen, dirname(inOpen)],
      [belowOpen, above],
    ] as const) {
      const error = await failure((await keyed(path, { CDCREDS_KEY_FILE: keyPath })).set("cdcreds:prod", "a-api", "one"));
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({
        exitCode: 5,
        message: `the key file ${keyPath} (CDCREDS_KEY_FILE) is in a folder other users could replace it through: ${folder} can be written by other users (mode 777)`,
      });
    }
    await expect(stat(path)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it.runIf(root)("refuses another user's key file, or one in another user's folder (exit 5)", async () => {
    const path = join(await tempDir(), "secrets.enc");
    const theirs = await keyFile();
    await chown(theirs, NOBODY, NOBODY);
    const inTheirFolder = await keyFile();
    await chmod(dirname(inTheirFolder), 0o755);
    await chown(dirname(inTheirFolder), NOBODY, NOBODY);
    for (const [keyPath, message] of [
      [theirs, `the key file ${theirs} (CDCREDS_KEY_FILE) belongs to another user (uid ${NOBODY})`],
      [
        inTheirFolder,
        `the key file ${inTheirFolder} (CDCREDS_KEY_FILE) is in a folder other users could replace it through: ${dirname(inTheirFolder)} belongs to another user (uid ${NOBODY})`,
      ],
    ]) {
      const error = await failure((await keyed(path, { CDCREDS_KEY_FILE: keyPath })).set("cdcreds:prod", "a-api", "one"));
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ exitCode: 5, message });
    }
    await expect(stat(path)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it.runIf(root)(
    "takes root's credential that systemd made readable to the service (mode 440) from $CREDENTIALS_DIRECTORY only",
    async () => {
      const path = join(await tempDir(), "secrets.enc");
      const key = await keyFile();
      await chmod(key, 0o440); // what an ACL granting the service's user read access shows
      await (await keyed(path, { CREDENTIALS_DIRECTORY: dirname(key) })).set("cdcreds:prod", "a-api", "one");
      expect(await (await keyed(path, { CREDENTIALS_DIRECTORY: dirname(key) })).get("cdcreds:prod", "a-api")).toBe("one");
      const error = await failure((await keyed(path, { CDCREDS_KEY_FILE: key })).get("cdcreds:prod", "a-api"));
      expect(error).toMatchObject({
        exitCode: 5,
        message: expect.stringMatching(/can be read or written by other users \(mode 440\)$/) as unknown,
      });
    },
  );

  it("names the size limit of a key file in a unit a person reads", async () => {
    const path = join(await tempDir(), "secrets.enc");
    const large = await keyFile(Buffer.alloc(5000, 0x41));
    const error = await failure((await keyed(path, { CDCREDS_KEY_FILE: large })).set("cdcreds:prod", "a-api", "one"));
    expect(error).toMatchObject({ exitCode: 5, message: `the key file ${large} (CDCREDS_KEY_FILE) is larger than 4 KiB` });
  });
});
