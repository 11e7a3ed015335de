// The world the README's and docs/' examples run in (test/docs-examples.e2e.test.ts), where a
// user's commands work unchanged:
// - `cdcreds` on PATH (a symlink to the built binary), a home folder of its own (config, cache,
//   ~/.gnupg with keys for alice@example.com and bob@example.com, ~/.gitconfig) and a private
//   gnome-keyring, so the examples' accounts meet no other test's;
// - Cdiscount's and Octopia's real host names, served by the loopback emulators through a proxy
//   (HTTPS_PROXY) and behind TLS with a throwaway certificate (NODE_EXTRA_CA_CERTS): no
//   --auth-url in the examples, and `doctor` shows the real token URLs. The proxy refuses any
//   other host, so nothing leaves the machine;
// - the examples' accounts: Cdiscount accepts the API logins of API_LOGINS with their passwords
//   and rejects any other (401); Octopia accepts the client "Best Shop@agency.example" with
//   CLIENT_SECRET, which sellers 12345 and 67890 have authorised, and 666 has not. PW holds
//   bestshop's password, CLIENT_SECRET the client's secret.
import { spawn, spawnSync } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { BIN } from "./cli.js";
import { startEmulator, startProxy } from "./emulator.js";
import { listenOnLoopback } from "./loopback-server.js";
import { startOctopiaEmulator } from "./octopia-emulator.js";
import { startPrivateKeyring } from "./private-keyring.js";

const PW = "correct horse battery staple";
const CLIENT_SECRET = "tq8Lx0cVbN3mRz6PfW1yHs4kDj7aUe2G";
const CLIENT_ID = "Best Shop@agency.example";
/** The API logins Cdiscount's emulator accepts, with their passwords. */
const API_LOGINS = { "bestshop-api": PW, "newshop-api": "pass,with,commas" };
const HOSTS = ["sts.cdiscount.com", "auth.octopia-io.net", "api.octopia-io.net"];
/** What the examples show for the run's own values: the emulators' random tokens and the home folder. */
const SHOWN = {
  token: "e1d87736dca748128735ca2277f71ba7",
  jwt: "eyJhbGciOiJSUzI1NiJ9.eyJhenAiOiJCZXN0IFNob3AifQ.c2lnbmF0dXJl",
  home: "/home/me",
};

/** One world: run scripts in it, then close it. */
export interface World {
  /** Runs a bash script in the world's home; resolves with its output (stdout and stderr as one), the run's values shown as the examples show them. */
  bash(script: string): Promise<string>;
  close(): Promise<void>;
}

/** Runs a command; throws with its stderr when it fails. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  const result = spawnSync(command, args, { env, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")}: ${result.error?.message ?? result.stderr}`);
}

/** A TLS front on loopback for a plain-HTTP emulator: what the proxy routes a host name to. */
function tlsFront(port: number, tls: { key: Buffer; cert: Buffer }): Promise<{ port: number; close: () => Promise<void> }> {
  return listenOnLoopback(
    createTlsServer(tls, (socket) => {
      const upstream = connect(port, "127.0.0.1");
      socket.pipe(upstream).pipe(socket);
      upstream.on("error", () => socket.destroy());
      socket.on("error", () => upstream.destroy());
    }),
  );
}

/**
 * Makes what every world shares, once (a certificate for the services' host names, GPG keys), and
 * returns the function that starts a world, and the one that removes what was shared.
 */
export async function prepareWorlds(): Promise<{ startWorld: () => Promise<World>; remove: () => Promise<void> }> {
  const shared = await mkdtemp(join(tmpdir(), "cdcreds-docs-"));
  const certPath = join(shared, "cert.pem");
  const keyPath = join(shared, "key.pem");
  run("openssl", [
    ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=cdcreds docs"],
    ...["-addext", `subjectAltName=${HOSTS.map((h) => `DNS:${h}`).join(",")}`, "-keyout", keyPath, "-out", certPath],
  ]);
  const tls = { key: await readFile(keyPath), cert: await readFile(certPath) };
  const gnupg = join(shared, "gnupg");
  await mkdir(gnupg, { mode: 0o700 });
  for (const [name, address] of [
    ["Alice", "alice@example.com"],
    ["Bob", "bob@example.com"],
  ]) {
    const quickKey = ["--quick-gen-key", `${name} <${address}>`, "future-default", "default", "never"];
    run("gpg", ["--batch", "--pinentry-mode", "loopback", "--passphrase", "", ...quickKey], { ...process.env, GNUPGHOME: gnupg });
  }
  run("gpgconf", ["--kill", "all"], { ...process.env, GNUPGHOME: gnupg });

  const startWorld = async (): Promise<World> => {
    // Short names: gpg-agent's sockets live in ~/.gnupg when there is no /run/user/<uid> (as on CI),
    // and a socket's path must fit in 107 bytes, under a TMPDIR that is itself a few folders deep.
    const root = await mkdtemp(join(tmpdir(), "w-"));
    const home = join(root, "h");
    const bin = join(root, "bin");
    await Promise.all([mkdir(home, { mode: 0o700 }), mkdir(bin), mkdir(join(root, "tmp"))]);
    await symlink(BIN, join(bin, "cdcreds"));
    await cp(gnupg, join(home, ".gnupg"), { recursive: true });
    await writeFile(join(home, ".gitconfig"), "[user]\n\tname = Alice\n\temail = alice@example.com\n[init]\n\tdefaultBranch = main\n");
    const sts = await startEmulator();
    for (const [login, password] of Object.entries(API_LOGINS)) sts.addCredentials(login, password);
    const octopia = await startOctopiaEmulator();
    octopia.accept(CLIENT_ID, CLIENT_SECRET);
    octopia.sellers({ "12345": 200, "67890": 200, "666": 403 });
    octopia.sellerLogins({ "12345": "bestshop" });
    const stsFront = await tlsFront(Number(new URL(sts.origin).port), tls);
    const octopiaFront = await tlsFront(Number(new URL(octopia.url).port), tls);
    const proxy = await startProxy({ [HOSTS[0]!]: stsFront.port, [HOSTS[1]!]: octopiaFront.port, [HOSTS[2]!]: octopiaFront.port });
    const keyring = await startPrivateKeyring({ unlock: true });
    const env: NodeJS.ProcessEnv = {
      PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`, // the system's tools: another python3 may lack keyring
      HOME: home,
      LANG: "C.UTF-8",
      TMPDIR: join(root, "tmp"),
      HTTPS_PROXY: proxy.url,
      NODE_EXTRA_CA_CERTS: certPath,
      PW,
      CLIENT_SECRET,
      ...keyring.env,
    };
    const shown = (output: string): string =>
      output.replaceAll(sts.token, SHOWN.token).replaceAll(octopia.token, SHOWN.jwt).replaceAll(home, SHOWN.home);
    return {
      bash: (script) =>
        new Promise((resolve, reject) => {
          // A command that never ends is killed, so the world still closes and the test reports it.
          const child = spawn("bash", ["-c", script], { cwd: home, env, stdio: ["ignore", "pipe", "inherit"], timeout: 100_000 });
          let output = "";
          child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
          child.on("error", reject);
          child.on("close", () => resolve(shown(output)));
        }),
      close: async () => {
        spawnSync("gpgconf", ["--kill", "all"], { env });
        await Promise.all([keyring.close(), proxy.close(), stsFront.close(), octopiaFront.close(), sts.close(), octopia.close()]);
        await rm(root, { recursive: true, force: true });
      },
    };
  };
  return { startWorld, remove: () => rm(shared, { recursive: true, force: true }) };
}
