// The standard Unix password store, through the `pass` command: GPG-encrypted files in a folder
// (often a git repository a team shares). No GPG code here: `pass` encrypts to the store's own
// recipients (`.gpg-id`) and runs its own git hooks; PASSWORD_STORE_* and GNUPGHOME are honoured.
//
// Layout (a public contract, like the keychain's): the service `cdcreds:<env>` is the folder
// `cdcreds/<env>/`, `cdcreds-<name>:<env>` is `cdcreds/<name>/<env>/`; the account is the entry's
// name, and the secret its first line (`pass show cdcreds/prod/bestshop-api`). Tokens are never
// written there (one commit per refresh would flood a shared history, and a teammate needs none of
// yours): they go to a second pass store of this machine, `$XDG_CACHE_HOME/cdcreds/pass-tokens`,
// encrypted to the same recipients, with no git.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { StoreError } from "../../errors.js";
import { probeByCheck, type SecretStore, type StoreDeps } from "../types.js";

/** The answer of one `pass` run. */
interface PassRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

// `/` would open a folder, `%` is the escape itself, and a leading `.` would hide the entry
// (pass skips dot files): each is written %XX, so every name maps to one path and back.
const encodeName = (name: string): string =>
  name.replace(/[%/\\\p{Cc}]/gu, (c) => `%${c.codePointAt(0)!.toString(16).toUpperCase().padStart(2, "0")}`).replace(/^\./, "%2E");

const decodeName = (name: string): string => name.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)));

/** The entry's path for a service and an account, and whether it is a token (kept off the shared store). */
export function entryPath(service: string, account: string): { path: string; token: boolean } {
  const [name = "", ...rest] = service.split(":");
  const folder = name.replace(/^cdcreds-?/, "");
  const path = ["cdcreds", ...[folder, rest.join(":")].filter((part) => part !== "").map(encodeName), encodeName(account)].join("/");
  return { path, token: name.endsWith("-token") };
}

/** The local, unshared pass store of cached tokens. */
const tokenDir = (processEnv: NodeJS.ProcessEnv): string =>
  join(processEnv.XDG_CACHE_HOME || join(processEnv.HOME || homedir(), ".cache"), "cdcreds", "pass-tokens");

/** The folder `pass` keeps its store in. */
const storeDir = (processEnv: NodeJS.ProcessEnv): string =>
  processEnv.PASSWORD_STORE_DIR || join(processEnv.HOME || homedir(), ".password-store");

/** The first line of what gpg said, for a message: gpg's own words never hold the secret. */
const firstLine = (text: string): string => text.trim().split("\n")[0]?.slice(0, 200) ?? "";

