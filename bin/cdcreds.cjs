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
const { closeSync, constants, fstatSync, openSync, readFileSync, realpathSync, statSync } = require("node:fs");
const Module = require("node:module");
const { dirname, join } = require("node:path");

const DIST = join(__dirname, "..", "dist");
const BUNDLE = join(DIST, "cli.cjs");
const CODE_CACHE = join(DIST, `cli.cjs.v8-${process.versions.v8}.cache`);

/**
 * This user's code cache folder, and the name of the file for this V8 and this bundle (its size and
 * mtime name it: V8 itself checks only the source's length), or undefined when there is no home to
 * put it in.
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
  return { dir, prefix, file: `${prefix}${size}-${Math.trunc(mtimeMs)}.cache` };
}

/**
 * Whether `dir` (a real path: no links in it) can hold code for this user to run: it and every
 * folder above it belong to this user or root and no one else can write to them, as ssh and sudo
 * judge a path. Another user able to rename any of them could put a folder of their own in its
 * place. A folder writable by all but sticky and root's (/tmp) is the one exception: there, only
 * an entry's owner can rename it, and the entry below it on the path was checked.
 */
function trustedPath(dir, uid) {
  for (let current = dir, below; ; below = current, current = dirname(current)) {
    const { uid: owner, mode } = statSync(current);
    if (owner !== uid && owner !== 0) return false;
    if ((mode & 0o022) !== 0 && !(owner === 0 && (mode & 0o1000) !== 0 && below !== undefined)) return false;
    if (current === dirname(current)) return true;
  }
}

/**
 * This user's cache folder, its links resolved, when it is safe to read and write (trustedPath);
 * else undefined, and the cache is neither read nor written. Throws when the folder does not exist.
 * Windows has no owner to check: the folder is used as it is.
 */
function ownCacheDir(dir) {
  if (typeof process.getuid !== "function") return dir;
  const real = realpathSync.native(dir);
  return trustedPath(real, process.getuid()) ? real : undefined;
}

/**
 * The cache: the file of this user's folder, opened without following a link, and read only when
 * what was opened is a regular file of this user's that no one else can write. Undefined when it
 * is not; throws when there is no cache yet.
 */
function readOwnCache(dir, file) {
  if (typeof process.getuid !== "function") return readFileSync(join(dir, file));
  // O_NONBLOCK: a FIFO there would otherwise hold the open until some writer came.
  const fd = openSync(join(dir, file), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const info = fstatSync(fd);
    if (!info.isFile() || info.uid !== process.getuid() || (info.mode & 0o022) !== 0) return undefined;
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * At exit (what the command compiled is in V8's cache by then), writes this user's cache: its
 * folder private and checked as for reading, the file whole or not at all (a temporary file
 * renamed), older bundles' files (for this V8; other Nodes keep theirs) removed. Any failure
 * leaves things as they were.
 */
function writeCacheAtExit(script, { dir, prefix, file }) {
  process.once("exit", () => {
    try {
      const fs = require("node:fs");
      let above = dirname(dir); // nothing is made in a folder that is not safe either
      while (!fs.existsSync(above)) above = dirname(above);
      if (ownCacheDir(above) === undefined) return;
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const real = ownCacheDir(dir);
      if (real === undefined) return;
      const temporary = join(real, `${file}.${process.pid}.tmp`);
      fs.writeFileSync(temporary, script.createCachedData(), { mode: 0o600, flag: "wx" });
      fs.renameSync(temporary, join(real, file));
      for (const name of fs.readdirSync(real)) {
        if (name.startsWith(prefix) && name !== file && !name.endsWith(".tmp")) fs.rmSync(join(real, name), { force: true });
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
        const dir = user === undefined ? undefined : ownCacheDir(user.dir);
        if (dir === undefined)
          user = undefined; // a folder that is not safe gets nothing written either
        else cachedData = readOwnCache(dir, user.file);
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
  // SIGUSR1 would open Node's inspector on 127.0.0.1:9229, where any local user could read this
  // process's memory (the password an `exec` holds while its program runs). A listener takes the
  // place of the inspector's handler: the signal is ignored.
  process.on("SIGUSR1", () => {});
  const old = tooOld();
  if (old !== undefined) {
    process.stderr.write(old);
    process.exit(70);
  }
  let cli;
  try {
    cli = loadCli().cli;
  } catch (error) {
    // Installed with --ignore-scripts (or a clone never built): one line naming the fix, not a stack trace.
    if (error?.code !== "ENOENT" || error.path !== BUNDLE) throw error;
    process.stderr.write(`error: cdcreds is not built (${BUNDLE} is missing): run \`npm run build\` in ${dirname(DIST)}\n`);
    process.exit(70);
  }
  cli.main(process.argv);
} else module.exports = { loadCli, tooOld, CODE_CACHE };
