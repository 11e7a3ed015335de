// Rules of scripts/build.mjs that tests check on their own (test/build-rules.test.ts): importing
// build.mjs would run the build.

/**
 * Whether esbuild's `importer` is a file of the commander package. A path as esbuild gives it: `/`
 * on Linux and macOS, `\` on Windows, where a test for `/node_modules/commander/` alone never
 * matched and the Windows build kept commander's start-up `require("child_process")`.
 * @param {string} importer
 * @returns {boolean}
 */
export const isCommanderFile = (importer) => /[\\/]node_modules[\\/]commander[\\/]/.test(importer);
