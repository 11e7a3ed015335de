// The set-up most end-to-end tests share: per test, a temp config folder (given as XDG_CONFIG_HOME)
// and a fresh token-service emulator; after the file, its logins are cleared from the test keyring.
import { expect, afterAll, afterEach, beforeEach } from "vitest";
import { runCli, type CliOptions, type CliResult } from "./cli.js";
import { startEmulator, type Emulator } from "./emulator.js";
import { clearLogins, sentinel, tempConfig, uniqueLogin } from "./store-helpers.js";

/** What {@link useSandbox} provides; `config` and `sts` are new for each test. */
export interface Sandbox {
  config: Awaited<ReturnType<typeof tempConfig>>;
  sts: Emulator;
  /** API logins the file stored: cleared from the keyring after its last test. */
  apiLogins: string[];
  /** Runs cdcreds against this test's emulator (no retries) with this test's config folder. */
  cdcreds: (args: string[], options?: CliOptions) => Promise<CliResult>;
  /** A new API login no other test uses, cleared from the keyring after the file. */
  newLogin: (name: string) => string;
  /** A new login with a sentinel password stored unchecked, which the emulator then accepts. */
  storedAccount: (name: string) => Promise<{ api: string; password: string }>;
}

/** Registers the hooks of the shared set-up in the calling test file. */
export function useSandbox(): Sandbox {
  const box: Sandbox = {
    apiLogins: [],
    cdcreds: (args, options = {}) =>
      runCli(["--auth-url", box.sts.url, "--retries", "0", ...args], {
        ...options,
        env: { XDG_CONFIG_HOME: box.config.dir, ...options.env },
      }),
    newLogin: (name) => {
      const api = `${uniqueLogin(name)}-api`;
      box.apiLogins.push(api);
      return api;
    },
    storedAccount: async (name) => {
      const api = box.newLogin(name);
      const password = sentinel();
      const stored = await box.cdcreds(["set", "--no-verify", "--password-stdin", api], { input: password });
      expect(stored.code, stored.stderr).toBe(0);
      box.sts.setCredentials(api, password);
      return { api, password };
    },
  } as Omit<Sandbox, "config" | "sts"> as Sandbox;
  beforeEach(async () => {
    box.config = await tempConfig();
    box.sts = await startEmulator();
  });
  afterEach(async () => {
    await box.sts.close();
    await box.config.remove();
  });
  afterAll(() => clearLogins(box.apiLogins));
  return box;
}
