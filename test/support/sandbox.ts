// The set-up most end-to-end tests share: per test, a temp config folder (given as XDG_CONFIG_HOME)
// and a fresh token-service emulator; after the file, its logins are cleared from the test keyring.
import { afterAll, afterEach, beforeEach } from "vitest";
import { startEmulator, type Emulator } from "./emulator.js";
import { clearLogins, tempConfig } from "./store-helpers.js";

/** What {@link useSandbox} provides; `config` and `sts` are new for each test. */
export interface Sandbox {
  config: Awaited<ReturnType<typeof tempConfig>>;
  sts: Emulator;
  /** API logins the file stored: cleared from the keyring after its last test. */
  apiLogins: string[];
}

/** Registers the hooks of the shared set-up in the calling test file. */
export function useSandbox(): Sandbox {
  const box = { apiLogins: [] as string[] } as Sandbox;
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
