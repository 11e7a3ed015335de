// What `cdcreds import` reads, and what it refuses before anything is sent or stored: what is not a
// regular file (a device, a FIFO, a folder), a terminal, damaged UTF-8, a line that breaks the
// rules `set` applies; and what Excel writes (`;`, Windows-1252), read as it was meant. No message shows a cell of the file: any cell may hold a secret.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN } from "./support/cli.js";
import { ptyRun } from "./support/pty.js";
import { useSandbox } from "./support/sandbox.js";
import { secretToolLookup, sentinel, uniqueLogin } from "./support/store-helpers.js";

const box = useSandbox();

/** A CSV file in the test's config folder. */
async function csv(content: string | Buffer): Promise<string> {
  const path = join(box.config.dir, "accounts.csv");
  await writeFile(path, content);
  return path;
}

/** New API logins, each with a sentinel password the emulator accepts. */
function accounts(name: string, count: number): { api: string; password: string }[] {
  return Array.from({ length: count }, (_, i) => {
    const api = box.newLogin(`${name}${i}`);
    const password = sentinel();
    box.sts.addCredentials(api, password);
    return { api, password };
  });
}

/** Nothing of these accounts was sent to the service or stored. */
function nothingDone(apis: string[]): void {
  expect(box.sts.requests).toHaveLength(0);
  for (const api of apis) expect(secretToolLookup("cdcreds:prod", api)).toBeUndefined();
}

