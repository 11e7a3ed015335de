import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BIN, runCli } from "./support/cli.js";

const ESC = "\u001b[";
const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };

describe("cdcreds derive", () => {
  it("prints the API login and nothing else", async () => {
    expect(await runCli(["derive", "bestshop"])).toMatchObject({ code: 0, stdout: "bestshop-api\n", stderr: "" });
  });

  it("trims surrounding spaces", async () => {
    expect(await runCli(["derive", "  bestshop  "])).toMatchObject({ code: 0, stdout: "bestshop-api\n", stderr: "" });
  });

  it("returns an API login unchanged, with a note on stderr", async () => {
    expect(await runCli(["derive", "bestshop-api"])).toMatchObject({
      code: 0,
      stdout: "bestshop-api\n",
      stderr: 'note: "bestshop-api" already ends in -api: it is unchanged\n',
    });
  });

  it("prints JSON with --json, before or after the command", async () => {
    const json = '{"sellerLogin":"bestshop","apiLogin":"bestshop-api"}\n';
    expect(await runCli(["derive", "--json", "bestshop"])).toMatchObject({ code: 0, stdout: json, stderr: "" });
    expect(await runCli(["--json", "derive", "bestshop"])).toMatchObject({ code: 0, stdout: json, stderr: "" });
  });

  it.each([
    ["", "error: invalid login: the login is empty\n"],
    ["best shop", "error: invalid login: the login contains whitespace (U+0020)\n"],
    ["best\u0007shop", "error: invalid login: the login contains a control character (U+0007)\n"],
    ["best:shop", "error: invalid login: the login contains a colon, which cannot travel in HTTP Basic authentication\n"],
    ["x".repeat(129), "error: invalid login: the login is longer than 128 characters\n"],
  ])("refuses %j with exit 2, the reason on stderr and nothing on stdout", async (login, stderr) => {
    expect(await runCli(["derive", login])).toMatchObject({ code: 2, stdout: "", stderr });
  });

  it("refuses a missing argument with exit 2", async () => {
    expect(await runCli(["derive"])).toMatchObject({ code: 2, stdout: "", stderr: "error: missing required argument 'seller-login'\n" });
  });
});

