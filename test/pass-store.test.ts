// `--store pass` against a real `pass` and `gpg` (no mock of either): throwaway keys, a store
// encrypted to two recipients, a git remote, and a teammate's clone that holds only one key.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entryPath, openPassStore, parseRecipients } from "../src/stores/pass/index.js";
import { runCli } from "./support/cli.js";
import { startOctopiaEmulator } from "./support/octopia-emulator.js";
import { ownStore, startPassSandbox, type PassSandbox } from "./support/pass-store.js";
import { describeSecretStore } from "./support/store-contract.js";
import { filesUnder, PRINT_API_CREDENTIALS, sentinel, tempConfig, uniqueLogin } from "./support/store-helpers.js";

let pass: PassSandbox;
beforeAll(async () => {
  pass = await startPassSandbox();
}, 60_000);
afterAll(() => pass.remove());

describeSecretStore("pass", () =>
  Promise.resolve(openPassStore({ processEnv: { ...process.env, ...pass.env }, interactive: () => false })),
);

const commits = (): number => Number(pass.sh("git", ["-C", pass.storeDir, "rev-list", "--count", "HEAD"]).trim());

describe("the pass store's layout", () => {
  it("is cdcreds/<env>/<account> and cdcreds/<name>/<env>/<account>; tokens are told apart", () => {
    const path = (service: string, account: string) => entryPath(service, account).path;
    expect(path("cdcreds:prod", "bestshop-api")).toBe("cdcreds/prod/bestshop-api");
    expect(path("cdcreds-octopia:preprod", "My client@agency")).toBe("cdcreds/octopia/preprod/My client@agency");
    expect(path("cdcreds:prod", "a/b%c")).toBe("cdcreds/prod/a%2Fb%25c");
    expect(path("cdcreds:prod", ".hidden")).toBe("cdcreds/prod/%2Ehidden");
    expect(entryPath("cdcreds:prod", "bestshop-api").token).toBe(false);
    expect(entryPath("cdcreds-token:prod", "bestshop-api")).toEqual({ path: "cdcreds/token/prod/bestshop-api", token: true });
    expect(entryPath("cdcreds-octopia-token:prod", "x").token).toBe(true);
  });

  it("reads .gpg-id as pass does, and refuses a line that is no key ID, fingerprint or user ID", () => {
    const fingerprint = "F4922B21AFA78AB3EFB9FEA4F02C70909EF82AD2";
    expect(
      parseRecipients(
        `alice@example.test\n  Bob Smith <bob@example.test>  # the server\n\n# a comment\n0x${fingerprint.slice(-16)}\nDEADBEEF\n${fingerprint}\n${fingerprint}${fingerprint.slice(0, 24)}\n`,
      ),
    ).toEqual({
      ids: [
        "alice@example.test",
        "Bob Smith <bob@example.test>",
        `0x${fingerprint.slice(-16)}`,
        "DEADBEEF",
        fingerprint,
        `${fingerprint}${fingerprint.slice(0, 24)}`,
      ],
    });
    expect(parseRecipients("--status-file=/tmp/x\n")).toEqual({ line: 1, problem: "it starts with '-', as an option would" });
    expect(parseRecipients("alice@example.test\n# comment\n  --agent-program=./run.sh\n")).toMatchObject({ line: 3 });
    expect(parseRecipients("-r\n")).toMatchObject({ line: 1 });
    expect(parseRecipients("alice@example.test\r\n")).toEqual({ line: 1, problem: "it holds a control character" });
    expect(parseRecipients("al\u001bice\n")).toMatchObject({ line: 1 });
  });
});

