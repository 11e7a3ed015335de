#!/usr/bin/env node
"use strict";
// The cdcreds command. CommonJS, like dist/cli.cjs: an ESM entry costs a measurable part of the
// start-up. The bundle is compiled from V8's code cache (docs/performance.md):
// - the one scripts/build.mjs made, when this Node's V8 built the package
//   (dist/cli.cjs.v8-<version>.cache);
// - else this user's own, made by the first run on this Node and this bundle, in
//   `$XDG_CACHE_HOME/cdcreds/code-cache/` (a published package runs on Nodes it was not built by).
//   Node's own compile cache does the same job, and measured ~2.5 ms slower a run on Node 24.
// A cache is only ever an optimisation: one that cannot be read, is refused by V8, or cannot be
// written changes nothing but the time. It holds compiled code, never a value the program handled.
const { readFileSync, statSync } = require("node:fs");
const Module = require("node:module");
const { join } = require("node:path");

const DIST = join(__dirname, "..", "dist");
const BUNDLE = join(DIST, "cli.cjs");
const CODE_CACHE = join(DIST, `cli.cjs.v8-${process.versions.v8}.cache`);

/**
 * This user's code cache folder and the file for this V8 and this bundle (its size and mtime name
 * it: V8 itself checks only the source's length), or undefined when there is no home to put it in.
 */
function userCache(env = process.env) {
  const base =
    process.platform === "win32"
      ? env.LOCALAPPDATA
      : env.XDG_CACHE_HOME?.startsWith("/")
        ? env.XDG_CACHE_HOME
        : env.HOME?.startsWith("/")
          ? join(env.HOME, ".cache")
          : undefined;
  if (base === undefined || base === "") return undefined;
  const dir = join(base, "cdcreds", "code-cache");
  const { size, mtimeMs } = statSync(BUNDLE);
  const prefix = `cli-v8-${process.versions.v8}-`;
  return { dir, prefix, file: join(dir, `${prefix}${size}-${Math.trunc(mtimeMs)}.cache`) };
}

/**
 * The cache, or undefined when its folder is not this user's alone: it is code to run, so a folder
 * another user could write to is neither read nor written (as ssh treats ~/.ssh). Throws when
 * there is no cache yet.
 */
function readOwnCache({ dir, file }) {
  if (typeof process.getuid === "function") {
    const { uid, mode } = statSync(dir);
    if (uid !== process.getuid() || (mode & 0o022) !== 0) return undefined;
  }
  return readFileSync(file);
}

/**
 * At exit (what the command compiled is in V8's cache by then), writes this user's cache: its
 * folder private, the file whole or not at all (a temporary file renamed), older bundles' files
 * (for this V8; other Nodes keep theirs) removed. Any failure leaves things as they were.
 */
function writeCacheAtExit(script, { dir, prefix, file }) {
  process.once("exit", () => {
    try {
      const fs = require("node:fs");
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const temporary = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(temporary, script.createCachedData(), { mode: 0o600, flag: "wx" });
      fs.renameSync(temporary, file);
      for (const name of fs.readdirSync(dir)) {
        if (name.startsWith(prefix) && join(dir, name) !== file && !name.endsWith(".tmp")) fs.rmSync(join(dir, name), { force: true });
      }
    } catch {
      // no cache this time: the next run compiles the bundle again, and tries again
    }
  });
}

/**
 * The oldest Node that runs cdcreds, as package.json's `engines` says: undici needs 20.18.1. The
 * supported lines are 22, 24 and 26; 20 (end of life, still what Debian ships) is tested too.
 */
const OLDEST = [20, 18, 1];

/** A message when this Node is too old for cdcreds, else undefined. */
function tooOld(version = process.versions.node) {
  const parts = version.split(".").map(Number);
  const index = OLDEST.findIndex((part, i) => parts[i] !== part);
  if (index === -1 || parts[index] > OLDEST[index]) return undefined;
  return `error: cdcreds needs Node.js ${OLDEST.join(".")} or later (22, 24 or 26 are the supported lines); this is Node.js ${version}\n`;
}

/**
 * Runs dist/cli.cjs as Node's loader would; returns its exports and the compiled script. `train`
 * compiles it with no cache, for the build to make one.
 */
function loadCli({ train = false } = {}) {
  let cachedData;
  let user;
  if (!train) {
    try {
      cachedData = readFileSync(CODE_CACHE);
    } catch {
      try {
        user = userCache();
        cachedData = user === undefined ? undefined : readOwnCache(user);
        if (cachedData === undefined) user = undefined; // a folder that is not ours gets nothing written either
      } catch {
        // none yet, or not ours: made at exit
      }
    }
  }
  const { Script } = require("node:vm");
  const script = new Script(Module.wrap(readFileSync(BUNDLE, "utf8")), { filename: BUNDLE, cachedData });
  if (user !== undefined && (cachedData === undefined || script.cachedDataRejected === true)) writeCacheAtExit(script, user);
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
