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
    // Three files at a time: the end-to-end files spend much of their time waiting on the
    // processes they start, so three side by side keep two cores busy. Measured on 2 cores: 407 s
    // one at a time, 218-233 s two at a time, 199-229 s three. The files share the one throwaway keyring,
    // each under names of its own (docs/development.md).
    maxWorkers: 3,
  },
});
