// The operating system's keychain through @napi-rs/keyring. On Linux every entry is pinned to the
// Secret Service: unpinned, the library falls back silently to the kernel keyring, which forgets
// everything at reboot, which would lose every password without a word.
import { CdcredsError, StoreError } from "../../errors.js";
import { requireNow } from "../../platform/require.js";
import type { ProbeStep, SecretStore, StoreDeps } from "../types.js";
import type { KeyringBinding } from "./binding.js";
import { windowsCredentials, type WindowsCredentials } from "./windows.js";

export type { KeyringBinding } from "./binding.js";

/** What the keychain store depends on; tests replace the binding to see how it is called. */
export interface KeychainDeps {
  /** Loads the native binding; default: a lazy `require` (an ESM import of it costs ~60 ms). */
  loadBinding?: () => KeyringBinding;
  platform?: NodeJS.Platform;
  /** Waits between tries of a call the Secret Service did not answer; default: a timer. */
  sleep?: (ms: number) => Promise<void>;
}

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// Ignored on other platforms: passing it everywhere keeps one code path.
const PINNED = { linux: { store: "secret-service" as const } };

// A throwaway entry written and removed by check(); per process, so concurrent runs never collide.
const PROBE_SERVICE = "cdcreds-probe";

/** Searches of a service made before giving up, when entries keep vanishing under them. */
const SEARCH_TRIES = 3;
const VANISHED_ITEM = /No such interface .?org\.freedesktop\.Secret\.Item|UnknownObject|Object does not exist at path/;
/**
 * The Secret Service gave no answer: the binding waits 2 s for each D-Bus call, which a daemon busy
 * with many clients can miss, and gnome-keyring 42 can crash when many clients use it at once. Both
 * pass: the call is tried again. After a crash, a desktop's D-Bus activation starts another daemon,
 * with the keyring locked: the call tried again then brings up its unlock prompt, as any would.
 * A daemon that never answers costs ~7 s a call (three tries) before exit 5.
 */
const NO_ANSWER = /Did not receive a reply|disconnected from message bus without replying|Error\.NoReply/i;
/** Pauses before the second and third try of a call the Secret Service did not answer. */
const NO_ANSWER_PAUSES_MS = [250, 750];

const WAYS_OUT = "or use `--store file`, or set CDISCOUNT_API_LOGIN and CDISCOUNT_API_PASSWORD in the environment";

/** Describes the keychain of a platform, as `doctor` shows it. */
function describe(platform: NodeJS.Platform): string {
  if (platform === "darwin") return "macOS Keychain";
  if (platform === "win32") return "Windows Credential Manager";
  return "Secret Service on the D-Bus session bus";
}

/**
 * Turns a failure of the binding into a StoreError (exit 5) saying what to do, in that OS's terms.
 * Library messages name the platform store and never carry a secret, so the detail is safe to print.
 */
export function keychainError(error: unknown, platform: NodeJS.Platform = process.platform): StoreError {
  const detail = error instanceof Error ? error.message : String(error);
  if (platform === "darwin") return macError(error, detail);
  if (platform === "win32") return windowsError(error, detail);
  // Before "locked": the message of a call with no answer says the bus may have "blocked" it.
  if (NO_ANSWER.test(detail)) {
    return new StoreError("the Secret Service did not answer: it stopped, or was too busy to answer within 2 s", {
      hint: `try again; if it keeps failing, restart it (log out and in, or \`gnome-keyring-daemon --replace\`), ${WAYS_OUT}`,
      cause: error,
    });
  }
  // A search meeting a locked item says so in D-Bus words ("org.freedesktop.Secret.Error.IsLocked").
  if (/unlock prompt was dismissed|\blocked|IsLocked/i.test(detail)) {
    return new StoreError("the keyring is locked", {
      hint: `unlock it (log in to the desktop session, or pipe its password to \`gnome-keyring-daemon --replace --unlock\`), ${WAYS_OUT}`,
      cause: error,
    });
  }
  if (/dbus|d-bus|org\.freedesktop|failed to connect to address/i.test(detail) && !/Secret Service:/.test(detail)) {
    return new StoreError(
      "no Secret Service is reachable: there is no D-Bus session bus, or nothing on it provides org.freedesktop.secrets",
      {
        hint: `start a Secret Service (log in to a desktop session, or run gnome-keyring-daemon inside \`dbus-run-session\`), ${WAYS_OUT}`,
        cause: error,
      },
    );
  }
  if (/no result found/i.test(detail)) {
    // gnome-keyring started without --unlock has no default collection to write into.
    return new StoreError("the Secret Service has no unlocked default keyring (it was never created or unlocked)", {
      hint: `unlock it (e.g. pipe a password to \`gnome-keyring-daemon --replace --unlock\`), ${WAYS_OUT}`,
      cause: error,
    });
  }
  return new StoreError(`the ${describe(platform)} failed: ${detail}`, { hint: WAYS_OUT, cause: error });
}

