import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const DIST = fileURLToPath(new URL("../dist/", import.meta.url));

/** The files Node loads before running a command: the static import closure of the entry chunks. */
function staticClosure(entries: string[]): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    const code = readFileSync(file, "utf8");
    seen.set(file, code);
    for (const [, spec] of code.matchAll(/^import\s*(?:[^"';]*?from\s*)?["'](\.[^"']+)["'];?$/gm)) visit(join(dirname(file), spec!));
  };
  entries.forEach(visit);
  return seen;
}

/** The chunk a command's lazy `import("./commands/<name>.js")` loads. */
function commandChunk(name: string): string {
  const cli = readFileSync(join(DIST, "cli.js"), "utf8");
  const match = new RegExp(`import\\("(\\./chunks/${name}-[A-Z0-9]+\\.js)"\\)`).exec(cli);
  if (match === null) throw new Error(`no lazy chunk for ${name} in dist/cli.js`);
  return join(DIST, match[1]!);
}

describe("what `derive` loads (built bundle)", () => {
  const loaded = [...staticClosure([join(DIST, "cli.js"), commandChunk("derive")]).values()].join("\n");

  it("includes the derive command itself", () => {
    expect(loaded).toContain("already ends in -api");
  });

  it.each([
    ["the prompt library", "node_modules/@inquirer/"],
    ["the keychain binding", "@napi-rs/keyring"],
    ["the HTTP client", "node_modules/undici/"],
    ["zod", "node_modules/zod/"],
  ])("does not load %s", (_what, marker) => {
    expect(loaded).not.toContain(marker);
  });
});

// The hot paths of scripts (`PW=$(cdcreds get)`, `TOKEN=$(cdcreds token)`): a cached token needs no
// HTTP client, and a named login needs no account index (zod). Issue 7, README "Performance".
describe.each(["get", "token"])("what `%s` loads before it runs (built bundle)", (name) => {
  const loaded = [...staticClosure([join(DIST, "cli.js"), commandChunk(name)]).values()].join("\n");

  it.each([
    ["the prompt library", "node_modules/@inquirer/"],
    ["the HTTP client", "node_modules/undici/"],
    ["zod", "node_modules/zod/"],
  ])("does not load %s", (_what, marker) => {
    expect(loaded).not.toContain(marker);
  });
});

describe("the keychain binding (built bundle)", () => {
  const files = [join(DIST, "cli.js"), join(DIST, "index.js"), ...readdirSync(join(DIST, "chunks")).map((f) => join(DIST, "chunks", f))];
  const code = files.map((f) => readFileSync(f, "utf8")).join("\n");

  // An ESM import of this CommonJS native package measured ~60 ms on Node 20; createRequire does not.
  it("is loaded with createRequire, never through an ESM import", () => {
    expect(code).toContain('createRequire(import.meta.url)("@napi-rs/keyring")');
    expect(code).not.toMatch(/\bfrom\s*["']@napi-rs\/keyring["']|import\s*\(\s*["']@napi-rs\/keyring["']\s*\)|^import\s*["']@napi-rs\/keyring["']/m);
  });
});