/** Opens the pass store; nothing runs until its first use. */
export function openPassStore({ processEnv }: StoreDeps): SecretStore {
  const dir = resolve(storeDir(processEnv));
  // `pass` and gpg get the caller's environment (PASSWORD_STORE_*, GNUPGHOME, GIT_*), minus any
  // secret in it: cdcreds' passphrase, and credentials or tokens in variables.
  const childEnv: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(processEnv).filter(([name]) => !/(_PASSWORD|_SECRET|_TOKEN|_PASSPHRASE)$/.test(name)),
  );

  /** Runs `pass` (or, for doctor, `gpg`) with the secret, if any, on standard input. */
  const run = (args: string[], input?: string, env: NodeJS.ProcessEnv = childEnv, command = "pass"): Promise<PassRun> =>
    new Promise((resolve, reject) => {
      const child = spawn(command, args, { env, stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      child.on("error", (error: NodeJS.ErrnoException) =>
        reject(
          error.code === "ENOENT"
            ? new StoreError(`the ${command} command is not installed`, {
                hint: `install it (Debian: apt-get install ${command === "gpg" ? "gnupg" : "pass"}), or use another --store`,
              })
            : new StoreError(`cannot run ${command}: ${error.message}`, { cause: error }),
        ),
      );
      child.on("close", (code) => resolve({ code, stdout, stderr }));
      child.stdin.on("error", () => {});
      child.stdin.end(input ?? "");
    });

  const needsPassphrase = (what: string): StoreError =>
    new StoreError(`cannot decrypt ${what}: gpg-agent needs a passphrase and there is no terminal to ask it`, {
      hint: "unlock the key first in a terminal (e.g. `pass show` any entry), or use a key without a passphrase for servers",
    });

  /** The StoreError of a failed run, saying what to do. */
  const failure = (what: string, { code, stderr }: PassRun): StoreError => {
    if (/you must run:.*pass init/i.test(stderr)) return notInitialised();
    if (/pinentry|inappropriate ioctl|cannot open tty|no tty|operation cancelled/i.test(stderr)) return needsPassphrase(what);
    if (/no secret key|decryption failed/i.test(stderr)) {
      return new StoreError(`cannot decrypt ${what}: no secret key of its recipients in this GnuPG home`, {
        hint: "import your key (gpg --import), or ask a member to add it to .gpg-id and run `pass init` again",
      });
    }
    return new StoreError(`pass failed on ${what}: ${firstLine(stderr) || `exit status ${code}`}`);
  };

  // pass encrypts an entry to the nearest .gpg-id above it: the store's own, or one in cdcreds/
  // (a team may keep cdcreds' entries for other recipients than the rest of its store).
  const gpgIdOf = (folder: string): string | undefined => {
    for (let at = folder; at.startsWith(dir); at = dirname(at)) {
      if (existsSync(join(at, ".gpg-id"))) return join(at, ".gpg-id");
      if (at === dir) break;
    }
    return undefined;
  };
  const notInitialised = (): StoreError =>
    new StoreError(`the password store ${dir} is not initialised`, {
      hint: "run `pass init <your GPG key ID>` (several IDs for a team), or set PASSWORD_STORE_DIR",
    });
  /** Throws unless entries under cdcreds/ have recipients; a sync file check, no `pass` run. */
  const assertInitialised = (): void => {
    if (gpgIdOf(join(dir, "cdcreds")) === undefined) throw notInitialised();
  };
  const check = async (): Promise<void> => {
    assertInitialised();
    const version = await run(["version"]);
    if (version.code !== 0) throw failure("its version check", version);
  };

  /** The recipients of entries in that folder, and whether this GnuPG home holds a secret key of one. */
  const secretKeyFor = async (folder: string): Promise<{ ids: string[]; held: boolean }> => {
    const ids = (await recipientsOf(folder)).split("\n").filter((id) => id !== "");
    const listed = await run(["--batch", "--list-secret-keys", "--with-colons", ...ids], undefined, childEnv, "gpg");
    return { ids, held: listed.code === 0 && listed.stdout.includes("sec:") };
  };
  /** Resolves when gpg holds the secret key of one of the store's recipients: else nothing can be read. */
  const checkKey = async (): Promise<void> => {
    const { ids, held } = await secretKeyFor(join(dir, "cdcreds"));
    if (!held) {
      throw new StoreError(`no secret key of the store's recipients (${ids.join(", ")}) in this GnuPG home`, {
        hint: "import your key (gpg --import), or ask a member to add yours to .gpg-id and run `pass init` again",
      });
    }
  };

  // The token cache: a pass store of its own, made on first use for the shared store's recipients
  // (and made again when they change). Any failure there only costs a new token.
  const tokens = tokenDir(processEnv);
  const tokenEnv: NodeJS.ProcessEnv = { ...childEnv, PASSWORD_STORE_DIR: tokens, PASSWORD_STORE_GIT: join(tokens, ".no-git") };
  const recipients = (folder: string): Promise<string> => readFile(join(folder, ".gpg-id"), "utf8").catch(() => "");
  /** The recipients entries in that folder of the shared store are encrypted to. */
  const recipientsOf = (folder: string): Promise<string> => {
    const file = gpgIdOf(folder);
    return file === undefined ? Promise.resolve("") : readFile(file, "utf8").catch(() => "");
  };
  const tokenCache = {
    async get(path: string): Promise<string | undefined> {
      if (!existsSync(join(tokens, `${path}.gpg`))) return undefined;
      const shown = await run(["show", path], undefined, tokenEnv);
      return shown.code === 0 ? shown.stdout.split("\n")[0] || undefined : undefined;
    },
    async set(path: string, token: string): Promise<void> {
      const ids = await recipientsOf(join(dir, "cdcreds"));
      if (ids === "") return;
      if ((await recipients(tokens)) !== ids) await run(["init", ...ids.split("\n").filter((id) => id !== "")], undefined, tokenEnv);
      await run(["insert", "--multiline", "--force", path], `${token}\n`, tokenEnv);
    },
    async delete(path: string): Promise<boolean> {
      if (!existsSync(join(tokens, `${path}.gpg`))) return false;
      return (await run(["rm", "--force", path], undefined, tokenEnv)).code === 0;
    },
  };

  /** Some entry under cdcreds/ (a token's never: they are not in this store), for doctor's decryption check. */
  const firstEntry = async (): Promise<string | undefined> => {
    const files = await readdir(join(dir, "cdcreds"), { recursive: true }).catch(() => [] as string[]);
    return files.find((file) => file.endsWith(".gpg"))?.slice(0, -".gpg".length);
  };

  /** Decrypts an entry; its first line, or the StoreError of a failed `pass show`. */
  const show = async (path: string): Promise<string> => {
    const shown = await run(["show", path]);
    if (shown.code === 0) return shown.stdout.split("\n")[0] ?? "";
    // gpg says "No secret key" too when the key is there but its passphrase could not be asked.
    const agent = /no secret key/i.test(shown.stderr) && (await secretKeyFor(join(dir, dirname(path)))).held;
    throw agent ? needsPassphrase(path) : failure(path, shown);
  };

  return {
    id: "pass",
    description: `pass, the standard Unix password store, in ${dir}`,
    probe: async () => {
      const steps = await probeByCheck({ check }, "password store", `initialised in ${dir}`);
      if (!steps.every((step) => step.ok)) return steps;
      steps.push(...(await probeByCheck({ check: checkKey }, "secret key", "this GnuPG home holds a recipient's secret key")));
      if (!steps.every((step) => step.ok)) return steps;
      // Only a real decryption tells a key whose passphrase gpg-agent cannot ask: one entry is read (and dropped).
      const entry = await firstEntry();
      if (entry === undefined) return [...steps, { name: "decryption", ok: true, detail: "nothing stored under cdcreds/ yet to try" }];
      const decrypt = async (): Promise<void> => void (await show(`cdcreds/${entry}`));
      return [...steps, ...(await probeByCheck({ check: decrypt }, "decryption", `an entry was decrypted (cdcreds/${entry})`))];
    },
    check,
    async get(service, account) {
      const { path, token } = entryPath(service, account);
      if (token) return tokenCache.get(path);
      if (!existsSync(join(dir, `${path}.gpg`))) {
        await check(); // a store that is not there is exit 5, not "nothing stored"
        return undefined;
      }
      const secret = await show(path);
      return secret === "" ? undefined : secret;
    },
    async set(service, account, secret) {
      const { path, token } = entryPath(service, account);
      if (token) return tokenCache.set(path, secret);
      await check();
      const inserted = await run(["insert", "--multiline", "--force", path], `${secret}\n`);
      if (inserted.code !== 0) throw failure(path, inserted);
    },
    async delete(service, account) {
      const { path, token } = entryPath(service, account);
      if (token) return tokenCache.delete(path);
      if (!existsSync(join(dir, `${path}.gpg`))) return false;
      const removed = await run(["rm", "--force", path]);
      if (removed.code !== 0) throw failure(path, removed);
      return true;
    },
    async accounts(service) {
      const { path, token } = entryPath(service, "");
      const files = await readdir(join(token ? tokens : dir, path), { withFileTypes: true }).catch(() => undefined);
      if (files === undefined && !token) assertInitialised(); // a store that is not there is exit 5, not "nothing stored"
      return (files ?? []).filter((f) => f.isFile() && f.name.endsWith(".gpg")).map((f) => decodeName(f.name.slice(0, -".gpg".length)));
    },
  };
}

export const openStore = (deps: StoreDeps): Promise<SecretStore> => Promise.resolve(openPassStore(deps));
