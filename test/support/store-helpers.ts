// Helpers for the end-to-end store tests: unique logins in the shared test keyring, a private
// config folder per test, and a sentinel password to hunt for in output and files.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { KeyringBinding } from "../../src/stores/keychain/index.js";
import { kind as apiLogin } from "../../src/kinds/api-login/index.js";
import { kind as octopia } from "../../src/kinds/octopia/index.js";
import { ENVIRONMENTS } from "../../src/kinds/environment.js";

/** A seller login no other test uses (tests share one keyring per run). */
export const uniqueLogin = (name: string): string => `t-${name}-${randomBytes(4).toString("hex")}`;

/** A password that is easy to find wherever it must not be, with characters SPEC 2 allows. */
export const sentinel = (): string => `Sentinel=/ |€é${randomBytes(6).toString("hex")}!`;

/** The program `exec` runs in tests: it prints the password and the token it was handed, space-separated. */
export const PRINT_API_CREDENTIALS = [
  process.execPath,
  "-e",
  "process.stdout.write(process.env.CDISCOUNT_API_PASSWORD + ' ' + process.env.CDISCOUNT_API_TOKEN)",
];

/**
 * The secret-tool lookup of an entry, or undefined (what another tool would read). In a UTF-8
 * locale, as a user runs it: in the C locale secret-tool finds no name beyond ASCII (`su -` gives
 * a contributor no LANG).
 */
export function secretToolLookup(service: string, username: string, processEnv: NodeJS.ProcessEnv = process.env): string | undefined {
  const env = { ...processEnv, LC_ALL: "C.UTF-8" };
  const result = spawnSync("secret-tool", ["lookup", "service", service, "username", username], { encoding: "utf8", env });
  return result.status === 0 ? result.stdout : undefined;
}

/** Python's keyring (Debian's python3-keyring; the python3 on PATH may lack it). */
export function pythonKeyring(code: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync("/usr/bin/python3", ["-c", `import keyring, sys\n${code}`], { encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Removes every entry of these accounts (API logins, client IDs) from the shared test keyring, under each service of each kind. */
export function clearLogins(apiLogins: string[]): void {
  const services = [apiLogin, octopia].flatMap((kind) => ENVIRONMENTS.flatMap((env) => [kind.secretService(env), kind.tokenService(env)]));
  const ours = new Set(apiLogins);
  // One search a service, in this process, and a removal for each entry found: a `secret-tool
  // clear` for each login and service was 8 processes a login, half a minute for an import test's
  // logins while other test files used the keyring too.
  const { Entry, findCredentials } = createRequire(import.meta.url)("@napi-rs/keyring") as KeyringBinding;
  // A search fails when another file removes an entry of the service under it: searched again
  // (a file storing 150 accounts beside it can spoil several searches in a row).
  const search = (service: string, tries = 10): { account: string }[] => {
    try {
      return findCredentials(service);
    } catch (error) {
      if (tries <= 1) throw error;
      return search(service, tries - 1);
    }
  };
  for (const service of services) {
    for (const { account } of search(service)) {
      if (ours.has(account)) new Entry(service, account, { linux: { store: "secret-service" } }).deleteCredential();
    }
  }
}

/**
 * A key file in `dir` for the encrypted file store, as the variable that names it: a test whose
 * subject is not the passphrase opens the file without scrypt's ~300 ms of CPU a run.
 */
export async function keyFileEnv(dir: string): Promise<{ CDCREDS_KEY_FILE: string }> {
  const path = join(dir, "cdcreds.key");
  await writeFile(path, randomBytes(32), { mode: 0o600 });
  return { CDCREDS_KEY_FILE: path };
}

/** A temp config folder, to give as XDG_CONFIG_HOME so each test has its own account index. */
export async function tempConfig(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "cdcreds-config-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Every file under a folder, with its content, to prove a secret is in none of them. */
export async function filesUnder(dir: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      found.set(path, await readFile(path, "utf8"));
    }
  }
  return found;
}
