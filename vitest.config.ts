import { readFileSync } from "node:fs";
import { defineConfig } from "vitest/config";

const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };

export default defineConfig({
  define: { CDCREDS_VERSION: JSON.stringify(version) },
  test: {
    include: ["test/**/*.test.ts"],
    // Not a budget: a limit for a test that hangs. Three files at a time on two cores stretch a
    // test's time; on a machine busy with other work, one of 12 s took over 30.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Files run side by side, as many at a time as scripts/with-keyring.sh started keyrings (one
    // more than the cores, at most 4), each worker on a keyring of its own (worker-keyring.ts):
    // gnome-keyring-daemon 42.1 (Debian's) can crash when many clients use it at once
    // ("gkd_secret_service_get_pkcs11_session: assertion 'client' failed", then a GLib-ERROR,
    // status 133), and a file sharing that daemon failed. Outside with-keyring.sh (no keyring at
    // all), one file at a time.
    maxWorkers: Number(process.env.CDCREDS_TEST_KEYRINGS) || 1,
    setupFiles: ["test/support/worker-keyring.ts"],
  },
});