/** cdcreds with standard input as given (a pipe the test writes, or an open file). */
function start(args: string[], stdin: "pipe" | number): { child: ChildProcess; ended: Promise<{ code: number | null; stderr: string }> } {
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: box.config.dir };
  delete env.FORCE_COLOR;
  const child = spawn(process.execPath, [BIN, "--auth-url", box.sts.url, "--retries", "0", ...args], {
    env,
    stdio: [stdin, "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdin?.on("error", () => {}); // cdcreds may exit before reading all of it
  return { child, ended: new Promise((resolve) => child.on("close", (code) => resolve({ code, stderr }))) };
}

describe("cdcreds import: what it reads", () => {
  it("shows no line of the file: one without its header row is named by line only (exit 2)", async () => {
    const [a] = accounts("nohead", 1);
    const result = await box.cdcreds(["import", await csv(`${a!.api},${a!.password}\n`)]);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 2, stdout: "" });
    expect(result.stderr).toMatch(
      /^error: line 1 is not a header: it does not name the columns login,password\[,env\] or client_id,client_secret\[,seller_ids\]\[,env\]$/m,
    );
    expect(result.stderr.toLowerCase()).not.toContain(a!.password.toLowerCase());
    nothingDone([a!.api]);
  });

  it("applies set's secret rules to every line: one bad line refuses the whole file, named by line and column, never by value", async () => {
    const [swallower, swallowed1, swallowed2, nul, esc, long, split, good] = accounts("rules", 8);
    const [head, tail] = [split!.password.slice(0, 10), split!.password.slice(10)];
    const file = await csv(
      [
        "login,password,env",
        // A password starting with a quote opens a quoted field that the quote ending line 4 closes.
        `${swallower!.api},"${swallower!.password},`,
        `${swallowed1!.api},${swallowed1!.password},`,
        `${swallowed2!.api},${swallowed2!.password}",prod`,
        `${nul!.api},${nul!.password}\u0000,`,
        `${esc!.api},\u001b[2J${esc!.password},prod`,
        `${long!.api},${long!.password}${"x".repeat(1000)},`,
        `${split!.api},${head},${tail}`, // an unquoted comma: the password's tail lands in env
        `${good!.api},${good!.password},prod`,
        "",
      ].join("\n"),
    );
    const result = await box.cdcreds(["import", file]);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 2, stdout: "" });
    expect(result.stderr.split("\n").filter((l) => l.startsWith("✗"))).toEqual([
      expect.stringMatching(/^✗ line 2, column password: a quoted field spans lines 2 to 4, /) as unknown,
      "✗ line 5, column password: the password is refused: it contains a control character (U+0000)",
      "✗ line 6, column password: the password is refused: it contains a control character (U+001B)",
      "✗ line 7, column password: the password is refused: it is longer than 512 characters",
      expect.stringMatching(/^✗ line 8, column env: must be prod or preprod, or empty/) as unknown,
    ]);
    expect(result.stderr).toMatch(/^error: the file has 5 problems; nothing was imported$/m);
    for (const a of [swallower, swallowed1, swallowed2, nul, esc, long, good]) expect(result.stderr).not.toContain(a!.password);
    expect(result.stderr).not.toContain(tail);
    nothingDone([swallower, swallowed1, swallowed2, nul, esc, long, split, good].map((a) => a!.api));
  });

  it("reads a file that is not UTF-8 as Windows-1252 (Excel's CSV on Western Windows), saying so: é and € stored as they were typed", async () => {
    const seller = uniqueLogin("w1252");
    const api = `${seller}-caf\u00e9-api`;
    box.apiLogins.push(api);
    const password = `${sentinel()}-\u00e9\u20ac`;
    box.sts.addCredentials(api, password);
    const [good] = accounts("w1252ok", 1);
    const windows1252 = (text: string): Buffer => Buffer.from(text.replaceAll("\u20ac", "\x80"), "latin1"); // € is 0x80 there
    const file = await csv(windows1252(`login;password\r\n${good!.api};${good!.password}\r\n${seller}-caf\u00e9;${password}\r\n`));
    const result = await box.cdcreds(["import", file]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`note: ${file} was not UTF-8 (line 2): read as Windows-1252`);
    expect(result.stderr).toContain("2 of 2 accounts stored in the keychain\n");
    expect([secretToolLookup("cdcreds:prod", api), secretToolLookup("cdcreds:prod", good!.api)]).toEqual([password, good!.password]);
    expect(result.stderr).not.toContain(password);
  });

  it("imports a `;`-separated file (Excel where `,` is the decimal mark): commas in passwords are theirs", async () => {
    const [a, b] = accounts("semicolon", 2);
    const [pa, pb] = [`${a!.password},x`, `${b!.password}, "y"`];
    box.sts.addCredentials(a!.api, pa);
    box.sts.addCredentials(b!.api, pb);
    const file = await csv(`\uFEFFlogin;password;env\r\n${a!.api};${pa};prod\r\n${b!.api};"${pb.replaceAll('"', '""')}";\r\n`);
    const result = await box.cdcreds(["import", file]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain("not UTF-8");
    expect([secretToolLookup("cdcreds:prod", a!.api), secretToolLookup("cdcreds:prod", b!.api)]).toEqual([pa, pb]);
  });

  it("refuses a file that starts as UTF-8 (its byte order mark) but is not, naming its line; sends nothing (exit 2)", async () => {
    const [good, latin] = accounts("latin", 2);
    const file = await csv(
      Buffer.concat([
        Buffer.from(`\uFEFFlogin,password\n${good!.api},${good!.password}\n${latin!.api},caf`),
        Buffer.from([0xe9]), // é in Latin-1 and Windows-1252
        Buffer.from("-secret\n"),
      ]),
    );
    const result = await box.cdcreds(["import", file]);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 2, stdout: "" });
    expect(result.stderr).toContain(
      `error: line 3: ${file} starts as UTF-8 text but is not; nothing was imported\nhint: save it again as UTF-8`,
    );
    nothingDone([good!.api, latin!.api]);
  });

  it("refuses a file mixing UTF-8 lines with lines that are not, naming both; sends nothing (exit 2)", async () => {
    const [utf8, latin] = accounts("mixed", 2);
    const file = await csv(
      Buffer.concat([
        Buffer.from(`login,password\n${utf8!.api},caf\u00e9-${utf8!.password}\n${latin!.api},na`),
        Buffer.from([0xef]), // ï in Windows-1252
        Buffer.from(`ve-${latin!.password}\n`),
      ]),
    );
    const result = await box.cdcreds(["import", file]);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 2, stdout: "" });
    expect(result.stderr).toContain(`error: ${file} mixes encodings: line 2 is UTF-8 text, line 3 is not; nothing was imported\n`);
    nothingDone([utf8!.api, latin!.api]);
  });

  it("says to delete the file only when it stored an account", async () => {
    const [rejected] = accounts("unstored", 1);
    box.sts.answerFor(rejected!.api, "401");
    const result = await box.cdcreds(["import", await csv(`login,password\n${rejected!.api},${rejected!.password}\n`)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("0 of 1 account stored in the keychain\n");
    expect(result.stderr).not.toContain("delete it");
  });

  it("refuses what is not a regular file before reading it: a device, a FIFO, a folder (exit 2)", async () => {
    const fifo = join(box.config.dir, "accounts.fifo");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    for (const path of ["/dev/zero", fifo, box.config.dir]) {
      const result = await box.cdcreds(["import", path]);
      expect({ path, code: result.code, stdout: result.stdout }).toEqual({ path, code: 2, stdout: "" });
      expect(result.stderr).toMatch(new RegExp(`^error: ${path.replace(/[.]/g, "\\.")} is not a regular file: not an accounts file$`, "m"));
    }
  });

  it("stops reading standard input past its cap (exit 2), and a signal ends a read that never ends (exit 143)", async () => {
    const zero = openSync("/dev/zero", "r");
    try {
      const { code, stderr } = await start(["import", "-"], zero).ended;
      expect({ code, stderr }).toEqual({ code: 2, stderr: "error: standard input holds more than 16 MiB: not an accounts file\n" });
    } finally {
      closeSync(zero);
    }
    const { child, ended } = start(["import", "-"], "pipe");
    // More than a pipe holds: the write completes once cdcreds has read most of it, so the signal
    // comes while it reads (the pipe stays open: the read would never end).
    await new Promise<void>((resolve, reject) =>
      child.stdin!.write(`login,password\n${"bestshop,pw\n".repeat(200_000)}`, (error) => (error ? reject(error) : resolve())),
    );
    child.kill("SIGTERM");
    expect(await ended).toEqual({ code: 143, stderr: "error: interrupted (SIGTERM)\n" });
    child.stdin!.destroy();
  });

  it("refuses standard input at a terminal, where the secrets typed would show (exit 2)", async () => {
    const run = ptyRun(["--auth-url", box.sts.url, "import", "-"], { XDG_CONFIG_HOME: box.config.dir });
    expect(await run.exited).toBe(2);
    expect(run.screen).toMatch(/error: import - reads a pipe or a redirected file, but standard input is a terminal/);
    expect(run.screen).toMatch(/hint: name the file instead: cdcreds import FILE/);
  });

  it("takes two spellings of a login (é composed, or e + U+0301) as one account, stored as composed, as set does", async () => {
    const seller = uniqueLogin("nfc");
    const [composed, decomposed] = [`${seller}-caf\u00e9`, `${seller}-cafe\u0301`];
    box.apiLogins.push(`${composed}-api`, `${decomposed}-api`);
    const twice = await box.cdcreds(["import", "--no-verify", await csv(`login,password\n${composed},one1\n${decomposed},two2\n`)]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain("✗ line 3, column login: the same account (prod) as line 2: one line per account\n");
    nothingDone([`${composed}-api`, `${decomposed}-api`]);

    const once = await box.cdcreds(["import", "--no-verify", await csv(`login,password\n${decomposed},one1\n`)]);
    expect(once.code, once.stderr).toBe(0);
    expect(once.stderr).toContain(`✓ line 2: ${composed}-api (prod): stored (not checked)\n`);
    expect([secretToolLookup("cdcreds:prod", `${composed}-api`), secretToolLookup("cdcreds:prod", `${decomposed}-api`)]).toEqual([
      "one1",
      undefined,
    ]);
    const set = await box.cdcreds(["set", "--no-verify", "--password-stdin", decomposed], { input: "three3" });
    expect(set.code, set.stderr).toBe(0);
    expect(secretToolLookup("cdcreds:prod", `${composed}-api`)).toBe("three3");
    const index = await readFile(join(box.config.dir, "cdcreds", "accounts.json"), "utf8");
    expect(index).not.toContain(decomposed);
  });
});