describe("program conventions", () => {
  // Output goes to fd 1 with writeSync (src/cli.ts): a reader that went away gets nothing, as with
  // any Unix filter (`cdcreds completion bash | head -1`), and is not an error.
  it.each([["completion", "bash"], ["--help"], ["--version"], ["get", "--help"]])(
    "exits 0 with nothing on stderr when the reader of stdout has gone (EPIPE): %s",
    async (...args) => {
      const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
      child.stdout.destroy();
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      const code = await new Promise((resolve) => child.on("close", resolve));
      expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    },
  );

  it("prints the version", async () => {
    expect(await runCli(["--version"])).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("prints help with examples on stdout and exits 0", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/^Usage: cdcreds \[options\] \[command\]/);
    expect(result.stdout).toContain("derive <seller-login>");
    expect(result.stdout).toContain("$ cdcreds derive bestshop");
    expect(result.stdout).toContain("Exit status: 0 ok, 1 rejected by Cdiscount");
    expect(result.stdout).toMatch(/^ {2}--store <store> +secret store/m);
  });

  it("lists the program's options in each command's help, which may be given after the command", async () => {
    const result = await runCli(["set", "--help"]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toMatch(/^Global Options:\n(.*\n)*? {2}--store <store> +secret store/m);
    expect(result.stdout).toMatch(/^ {2}--env <name> +environment/m);
  });

  it("prints each command's help with examples", async () => {
    const result = await runCli(["derive", "--help"]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toMatch(/^Usage: cdcreds derive \[options\] <seller-login>/);
    expect(result.stdout).toContain("$ cdcreds derive --json bestshop");
  });

  it("shows help on stderr and exits 2 without a command", async () => {
    const result = await runCli([]);
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toMatch(/^Usage: cdcreds/);
  });

  it("refuses an unknown command with exit 2 and suggests the closest one", async () => {
    expect(await runCli(["derivee", "x"])).toMatchObject({
      code: 2,
      stdout: "",
      stderr: "error: unknown command 'derivee'\n(Did you mean derive?)\n",
    });
  });

  it("refuses an unknown option with exit 2 and suggests the closest one", async () => {
    expect(await runCli(["derive", "--jsn", "x"])).toMatchObject({
      code: 2,
      stdout: "",
      stderr: "error: unknown option '--jsn'\n(Did you mean --json?)\n",
    });
  });

  it.each([
    [["set", "--password=Secret-on-argv-1", "bestshop"], "error: unknown option '--password'\n"],
    [["set", "-pSecret-on-argv-1", "bestshop"], "error: unknown option '-p'\n"],
    [["get", "--login=Secret-on-argv-1"], "error: unknown option '--login'\n"],
    [["--env=Secret-on-argv-1", "get"], "error: option '--env <name>' argument is invalid. Allowed choices are prod, preprod.\n"],
    [["set", "bestshop", "Secret-on-argv-1"], "error: too many arguments for 'set'. Expected 1 argument but got 2.\n"],
  ])("never shows a value typed on the command line in commander's message: %j", async (args, stderr) => {
    const result = await runCli(args);
    expect(result).toMatchObject({ code: 2, stdout: "", stderr });
    expect(result.stderr).not.toContain("Secret-on-argv-1");
  });

  it("escapes control characters in commander's messages", async () => {
    const evil = "\u001b]0;pwned\u0007\u001b[2J\u202e";
    const escaped = "\\e]0;pwned\\x07\\e[2J\\u{202e}";
    const results = {
      option: await runCli(["derive", `--js${evil}n`, "x"]),
      command: await runCli([`derive${evil}`, "x"]),
      choice: await runCli(["completion", `bash${evil}`]),
    };
    for (const result of Object.values(results)) {
      expect(result).toMatchObject({ code: 2, stdout: "" });
      expect(result.stderr.replaceAll("\n", "")).not.toMatch(/[\p{Cc}\u202e]/u);
    }
    expect(results.option.stderr).toBe(`error: unknown option '--js${escaped}n'\n`);
    expect(results.command.stderr.split("\n")[0]).toBe(`error: unknown command 'derive${escaped}'`);
    expect(results.choice.stderr.split("\n")[0]).toBe(
      `error: command-argument value 'bash${escaped}' is invalid for argument 'shell'. Allowed choices are bash, zsh, fish, powershell.`,
    );
  });

  it("refuses a bad CDCREDS_ENV with exit 2 and no stack trace", async () => {
    expect(await runCli(["derive", "x"], { env: { CDCREDS_ENV: "staging" } })).toMatchObject({
      code: 2,
      stdout: "",
      stderr: 'error: unknown environment "staging" from CDCREDS_ENV: use prod or preprod\n',
    });
  });

  it("adds the stack trace with --debug", async () => {
    const result = await runCli(["--debug", "derive", ""]);
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toMatch(/^error: invalid login: the login is empty\ndebug: UsageError: invalid login/);
    expect(result.stderr).toMatch(/at deriveApiLogin/);
  });
});

describe("colour", () => {
  it("has none when stderr is not a terminal", async () => {
    expect((await runCli(["derive", "x-api"])).stderr).not.toContain(ESC);
  });

  it("is forced by FORCE_COLOR", async () => {
    const result = await runCli(["derive", "x-api"], { env: { FORCE_COLOR: "1" } });
    expect(result.stderr).toBe(`${ESC}36mnote:${ESC}39m "x-api" already ends in -api: it is unchanged\n`);
    expect(result.stdout).toBe("x-api\n");
    expect((await runCli(["derive", ""], { env: { FORCE_COLOR: "1" } })).stderr).toBe(
      `${ESC}31merror:${ESC}39m invalid login: the login is empty\n`,
    );
  });

  it("is never used with NO_COLOR, even on a terminal", () => {
    // `script` gives the child a real terminal; NO_COLOR must still win over it.
    const run = (env: Record<string, string>) =>
      spawnSync("script", ["-qec", `${process.execPath} bin/cdcreds.cjs derive x-api`, "/dev/null"], {
        encoding: "utf8",
        env: { ...process.env, FORCE_COLOR: undefined, NO_COLOR: undefined, TERM: "xterm", ...env },
      });
    expect(run({}).stdout).toContain(`${ESC}36mnote:`);
    const plain = run({ NO_COLOR: "1" });
    expect(plain.status).toBe(0);
    expect(plain.stdout).toContain('note: "x-api" already ends in -api');
    expect(plain.stdout).not.toContain(ESC);
  });
});

describe("cdcreds completion", () => {
  it.each(["bash", "zsh", "fish", "powershell"])("prints a %s script naming every command and option", async (shell) => {
    const result = await runCli(["completion", shell]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    const option = (name: string): string => (shell === "fish" ? `-l ${name}` : `--${name}`);
    for (const word of ["derive", "completion", option("json"), option("env"), "prod", "preprod"]) expect(result.stdout).toContain(word);
  });

  it("refuses an unknown shell with exit 2", async () => {
    const result = await runCli(["completion", "tcsh"]);
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toMatch(
      /^error: command-argument value 'tcsh' is invalid for argument 'shell'\. Allowed choices are bash, zsh, fish, powershell\./,
    );
  });

  it("completes commands and option values in a real bash", () => {
    const complete = (line: string): string[] => {
      const script = `source /dev/stdin <<< "$(${process.execPath} bin/cdcreds.cjs completion bash)"
COMP_LINE=${JSON.stringify(line)}; read -ra COMP_WORDS <<< "$COMP_LINE"; [[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); _cdcreds; printf '%s\\n' "\${COMPREPLY[@]}"`;
      return spawnSync("bash", ["-c", script], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    };
    expect(complete("cdcreds der")).toEqual(["derive"]);
    expect(complete("cdcreds --env ")).toEqual(["prod", "preprod"]);
    expect(complete("cdcreds derive --j")).toEqual(["--json"]);
    expect(complete("cdcreds completion f")).toEqual(["fish"]);
    // The value of an option is not the command: after `--env prod` come the commands, then their options.
    expect(complete("cdcreds --env prod de")).toEqual(["derive", "delete"]);
    expect(complete("cdcreds --env prod --timeout 5 derive --j")).toEqual(["--json"]);
  });

  it("is valid zsh and fish syntax where those shells exist", () => {
    for (const shell of ["zsh", "fish"]) {
      if (spawnSync("which", [shell]).status !== 0) continue;
      const script = spawnSync(process.execPath, ["bin/cdcreds.cjs", "completion", shell], { encoding: "utf8" }).stdout;
      expect(spawnSync(shell, ["-n"], { input: script, encoding: "utf8" }).status).toBe(0);
    }
  });
});
