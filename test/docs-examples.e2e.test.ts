// The README's and docs/' console examples, run as written with the built binary as `cdcreds` on
// PATH, so that an example cannot drift from the code (the marking: test/support/doc-examples.ts).
// Each Markdown file runs in a world of its own, where a user's commands work unchanged:
// - a home folder (config, cache, ~/.gnupg with keys for alice@example.com and bob@example.com,
//   ~/.password-store) and a private gnome-keyring, so the examples' accounts meet no other test's;
// - Cdiscount's and Octopia's real host names served by the loopback emulators, through a proxy
//   (HTTPS_PROXY) and behind TLS with a throwaway certificate (NODE_EXTRA_CA_CERTS): no
//   --auth-url, and `doctor` shows the real token URLs. The proxy refuses any other host.
// - the examples' accounts: every API login's password is accepted but othershop-api's (401);
//   the Octopia client "Best Shop@agency.example" with CLIENT_SECRET, which may act for sellers
//   12345 and 67890, not 666. PW holds bestshop's password, CLIENT_SECRET the client's secret.
import { spawn, spawnSync } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN } from "./support/cli.js";
import { asShown, parseExamples, scriptOf, splitOutput, type Example } from "./support/doc-examples.js";
import { startEmulator, startProxy } from "./support/emulator.js";
import { listenOnLoopback } from "./support/loopback-server.js";
import { startOctopiaEmulator } from "./support/octopia-emulator.js";
import { startPrivateKeyring } from "./support/private-keyring.js";

const ROOT = new URL("..", import.meta.url);
const PW = "correct horse battery staple";
const CLIENT_SECRET = "tq8Lx0cVbN3mRz6PfW1yHs4kDj7aUe2G";
const CLIENT_ID = "Best Shop@agency.example";
/** The API logins Cdiscount's emulator accepts, with their passwords; it rejects any other (401). */
const API_LOGINS = { "bestshop-api": PW, "newshop-api": "pass,with,commas" };
/** The tokens the examples show; the emulators' own, random ones are shown as these. */
const SHOWN_TOKEN = "e1d87736dca748128735ca2277f71ba7";
const SHOWN_JWT = "eyJhbGciOiJSUzI1NiJ9.eyJhenAiOiJCZXN0IFNob3AifQ.c2lnbmF0dXJl";
const SHOWN_HOME = "/home/me";

const files = ["README.md", ...(await readdir(new URL("docs/", ROOT))).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
const examples = new Map<string, Example[]>();
for (const file of files) examples.set(file, parseExamples(file, await readFile(new URL(file, ROOT), "utf8")));

let shared: string;
let gnupgTemplate: string;
let certPath: string;
let tlsKey: Buffer;
let tlsCert: Buffer;

/** Runs a command with these variables; throws with its stderr when it fails. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv, input?: string): void {
  const result = spawnSync(command, args, { env, input, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")}: ${result.error?.message ?? result.stderr}`);
}

beforeAll(async () => {
  shared = await mkdtemp(join(tmpdir(), "cdcreds-docs-"));
  certPath = join(shared, "cert.pem");
  const keyPath = join(shared, "key.pem");
  const hosts = "DNS:sts.cdiscount.com,DNS:auth.octopia-io.net,DNS:api.octopia-io.net";
  run(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=cdcreds docs"]
      .concat(["-addext", `subjectAltName=${hosts}`, "-keyout", keyPath, "-out", certPath]),
    process.env,
  );
  [tlsKey, tlsCert] = await Promise.all([readFile(keyPath), readFile(certPath)]);
  // Keys without a passphrase for the pass examples, made once and copied into each world.
  gnupgTemplate = join(shared, "gnupg");
  await mkdir(gnupgTemplate, { mode: 0o700 });
  const gpgEnv = { ...process.env, GNUPGHOME: gnupgTemplate };
  for (const who of ["alice", "bob"]) {
    const uid = `${who[0]!.toUpperCase()}${who.slice(1)} <${who}@example.com>`;
    run("gpg", ["--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", uid, "default", "default", "never"], gpgEnv);
  }
  run("gpgconf", ["--kill", "all"], gpgEnv);
});

afterAll(async () => {
  if (shared !== undefined) await rm(shared, { recursive: true, force: true });
});

/** A TLS front on loopback for a plain-HTTP emulator: what the proxy routes a host name to. */
async function tlsFront(port: number): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createTlsServer({ key: tlsKey, cert: tlsCert }, (socket) => {
    const upstream = connect(port, "127.0.0.1");
    socket.pipe(upstream).pipe(socket);
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
  });
  return listenOnLoopback(server as unknown as import("node:http").Server);
}

