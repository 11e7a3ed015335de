// Builds dist/ with esbuild (docs/performance.md says what each part saves):
//
// - dist/cli.cjs: the CLI in one CommonJS file. Each command is imported lazily in src/cli/program.ts;
//   esbuild keeps such a module in the file but runs its code only when it is imported. CommonJS,
//   because on Node 20 an ESM entry and its chunks measured ~25 ms more than one CommonJS file.
// - dist/vendor/inquirer-prompts.cjs: the prompts alone, read only by the commands that ask: parsed
//   with the CLI, it and undici (2 MB) measured ~50 ms on every run. undici (only for a proxy) is a dependency of the
//   package, required where it is used by the CLI and the library alike: one copy in an install, and
//   the library's public types (a caller's own dispatcher) resolve.
// - dist/cli.cjs.v8-<version>.cache: V8's code cache of the bundle, made by (and for) the Node that
//   builds, for bin/cdcreds.cjs (~8 ms less per run); another Node uses its own compile cache.
// - dist/index.js and dist/chunks/: the library (ESM, the package's export), split the same way.
//
// The native keychain binding and undici stay real packages, loaded with require where they are needed.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isCommanderFile } from "./build-rules.mjs";

const { version } = JSON.parse(await readFile("package.json", "utf8"));

/** Packages the CLI takes from dist/vendor/: the file's name there, without .cjs. */
const VENDORED = { "@inquirer/prompts": "inquirer-prompts" };
/**
 * What src/cli/prompt.ts imports of each: only these are bundled (the package is free of side
 * effects), so the editor prompt's encoding tables, never used, stay out.
 */
const VENDORED_EXPORTS = { "@inquirer/prompts": ["confirm", "input", "password"] };

/**
 * Start-up work no command needs, cut out of the CLI bundle:
 * - chalk's own colour probe (`#supports-color`) loads `node:tty` and with it the streams stack;
 *   cdcreds always gives chalk its colour level (src/cli/ui.ts), so chalk gets the probe's inert
 *   variant.
 * - commander requires `child_process` when loaded, for stand-alone subcommand executables, which
 *   cdcreds does not use; it gets it on first use instead.
 * - A vendored package, or a Node built-in imported with `await import()`, becomes a `require` run
 *   when first imported: left as `import()`, each would start Node's ESM loader.
 */
const trimStartup = {
  name: "cdcreds-trim-startup",
  setup(b) {
    // A module made of one line of code; what it requires stays outside the bundle.
    const virtual = (name, contents) => ({ path: name, namespace: "cdcreds", pluginData: contents });
    b.onLoad({ filter: /.*/, namespace: "cdcreds" }, (args) => ({ contents: args.pluginData, loader: "js" }));
    b.onResolve({ filter: /.*/, namespace: "cdcreds" }, (args) => ({ path: args.path, external: true }));

    b.onResolve({ filter: /^#supports-color$/ }, (args) => ({ path: `${args.resolveDir}/vendor/supports-color/browser.js` }));
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      isCommanderFile(args.importer)
        ? virtual("child_process (on first use)", 'module.exports = { get spawn() { return require("node:child_process").spawn; } };')
        : undefined,
    );
    b.onResolve({ filter: /^@inquirer\/prompts$/ }, (args) =>
      virtual(args.path, `module.exports = require("./vendor/${VENDORED[args.path]}.cjs");`),
    );
    b.onResolve({ filter: /^undici$/ }, (args) => virtual(args.path, 'module.exports = require("undici");'));
    b.onResolve({ filter: /^node:/ }, (args) =>
      args.kind === "dynamic-import" ? virtual(args.path, `module.exports = require("${args.path}");`) : undefined,
    );
  },
};

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  external: ["@napi-rs/keyring", "undici"],
  define: { CDCREDS_VERSION: JSON.stringify(version) },
  legalComments: "none",
  logLevel: "warning",
  // Whitespace and syntax only: names stay, so a --debug stack trace still reads. Halves the
  // vendored prompts and the library, in the package and in what Node parses.
  minifyWhitespace: true,
  minifySyntax: true,
};