describe("cdcreds --store pass", () => {
  let config: Awaited<ReturnType<typeof tempConfig>>;
  beforeAll(async () => {
    config = await tempConfig();
  });
  afterAll(() => config.remove());
  const cdcreds = (args: string[], input?: string, env: Record<string, string | undefined> = {}) =>
    runCli(["--store", "pass", "--retries", "0", ...args], {
      input,
      env: { ...pass.env, XDG_CONFIG_HOME: config.dir, XDG_CACHE_HOME: join(config.dir, "cache"), ...env },
    });

  it("stores a password that `pass show` reads, encrypted to both recipients, one commit per change", async () => {
    const seller = uniqueLogin("pass");
    const password = sentinel();
    const before = commits();
    expect(await cdcreds(["set", "--no-verify", "--password-stdin", seller], password)).toMatchObject({ code: 0, stdout: "" });
    expect(pass.sh("pass", ["show", `cdcreds/prod/${seller}-api`])).toBe(`${password}\n`);
    expect(commits()).toBe(before + 1);
    const packets = pass.sh("gpg", ["--batch", "--list-packets", join(pass.storeDir, "cdcreds", "prod", `${seller}-api.gpg`)]);
    expect(packets.match(/:pubkey enc packet:/g)).toHaveLength(2);
    expect(await cdcreds(["get", seller])).toMatchObject({ code: 0, stdout: `${password}\n`, stderr: "" });
    const client = `Client ${seller}@agency`;
    expect((await cdcreds(["--kind", "octopia", "set", "--no-verify", "--secret-stdin", client], password)).code).toBe(0);
    expect(pass.sh("pass", ["show", `cdcreds/octopia/prod/${client}`])).toBe(`${password}\n`);
    expect(await cdcreds(["delete", seller])).toMatchObject({ code: 0 });
    expect(commits()).toBe(before + 3);
    expect((await cdcreds(["get", seller])).code).toBe(3);
    // Nothing in clear anywhere: the store holds GPG files, the config folder no secret.
    for (const [path, content] of [...(await filesUnder(pass.storeDir)), ...(await filesUnder(config.dir))]) {
      expect(content, path).not.toContain(password);
    }
  });

  it("a teammate's clone with only the other key reads what was stored, with no local index", async () => {
    const seller = uniqueLogin("team");
    const password = sentinel();
    expect((await cdcreds(["set", "--no-verify", "--password-stdin", seller], password)).code).toBe(0);
    pass.sh("pass", ["git", "push", "-q", "origin", "HEAD"]);
    const mate = await mkdtemp(join(tmpdir(), "cdcreds-mate-"));
    try {
      const mateEnv = { GNUPGHOME: join(mate, "gnupg"), PASSWORD_STORE_DIR: join(mate, "store") };
      spawnSync("mkdir", ["-m", "700", mateEnv.GNUPGHOME]);
      const key = pass.sh("gpg", [
        "--batch",
        "--pinentry-mode",
        "loopback",
        "--passphrase",
        "",
        "--export-secret-keys",
        "--armor",
        "server@example.test",
      ]);
      spawnSync("gpg", ["--batch", "--import"], { input: key, env: { ...process.env, ...mateEnv } });
      pass.sh("git", ["clone", "-q", pass.remote, mateEnv.PASSWORD_STORE_DIR]);
      const mateConfig = await tempConfig();
      const asMate = (args: string[]) =>
        runCli(["--store", "pass", ...args], { env: { ...pass.env, ...mateEnv, XDG_CONFIG_HOME: mateConfig.dir } });
      const got = await asMate(["get", seller]);
      const listed = await asMate(["list", "--json"]);
      await mateConfig.remove();
      spawnSync("gpgconf", ["--kill", "gpg-agent"], { env: { ...process.env, ...mateEnv } });
      expect(got).toMatchObject({ code: 0, stdout: `${password}\n`, stderr: "" });
      expect(listed.code, listed.stderr).toBe(0);
      expect(JSON.parse(listed.stdout)).toContainEqual({
        apiLogin: `${seller}-api`,
        env: "prod",
        store: "pass",
        lastVerified: null,
        secretSetAt: null, // a teammate stored it: this machine's index has no date
        stored: true,
      });
    } finally {
      await rm(mate, { recursive: true, force: true });
    }
  });

  it("set (checked with the service), verify and exec work against it, and nothing secret lands outside the store", async () => {
    const { startEmulator } = await import("./support/emulator.js");
    const sts = await startEmulator();
    try {
      const seller = uniqueLogin("passexec");
      const password = sentinel();
      sts.setCredentials(`${seller}-api`, password);
      const run = (args: string[], input?: string) => cdcreds(["--auth-url", sts.url, ...args], input);
      expect(await run(["set", "--password-stdin", seller], password)).toMatchObject({ code: 0, stdout: "" });
      expect(await run(["verify", seller])).toMatchObject({ code: 0, stderr: `✓ ${seller}-api: credentials valid (prod)\n` });
      const exec = await run(["exec", "--login", seller, "--", ...PRINT_API_CREDENTIALS]);
      expect(exec).toMatchObject({ code: 0, stdout: `${password} ${sts.token}` });
      expect(sts.requests.filter((r) => r.login === `${seller}-api`)).toHaveLength(2); // set's check and verify's; exec used the cached token
      for (const [path, content] of await filesUnder(config.dir)) {
        expect(content, path).not.toContain(password);
        expect(content, path).not.toContain(sts.token);
      }
    } finally {
      await sts.close();
    }
  });

  it("finds a teammate's Octopia client by its name alone (no --kind, no local index), and checks it in verify --all", async () => {
    const clientId = `Agency ${uniqueLogin("mate")}@example.com`;
    const secret = `${sentinel()}+&=%`;
    // A store of its own (the shared one holds other tests' clients), and in it what a teammate's
    // cdcreds wrote, as pass itself writes it.
    const root = await mkdtemp(join(tmpdir(), "cdcreds-mate-octopia-"));
    const storeEnv = { PASSWORD_STORE_DIR: join(root, "store") };
    const sh = (args: string[], input?: string) => spawnSync("pass", args, { env: { ...process.env, ...pass.env, ...storeEnv }, input });
    sh(["init", "alice@example.test", "server@example.test"]);
    sh(["insert", "--multiline", `cdcreds/octopia/prod/${clientId}`], `${secret}\n`);
    const fresh = await tempConfig();
    try {
      const env = { ...storeEnv, XDG_CONFIG_HOME: fresh.dir };
      expect(await cdcreds(["get", clientId], undefined, env)).toMatchObject({ code: 0, stdout: `${secret}\n`, stderr: "" });
      const auth = await startOctopiaEmulator();
      try {
        auth.accept(clientId, secret);
        const all = await cdcreds(
          ["--kind", "octopia", "--auth-url", auth.url, "--api-url", auth.apiUrl, "verify", "--all", "--json"],
          undefined,
          env,
        );
        expect(all.code, all.stderr).toBe(0);
        expect(JSON.parse(all.stdout)).toEqual([expect.objectContaining({ kind: "octopia", clientId, status: "valid" })]);
        expect(all.stderr).toContain(`✓ ${clientId}: credentials valid (prod)\n`);
        expect(`${all.stdout}${all.stderr}`).not.toContain(secret);
      } finally {
        await auth.close();
      }
    } finally {
      await fresh.remove();
      await rm(root, { recursive: true, force: true });
    }
  });

  it("works with a store whose only recipients are cdcreds/'s own (pass init --path=cdcreds)", async () => {
    const root = await mkdtemp(join(tmpdir(), "cdcreds-subfolder-"));
    try {
      const env = { PASSWORD_STORE_DIR: join(root, "store") };
      spawnSync("pass", ["init", "--path=cdcreds", "server@example.test"], { env: { ...process.env, ...pass.env, ...env } });
      expect(existsSync(join(root, "store", ".gpg-id"))).toBe(false);
      const seller = uniqueLogin("sub");
      const password = sentinel();
      expect(await cdcreds(["set", "--no-verify", "--password-stdin", seller], password, env)).toMatchObject({ code: 0 });
      expect(await cdcreds(["get", seller], undefined, env)).toMatchObject({ code: 0, stdout: `${password}\n` });
      const packets = pass.sh("gpg", ["--batch", "--list-packets", join(root, "store", "cdcreds", "prod", `${seller}-api.gpg`)]);
      expect(packets.match(/:pubkey enc packet:/g)).toHaveLength(1);
      const doctor = await cdcreds(["doctor"], undefined, env);
      expect(doctor.code, doctor.stderr).toBe(0);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("says a gpg-agent needs a passphrase when a recipient's key has one and there is no terminal (exit 5)", async () => {
    const root = await mkdtemp(join(tmpdir(), "cdcreds-locked-key-"));
    const env = { GNUPGHOME: join(root, "gnupg"), PASSWORD_STORE_DIR: join(root, "store") };
    const sh = (command: string, args: string[], input?: string) =>
      spawnSync(command, args, { env: { ...process.env, ...pass.env, ...env }, input, encoding: "utf8" });
    try {
      spawnSync("mkdir", ["-m", "700", env.GNUPGHOME]);
      const passphrase = sentinel();
      sh("gpg", [
        "--batch",
        "--pinentry-mode",
        "loopback",
        "--passphrase",
        passphrase,
        "--quick-gen-key",
        "locked <locked@example.test>",
        "future-default",
        "default",
        "never",
      ]);
      sh("pass", ["init", "locked@example.test"]);
      const seller = uniqueLogin("lockedkey");
      sh("pass", ["insert", "--multiline", `cdcreds/prod/${seller}-api`], "secret\n"); // encrypting needs no passphrase
      const got = await cdcreds(["get", seller], undefined, env);
      expect({ code: got.code, stdout: got.stdout }).toEqual({ code: 5, stdout: "" });
      expect(got.stderr).toMatch(
        /^error: cannot decrypt cdcreds\/prod\/.*: gpg-agent needs a passphrase and there is no terminal to ask it\nhint: /m,
      );
      expect(got.stderr).not.toContain(passphrase);
      const doctor = await cdcreds(["doctor"], undefined, env);
      expect(doctor.code).toBe(5);
      expect(doctor.stderr).toContain("✓ secret key: this GnuPG home holds a recipient's secret key\n");
      expect(doctor.stderr).toMatch(/^error: decryption: cannot decrypt cdcreds\/prod\/.*: gpg-agent needs a passphrase/m);
    } finally {
      sh("gpgconf", ["--kill", "gpg-agent"]);
      await rm(root, { recursive: true, force: true });
    }
  });

  it("says what to do when pass is missing, the store is not initialised, or no key can decrypt (exit 5)", async () => {
    const seller = uniqueLogin("fail");
    expect((await cdcreds(["set", "--no-verify", "--password-stdin", seller], sentinel())).code).toBe(0);
    const noPass = await cdcreds(["get", seller], undefined, { PATH: "/nonexistent" });
    expect(noPass.stderr).toContain("error: the pass command is not installed\nhint: install it (Debian: apt-get install pass)");
    expect(noPass.code).toBe(5);
    const empty = await mkdtemp(join(tmpdir(), "cdcreds-nostore-"));
    const uninitialised = await cdcreds(["get", seller], undefined, { PASSWORD_STORE_DIR: join(empty, "store") });
    expect(uninitialised.code).toBe(5);
    expect(uninitialised.stderr).toMatch(/is not initialised\nhint: run `pass init/);
    spawnSync("mkdir", ["-m", "700", join(empty, "gnupg")]);
    const noKey = await cdcreds(["get", seller], undefined, { GNUPGHOME: join(empty, "gnupg") });
    expect(noKey.code).toBe(5);
    expect(noKey.stderr).toContain(`cannot decrypt cdcreds/prod/${seller}-api: no secret key of its recipients`);
    const doctorNoKey = await cdcreds(["doctor"], undefined, { GNUPGHOME: join(empty, "gnupg") });
    expect(doctorNoKey.code).toBe(5);
    expect(doctorNoKey.stderr).toContain(
      "error: secret key: no secret key of the store's recipients (alice@example.test, server@example.test) in this GnuPG home",
    );
    const doctorOk = await cdcreds(["doctor"]);
    expect(doctorOk.code, doctorOk.stderr).toBe(0);
    expect(doctorOk.stderr).toContain("✓ secret key: this GnuPG home holds a recipient's secret key");
    expect(doctorOk.stderr).toMatch(/^✓ decryption: an entry was decrypted \(cdcreds\/.*\)$/m);
    await rm(empty, { recursive: true, force: true });
    const doctor = await cdcreds(["doctor"], undefined, { PATH: "/nonexistent" });
    expect(doctor.code).toBe(5);
    expect(doctor.stderr).toContain("password store: the pass command is not installed");
  });

  it("never commits a token: it is cached in a local pass store, encrypted to the same recipients", async () => {
    const seller = uniqueLogin("token");
    expect((await cdcreds(["set", "--no-verify", "--password-stdin", seller], sentinel())).code).toBe(0);
    const before = commits();
    const { startEmulator } = await import("./support/emulator.js");
    const sts = await startEmulator();
    try {
      for (let i = 0; i < 2; i++) {
        expect(await cdcreds(["--auth-url", sts.url, "token", seller])).toMatchObject({ code: 0, stdout: `${sts.token}\n` });
      }
      expect(sts.requests).toHaveLength(1); // the second run was served from the cache
      const cached = join(config.dir, "cache", "cdcreds", "pass-tokens", "cdcreds", "token", "prod", `${seller}-api.gpg`);
      const packets = pass.sh("gpg", ["--batch", "--list-packets", cached]);
      expect(packets.match(/:pubkey enc packet:/g)).toHaveLength(2);
      for (const [path, content] of await filesUnder(config.dir)) expect(content, path).not.toContain(sts.token);
      expect(commits()).toBe(before);
      for (const [path, content] of await filesUnder(pass.storeDir)) expect(content, path).not.toContain(sts.token);
      expect(await readFile(join(pass.storeDir, ".gpg-id"), "utf8")).toBe("alice@example.test\nserver@example.test\n");
    } finally {
      await sts.close();
    }
  });
});

// What a teammate (or anyone who can push to the shared store) can commit, and a store's own
// faults: each is refused with exit 5 and a message, never acted on.
describe("cdcreds --store pass, against what a teammate can commit", () => {
  let config: Awaited<ReturnType<typeof tempConfig>>;
  beforeAll(async () => {
    config = await tempConfig();
  });
  afterAll(() => config.remove());
  const cdcreds = (args: string[], env: Record<string, string | undefined>, input?: string, cwd?: string) =>
    runCli(["--store", "pass", "--retries", "0", ...args], {
      input,
      cwd,
      env: { ...pass.env, XDG_CONFIG_HOME: config.dir, XDG_CACHE_HOME: join(config.dir, "cache"), ...env },
    });

  it("never hands a .gpg-id line to gpg as an option: doctor, verify --all and get refuse the store (exit 5, naming the line)", async () => {
    const store = await ownStore(pass);
    const { startEmulator } = await import("./support/emulator.js");
    const sts = await startEmulator();
    try {
      const seller = uniqueLogin("gpgid");
      const password = sentinel();
      store.run("pass", ["insert", "--multiline", `cdcreds/prod/${seller}-api`], `${password}\n`);
      sts.setCredentials(`${seller}-api`, password);
      // What a teammate commits: gpg would write its status to that file (any file the user can write).
      const written = join(store.root, "written-by-gpg");
      const gpgId = join(store.storeDir, ".gpg-id");
      await writeFile(gpgId, `--status-file=${written}\nalice@example.test\nserver@example.test\n`);
      const refused = `the store's recipients file ${gpgId} is refused: line 1 is not a GPG key ID, fingerprint or user ID (it starts with '-', as an option would)`;

      const doctor = await cdcreds(["doctor"], store.env);
      expect(doctor.code).toBe(5);
      expect(doctor.stderr).toContain(`error: password store: ${refused}\n`);
      const all = await cdcreds(["--auth-url", sts.url, "verify", "--all"], store.env);
      expect(all.code).toBe(5);
      expect(all.stderr).toContain(`✗ ${seller}-api (prod): ${refused}\n`);
      expect(sts.requests).toHaveLength(0);
      // A GnuPG home with no key of the store's: the failed decryption asks gpg which keys it has.
      const empty = join(store.root, "gnupg-empty");
      await mkdir(empty, { mode: 0o700 });
      const got = await cdcreds(["get", seller], { ...store.env, GNUPGHOME: empty });
      expect({ code: got.code, stdout: got.stdout }).toEqual({ code: 5, stdout: "" });
      expect(got.stderr).toContain(`error: ${refused}\n`);
      expect(existsSync(written)).toBe(false);

      // The line is named wherever it is; the store API refuses it the same way.
      await writeFile(gpgId, "alice@example.test\n# the server\n  --agent-program=./run.sh\n");
      const api = openPassStore({ processEnv: { ...process.env, ...pass.env, ...store.env }, interactive: () => false });
      await expect(api.check()).rejects.toThrow(/line 3 is not a GPG key ID/);
      await expect(api.set("cdcreds:prod", `${seller}-api`, "x")).rejects.toThrow(/line 3 is not a GPG key ID/);
    } finally {
      await sts.close();
      await store.remove();
    }
  });

  it("with PASSWORD_STORE_SIGNING_KEY, refuses a .gpg-id not signed by one of those keys (exit 5), as pass does", async () => {
    const root = await mkdtemp(join(tmpdir(), "cdcreds-signed-"));
    const admin = { GNUPGHOME: join(root, "gnupg"), PASSWORD_STORE_DIR: join(root, "store") };
    const sh = (env: Record<string, string>, command: string, args: string[], input?: string) =>
      spawnSync(command, args, { env: { ...process.env, ...pass.env, ...env }, input, encoding: "utf8" });
    const mate = { ...admin, GNUPGHOME: join(root, "gnupg-mate") };
    try {
      spawnSync("mkdir", ["-m", "700", admin.GNUPGHOME, mate.GNUPGHOME]);
      const key = (who: string, usage: string) =>
        sh(admin, "gpg", [
          "--batch",
          "--pinentry-mode",
          "loopback",
          "--passphrase",
          "",
          "--quick-gen-key",
          `${who} <${who}@example.test>`,
          ...usage.split(" "),
        ]);
      key("member", "future-default default never");
      key("signer", "ed25519 sign never");
      key("mallory", "ed25519 sign never");
      const fingerprint = (who: string) =>
        /^fpr:+([0-9A-F]{40}):/m.exec(sh(admin, "gpg", ["--batch", "--with-colons", "--list-keys", `${who}@example.test`]).stdout)![1]!;
      const signing = fingerprint("signer");
      const signed = { ...admin, PASSWORD_STORE_SIGNING_KEY: signing };
      sh(signed, "pass", ["init", "member@example.test"]);
      expect(existsSync(join(admin.PASSWORD_STORE_DIR, ".gpg-id.sig"))).toBe(true);
      const seller = uniqueLogin("signed");
      const password = sentinel();
      sh(signed, "pass", ["insert", "--multiline", `cdcreds/prod/${seller}-api`], `${password}\n`);

      expect(await cdcreds(["get", seller], signed)).toMatchObject({ code: 0, stdout: `${password}\n` });
      const doctor = await cdcreds(["doctor"], signed);
      expect(doctor.code, doctor.stderr).toBe(0);

      // A member holds the signer's public key only: tokens are still cached (the local cache's
      // .gpg-id is written from the checked one, and asks no signature).
      sh(
        mate,
        "gpg",
        ["--batch", "--import"],
        sh(admin, "gpg", [
          "--batch",
          "--pinentry-mode",
          "loopback",
          "--passphrase",
          "",
          "--export-secret-keys",
          "--armor",
          "member@example.test",
        ]).stdout,
      );
      sh(mate, "gpg", ["--batch", "--import"], sh(admin, "gpg", ["--batch", "--export", "--armor", signing]).stdout);
      sh(mate, "gpg", ["--batch", "--import-ownertrust"], `${fingerprint("member")}:6:\n`); // pass encrypts only to a trusted key
      const { startEmulator } = await import("./support/emulator.js");
      const sts = await startEmulator();
      try {
        for (let i = 0; i < 2; i++) {
          const token = await cdcreds(["--auth-url", sts.url, "token", seller], { ...mate, PASSWORD_STORE_SIGNING_KEY: signing });
          expect(token, token.stderr).toMatchObject({ code: 0, stdout: `${sts.token}\n` });
        }
        expect(sts.requests).toHaveLength(1);
      } finally {
        await sts.close();
        sh(mate, "gpgconf", ["--kill", "gpg-agent"]);
      }

      // A recipient added without a signature, then signed by a key not in the list, then no signature at all.
      const gpgId = join(admin.PASSWORD_STORE_DIR, ".gpg-id");
      await appendFile(gpgId, "mallory@example.test\n");
      const invalid = `the signature of the store's recipients file ${gpgId} is not a valid one by a key of PASSWORD_STORE_SIGNING_KEY`;
      for (const args of [["get", seller], ["set", "--no-verify", "--password-stdin", seller], ["doctor"]]) {
        const refused = await cdcreds(args, signed, "new-password");
        expect({ args, code: refused.code, stdout: refused.stdout }).toEqual({ args, code: 5, stdout: "" });
        expect(refused.stderr).toContain(invalid);
      }
      sh(admin, "gpg", ["--batch", "--yes", "--local-user", fingerprint("mallory"), "--detach-sign", "--output", `${gpgId}.sig`, gpgId]);
      const otherSigner = await cdcreds(["get", seller], signed);
      expect(otherSigner).toMatchObject({ code: 5, stdout: "" });
      expect(otherSigner.stderr).toContain(invalid);
      await rm(`${gpgId}.sig`);
      const unsigned = await cdcreds(["get", seller], signed);
      expect(unsigned).toMatchObject({ code: 5, stdout: "" });
      expect(unsigned.stderr).toContain(
        `the store's recipients file ${gpgId} is not signed (no .gpg-id.sig), and PASSWORD_STORE_SIGNING_KEY asks for it`,
      );
      // Without the variable, an unsigned .gpg-id is what it is in pass: accepted.
      expect(await cdcreds(["get", seller], admin)).toMatchObject({ code: 0, stdout: `${password}\n` });
      // The entry was never encrypted again to the key that slipped in.
      const packets = sh(admin, "gpg", [
        "--batch",
        "--list-packets",
        join(admin.PASSWORD_STORE_DIR, "cdcreds", "prod", `${seller}-api.gpg`),
      ]).stdout;
      expect(packets.match(/:pubkey enc packet:/g)).toHaveLength(1);
    } finally {
      sh(admin, "gpgconf", ["--kill", "gpg-agent"]);
      await rm(root, { recursive: true, force: true });
    }
  }, 60_000);

  it("refuses an entry that decrypts to more than 64 KiB (a decompression bomb): exit 5 naming it, and verify --all goes on", async () => {
    const store = await ownStore(pass);
    const { startEmulator } = await import("./support/emulator.js");
    const sts = await startEmulator();
    try {
      const bomb = uniqueLogin("bomb");
      const fine = uniqueLogin("fine");
      const password = sentinel();
      store.run("pass", ["insert", "--multiline", `cdcreds/prod/${fine}-api`], `${password}\n`);
      sts.setCredentials(`${fine}-api`, password);
      // 64 MB of zeros, compressed to a few dozen KB, encrypted to the store's recipients as pass would.
      const file = join(store.storeDir, "cdcreds", "prod", `${bomb}-api.gpg`);
      const made = spawnSync(
        "gpg",
        [
          "--batch",
          "--compress-algo",
          "zlib",
          "-z",
          "9",
          "--encrypt",
          "-r",
          "alice@example.test",
          "-r",
          "server@example.test",
          "--output",
          file,
        ],
        { env: { ...process.env, ...pass.env }, input: Buffer.alloc(64 * 1024 * 1024) },
      );
      expect(made.status, String(made.stderr)).toBe(0);
      const tooLarge = `cdcreds/prod/${bomb}-api is too large for a cdcreds entry (more than 64 KiB once decrypted)`;
      const got = await cdcreds(["get", bomb], store.env);
      expect({ code: got.code, stdout: got.stdout }).toEqual({ code: 5, stdout: "" });
      expect(got.stderr).toContain(`error: ${tooLarge}\nhint: `);
      const all = await cdcreds(["--auth-url", sts.url, "verify", "--all"], store.env);
      expect(all.code).toBe(5);
      expect(all.stderr).toContain(`✗ ${bomb}-api (prod): ${tooLarge}\n`);
      expect(all.stderr).toContain(`✓ ${fine}-api: credentials valid (prod)\n`);
      expect(all.stderr).toContain("2 accounts checked: 1 valid, 1 failed\n");
    } finally {
      await sts.close();
      await store.remove();
    }
  });

  it("reads an entry written with CRLF line ends without its \\r, and refuses one whose secret holds a control character (exit 5)", async () => {
    const store = await ownStore(pass);
    const { startEmulator } = await import("./support/emulator.js");
    const sts = await startEmulator();
    try {
      const crlf = uniqueLogin("crlf");
      const escape = uniqueLogin("escape");
      const password = sentinel();
      const hostile = `${sentinel()}\u001b]0;owned\u0007`;
      store.run("pass", ["insert", "--multiline", `cdcreds/prod/${crlf}-api`], `${password}\r\nhttps://seller.example\r\n`);
      store.run("pass", ["insert", "--multiline", `cdcreds/prod/${escape}-api`], `${hostile}\n`);
      sts.setCredentials(`${crlf}-api`, password);
      expect(await cdcreds(["get", crlf], store.env)).toMatchObject({ code: 0, stdout: `${password}\n`, stderr: "" });
      const malformed = `the password stored for ${escape}-api (prod) in the pass store is malformed: it contains a control character (U+001B)`;
      for (const args of [
        ["get", escape],
        ["exec", "--login", escape, "--", ...PRINT_API_CREDENTIALS],
      ]) {
        const refused = await cdcreds(["--auth-url", sts.url, ...args], store.env);
        expect({ args, code: refused.code, stdout: refused.stdout }).toEqual({ args, code: 5, stdout: "" });
        expect(refused.stderr).toContain(`error: ${malformed}\nhint: store it again with \`cdcreds set ${escape}-api\``);
        expect(refused.stderr).not.toContain(hostile.slice(0, 20));
      }
      const all = await cdcreds(["--auth-url", sts.url, "verify", "--all"], store.env);
      expect(all.code, all.stderr).toBe(5);
      expect(all.stderr).toContain(`✓ ${crlf}-api: credentials valid (prod)\n`);
      expect(all.stderr).toContain(`✗ ${escape}-api (prod): ${malformed}\n`);
      expect(all.stderr).not.toContain(hostile.slice(0, 20));
      expect(sts.requests.map((r) => r.login)).toEqual([`${crlf}-api`]);
    } finally {
      await sts.close();
      await store.remove();
    }
  });

  it("lists only entries whose names cdcreds could have written, so each listed account can be read", async () => {
    const store = await ownStore(pass);
    try {
      const password = sentinel();
      // By hand, as a teammate may: a literal %, a lower-case escape, a needless one, a dot file.
      for (const name of ["100%-api", "x%2fy-api", "%41b-api", ".hidden-api"]) {
        store.run("pass", ["insert", "--multiline", `cdcreds/prod/${name}`], `${password}\n`);
      }
      expect((await cdcreds(["set", "--no-verify", "--password-stdin", "50%"], store.env, password)).code).toBe(0);
      expect(existsSync(join(store.storeDir, "cdcreds", "prod", "50%25-api.gpg"))).toBe(true);
      const api = openPassStore({ processEnv: { ...process.env, ...pass.env, ...store.env }, interactive: () => false });
      expect(await api.accounts("cdcreds:prod")).toEqual(["50%-api"]);
      const listed = await cdcreds(["list", "--json"], { ...store.env, XDG_CONFIG_HOME: join(store.root, "no-index") });
      expect(listed.code, listed.stderr).toBe(0);
      const accounts = (JSON.parse(listed.stdout) as { apiLogin: string }[]).map((row) => row.apiLogin);
      expect(accounts).toEqual(["50%-api"]);
      for (const account of accounts) {
        expect(await cdcreds(["get", account], store.env)).toMatchObject({ code: 0, stdout: `${password}\n` });
      }
    } finally {
      await store.remove();
    }
  });

  it("ignores a relative XDG_CACHE_HOME: the token cache goes to ~/.cache, not the current folder", async () => {
    const store = await ownStore(pass);
    const { startEmulator } = await import("./support/emulator.js");
    const sts = await startEmulator();
    try {
      const seller = uniqueLogin("relcache");
      store.run("pass", ["insert", "--multiline", `cdcreds/prod/${seller}-api`], "password\n");
      sts.setCredentials(`${seller}-api`, "password");
      const home = join(store.root, "home");
      const cwd = join(store.root, "work");
      await mkdir(cwd, { recursive: true });
      const env = { ...store.env, HOME: home, XDG_CACHE_HOME: "relative-cache" };
      expect(await cdcreds(["--auth-url", sts.url, "token", seller], env, undefined, cwd)).toMatchObject({
        code: 0,
        stdout: `${sts.token}\n`,
      });
      expect(existsSync(join(cwd, "relative-cache"))).toBe(false);
      expect(existsSync(join(home, ".cache", "cdcreds", "pass-tokens", "cdcreds", "token", "prod", `${seller}-api.gpg`))).toBe(true);
    } finally {
      await sts.close();
      await store.remove();
    }
  });

  it("says a change git did not commit (a leftover index.lock) is not committed: set and delete exit 5", async () => {
    const store = await ownStore(pass, { git: true });
    try {
      const seller = uniqueLogin("gitlock");
      const lock = join(store.storeDir, ".git", "index.lock");
      await writeFile(lock, "");
      const set = await cdcreds(["set", "--no-verify", "--password-stdin", seller], store.env, sentinel());
      expect({ code: set.code, stdout: set.stdout }).toEqual({ code: 5, stdout: "" });
      expect(set.stderr).toContain(
        `error: cdcreds/prod/${seller}-api was written in the password store, but git did not commit it (git: Unable to create '${lock}': File exists.)\nhint: if no git command is running, remove the leftover lock (.git/index.lock) first`,
      );
      expect(store.run("git", ["-C", store.storeDir, "status", "--porcelain"]).stdout).toContain("cdcreds/");
      await rm(lock);
      store.run("pass", ["git", "add", "-A"]);
      store.run("pass", ["git", "commit", "-q", "-m", "by hand"]);
      await writeFile(lock, "");
      const deleted = await cdcreds(["delete", seller], store.env);
      expect(deleted.code).toBe(5);
      expect(deleted.stderr).toContain(
        `error: cdcreds/prod/${seller}-api was removed in the password store, but git did not commit it (git: Unable to create '${lock}': File exists.)`,
      );
      await rm(lock);
      // With the lock gone, both are committed and say so.
      expect((await cdcreds(["set", "--no-verify", "--password-stdin", seller], store.env, sentinel())).code).toBe(0);
      expect((await cdcreds(["delete", seller], store.env)).code).toBe(0);
      expect(store.run("git", ["-C", store.storeDir, "status", "--porcelain"]).stdout).toBe("");
    } finally {
      await store.remove();
    }
  });
});