/** The macOS Keychain's failures: locked, or no desktop session to ask for consent (ssh, cron). */
function macError(error: unknown, detail: string): StoreError {
  if (/interaction is not allowed|-25308/i.test(detail)) {
    return new StoreError("the macOS Keychain needs a desktop session to ask for consent, and there is none (ssh, cron, a launchd job)", {
      hint: `run \`security unlock-keychain\` in this session first, ${WAYS_OUT}`,
      cause: error,
    });
  }
  if (/locked|-25293|passphrase you entered/i.test(detail)) {
    return new StoreError("the macOS Keychain is locked", {
      hint: `unlock it (log in to the desktop, or run \`security unlock-keychain\`), ${WAYS_OUT}`,
      cause: error,
    });
  }
  return new StoreError(`the macOS Keychain failed: ${detail}`, { hint: WAYS_OUT, cause: error });
}

/** The Credential Manager's failures: a logon session without one (a scheduled task that stores no password). */
function windowsError(error: unknown, detail: string): StoreError {
  if (/logon session|1312|0x80070520/i.test(detail)) {
    return new StoreError(
      "this Windows logon session has no Credential Manager (a scheduled task set not to store the password, a service)",
      {
        hint: `run it as a user with a loaded profile (a task set to store the password), ${WAYS_OUT}`,
        cause: error,
      },
    );
  }
  return new StoreError(`the Windows Credential Manager failed: ${detail}`, { hint: WAYS_OUT, cause: error });
}

/**
 * The package holding the binary for this platform, where its name is certain: the library's own
 * loader finds it by trying names with failing requires, which measured ~3.5 ms a run.
 */
const PLATFORM_PACKAGES: Partial<Record<string, string>> = {
  "linux-x64": "@napi-rs/keyring-linux-x64-gnu",
  "linux-arm64": "@napi-rs/keyring-linux-arm64-gnu",
  "darwin-x64": "@napi-rs/keyring-darwin-x64",
  "darwin-arm64": "@napi-rs/keyring-darwin-arm64",
};

/**
 * Loads the binding: the platform's package when it is installed and loads (a musl system has
 * the -musl one instead), else through the library's loader, which knows every platform and its
 * NAPI_RS_NATIVE_LIBRARY_PATH override. Both give the same native module.
 */
function requireBinding(): KeyringBinding {
  const direct =
    process.env.NAPI_RS_NATIVE_LIBRARY_PATH === undefined ? PLATFORM_PACKAGES[`${process.platform}-${process.arch}`] : undefined;
  if (direct !== undefined) {
    try {
      return requireNow(direct) as KeyringBinding;
    } catch {
      // not installed, or not loadable here: the library's loader decides
    }
  }
  return requireNow("@napi-rs/keyring") as KeyringBinding;
}

/**
 * Entries created between two forced collections. Each `Entry` of the binding holds a D-Bus
 * connection of its own (a Secret Service store made for it, keyring-rs's default store), which
 * only its finalizer closes, when V8 collects the object: a CLI's small heap is never collected,
 * so connections piled up. At the 1,000th, the bundled libdbus waits with select() on descriptor
 * 1,024 (FD_SETSIZE), which spins at 100 % CPU in native code where no signal is handled; with a
 * lower descriptor limit, writes fail instead. A collection every 32 keeps under 60 descriptors
 * open, for ~6 ms per 32 writes that take 6 ms or more each.
 */
const ENTRIES_PER_COLLECTION = 32;
/** Entries this process created since the last collection, by any store. */
let entriesOpened = 0;
/** `gc`, once found; null where this Node does not give it. */
let collect: (() => void) | null | undefined;

