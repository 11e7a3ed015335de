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
    // Most files spend their time waiting on what they spawn (the built binary, gpg, pass, git) and on
    // loopback servers: three files at a time keep two cores busy, where vitest's default on two
    // cores is one. They share the one gnome-keyring of scripts/with-keyring.sh, each under names of
    // its own (uniqueLogin), and every other folder is a test's own.
    maxWorkers: 3,
  },
});
