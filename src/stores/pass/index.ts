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
//
// What a teammate committed is not trusted: each `.gpg-id` line must be a key ID, a fingerprint
// or a user ID (never handed to gpg or pass as an option), a `.gpg-id` must be signed by a key of
// PASSWORD_STORE_SIGNING_KEY when it is set (as pass checks it), an entry is read up to
// MAX_ENTRY_BYTES (a compressed entry can decrypt to gigabytes), only entry names cdcreds could
// have written are listed, and a write git did not commit is an error.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { open, readdir, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { StoreError } from "../../errors.js";
import { withoutMatching } from "../../platform/env-names.js";
import { cacheHome } from "../../platform/paths.js";
import { probeByCheck, type SecretStore, type StoreDeps } from "../types.js";

/** The answer of one `pass` run. */
interface PassRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when stdout went past the run's cap: the child was stopped, stdout is cut there. */
  tooLarge?: true;
}

/**
 * The most read of a decrypted entry: a secret is at most 512 characters, and pass entries may hold
 * notes below it; a compressed entry that decrypts to more (a decompression bomb) is refused.
 */
export const MAX_ENTRY_BYTES = 64 * 1024;

/** What a `.gpg-id` line may name: a key ID (8 or 16 hex digits), or a fingerprint (40, or 64 for v5 keys). */
const KEY_ID = /^(0x)?([0-9A-F]{8}|[0-9A-F]{16}|[0-9A-F]{40}|[0-9A-F]{64})$/i;

/**
 * The recipients a `.gpg-id` names, as pass reads it (a `#` starts a comment, blanks around a line
 * and empty lines are dropped), or why a line is refused: each is a key ID, a fingerprint, or a
 * user ID (an address, a name) that does not start with `-` (it would be an option to gpg) and
 * holds no control character. Exported for its unit test.
 */
export function parseRecipients(text: string): { ids: string[] } | { line: number; problem: string } {
  const ids: string[] = [];
  const lines = text.split("\n");
  for (const [index, raw] of lines.entries()) {
    const id = raw.replace(/#.*/s, "").replace(/^[ \t]+|[ \t]+$/g, "");
    if (id === "") continue;
    const problem = KEY_ID.test(id)
      ? undefined
      : id.startsWith("-")
        ? "it starts with '-', as an option would"
        : /\p{Cc}/u.test(id)
          ? "it holds a control character"
          : undefined;
    if (problem !== undefined) return { line: index + 1, problem };
    ids.push(id);
  }
  return { ids };
}

// `/` would open a folder, `%` is the escape itself, and a leading `.` would hide the entry
// (pass skips dot files): each is written %XX, so every name maps to one path and back.
const encodeName = (name: string): string =>
  name.replace(/[%/\\\p{Cc}]/gu, (c) => `%${c.codePointAt(0)!.toString(16).toUpperCase().padStart(2, "0")}`).replace(/^\./, "%2E");

const decodeName = (name: string): string => name.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)));

/**
 * The account an entry's file name holds, or undefined when cdcreds could not have written that
 * name (a literal `%`, a lower-case or needless `%XX`, a dot file, an empty name): listing it would
 * show an account `get` cannot find, so it is left out.
 */
const accountOfFile = (file: string): string | undefined => {
  const account = decodeName(file);
  return account !== "" && encodeName(account) === file ? account : undefined;
};

/** The entry's path for a service and an account, and whether it is a token (kept off the shared store). */
export function entryPath(service: string, account: string): { path: string; token: boolean } {
  const [name = "", ...rest] = service.split(":");
  const folder = name.replace(/^cdcreds-?/, "");
  const path = ["cdcreds", ...[folder, rest.join(":")].filter((part) => part !== "").map(encodeName), encodeName(account)].join("/");
  return { path, token: name.endsWith("-token") };
}

/** The local, unshared pass store of cached tokens. */
const tokenDir = (processEnv: NodeJS.ProcessEnv): string => join(cacheHome(processEnv), "cdcreds", "pass-tokens");

/** The folder `pass` keeps its store in. */
const storeDir = (processEnv: NodeJS.ProcessEnv): string =>
  processEnv.PASSWORD_STORE_DIR || join(processEnv.HOME || homedir(), ".password-store");

/** An entry's first line (its secret), without the `\r` of an entry written with CRLF line ends. */
const firstLineOf = (text: string): string => (text.split("\n")[0] ?? "").replace(/\r$/, "");

