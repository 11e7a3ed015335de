// The shell examples of the README and docs/, read from their Markdown and compared with what the
// commands print. The marking (docs/development.md, "Examples that run"):
//
//   ```console                    every console block is run; other blocks (sh, ini, text) are not
//   $ cdcreds derive bestshop      a command, run by bash
//   > …                            the command goes on (a heredoc, a pipe on the next line)
//   bestshop-api                   what it prints, stdout and stderr as a terminal shows them
//   ```
//
// Each command must exit 0: an example of a failure ends with `; echo "exit $?"`, so its status
// is part of what it prints. In what a block shows, `…` stands for any text within a line, and
// any ISO-8601 instant or `YYYY-MM-DD hh:mm UTC` for any other (the times are the run's own).

/** One command of an example and what it shows. */
export interface ExampleCommand {
  /** 1-based line of the `$` in its file. */
  line: number;
  /** The command, continuation lines joined with newlines, without the prompts. */
  command: string;
  /** The lines it shows. */
  expected: string[];
}

/** One console block. */
export interface Example {
  file: string;
  line: number;
  commands: ExampleCommand[];
}

/**
 * The console blocks of a Markdown text, in order.
 * @throws {Error} on a block that has output before its first command, or no command at all.
 */
export function parseExamples(file: string, markdown: string): Example[] {
  const examples: Example[] = [];
  let current: Example | undefined;
  let indent = ""; // a block in a list item is indented as its fence is
  markdown.split("\n").forEach((raw, index) => {
    const line = index + 1;
    if (current === undefined) {
      const fence = /^( *)```console\s*$/.exec(raw);
      if (fence !== null) [current, indent] = [{ file, line, commands: [] }, fence[1]!];
      return;
    }
    const text = raw.startsWith(indent) ? raw.slice(indent.length) : raw;
    if (/^```\s*$/.test(text)) {
      if (current.commands.length === 0) throw new Error(`${file}:${current.line}: a console block without a "$ " command`);
      examples.push(current);
      current = undefined;
      return;
    }
    const last = current.commands.at(-1);
    if (text.startsWith("$ ")) current.commands.push({ line, command: text.slice(2), expected: [] });
    else if (last === undefined) throw new Error(`${file}:${line}: output before the first "$ " command of the block`);
    else if (text.startsWith("> ") && last.expected.length === 0) last.command += `\n${text.slice(2)}`;
    else last.expected.push(text);
  });
  if (current !== undefined) throw new Error(`${file}:${current.line}: a console block that never ends`);
  return examples;
}

/** Separates one command's output from the next in the script's output: its exit status between two RS. */
const MARK = "\u001e";

/**
 * One bash script running every example in order: each block in a subshell of its own (its
 * variables and `cd` stay there; what it stores stays for the next), stderr merged into stdout as
 * on a terminal, and after each command a mark carrying its exit status.
 */
export function scriptOf(examples: Example[]): string {
  const blocks = examples.map(
    (example) => `(\n${example.commands.map((c) => `${c.command}\nprintf '${MARK}%d${MARK}' "$?"`).join("\n")}\n)`,
  );
  return `exec 2>&1 </dev/null\n${blocks.join("\n")}\n`;
}

/** What each command printed, and its status, from the script's output: as many as ran. */
export function splitOutput(output: string): { printed: string; status: number }[] {
  const parts = output.split(new RegExp(`${MARK}(\\d+)${MARK}`));
  const results: { printed: string; status: number }[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) results.push({ printed: parts[i]!, status: Number(parts[i + 1]) });
  return results;
}

/** Times are the run's own: every instant of either side becomes the same text, of the same width. */
const sameTimes = (text: string): string =>
  text
    .replace(/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z\b/g, "YYYY-MM-DDThh:mm:ss.sssZ")
    .replace(/\b\d{4}-\d\d-\d\d \d\d:\d\d UTC\b/g, "YYYY-MM-DD hh:mm UTC");

/** A line that shows `…` matches any line with the same text around each `…`. */
function lineMatches(expected: string, actual: string): boolean {
  if (!expected.includes("…")) return expected === actual;
  const escaped = expected.split("…").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`).test(actual);
}

/**
 * What a command showed, written as its example would show it: lines that match the example's
 * (times and `…` included) take the example's text, and a non-zero status is added as
 * `[exit N]`. A test then compares this with the example's lines, so a difference reads as a diff.
 */
export function asShown(expected: string[], printed: string, status: number): string[] {
  const lines = printed === "" ? [] : sameTimes(printed).replace(/\n$/, "").split("\n");
  if (printed !== "" && !printed.endsWith("\n")) lines.push("[no newline at the end]");
  const shown = lines.map((line, i) => (expected[i] !== undefined && lineMatches(sameTimes(expected[i]), line) ? expected[i] : line));
  return status === 0 ? shown : [...shown, `[exit ${status}]`];
}
