#!/usr/bin/env node
"use strict";
// The cdcreds command. CommonJS, like dist/cli.cjs: on Node 20 an ESM entry costs a measurable part
// of the start-up. The bundle is compiled from V8's code cache (dist/cli.cjs.cache, made by
// scripts/build.mjs) when one exists for this Node; V8 itself refuses a cache made by another
// version or for other source, and the bundle is then compiled as usual (README, "Performance").
const { readFileSync } = require("node:fs");
const { createRequire, wrap } = require("node:module");
const { join } = require("node:path");
const { Script } = require("node:vm");

const DIST = join(__dirname, "..", "dist");
const BUNDLE = join(DIST, "cli.cjs");
const CODE_CACHE = `${BUNDLE}.cache`;

/** Runs dist/cli.cjs as Node's loader would; returns its exports and the compiled script. */
function loadCli() {
  let cachedData;
  try {
    cachedData = readFileSync(CODE_CACHE);
  } catch {
    // no cache: compiled as usual
  }
  const script = new Script(wrap(readFileSync(BUNDLE, "utf8")), { filename: BUNDLE, cachedData });
  const bundle = { exports: {} };
  script.runInThisContext().call(bundle.exports, bundle.exports, createRequire(BUNDLE), bundle, BUNDLE, DIST);
  return { cli: bundle.exports, script };
}

if (require.main === module) loadCli().cli.main(process.argv);
else module.exports = { loadCli, CODE_CACHE };
