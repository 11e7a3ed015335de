#!/usr/bin/env node
"use strict";
// The cdcreds command. CommonJS, like dist/cli.cjs: an ESM entry costs a measurable part of the
// start-up. The bundle is compiled from V8's code cache made by scripts/build.mjs when there is one
// for this Node's V8 (dist/cli.cjs.v8-<version>.cache); on another Node 22 or later, Node's own
// compile cache takes over after the first run; else the bundle is compiled as usual (README,
// "Performance"). A cache is only ever an optimisation: one that cannot be read or written changes
// nothing but the time.
const { readFileSync } = require("node:fs");
const Module = require("node:module");
const { join } = require("node:path");

const DIST = join(__dirname, "..", "dist");
const BUNDLE = join(DIST, "cli.cjs");
const CODE_CACHE = join(DIST, `cli.cjs.v8-${process.versions.v8}.cache`);

/** The oldest Node that runs cdcreds: it uses what 20.12 brought (and is tested on 20, 22 and 24). */
const OLDEST = [20, 12];

/** A message when this Node is too old for cdcreds, else undefined. */
function tooOld(version = process.versions.node) {
  const [major, minor] = version.split(".").map(Number);
  if (major > OLDEST[0] || (major === OLDEST[0] && minor >= OLDEST[1])) return undefined;
  return `error: cdcreds needs Node.js ${OLDEST.join(".")} or later (22, 24 or 26 are the supported lines); this is Node.js ${version}\n`;
}

/**
 * Runs dist/cli.cjs as Node's loader would; returns its exports and, when it was compiled from
 * (or for) the code cache, the compiled script. `train` compiles it for the build to make a cache.
 */
function loadCli({ train = false } = {}) {
  let cachedData;
  try {
    if (!train) cachedData = readFileSync(CODE_CACHE);
  } catch {
    // no cache for this V8: Node's own compile cache, where there is one, does the same job
    if (typeof Module.enableCompileCache === "function") {
      Module.enableCompileCache();
      return { cli: require(BUNDLE), script: undefined };
    }
  }
  const { Script } = require("node:vm");
  const script = new Script(Module.wrap(readFileSync(BUNDLE, "utf8")), { filename: BUNDLE, cachedData });
  const bundle = { exports: {} };
  script.runInThisContext().call(bundle.exports, bundle.exports, Module.createRequire(BUNDLE), bundle, BUNDLE, DIST);
  return { cli: bundle.exports, script };
}

if (require.main === module) {
  const old = tooOld();
  if (old !== undefined) {
    process.stderr.write(old);
    process.exit(70);
  }
  loadCli().cli.main(process.argv);
} else module.exports = { loadCli, tooOld, CODE_CACHE };