/**
 * The variables of a `pass show`: gpg stops past MAX_ENTRY_BYTES of plaintext (`--max-output`),
 * so a decompression bomb is cut by gpg itself, before pass holds it all in a shell variable.
 */
const capped = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
  ...env,
  PASSWORD_STORE_GPG_OPTS: [env.PASSWORD_STORE_GPG_OPTS, `--max-output=${MAX_ENTRY_BYTES}`].filter(Boolean).join(" "),
});

/** The variables a secret may be in, kept from `pass` and gpg (exported for its unit test). */
export const SECRET_VARIABLE = /(_PASSWORD|_SECRET|_TOKEN|_PASSPHRASE)$/;

/** The first line of what gpg said, for a message: gpg's own words never hold the secret. */
const firstLine = (text: string): string => text.trim().split("\n")[0]?.slice(0, 200) ?? "";

/** Opens the pass store; nothing runs until its first use. */
export function openPassStore({ processEnv }: StoreDeps): SecretStore {
  const dir = resolve(storeDir(processEnv));
  // `pass` and gpg get the caller's environment (PASSWORD_STORE_*, GNUPGHOME, GIT_*), minus any
  // secret in it: cdcreds' passphrase, and credentials or tokens in variables.
  // On Windows (pass under MSYS or Cygwin) in any case of their names.
  const childEnv = withoutMatching(processEnv, SECRET_VARIABLE, process.platform);

  /**
   * Runs `pass` (or `gpg`, `git`) with the secret, if any, on standard input. No more than
   * MAX_ENTRY_BYTES of its output is kept: past that the child is stopped and the run says so.
   */
  const run = (args: string[], input?: string | Buffer, env: NodeJS.ProcessEnv = childEnv, command = "pass"): Promise<PassRun> =>
    new Promise((resolve, reject) => {
      const child = spawn(command, args, { env, stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      let tooLarge = false;
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        if (tooLarge) return;
        stdout += d;
        if (stdout.length <= MAX_ENTRY_BYTES) return;
        tooLarge = true;
        stdout = stdout.slice(0, MAX_ENTRY_BYTES);
        child.stdout.destroy(); // what still writes to it (pass's gpg) gets a broken pipe
        child.kill();
      });
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        if (stderr.length < MAX_ENTRY_BYTES) stderr += d;
      });
      child.on("error", (error: NodeJS.ErrnoException) =>
        reject(
          error.code === "ENOENT"
            ? new StoreError(`the ${command} command is not installed`, {
                hint: `install it (Debian: apt-get install ${command === "gpg" ? "gnupg" : command}), or use another --store`,
              })
            : new StoreError(`cannot run ${command}: ${error.message}`, { cause: error }),
        ),
      );
      child.on("close", (code) => resolve({ code, stdout, stderr, ...(tooLarge ? { tooLarge: true as const } : {}) }));
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

  /** Reads a `.gpg-id` (the bytes gpg verifies are the bytes parsed), refusing one too large to be a list of keys. */
  const readGpgId = async (file: string): Promise<Buffer> => {
    try {
      const handle = await open(file, "r");
      try {
        const buffer = Buffer.alloc(MAX_ENTRY_BYTES + 1);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
        if (bytesRead <= MAX_ENTRY_BYTES) return buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw new StoreError(`cannot read the store's recipients file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
        cause: error,
      });
    }
    throw new StoreError(`the store's recipients file ${file} is larger than ${MAX_ENTRY_BYTES / 1024} KiB: it is not a list of GPG keys`, {
      hint: "see who changed it (`pass git log -p -- .gpg-id`) and write it again (`pass init <key IDs>`)",
    });
  };

  /**
   * With PASSWORD_STORE_SIGNING_KEY set, resolves only when `.gpg-id.sig` is a valid signature of
   * those bytes by one of its keys, as pass's own check reads it (full fingerprints, upper case;
   * the signing subkey's or the primary key's).
   */
  const verifySignature = async (file: string, bytes: Buffer): Promise<void> => {
    const signing = processEnv.PASSWORD_STORE_SIGNING_KEY;
    if (signing === undefined || signing === "") return;
    const resign =
      "if the change is right, sign it again (`pass init` with PASSWORD_STORE_SIGNING_KEY set); else see who changed it (`pass git log -p -- .gpg-id`)";
    if (!existsSync(`${file}.sig`)) {
      throw new StoreError(
        `the store's recipients file ${file} is not signed (no .gpg-id.sig), and PASSWORD_STORE_SIGNING_KEY asks for it`,
        {
          hint: resign,
        },
      );
    }
    const options = (processEnv.PASSWORD_STORE_GPG_OPTS ?? "").split(/\s+/).filter((o) => o !== "");
    const verified = await run(["--batch", ...options, "--status-fd=1", "--verify", "--", `${file}.sig`, "-"], bytes, childEnv, "gpg");
    const signers = [...verified.stdout.matchAll(/^\[GNUPG:\] VALIDSIG ([A-F0-9]{40}) .* ([A-F0-9]{40})$/gm)].flatMap((m) => [m[1], m[2]]);
    const keys = signing.split(/\s+/).filter((key) => /^[A-F0-9]{40}$/.test(key));
    if (keys.some((key) => signers.includes(key))) return;
    throw new StoreError(`the signature of the store's recipients file ${file} is not a valid one by a key of PASSWORD_STORE_SIGNING_KEY`, {
      hint:
        keys.length === 0
          ? "PASSWORD_STORE_SIGNING_KEY names keys by their full fingerprints (40 hex digits, upper case), as pass reads it"
          : resign,
    });
  };

  /** The recipients a `.gpg-id` names, checked (a signature, then each line); nothing runs with them before. */
  const readRecipients = async (file: string): Promise<string[]> => {
    const bytes = await readGpgId(file);
    await verifySignature(file, bytes);
    const parsed = parseRecipients(bytes.toString("utf8"));
    if ("ids" in parsed) return parsed.ids;
    throw new StoreError(
      `the store's recipients file ${file} is refused: line ${parsed.line} is not a GPG key ID, fingerprint or user ID (${parsed.problem})`,
      {
        hint: "see who changed it (`pass git log -p -- .gpg-id`) and write it again (`pass init <key IDs>`)",
      },
    );
  };
  const checked = new Map<string, Promise<string[]>>();
  /**
   * The recipients entries in that folder of the shared store are encrypted to (its nearest
   * `.gpg-id`; none when there is none), read and checked once a run.
   * @throws {StoreError} for a file that is not signed as PASSWORD_STORE_SIGNING_KEY asks, or a line that is no key.
   */
  const recipientsOf = (folder: string): Promise<string[]> => {
    const file = gpgIdOf(folder);
    if (file === undefined) return Promise.resolve([]);
    let ids = checked.get(file);
    if (ids === undefined) checked.set(file, (ids = readRecipients(file)));
    return ids;
  };

  const check = async (): Promise<void> => {
    assertInitialised();
    await recipientsOf(join(dir, "cdcreds"));
    const version = await run(["version"]);
    if (version.code !== 0) throw failure("its version check", version);
  };

  /** The recipients of entries in that folder, and whether this GnuPG home holds a secret key of one. */
  const secretKeyFor = async (folder: string): Promise<{ ids: string[]; held: boolean }> => {
    const ids = await recipientsOf(folder);
    if (ids.length === 0) return { ids, held: false };
    // `--`: each ID is a key to look for, never an option (recipientsOf refused those anyway).
    const listed = await run(["--batch", "--list-secret-keys", "--with-colons", "--", ...ids], undefined, childEnv, "gpg");
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
  // Its .gpg-id is written here from the shared one's checked IDs: no signature is asked of it.
  const tokens = tokenDir(processEnv);
  const tokenEnv: NodeJS.ProcessEnv = {
    ...childEnv,
    PASSWORD_STORE_DIR: tokens,
    PASSWORD_STORE_GIT: join(tokens, ".no-git"),
    PASSWORD_STORE_SIGNING_KEY: undefined,
  };
  const tokenCache = {
    async get(path: string): Promise<string | undefined> {
      if (!existsSync(join(tokens, `${path}.gpg`))) return undefined;
      const shown = await run(["show", path], undefined, capped(tokenEnv));
      return shown.code === 0 && shown.tooLarge === undefined ? firstLineOf(shown.stdout) || undefined : undefined;
    },
    async set(path: string, token: string): Promise<void> {
      const ids = await recipientsOf(join(dir, "cdcreds"));
      if (ids.length === 0) return;
      const written = await readFile(join(tokens, ".gpg-id"), "utf8").catch(() => "");
      if (written !== ids.map((id) => `${id}\n`).join("")) await run(["init", "--", ...ids], undefined, tokenEnv);
      await run(["insert", "--multiline", "--force", path], `${token}\n`, tokenEnv);
    },
    async delete(path: string): Promise<boolean> {
      if (!existsSync(join(tokens, `${path}.gpg`))) return false;
      return (await run(["rm", "--force", path], undefined, tokenEnv)).code === 0;
    },
  };

  // pass runs git after writing an entry, and still exits 0 when git fails (a leftover
  // .git/index.lock, no user.email): the entry is then on disk but not in the shared history.
  const gitEnv: NodeJS.ProcessEnv = { ...childEnv, GIT_CEILING_DIRECTORIES: resolve(dir, "..") }; // as pass sets it
  /**
   * Resolves when the change to that entry is committed, or the store has no git (found as pass
   * finds it: from the entry's folder, or the nearest one left).
   * @throws {StoreError} when git holds it as a change not committed.
   */
  const assertCommitted = async (path: string, done: string, ran: PassRun): Promise<void> => {
    const file = join(dir, `${path}.gpg`);
    let at = dirname(file);
    while (!existsSync(at) && at.startsWith(`${dir}/`)) at = dirname(at);
    const git = (args: string[]): Promise<PassRun | undefined> => run(["-C", at, ...args], undefined, gitEnv, "git").catch(() => undefined);
    if ((await git(["rev-parse", "--is-inside-work-tree"]))?.stdout.trim() !== "true") return;
    const status = await git(["status", "--porcelain", "--", relative(at, file)]);
    if (status?.code === 0 && status.stdout === "") return;
    const said = /^(?:fatal|error): (.*)$/m.exec(ran.stderr)?.[1];
    throw new StoreError(
      `${path} was ${done} in the password store, but git did not commit it${said === undefined ? "" : ` (git: ${said.slice(0, 200)})`}`,
      {
        hint: "if no git command is running, remove the leftover lock (.git/index.lock) first; then commit it by hand: `pass git add -A && pass git commit -m cdcreds`",
      },
    );
  };

  /** Some entry under cdcreds/ (a token's never: they are not in this store), for doctor's decryption check. */
  const firstEntry = async (): Promise<string | undefined> => {
    const files = await readdir(join(dir, "cdcreds"), { recursive: true }).catch(() => [] as string[]);
    return files.find((file) => file.endsWith(".gpg"))?.slice(0, -".gpg".length);
  };

  /** Decrypts an entry; its first line, or the StoreError of a failed `pass show`. */
  const show = async (path: string): Promise<string> => {
    const shown = await run(["show", path], undefined, capped(childEnv));
    if (shown.tooLarge !== undefined || /exceeded --max-output limit/i.test(shown.stderr)) {
      throw new StoreError(`${path} is too large for a cdcreds entry (more than ${MAX_ENTRY_BYTES / 1024} KiB once decrypted)`, {
        hint: `it may be a compressed entry made to fill the memory of whoever reads it: see who committed it (\`pass git log -- '${path}.gpg'\`) and remove it`,
      });
    }
    if (shown.code === 0) return firstLineOf(shown.stdout);
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
      // A store whose .gpg-id is refused is refused whole (a teammate's hostile line, a broken signature).
      await recipientsOf(join(dir, dirname(path)));
      const secret = await show(path);
      return secret === "" ? undefined : secret;
    },
    async set(service, account, secret) {
      const { path, token } = entryPath(service, account);
      if (token) return tokenCache.set(path, secret);
      await check();
      await recipientsOf(join(dir, dirname(path)));
      const inserted = await run(["insert", "--multiline", "--force", path], `${secret}\n`);
      if (inserted.code !== 0) throw failure(path, inserted);
      await assertCommitted(path, "written", inserted);
    },
    async delete(service, account) {
      const { path, token } = entryPath(service, account);
      if (token) return tokenCache.delete(path);
      if (!existsSync(join(dir, `${path}.gpg`))) return false;
      const removed = await run(["rm", "--force", path]);
      if (removed.code !== 0) throw failure(path, removed);
      await assertCommitted(path, "removed", removed);
      return true;
    },
    async accounts(service) {
      const { path, token } = entryPath(service, "");
      const files = await readdir(join(token ? tokens : dir, path), { withFileTypes: true }).catch(() => undefined);
      if (files === undefined && !token) assertInitialised(); // a store that is not there is exit 5, not "nothing stored"
      return (files ?? []).flatMap((f) => {
        const account = f.isFile() && f.name.endsWith(".gpg") ? accountOfFile(f.name.slice(0, -".gpg".length)) : undefined;
        return account === undefined ? [] : [account];
      });
    },
  };
}

export const openStore = (deps: StoreDeps): Promise<SecretStore> => Promise.resolve(openPassStore(deps));
