// A real `pass` store for tests (recipe: shared/PASS.md): throwaway GPG keys with no passphrase in
// a temp GNUPGHOME, a store encrypted to two recipients, git-initialised, with a bare remote in a
// temp folder. Nothing of the user's own keys, store or git config is touched.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PassSandbox {
  /** The variables that point pass, gpg and git at the sandbox. */
  env: Record<string, string>;
  storeDir: string;
  remote: string;
  /** Runs a command with the sandbox's variables; its stdout. */
  sh: (command: string, args: string[], input?: string) => string;
  remove: () => Promise<void>;
}

/** Makes the sandbox: keys for alice and server, `pass init` to both, `pass git init`, a remote. */
export async function startPassSandbox(): Promise<PassSandbox> {
  const root = await mkdtemp(join(tmpdir(), "cdcreds-pass-"));
  const env = {
    GNUPGHOME: join(root, "gnupg"),
    PASSWORD_STORE_DIR: join(root, "store"),
    GIT_AUTHOR_NAME: "t",
    GIT_AUTHOR_EMAIL: "t@example.test",
    GIT_COMMITTER_NAME: "t",
    GIT_COMMITTER_EMAIL: "t@example.test",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_NOSYSTEM: "1",
  };
  const sh = (command: string, args: string[], input?: string): string =>
    execFileSync(command, args, { env: { ...process.env, ...env }, input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
  execFileSync("mkdir", ["-m", "700", env.GNUPGHOME]);
  // future-default: ed25519 and cv25519 keys, made at once where gpg 2.2's default RSA-3072 ones
  // took ~2 s each. cdcreds leaves the algorithms to gpg.
  for (const who of ["alice", "server"]) {
    sh("gpg", [
      "--batch",
      "--pinentry-mode",
      "loopback",
      "--passphrase",
      "",
      "--quick-gen-key",
      `${who} <${who}@example.test>`,
      "future-default",
      "default",
      "never",
    ]);
  }
  sh("pass", ["init", "alice@example.test", "server@example.test"]);
  sh("pass", ["git", "init"]);
  const remote = join(root, "remote.git");
  sh("git", ["init", "-q", "--bare", remote]);
  sh("pass", ["git", "remote", "add", "origin", remote]);
  return {
    env,
    storeDir: env.PASSWORD_STORE_DIR,
    remote,
    sh,
    remove: async () => {
      try {
        sh("gpgconf", ["--kill", "gpg-agent"]);
      } catch {
        // no agent was started
      }
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A store of its own (a teammate's, or one a test spoils), on the sandbox's keys unless `env` says otherwise. */
export interface OwnStore {
  root: string;
  storeDir: string;
  /** PASSWORD_STORE_DIR, an XDG_CONFIG_HOME of its own (an account index of its own), and what else was given. */
  env: Record<string, string>;
  /** Runs a command against this store; its result, never throwing. */
  run: (command: string, args: string[], input?: string | Buffer) => { status: number | null; stdout: string; stderr: string };
  remove: () => Promise<void>;
}

/** Makes a store in a temp folder, `pass init` to the sandbox's two keys (or `recipients`), with `pass git init` when asked. */
export async function ownStore(
  pass: PassSandbox,
  {
    recipients = ["alice@example.test", "server@example.test"],
    git = false,
    env: extra = {},
  }: { recipients?: string[]; git?: boolean; env?: Record<string, string> } = {},
): Promise<OwnStore> {
  const root = await mkdtemp(join(tmpdir(), "cdcreds-own-store-"));
  const env = { PASSWORD_STORE_DIR: join(root, "store"), XDG_CONFIG_HOME: join(root, "config"), ...extra };
  const run = (command: string, args: string[], input?: string | Buffer) => {
    const result = spawnSync(command, args, { env: { ...process.env, ...pass.env, ...env }, input, encoding: "utf8" });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  run("pass", ["init", ...recipients]);
  if (git) run("pass", ["git", "init"]);
  return { root, storeDir: env.PASSWORD_STORE_DIR, env, run, remove: () => rm(root, { recursive: true, force: true }) };
}
