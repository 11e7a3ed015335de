// What each fast path loads, observed in the built binary as a user runs it (docs/performance.md,
// "How the start-up is kept short"): a preload records the Node built-ins and CommonJS files the process loaded. And
// the code cache the binary compiles from.
import { lstatSync, readdirSync, readFileSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { chmod, chown, cp, mkdir, mkdtemp, readFile, rename, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";
import { useSandbox } from "./support/sandbox.js";
import { uniqueLogin } from "./support/store-helpers.js";

const DIST = fileURLToPath(new URL("../dist/", import.meta.url));
const requireFromTest = createRequire(import.meta.url);
const PRELOAD = fileURLToPath(new URL("./support/record-loads.cjs", import.meta.url));
const box = useSandbox();

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cdcreds-loads-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

interface Loads {
  builtins: string[];
  files: string[];
}

/** Runs cdcreds and returns what it loaded; the command must succeed with that stdout. */
async function loadsOf(args: string[], expectedStdout: string, input?: string, extraEnv: Record<string, string> = {}): Promise<Loads> {
  const record = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  const env = { XDG_CONFIG_HOME: box.config.dir, NODE_OPTIONS: `--require ${PRELOAD}`, CDCREDS_TEST_LOADS: record, ...extraEnv };
  const result = await runCli(["--auth-url", box.sts.url, ...args], { env, input });
  expect(result).toMatchObject({ code: 0, stdout: expectedStdout });
  return JSON.parse(await readFile(record, "utf8")) as Loads;
}

const PASSWORD = "l4zy-l0ading!";
const VENDOR = { "the prompt library": "vendor/inquirer-prompts.cjs", "the HTTP client": "vendor/undici.cjs" };
/**
 * Built-ins no fast path needs, each measured at 3-10 % of a bare node start: the streams stack
 * (what `process.stdout`, colour detection and commander's loading bring in), crypto, http.
 */
const HEAVY_BUILTINS = ["tty", "net", "child_process", "stream", "crypto", "http"];
/** The files of dist/ a run required, relative to dist/ (bin/cdcreds.cjs compiles dist/cli.cjs itself, not through require). */
const distFiles = (files: string[]): string[] => files.filter((f) => f.startsWith(DIST)).map((f) => f.slice(DIST.length));

describe("`derive`", () => {
  it("loads the CLI bundle only: no vendored package, no keychain binding, no streams", async () => {
    const { builtins, files } = await loadsOf(["derive", "bestshop"], "bestshop-api\n");
    expect(distFiles(files)).toEqual([]);
    expect(files.filter((f) => f.includes("node_modules"))).toEqual([]);
    expect(builtins.filter((m) => HEAVY_BUILTINS.includes(m))).toEqual([]);
  });
});

/** A new login whose password was checked with the emulator and stored, as `set` does. */
async function storedLogin(): Promise<string> {
  const login = uniqueLogin("lazy");
  box.apiLogins.push(`${login}-api`);
  expect((await box.cdcreds(["set", "--password-stdin", login], { input: PASSWORD })).code).toBe(0);
  return login;
}

// The hot paths of scripts (`PW=$(cdcreds get)`, `TOKEN=$(cdcreds token)`): a named login needs no
// account index, and a cached token needs no HTTP client.
describe("`get` and a cached `token`", () => {
  it.each(["get", "token"])("%s loads the keychain binding and nothing else it does not need", async (command) => {
    const login = await storedLogin();

    const { builtins, files } = await loadsOf([command, login], command === "get" ? `${PASSWORD}\n` : `${box.sts.token}\n`);
    expect(box.sts.requests).toHaveLength(1); // the token was cached by `set`: no request
    expect(files.some((f) => f.includes("@napi-rs/keyring"))).toBe(true);
    expect(distFiles(files)).toEqual([]);
    expect(builtins.filter((m) => HEAVY_BUILTINS.includes(m))).toEqual([]);
  });
});

/** Files of the keychain library's loader (node_modules/@napi-rs/keyring/), which probes for the binary. */
const LOADER = /\/@napi-rs\/keyring\//;

describe("the keychain binding", () => {
  const storedLogin = async (): Promise<string> => {
    const login = uniqueLogin("binding");
    box.apiLogins.push(`${login}-api`);
    expect(
      (
        await runCli(["--auth-url", box.sts.url, "set", "--no-verify", "--password-stdin", login], {
          input: PASSWORD,
          env: { XDG_CONFIG_HOME: box.config.dir },
        })
      ).code,
    ).toBe(0);
    return login;
  };

  const linuxX64 = process.platform === "linux" && process.arch === "x64";

  it.runIf(linuxX64)("is this platform's package, loaded without the library's probing loader", async () => {
    const { files } = await loadsOf(["get", await storedLogin()], `${PASSWORD}\n`);
    expect(files.filter((f) => f.includes("@napi-rs/keyring-linux-x64-gnu/"))).not.toEqual([]);
    expect(files.filter((f) => LOADER.test(f))).toEqual([]);
  });

  it.runIf(linuxX64)("goes through the library's loader when NAPI_RS_NATIVE_LIBRARY_PATH names the binary", async () => {
    const login = await storedLogin();
    const binary = requireFromTest.resolve("@napi-rs/keyring-linux-x64-gnu");
    const { files } = await loadsOf(["get", login], `${PASSWORD}\n`, undefined, { NAPI_RS_NATIVE_LIBRARY_PATH: binary });
    expect(files.filter((f) => LOADER.test(f))).not.toEqual([]);
  });
});

describe("`verify`", () => {
  it("loads the HTTP client of Node, not undici, when no proxy is set", async () => {
    const login = await storedLogin();

    const { builtins, files } = await loadsOf(["verify", login], "");
    expect(builtins).toContain("http");
    for (const [what, file] of Object.entries(VENDOR)) expect(files, what).not.toContain(join(DIST, file));
  });
});

describe("the code cache", () => {
  const ROOT = fileURLToPath(new URL("../", import.meta.url));
  /** Whether bin/cdcreds.cjs's loader, in a plain node, compiles the bundle from a cache V8 took. */
  const cacheUsed = (root: string, env: NodeJS.ProcessEnv = process.env): boolean => {
    const probe = `const { loadCli } = require(${JSON.stringify(join(root, "bin/cdcreds.cjs"))}); process.stdout.write(String(loadCli().script.cachedDataRejected === false));`;
    return spawnSync(process.execPath, ["-e", probe], { encoding: "utf8", env, timeout: 20_000 }).stdout === "true";
  };
  /** A copy of the package: bin/ and dist/. */
  const copyPackage = async (name: string): Promise<string> => {
    const copy = join(dir, name);
    await cp(join(ROOT, "bin"), join(copy, "bin"), { recursive: true });
    await cp(DIST, join(copy, "dist"), { recursive: true });
    return copy;
  };
  const derive = (copy: string, env: NodeJS.ProcessEnv = process.env) =>
    // The time limit only ends a run that hangs (a FIFO read), which then fails its test.
    spawnSync(process.execPath, [join(copy, "bin/cdcreds.cjs"), "derive", "bestshop"], { encoding: "utf8", env, timeout: 20_000 });

  it("is accepted by this Node's V8", () => {
    expect(cacheUsed(ROOT)).toBe(true);
  });

  it("is only an optimisation: without it, or damaged, cdcreds works the same", async () => {
    const copy = await copyPackage("copy");
    const env = { ...process.env, HOME: "", XDG_CACHE_HOME: "" }; // and no cache of the user's either
    const cache = join(copy, `dist/cli.cjs.v8-${process.versions.v8}.cache`);
    await writeFile(cache, (await readFile(cache)).subarray(0, 1000));
    expect(cacheUsed(copy, env)).toBe(false);
    expect(derive(copy, env)).toMatchObject({ status: 0, stdout: "bestshop-api\n", stderr: "" });
    await rm(cache);
    expect(derive(copy, env)).toMatchObject({ status: 0, stdout: "bestshop-api\n", stderr: "" });
  });

  describe("on a Node that did not build the package: the user's own, made by the first run", () => {
    let copy: string;
    let env: NodeJS.ProcessEnv;
    let folder: string;
    const files = () => readdirSync(folder).sort();
    beforeAll(async () => {
      copy = await copyPackage("other-node");
      await rm(join(copy, `dist/cli.cjs.v8-${process.versions.v8}.cache`)); // as for a package built by another Node
      env = { ...process.env, XDG_CACHE_HOME: join(dir, "xdg-cache") };
      folder = join(dir, "xdg-cache", "cdcreds", "code-cache");
    });

    it("is made at the first run, private, and taken by the next", () => {
      expect(cacheUsed(copy, env)).toBe(false);
      expect(derive(copy, env)).toMatchObject({ status: 0, stdout: "bestshop-api\n", stderr: "" });
      const [file, ...others] = files();
      expect(others).toEqual([]);
      expect(file).toMatch(new RegExp(`^cli-v8-${process.versions.v8.replace(/[.]/g, "\\.")}-\\d+-\\d+\\.cache$`));
      expect(statSync(folder).mode & 0o777).toBe(0o700);
      expect(statSync(join(folder, file!)).mode & 0o777).toBe(0o600);
      expect(cacheUsed(copy, env)).toBe(true);
    });

    it("is made again when damaged, and replaced when the bundle changes", async () => {
      const [file] = files();
      await writeFile(join(folder, file!), "not a code cache");
      expect(derive(copy, env)).toMatchObject({ status: 0, stdout: "bestshop-api\n", stderr: "" });
      expect(cacheUsed(copy, env)).toBe(true);

      const bundle = join(copy, "dist/cli.cjs");
      await utimes(bundle, new Date(), new Date(Date.now() + 5000)); // an upgrade rewrites the bundle
      expect(cacheUsed(copy, env)).toBe(false);
      expect(derive(copy, env)).toMatchObject({ status: 0, stdout: "bestshop-api\n", stderr: "" });
      expect(files()).toHaveLength(1);
      expect(files()).not.toEqual([file]);
      expect(cacheUsed(copy, env)).toBe(true);
    });

    it("is neither read nor written in a folder others can write to", async () => {
      const [file] = files();
      const before = await readFile(join(folder, file!));
      await chmod(folder, 0o777);
      try {
        expect(cacheUsed(copy, env)).toBe(false);
        await writeFile(join(folder, file!), "planted by someone else");
        expect(derive(copy, env)).toMatchObject({ status: 0, stdout: "bestshop-api\n", stderr: "" });
        expect(await readFile(join(folder, file!), "utf8")).toBe("planted by someone else");
      } finally {
        await chmod(folder, 0o700);
        await writeFile(join(folder, file!), before);
      }
    });

    describe("where another user could swap it", () => {
      const root = process.getuid?.() === 0; // only root can give a folder or file to another user
      const NOBODY = 65534;
      /** A cache home of its own, with the cache its first run made. */
      async function cacheHome(name: string) {
        const xdg = join(dir, name);
        await mkdir(xdg, { mode: 0o700 });
        const homeEnv = { ...env, XDG_CACHE_HOME: xdg };
        expect(derive(copy, homeEnv)).toMatchObject({ status: 0, stdout: "bestshop-api\n", stderr: "" });
        const code = join(xdg, "cdcreds", "code-cache");
        const [file] = readdirSync(code);
        expect(cacheUsed(copy, homeEnv)).toBe(true);
        return { xdg, file: join(code, file!), env: homeEnv };
      }

      // The cache of every test here is under tmpdir(): /tmp, sticky and root's, is a folder they may be under.
      it("is neither read nor written below a folder others can write to", async () => {
        for (const [name, above] of [
          ["open-cache-home", (xdg: string) => xdg],
          ["open-cdcreds-folder", (xdg: string) => join(xdg, "cdcreds")],
        ] as const) {
          const home = await cacheHome(name);
          await chmod(above(home.xdg), 0o777);
          expect(cacheUsed(copy, home.env), name).toBe(false);
          await writeFile(home.file, "planted by someone else");
          expect(derive(copy, home.env)).toMatchObject({ status: 0, stdout: "bestshop-api\n", stderr: "" });
          expect(await readFile(home.file, "utf8")).toBe("planted by someone else");
        }
      });

      it("is not made below a folder others can write to", async () => {
        const xdg = join(dir, "open-empty-cache-home");
        await mkdir(xdg);
        await chmod(xdg, 0o777);
        expect(derive(copy, { ...env, XDG_CACHE_HOME: xdg })).toMatchObject({ status: 0, stdout: "bestshop-api\n", stderr: "" });
        expect(readdirSync(xdg)).toEqual([]);
      });

      it.runIf(root)("is neither read nor written below another user's folder, nor made there", async () => {
        const home = await cacheHome("others-cache-home");
        await chown(home.xdg, NOBODY, NOBODY);
        await chmod(home.xdg, 0o755);
        expect(cacheUsed(copy, home.env)).toBe(false);
        await writeFile(home.file, "planted by someone else");
        expect(derive(copy, home.env)).toMatchObject({ status: 0, stdout: "bestshop-api\n", stderr: "" });
        expect(await readFile(home.file, "utf8")).toBe("planted by someone else");

        const empty = join(dir, "others-empty-cache-home");
        await mkdir(empty, { mode: 0o755 });
        await chown(empty, NOBODY, NOBODY);
        expect(derive(copy, { ...env, XDG_CACHE_HOME: empty })).toMatchObject({ status: 0, stdout: "bestshop-api\n", stderr: "" });
        expect(readdirSync(empty)).toEqual([]);
      });

      it("is not read through a link nor from a FIFO: both are replaced by a cache of its own", async () => {
        const home = await cacheHome("link-and-fifo");
        const elsewhere = join(dir, "a-cache-elsewhere");
        await rename(home.file, elsewhere);
        await symlink(elsewhere, home.file);
        expect(cacheUsed(copy, home.env)).toBe(false);
        expect(derive(copy, home.env)).toMatchObject({ status: 0, stdout: "bestshop-api\n", stderr: "" });
        expect(lstatSync(home.file).isFile()).toBe(true);
        expect(cacheUsed(copy, home.env)).toBe(true);

        await rm(home.file);
        expect(spawnSync("mkfifo", [home.file]).status).toBe(0);
        // Opening a FIFO to read waits for a writer: a cdcreds that did would never end.
        expect(derive(copy, home.env)).toMatchObject({ status: 0, stdout: "bestshop-api\n", stderr: "" });
        expect(lstatSync(home.file).isFile()).toBe(true);
        expect(cacheUsed(copy, home.env)).toBe(true);
      });

      it.runIf(root)("is not read from a file of another user's in the folder", async () => {
        const home = await cacheHome("others-file");
        await chown(home.file, NOBODY, NOBODY);
        expect(cacheUsed(copy, home.env)).toBe(false);
      });
    });

    it("never fails the command when it cannot be written", async () => {
      const notAFolder = join(dir, "cache-is-a-file");
      await writeFile(notAFolder, "");
      expect(derive(copy, { ...env, XDG_CACHE_HOME: notAFolder })).toMatchObject({ status: 0, stdout: "bestshop-api\n", stderr: "" });
      expect(derive(copy, { ...env, XDG_CACHE_HOME: "", HOME: "" })).toMatchObject({ status: 0, stdout: "bestshop-api\n", stderr: "" });
    });
  });
});

describe("an older Node", () => {
  it("gets one line naming the Node it needs, not a stack trace", () => {
    const bin = createRequire(import.meta.url)("../bin/cdcreds.cjs") as { tooOld: (version: string) => string | undefined };
    expect(bin.tooOld("18.20.4")).toBe(
      "error: cdcreds needs Node.js 20.18.1 or later (22, 24 or 26 are the supported lines); this is Node.js 18.20.4\n",
    );
    for (const old of ["20.11.1", "20.18.0"]) expect(bin.tooOld(old)).toMatch(/^error: cdcreds needs Node.js 20\.18\.1 or later/);
    for (const supported of ["20.18.1", "20.19.0", "22.1.0", "24.0.0", "26.12.1"]) expect(bin.tooOld(supported)).toBeUndefined();
  });
});

describe("a package installed without its build (npm install --ignore-scripts)", () => {
  it("gets one line naming the fix and exit 70, not a stack trace", async () => {
    const unbuilt = join(dir, "unbuilt");
    await mkdir(join(unbuilt, "bin"), { recursive: true });
    await cp(fileURLToPath(new URL("../bin/cdcreds.cjs", import.meta.url)), join(unbuilt, "bin", "cdcreds.cjs"));
    const result = spawnSync(process.execPath, [join(unbuilt, "bin", "cdcreds.cjs"), "derive", "bestshop"], { encoding: "utf8" });
    expect(result).toMatchObject({
      status: 70,
      stdout: "",
      stderr: `error: cdcreds is not built (${join(unbuilt, "dist", "cli.cjs")} is missing): run \`npm run build\` in ${unbuilt}\n`,
    });
  });
});

describe("the library", () => {
  const files = [join(DIST, "index.js"), ...readdirSync(join(DIST, "chunks")).map((f) => join(DIST, "chunks", f))];
  const code = files.map((f) => readFileSync(f, "utf8")).join("\n");

  it("leaves SIGUSR1 to the program that imports it: only the cdcreds command ignores it", () => {
    const probe = `import(${JSON.stringify(pathToFileURL(join(DIST, "index.js")).href)}).then(() => process.stdout.write(String(process.listenerCount("SIGUSR1"))))`;
    expect(spawnSync(process.execPath, ["-e", probe], { encoding: "utf8" })).toMatchObject({ status: 0, stdout: "0" });
  });

  // An ESM import of this CommonJS native package measured ~60 ms on Node 20; require does not.
  it("loads the keychain binding with require, never through an ESM import", () => {
    expect(code).toMatch(/requireNow\("@napi-rs\/keyring"\)/);
    expect(code).not.toMatch(
      /\bfrom\s*["']@napi-rs\/keyring["']|import\s*\(\s*["']@napi-rs\/keyring["']\s*\)|^import\s*["']@napi-rs\/keyring["']/m,
    );
  });
});