interface World {
  home: string;
  env: NodeJS.ProcessEnv;
  /** The emulators' tokens, to be shown as the examples show them. */
  tokens: { cdiscount: string; octopia: string };
  close: () => Promise<void>;
}

async function startWorld(): Promise<World> {
  const root = await mkdtemp(join(tmpdir(), "cdcreds-docs-world-"));
  const home = join(root, "home");
  const bin = join(root, "bin");
  await Promise.all([mkdir(home, { mode: 0o700 }), mkdir(bin), mkdir(join(root, "tmp"))]);
  await symlink(BIN, join(bin, "cdcreds"));
  await cp(gnupgTemplate, join(home, ".gnupg"), { recursive: true });
  await writeFile(join(home, ".gitconfig"), "[user]\n\tname = Alice\n\temail = alice@example.com\n[init]\n\tdefaultBranch = main\n");

  const sts = await startEmulator();
  for (const [login, password] of Object.entries(API_LOGINS)) sts.addCredentials(login, password);
  const octopia = await startOctopiaEmulator();
  octopia.accept(CLIENT_ID, CLIENT_SECRET);
  octopia.sellers({ "12345": 200, "67890": 200, "666": 403 });
  const stsFront = await tlsFront(Number(new URL(sts.origin).port));
  const octopiaFront = await tlsFront(Number(new URL(octopia.url).port));
  const proxy = await startProxy({
    "sts.cdiscount.com": stsFront.port,
    "auth.octopia-io.net": octopiaFront.port,
    "api.octopia-io.net": octopiaFront.port,
  });
  const keyring = await startPrivateKeyring({ unlock: true });
  const env: NodeJS.ProcessEnv = {
    PATH: `${bin}:${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
    HOME: home,
    LANG: "C.UTF-8",
    TMPDIR: join(root, "tmp"),
    HTTPS_PROXY: proxy.url,
    NODE_EXTRA_CA_CERTS: certPath,
    PW,
    CLIENT_SECRET,
    ...keyring.env,
  };
  return {
    home,
    env,
    tokens: { cdiscount: sts.token, octopia: octopia.token },
    close: async () => {
      spawnSync("gpgconf", ["--kill", "all"], { env });
      await Promise.all([keyring.close(), proxy.close(), stsFront.close(), octopiaFront.close(), sts.close(), octopia.close()]);
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Runs a script with bash in the world's home; its output, stdout and stderr together. */
function bash(world: World, script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", script], { cwd: world.home, env: world.env, stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.on("error", reject);
    child.on("close", () => resolve(output));
  });
}

/** Each command's output as its example shows it, beside what the example shows. */
async function runExamples(world: World, list: Example[]): Promise<{ where: string; shown: string[]; expected: string[] }[]> {
  const results = splitOutput(await bash(world, scriptOf(list)));
  const commands = list.flatMap((example) => example.commands.map((command) => ({ example, command })));
  return commands.map(({ example, command }, i) => {
    const result = results[i];
    const where = `${example.file}:${command.line}: $ ${command.command}`;
    if (result === undefined) return { where, shown: ["[the script stopped before this command]"], expected: command.expected };
    const printed = result.printed
      .replaceAll(world.tokens.cdiscount, SHOWN_TOKEN)
      .replaceAll(world.tokens.octopia, SHOWN_JWT)
      .replaceAll(world.home, SHOWN_HOME);
    return { where, shown: asShown(command.expected, printed, result.status), expected: command.expected };
  });
}

describe("the console examples of the README and docs/", () => {
  it("are there: the README has some, and every block has a command", () => {
    expect(examples.get("README.md")!.length).toBeGreaterThan(0);
  });

  it.each(files.filter((file) => examples.get(file)!.length > 0))("%s: each command prints what its example shows", async (file) => {
    const world = await startWorld();
    try {
      for (const { where, shown, expected } of await runExamples(world, examples.get(file)!)) expect.soft(shown, where).toEqual(expected);
    } finally {
      await world.close();
    }
  }, 120_000);

  it("a difference fails: wrong output, a missing line, a non-zero status", async () => {
    const markdown = [
      "```console",
      "$ cdcreds derive bestshop",
      "bestshop-ap",
      "$ cdcreds derive --json bestshop",
      "$ cdcreds get nosuchshop",
      "```",
    ].join("\n");
    const world = await startWorld();
    try {
      const shown = (await runExamples(world, parseExamples("inline.md", markdown))).map((r) => r.shown);
      expect(shown).toEqual([
        ["bestshop-api"],
        ['{"sellerLogin":"bestshop","apiLogin":"bestshop-api"}'],
        [
          "error: no password stored for nosuchshop-api (prod) in the keychain",
          "hint: store it with `cdcreds set nosuchshop-api`, or run `cdcreds list`",
          "[exit 3]",
        ],
      ]);
    } finally {
      await world.close();
    }
  });
});
