// Bad configuration: each is a clear message and exit 2 (5 for a damaged store file), never
// a stack trace without --debug, and nothing written anywhere.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli, type CliOptions } from "./support/cli.js";
import { filesUnder, tempConfig } from "./support/store-helpers.js";

let config: Awaited<ReturnType<typeof tempConfig>>;

beforeEach(async () => {
  config = await tempConfig();
});
afterEach(async () => {
  await config.remove();
});

const cdcreds = (args: string[], options: CliOptions = {}) =>
  runCli(args, { input: "pw\n", ...options, env: { XDG_CONFIG_HOME: config.dir, ...options.env } });

const STACK_LINE = /^\s{4}at /m;

/** Every command that could read the bad setting, each as a user would run it. */
const COMMANDS = [
  ["verify", "--password-stdin", "bestshop"],
  ["set", "--no-verify", "--password-stdin", "bestshop"],
  ["get", "bestshop"],
  ["token", "bestshop"],
  ["list"],
  ["delete", "bestshop"],
  ["doctor"],
  ["exec", "--", "true"],
];

describe.each([
  [
    "an unknown CDCREDS_ENV",
    { CDCREDS_ENV: "staging" },
    [],
    /^error: unknown environment "staging" from CDCREDS_ENV: use prod or preprod$/m,
  ],
  ["an --auth-url that is not a URL", {}, ["--auth-url", "not a url"], /^error: --auth-url is not a valid URL: "not a url"$/m],
  [
    "a CDCREDS_AUTH_URL that is not a URL",
    { CDCREDS_AUTH_URL: "sts.example:443" },
    [],
    /^error: CDCREDS_AUTH_URL refused: the scheme must be https:/m,
  ],
  [
    "a CDCREDS_STORE that does not exist",
    { CDCREDS_STORE: "vault" },
    [],
    /^error: unknown store "vault" from CDCREDS_STORE: use keychain, file or pass$/m,
  ],
  ["a --timeout that is not a number", {}, ["--timeout", "soon"], /^error: --timeout must be a number from 0.001 to 600, not "soon"$/m],
  ["a negative --retries", {}, ["--retries", "-1"], /^error: --retries must be an integer from 0 to 10, not "-1"$/m],
  ["a fractional --retries", {}, ["--retries", "1.5"], /^error: --retries must be an integer from 0 to 10, not "1.5"$/m],
] as const)("%s", (_what, env, flags, message) => {
  it.each(COMMANDS)("%s: exit 2, one clear message, no stack, nothing written", async (...args) => {
    const run = await cdcreds([...flags, ...args], { env });
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: "" });
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(STACK_LINE);
    expect(await filesUnder(config.dir)).toEqual(new Map());
  });
});

describe("a CDISCOUNT_API_LOGIN that cannot be a login", () => {
  const env = { CDISCOUNT_API_LOGIN: "best shop", CDISCOUNT_API_PASSWORD: "pw" };
  it.each([["verify"], ["get"], ["token"], ["exec", "--", "true"], ["doctor"]])(
    "%s: exit 2, names the variable and the problem",
    async (...args) => {
      const run = await cdcreds(args, { env });
      expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: "" });
      expect(run.stderr).toMatch(/^error: CDISCOUNT_API_LOGIN: invalid login: the login contains whitespace \(U\+0020\)$/m);
      expect(run.stderr).not.toMatch(STACK_LINE);
      expect(await filesUnder(config.dir)).toEqual(new Map());
    },
  );
});

describe("a malformed account index", () => {
  const index = () => join(config.dir, "cdcreds", "accounts.json");
  it.each([
    ["not JSON", "{ this is not json", /is not valid JSON/],
    [
      "JSON of another shape",
      '{"version":1,"accounts":[{"apiLogin":"x-api","env":"staging","store":"keychain"}]}',
      /is not a cdcreds account index \(accounts\.0\.env: /,
    ],
    ["an unknown version", '{"version":2,"accounts":[]}', /is not a cdcreds account index \(version: /],
  ])("%s: exit 5 naming the file, no stack, the file left as it was", async (_what, content, detail) => {
    await mkdir(join(config.dir, "cdcreds"), { recursive: true });
    await writeFile(index(), content);
    for (const args of [["list"], ["token"], ["get"], ["set", "--no-verify", "--password-stdin", "bestshop"]]) {
      const run = await cdcreds(args);
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 5, stdout: "" });
      expect(run.stderr).toContain(`error: the account index ${index()} `);
      expect(run.stderr).toMatch(detail);
      expect(run.stderr).toContain("hint: it holds no secret");
      expect(run.stderr).not.toMatch(STACK_LINE);
      expect(await filesUnder(config.dir)).toEqual(new Map([[index(), content]]));
    }
  });

  it("with --debug, the stack is shown (and only then)", async () => {
    await mkdir(join(config.dir, "cdcreds"), { recursive: true });
    await writeFile(index(), "[");
    const run = await cdcreds(["--debug", "list"]);
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(STACK_LINE);
  });
});
