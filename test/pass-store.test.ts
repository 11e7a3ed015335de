// `--store pass` against a real `pass` and `gpg` (no mock of either): throwaway keys, a store
// encrypted to two recipients, a git remote, and a teammate's clone that holds only one key.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entryPath, openPassStore } from "../src/stores/pass/index.js";
import { runCli } from "./support/cli.js";
import { startOctopiaEmulator } from "./support/octopia-emulator.js";
import { startPassSandbox, type PassSandbox } from "./support/pass-store.js";
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
        "default",
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
