// The Windows lane (scripts/windows-lane.sh): the files of test/windows/, each run by the
// registry's Windows Node under Wine. Not part of `npm test`: it needs what the lane script prepares.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/windows/*.lane.ts"],
    // Each command starts a Windows process under Wine: 0.6-2 s, more on a busy machine.
    testTimeout: 300_000,
    hookTimeout: 120_000,
    maxWorkers: 1,
  },
});
