// A second, nested private D-Bus session with its own gnome-keyring, for tests that lock a keyring
// or start one that was never unlocked: the shared session of scripts/with-keyring.sh must stay
// unlocked for the test files running beside them. Recipe: shared/KEYRING.md.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A running private keyring session. */
export interface PrivateKeyring {
  /** Variables that point a child process at this session's bus. */
  readonly env: Record<string, string>;
  /** Locks the default collection, as a screen lock or `secret-tool lock` would. */
  lock(): void;
  /** Kills the gnome-keyring daemon (SIGKILL, as a crash or the OOM killer would) and waits for its end. */
  killDaemon(): Promise<void>;
  /** Stops the gnome-keyring daemon (SIGSTOP, as a daemon too busy to answer); resolves once it goes on, `ms` later. */
  stall(ms: number): Promise<void>;
  /** Replaces the daemon by one that unlocks the keyring on disk again (to look at what it holds), and waits until it answers. */
  unlockAgain(): Promise<void>;
  /** Ends the session (the bus, then the daemon with it) and removes its folders. */
  close(): Promise<void>;
}

const START = `
  if [ "$UNLOCK" = 1 ]; then
    printf %s cdcreds-nested-keyring | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    for _ in $(seq 50); do
      if printf ok | secret-tool store --label=probe cdcreds-probe probe 2>/dev/null &&
        [ "$(secret-tool lookup cdcreds-probe probe 2>/dev/null)" = ok ]; then break; fi
      sleep 0.1
    done
    secret-tool clear cdcreds-probe probe
  else
    gnome-keyring-daemon --start --components=secrets >/dev/null 2>&1
  fi
  echo "BUS=$DBUS_SESSION_BUS_ADDRESS"
  exec cat >/dev/null   # lives until the test closes standard input
`;

/**
 * Starts a private session bus with a fresh gnome-keyring: unlocked (`unlock: true`), or started
 * without a password, so that its default collection never exists.
 */
export async function startPrivateKeyring({ unlock }: { unlock: boolean }): Promise<PrivateKeyring> {
  const root = await mkdtemp(join(tmpdir(), "cdcreds-nested-"));
  const runtime = join(root, "runtime");
  const env = { ...process.env, UNLOCK: unlock ? "1" : "0", XDG_RUNTIME_DIR: runtime, XDG_DATA_HOME: join(root, "data"), HOME: root };
  await mkdir(runtime, { mode: 0o700 });
  await mkdir(join(root, "data"));
  const child = spawn("dbus-run-session", ["--", "bash", "-c", START], { env, stdio: ["pipe", "pipe", "ignore"] });
  const bus = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      const match = /^BUS=(.+)$/m.exec(out);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.on("error", reject);
    child.on("close", (code) => reject(new Error(`the private keyring session ended early (status ${code})`)));
  });
  const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
  const busEnv = { ...env, DBUS_SESSION_BUS_ADDRESS: bus };
  /** The process that owns org.freedesktop.secrets on this bus, or undefined when none does. */
  const daemonPid = (): number | undefined => {
    const owner = spawnSync(
      "dbus-send",
      [
        "--session",
        "--print-reply",
        "--dest=org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus.GetConnectionUnixProcessID",
        "string:org.freedesktop.secrets",
      ],
      { env: busEnv, encoding: "utf8" },
    );
    const pid = Number(/uint32 (\d+)/.exec(owner.stdout)?.[1]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  };
  /** Waits for a process to end: gone, or a zombie (the daemon forked away from its session: whoever adopted it may never reap it). */
  const gone = async (pid: number): Promise<void> => {
    const ended = (): boolean => {
      try {
        return / Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\)/, ""));
      } catch {
        return true;
      }
    };
    for (let i = 0; !ended(); i++) {
      if (i > 500) throw new Error(`the private keyring daemon ${pid} did not end`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return {
    env: { DBUS_SESSION_BUS_ADDRESS: bus, XDG_RUNTIME_DIR: runtime },
    lock: () => {
      const result = spawnSync(
        "dbus-send",
        [
          "--session",
          "--print-reply",
          "--dest=org.freedesktop.secrets",
          "/org/freedesktop/secrets",
          "org.freedesktop.Secret.Service.Lock",
          "array:objpath:/org/freedesktop/secrets/collection/login",
        ],
        { env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: bus }, encoding: "utf8" },
      );
      if (result.status !== 0) throw new Error(`cannot lock the private keyring: ${result.stderr}`);
    },
    killDaemon: async () => {
      const pid = daemonPid();
      if (pid === undefined) throw new Error("cannot find the private keyring daemon");
      process.kill(pid, "SIGKILL");
      await gone(pid);
    },
    stall: async (ms) => {
      const pid = daemonPid();
      if (pid === undefined) throw new Error("cannot find the private keyring daemon");
      process.kill(pid, "SIGSTOP");
      try {
        await new Promise((resolve) => setTimeout(resolve, ms));
      } finally {
        try {
          process.kill(pid, "SIGCONT");
        } catch {
          // already gone: nothing to let go on
        }
      }
    },
    unlockAgain: async () => {
      // The old daemon ends first, then a new one unlocks the keyring on disk, and the keyring is
      // used only once it answers: with `--replace` alone, spawnSync could return mid-handover.
      const old = daemonPid(); // none after killDaemon()
      if (old !== undefined) {
        process.kill(old, "SIGTERM");
        await gone(old);
      }
      const result = spawnSync("gnome-keyring-daemon", ["--replace", "--unlock", "--components=secrets"], {
        env: busEnv,
        input: "cdcreds-nested-keyring",
        encoding: "utf8",
        timeout: 10_000,
      });
      if (result.status !== 0) throw new Error(`cannot unlock the private keyring again: ${result.stderr}`);
      // Usable once an entry can be written and read back.
      const secretTool = (args: string[], input?: string) => spawnSync("secret-tool", args, { env: busEnv, input, encoding: "utf8" });
      for (let i = 0; ; i++) {
        if (
          secretTool(["store", "--label=probe", "cdcreds-probe", "probe"], "ok").status === 0 &&
          secretTool(["lookup", "cdcreds-probe", "probe"]).stdout === "ok"
        )
          break;
        if (i > 100) throw new Error("the private keyring did not come back unlocked");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      secretTool(["clear", "cdcreds-probe", "probe"]);
    },
    close: async () => {
      child.stdin.end();
      await closed;
      await rm(root, { recursive: true, force: true });
    },
  };
}
