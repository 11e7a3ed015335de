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
    // One file at a time. Three at a time measured no faster on this 2-core machine (382 s against
    // 390 s, the suite needs ~306 s of CPU), and each file added since was written for a run of its
    // own; the files are kept fit for workers (docs/development.md) for a machine with more cores.
    maxWorkers: 1,
  },
});