/**
 * Runs a full garbage collection, so the entries no one holds are finalized (their finalizers run
 * on the next turn of the event loop) and their connections closed. Node offers no way to close
 * them, nor to collect without --expose-gc, so the flag is set now and `gc` taken from a new
 * context, which has it. Should this Node refuse, nothing is collected: as before.
 */
function collectEntries(): void {
  if (collect === undefined) {
    try {
      (requireNow("node:v8") as typeof import("node:v8")).setFlagsFromString("--expose-gc");
      const gc: unknown = (requireNow("node:vm") as typeof import("node:vm")).runInNewContext("gc");
      collect = typeof gc === "function" ? (gc as () => void) : null;
    } catch {
      collect = null;
    }
  }
  collect?.();
}

/**
 * Before each keychain operation: a collection when enough entries were made since the last, then
 * one turn of the event loop, in which their finalizers run, and so does the handler of a signal
 * received meanwhile: without it, a batch of synchronous calls held off Ctrl-C (an `import`
 * stopped only once the whole file was stored).
 */
function beforeOperation(): Promise<void> {
  if (entriesOpened >= ENTRIES_PER_COLLECTION) {
    entriesOpened = 0;
    collectEntries();
  }
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A new entry. Creating one connects to D-Bus, so it fails right here when no session bus exists.
 * It is never kept: once the operation returns, a collection can close its connection.
 */
function openEntry(b: KeyringBinding, service: string, account: string): InstanceType<KeyringBinding["Entry"]> {
  entriesOpened++;
  return new b.Entry(service, account, PINNED);
}

/**
 * On macOS, the binding answers null both when there is no item and when the Keychain refused its
 * secret (the access prompt denied, or no GUI session to show it: items trust the program that
 * made them). `security find-generic-password` without `-w` reads the item's attributes only,
 * which needs no one's consent, and tells the two apart (exit 44: no such item).
 * @throws {StoreError} when the item is there but its secret was refused.
 */
function refusedOnMac(service: string, account: string): void {
  const { spawnSync } = requireNow("node:child_process") as typeof import("node:child_process");
  const found = spawnSync("/usr/bin/security", ["find-generic-password", "-s", service, "-a", account], {
    stdio: "ignore",
    timeout: 10_000,
    env: { PATH: "/usr/bin:/bin" }, // none of the caller's variables (a passphrase, a password)
  });
  if (found.status !== 0) return; // none, or `security` could not say: "not stored", as the binding said
  throw new StoreError(`the macOS Keychain holds ${account}'s item of ${service} but did not give its secret to cdcreds`, {
    hint: 'allow it when macOS asks ("Always Allow"), or add node to the item\'s Access Control in Keychain Access; without a desktop session (ssh, cron), run `security unlock-keychain` first, or use `--store file`',
  });
}

/** Opens the OS keychain store. Nothing is loaded or connected until the first use. */
export function openKeychainStore(deps: KeychainDeps = {}): SecretStore {
  const platform = deps.platform ?? process.platform;
  const secretService = platform !== "darwin" && platform !== "win32";
  let binding: KeyringBinding | undefined;

  /**
   * Runs one keychain operation; any failure, loading the binding included, rejects with a
   * StoreError. The binding's synchronous calls are used: a CLI has nothing to do meanwhile, and
   * they skip the thread-pool hop of its async ones, and beforeOperation lets the event loop turn.
   * The operation learns how many tries before it went unanswered (NO_ANSWER).
   */
  const attempt = async <T>(operation: (b: KeyringBinding, unanswered: number) => T): Promise<T> => {
    for (let tries = 0; ; tries++) {
      try {
        binding ??= (deps.loadBinding ?? requireBinding)();
        await beforeOperation();
        return operation(binding, tries);
      } catch (error) {
        if (error instanceof CdcredsError) throw error; // already says what to do (windows.ts)
        // A write tried again is the same write: the entry holds the same secret either way.
        const pause = secretService && NO_ANSWER.test(String(error)) ? NO_ANSWER_PAUSES_MS[tries] : undefined;
        if (pause === undefined) throw keychainError(error, platform);
        await (deps.sleep ?? wait)(pause);
      }
    }
  };

  // On Windows, the naming Python's keyring shares and the splitting of long secrets (windows.ts).
  // Never on Linux: there the binding's "target" names a Secret Service collection.
  let windows: WindowsCredentials | undefined;
  const onWindows = (b: KeyringBinding): WindowsCredentials | undefined =>
    platform === "win32" ? (windows ??= windowsCredentials(b, () => entriesOpened++)) : undefined;

  // What the last search of a service found (secrets included): a batch (`verify --all`) then
  // reads each account from it, where an Entry per read opens a connection of its own. This
  // process's own writes keep it true.
  const found = new Map<string, Map<string, string>>();

  const store: SecretStore = {
    id: "keychain",
    description: describe(platform),
    // An account the last search did not find is read all the same: a search can miss what a read
    // finds (macOS leaves out the items whose secret it refused), and `list` confirms with a read.
    get: (service, account) => {
      const searched = found.get(service)?.get(account);
      if (searched !== undefined) return Promise.resolve(searched);
      return attempt((b) => {
        const win = onWindows(b);
        if (win !== undefined) return win.get(service, account);
        const secret = openEntry(b, service, account).getPassword();
        if (secret === null && platform === "darwin") refusedOnMac(service, account);
        return secret ?? undefined;
      });
    },
    set: (service, account, secret) =>
      attempt((b) => {
        const win = onWindows(b);
        if (win === undefined) openEntry(b, service, account).setPassword(secret);
        else win.set(service, account, secret);
        found.get(service)?.set(account, secret);
      }),
    delete: (service, account) =>
      attempt((b, unanswered) => {
        found.get(service)?.delete(account);
        const deleted = onWindows(b)?.delete(service, account) ?? openEntry(b, service, account).deleteCredential();
        // A try with no answer is not undone: the daemon may have deleted the entry meanwhile.
        return deleted || unanswered > 0;
      }),
    // One search and one connection for the whole service, where an Entry per account opens a
    // connection (and a Secret Service session) each. On Linux it only ever asks the Secret
    // Service: it has no kernel-keyring fallback to pin away. A locked item fails the whole search.
    // An entry another process removes between the search and the read of its secret fails the
    // whole search (gnome-keyring: "No such interface org.freedesktop.Secret.Item"): search again.
    accounts: async (service) => {
      for (let tries = 1; ; tries++) {
        try {
          return await attempt((b) => {
            const win = onWindows(b);
            if (win !== undefined) {
              const held = win.accounts(service);
              found.set(service, held);
              return [...held.keys()];
            }
            const credentials = b.findCredentials(service);
            found.set(service, new Map(credentials.map((c) => [c.account, c.password])));
            return credentials.map((c) => c.account);
          });
        } catch (error) {
          if (tries >= SEARCH_TRIES || !VANISHED_ITEM.test(String((error as StoreError).cause))) throw error;
        }
      }
    },

    // A read alone cannot tell a locked keyring (it answers "nothing there" for a missing entry),
    // so the probe writes and removes an entry: the one check that proves a later `set` can work.
    // On a desktop, a locked keyring then shows its unlock prompt, as it would for the real write.
    async probe() {
      const account = `check-${process.pid}`;
      const failed = (name: string, error: unknown): ProbeStep => ({
        name,
        ok: false,
        detail: (error as StoreError).message,
        problem: error as StoreError,
      });
      const reachable: ProbeStep = { name: "keychain reachable", ok: true, detail: "connected" };
      try {
        await attempt((b) => openEntry(b, PROBE_SERVICE, account).getPassword());
      } catch (error) {
        return [failed(reachable.name, error)];
      }
      const unlocked: ProbeStep = { name: "keychain unlocked", ok: true, detail: "a test entry was written and removed" };
      try {
        await attempt((b) => {
          const probe = openEntry(b, PROBE_SERVICE, account);
          probe.setPassword("probe");
          probe.deleteCredential();
        });
      } catch (error) {
        return [reachable, failed(unlocked.name, error)];
      }
      return [reachable, unlocked];
    },

    async check() {
      const problem = (await store.probe()).find((step) => !step.ok)?.problem;
      if (problem !== undefined) throw problem;
    },
  };
  return store;
}

/** The store registry's way in (stores/index.ts). */
export const openStore = (_deps: StoreDeps): Promise<SecretStore> => Promise.resolve(openKeychainStore());
