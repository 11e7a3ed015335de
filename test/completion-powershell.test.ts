// `cdcreds completion powershell`. PowerShell is not installed on the machines this was written on:
// the script's content and generation are checked here as text; the last test runs it in a real
// `pwsh` (TabExpansion2, what the console's Tab calls) where one exists.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";

const script = async (): Promise<string> => {
  const result = await runCli(["completion", "powershell"]);
  expect(result).toMatchObject({ code: 0, stderr: "" });
  return result.stdout;
};

/** A PowerShell single-quoted literal: `''` is a quote, and so is each typographic single quote doubled. */
const LITERAL = /'(?:[^'\u2018-\u201b]|''|[\u2018-\u201b]{2})*'/gu;
/** The entries `$table['key'] = value` of one of the script's tables. */
function table(text: string, name: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const [, key, value] of text.matchAll(new RegExp(`^ {2}\\$${name}\\['((?:[^']|'')*)'\\] = (.*)$`, "gm"))) {
    expect(entries.has(key!), `${name}['${key}'] set twice`).toBe(false);
    entries.set(key!.replaceAll("''", "'"), value!);
  }
  return entries;
}

describe("cdcreds completion powershell", () => {
  it("registers a native completer for cdcreds and the shims npm installs on Windows", async () => {
    expect(await script()).toMatch(
      /^Register-ArgumentCompleter -Native -CommandName cdcreds, cdcreds\.ps1, cdcreds\.cmd -ScriptBlock \{$/m,
    );
  });

  it("names every command with its description, and each command's options and argument values", async () => {
    const text = await script();
    const commands = table(text, "commands");
    expect([...commands.keys()]).toEqual(expect.arrayContaining(["derive", "get", "exec", "run", "completion", "store"]));
    expect(commands.get("derive")).toBe("'print the API login of a seller login (bestshop -> bestshop-api)'");
    const options = table(text, "options");
    expect(options.get("exec")).toContain("'--login'");
    expect(options.get("completion")).toBe("@('--help', '-h', 'bash', 'zsh', 'fish', 'powershell')");
    expect(options.get("store")).toContain("'migrate'");
    expect(text).toMatch(/^ {2}\$globals = @\(.*'--env'.*'--json'.*\)$/m);
  });

  it("offers an option's values, and knows which options take one (case-sensitively: -h is help, -H api's --header)", async () => {
    const text = await script();
    expect(table(text, "values").get("--env")).toBe("@('prod', 'preprod')");
    expect(table(text, "values").get("--store")).toBe("@('keychain', 'file', 'pass')");
    const takesValue = table(text, "takesValue");
    expect([...takesValue.keys()]).toEqual(expect.arrayContaining(["--env", "--store", "--login", "-H", "-X"]));
    expect(takesValue.has("-h")).toBe(false);
    expect(takesValue.has("--json")).toBe(false);
    const tips = table(text, "tips");
    expect(tips.get("-h")).toBe("'display help'");
    expect(tips.get("-H")).not.toBe("'display help'");
    // PowerShell's hashtables ignore case: the tables are made Ordinal, or `-h` and `-H` would clash.
    for (const name of ["commands", "options", "values", "takesValue", "tips"]) {
      expect(text).toContain(`  $${name} = [hashtable]::new([StringComparer]::Ordinal)\n`);
    }
  });

  it("quotes every text as a PowerShell literal: a quote in a description is doubled, nothing is left unquoted", async () => {
    const text = await script();
    expect(table(text, "commands").get("verify")).toContain("client''s");
    // Each table line is `$t['key'] = <literal>`, `@(<literals>)` or `$true`: with every literal taken
    // out, no quote is left over (one left open would swallow the rest of the script).
    for (const line of text.split("\n").filter((l) => /^ {2}\$\w+\['/.test(l))) {
      const rest = line.replace(LITERAL, "L");
      expect(rest, line).toMatch(/^ {2}\$\w+\[L\] = (L|\$true|@\(((L, )*L)?\))$/);
    }
    expect(text).not.toMatch(/\$\{|undefined/); // nothing of the template left over
  });

  it("completes nothing after `--` (the program's arguments), in each way PowerShell lets it be written", async () => {
    expect(await script()).toContain(`if ($word -ceq '--' -or $word -ceq "'--'" -or $word -ceq '"--"' -or $word -ceq '\`--') { return }`);
  });

  const pwsh = spawnSync("pwsh", ["-NoProfile", "-Command", "exit 0"]).status === 0;
  it.skipIf(!pwsh)("completes commands, option values and options in a real pwsh", async () => {
    const complete = (line: string): string[] => {
      const command = `$ErrorActionPreference = 'Stop'
[Console]::In.ReadToEnd() | Invoke-Expression
(TabExpansion2 -inputScript '${line}' -cursorColumn ${line.length}).CompletionMatches | ForEach-Object { $_.CompletionText }`;
      const result = spawnSync("pwsh", ["-NoProfile", "-NonInteractive", "-Command", command], { input: text, encoding: "utf8" });
      expect(result.stderr).toBe("");
      return result.stdout.split(/\r?\n/).filter(Boolean);
    };
    const text = await script();
    expect(complete("cdcreds der")).toEqual(["derive"]);
    expect(complete("cdcreds --env ")).toEqual(["prod", "preprod"]);
    expect(complete("cdcreds --env prod derive --j")).toEqual(["--json"]);
    expect(complete("cdcreds completion p")).toEqual(["powershell"]);
  });
});