// Built beside dist/ and swapped in, so a cdcreds already running never finds dist/ half-empty.
const next = `dist.next-${process.pid}`;
const cli = await build({
  ...common,
  entryPoints: ["src/cli/main.ts"],
  outfile: `${next}/cli.cjs`,
  format: "cjs",
  // src/platform/require.ts resolves from import.meta.url, which CommonJS spells __filename
  // (createRequire takes either; a file URL made at start-up measured 0.3 ms).
  define: { ...common.define, "import.meta.url": "__filename" },
  plugins: [trimStartup],
  metafile: true,
});
// bin/cdcreds.cjs compiles the bundle with vm.Script, where an import() would fail: none may be left.
const dynamicImports = Object.values(cli.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.kind === "dynamic-import"));
if (dynamicImports.length > 0) throw new Error(`dist/cli.cjs must not import(): ${dynamicImports.map((i) => i.path).join(", ")}`);
for (const [name, file] of Object.entries(VENDORED)) {
  await build({
    ...common,
    stdin: { contents: `export { ${VENDORED_EXPORTS[name].join(", ")} } from ${JSON.stringify(name)};`, resolveDir: process.cwd() },
    outfile: `${next}/vendor/${file}.cjs`,
    format: "cjs",
  });
}
await build({
  ...common,
  entryPoints: ["src/index.ts"],
  outdir: next,
  splitting: true,
  format: "esm",
  chunkNames: "chunks/[name]-[hash]",
  // CommonJS dependencies bundled into ESM need a real `require` for Node built-ins.
  banner: {
    js: 'import { createRequire as __cdcredsCreateRequire } from "node:module"; const require = __cdcredsCreateRequire(import.meta.url);',
  },
});
const old = `dist.old-${process.pid}`;
await rename("dist", old).catch(() => {});
await rename(next, "dist");
await rm(old, { recursive: true, force: true });

// The code cache holds what V8 compiled while this Node ran the commands below: the bundle's top
// level, commander, the shared code of every command, and a store's read path (a `get` from an
// encrypted file opened with a key file, in a throwaway folder: no keychain or network at build
// time). Functions left out compile on first call in every run: training on `get` took ~3 ms off a
// cached `token` from a key-file store. Made in a fresh process, as the cache must match the V8
// flags of a plain `node`; written atomically, beside the bundle.
const MAKE_CODE_CACHE = `
const { renameSync, writeFileSync } = require("node:fs");
const { loadCli, CODE_CACHE } = require("./bin/cdcreds.cjs");
const { cli, script } = loadCli({ train: true });
const run = (...args) => cli.buildProgram({}, args).parseAsync(["node", "cdcreds", ...args]);
(async () => {
  await run("derive", "bestshop");
  await run("--store", "file", "get", "training");
  writeFileSync(CODE_CACHE + ".tmp", script.createCachedData());
  renameSync(CODE_CACHE + ".tmp", CODE_CACHE);
})();`;
const training = await mkdtemp(join(tmpdir(), "cdcreds-build-"));
try {
  await writeFile(join(training, "key"), randomBytes(32), { mode: 0o600 });
  const env = {
    PATH: process.env.PATH,
    HOME: training,
    XDG_CONFIG_HOME: join(training, "config"),
    XDG_CACHE_HOME: join(training, "cache"),
  };
  const options = { stdio: ["pipe", "ignore", "pipe"], env: { ...env, CDCREDS_KEY_FILE: join(training, "key"), NO_COLOR: "1" } };
  // The account, stored by a process of its own: the write path stays out of the cache.
  const set = ["bin/cdcreds.cjs", "--store", "file", "set", "--no-verify", "--secret-stdin", "training"];
  execFileSync(process.execPath, set, { ...options, input: "a throwaway secret" });
  execFileSync(process.execPath, ["-e", MAKE_CODE_CACHE], options);
} catch (error) {
  process.stderr.write(error.stderr ?? ""); // a report ("✓ training-api ... stored") only when it failed
  throw error;
} finally {
  await rm(training, { recursive: true, force: true });
}
