// Bundles the CLI and the library with esbuild: one small entry chunk per entry point, and one
// chunk per lazily imported command, so `cdcreds derive` loads neither prompts nor the keychain.
// Bundling measured faster than resolving many ESM/CJS modules at start-up (issue 7, README).
import { build } from "esbuild";
import { readFile, rename, rm } from "node:fs/promises";

const { version } = JSON.parse(await readFile("package.json", "utf8"));

// Built beside dist/ and swapped in, so a cdcreds already running never finds dist/ half-empty.
const next = `dist.next-${process.pid}`;
await build({
  entryPoints: ["src/cli.ts", "src/index.ts"],
  outdir: next,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // The native binding stays a real package; it is loaded with createRequire where it is needed.
  external: ["@napi-rs/keyring"],
  chunkNames: "chunks/[name]-[hash]",
  // CommonJS dependencies bundled into ESM need a real `require` for Node built-ins.
  banner: { js: 'import { createRequire as __cdcredsCreateRequire } from "node:module"; const require = __cdcredsCreateRequire(import.meta.url);' },
  define: { CDCREDS_VERSION: JSON.stringify(version) },
  legalComments: "none",
  logLevel: "warning",
});
const old = `dist.old-${process.pid}`;
await rename("dist", old).catch(() => {});
await rename(next, "dist");
await rm(old, { recursive: true, force: true });
