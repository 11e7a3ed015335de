// The README's and docs/' console examples, run as written with the built binary as `cdcreds` on
// PATH, so that an example cannot drift from the code. The marking and the matching:
// test/support/doc-examples.ts; the world they run in (emulators behind the services' real host
// names, a private keyring, the examples' accounts): test/support/doc-world.ts.
import { readFile, readdir } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asShown, parseExamples, scriptOf, splitOutput, type Example } from "./support/doc-examples.js";
import { prepareWorlds, type World } from "./support/doc-world.js";

const ROOT = new URL("..", import.meta.url);
const files = ["README.md", ...(await readdir(new URL("docs/", ROOT))).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
// A block without a command, or with output before its first one, fails the file as it is read.
const examples = new Map<string, Example[]>();
for (const file of files) examples.set(file, parseExamples(file, await readFile(new URL(file, ROOT), "utf8")));

let worlds: Awaited<ReturnType<typeof prepareWorlds>>;
beforeAll(async () => {
  worlds = await prepareWorlds();
});
afterAll(() => worlds?.remove());

/** Each command of the examples as it ran, written as its example would show it, beside what the example shows. */
async function runExamples(world: World, list: Example[]): Promise<{ where: string; shown: string[]; expected: string[] }[]> {
  const results = splitOutput(await world.bash(scriptOf(list)));
  const commands = list.flatMap((example) => example.commands.map((command) => ({ example, command })));
  return commands.map(({ example, command }, i) => {
    const result = results[i];
    const where = `${example.file}:${command.line}: $ ${command.command}`;
    if (result === undefined) return { where, shown: ["[the script stopped before this command]"], expected: command.expected };
    return { where, shown: asShown(command.expected, result.printed, result.status), expected: command.expected };
  });
}

describe("the console examples of the README and docs/", () => {
  it("are there: the README has some", () => {
    expect(examples.get("README.md")!.length).toBeGreaterThan(0);
  });

  it.each(files.filter((file) => examples.get(file)!.length > 0))(
    "%s: each command prints what its example shows",
    async (file) => {
      const world = await worlds.startWorld();
      try {
        for (const { where, shown, expected } of await runExamples(world, examples.get(file)!)) expect.soft(shown, where).toEqual(expected);
      } finally {
        await world.close();
      }
    },
    120_000,
  );

  it("a difference shows: wrong output, a missing line, a non-zero status", async () => {
    const markdown = [
      "```console",
      "$ cdcreds derive bestshop",
      "bestshop-ap",
      "$ cdcreds derive --json bestshop",
      "$ cdcreds get nosuchshop",
      "```",
    ];
    const world = await worlds.startWorld();
    try {
      const shown = (await runExamples(world, parseExamples("inline.md", markdown.join("\n")))).map((r) => r.shown);
      expect(shown).toEqual([
        ["bestshop-api"],
        ['{"sellerLogin":"bestshop","apiLogin":"bestshop-api"}'],
        [
          "error: no password stored for nosuchshop-api (prod) in the keychain",
          "hint: store it with `cdcreds set nosuchshop-api`, or run `cdcreds list`",
          "[exit 3]",
        ],
      ]);
    } finally {
      await world.close();
    }
  });
});

describe("the matching of what an example shows", () => {
  it("takes `…` for any text within a line, and nothing else for it", () => {
    expect(asShown(["cdcreds 0.1.0, Node v…, linux-x64"], "cdcreds 0.1.0, Node v24.11.1, linux-x64\n", 0)).toEqual([
      "cdcreds 0.1.0, Node v…, linux-x64",
    ]);
    expect(asShown(["[main …] Add"], "[main 1a2b3c4] Added\n", 0)).toEqual(["[main 1a2b3c4] Added"]);
  });

  it("takes any instant for another, in both forms cdcreds prints", () => {
    const json = '{"expiresAt":"2026-12-04T09:14:03.120Z"}';
    expect(asShown([json], '{"expiresAt":"2031-01-02T03:04:05.678Z"}\n', 0)).toEqual([json]);
    expect(asShown(["bestshop-api  2026-12-02 09:14 UTC  ok"], "bestshop-api  2030-01-01 00:00 UTC  ok\n", 0)).toEqual([
      "bestshop-api  2026-12-02 09:14 UTC  ok",
    ]);
    expect(asShown(["bestshop-api  2026-12-02 09:14 UTC  ok"], "bestshop-api  never  ok\n", 0)).toEqual(["bestshop-api  never  ok"]);
  });

  it("shows a missing newline, an extra line and a status", () => {
    expect(asShown(["bestshop-api"], "bestshop-api", 0)).toEqual(["bestshop-api", "[no newline at the end]"]);
    expect(asShown([], "note: something\n", 2)).toEqual(["note: something", "[exit 2]"]);
  });

  it("refuses a block with output before its first command, or none", () => {
    expect(() => parseExamples("x.md", "```console\nbestshop-api\n```")).toThrow('x.md:2: output before the first "$ " command');
    expect(() => parseExamples("x.md", "```console\n```")).toThrow('x.md:1: a console block without a "$ " command');
  });

  it("reads continuation lines, blocks in list items, and runs nothing else", () => {
    const markdown = ["```sh", "$ rm -rf /", "```", "- item", "  ```console", "  $ cat <<'EOF'", "  > one", "  > EOF", "  one", "  ```"];
    expect(parseExamples("x.md", markdown.join("\n"))).toEqual([
      { file: "x.md", line: 5, commands: [{ line: 6, command: "cat <<'EOF'\none\nEOF", expected: ["one"] }] },
    ]);
  });
});
