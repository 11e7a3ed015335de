// `cdcreds run` from the built binary against the private test keyring and a loopback token
// service: references in the environment and in dotenv files resolved for the program only, its
// output masked (a secret written in pieces, and in each form `scan` knows), `--no-masking` on a
// pseudo-terminal, exit statuses, signals and standard input. Every output is searched for the secrets.
import { spawn } from "node:child_process";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { BIN, type CliOptions, type CliResult } from "./support/cli.js";
import { ptyRun } from "./support/pty.js";
import { useSandbox } from "./support/sandbox.js";

const box = useSandbox();
let dir: string;
const secrets: string[] = [];
const outputs: string[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cdcreds-run-"));
  secrets.push(box.sts.token);
});
afterEach(() => rm(dir, { recursive: true, force: true }));
afterAll(() => {
  for (const output of outputs) for (const secret of secrets) expect(output).not.toContain(secret);
});

async function cdcreds(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const result = await box.cdcreds(args, options);
  outputs.push(result.stdout, result.stderr);
  return result;
}

async function storedAccount(name: string): Promise<{ api: string; password: string }> {
  const account = await box.storedAccount(name);
  secrets.push(account.password);
  return account;
}

/** A node program for `run` to start. */
const node = (code: string): string[] => [process.execPath, "-e", code];
/** Prints these variables' values reversed (so masking leaves them), as JSON. */
const printReversed = (...names: string[]): string[] =>
  node(`process.stdout.write(JSON.stringify(${JSON.stringify(names)}.map((n) => [...(process.env[n] ?? "")].reverse().join(""))))`);
const reversed = (text: string): string => [...text].reverse().join("");

describe("cdcreds run", () => {
  it("resolves the references of the environment and of --env-file files (a later file wins) for the program only", async () => {
    const { api, password } = await storedAccount("run");
    const first = join(dir, "first.env");
    const second = join(dir, "second.env");
    await writeFile(first, `# the sync's settings\nCD_LOGIN=cdcreds://${api}/account\nCD_PASSWORD="cdcreds://${api}"\nPLAIN=first\n`);
    await writeFile(second, `export PLAIN=second\nCD_TOKEN=cdcreds://${api}/token\n`);
    const result = await cdcreds(
      [
        "run",
        "--env-file",
        first,
        "--env-file",
        second,
        "--",
        ...printReversed("CD_LOGIN", "CD_PASSWORD", "CD_TOKEN", "PLAIN", "FROM_ENV", "CDCREDS_PASSPHRASE"),
      ],
      { env: { FROM_ENV: `cdcreds://${api}/secret?env=prod`, CDCREDS_PASSPHRASE: "not for the program" } },
    );
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect((JSON.parse(result.stdout) as string[]).map(reversed)).toEqual([api, password, box.sts.token, "second", password, ""]);
  });

  it("masks every resolved secret in the program's stdout and stderr, in every form, also when written in pieces", async () => {
    const { api, password } = await storedAccount("mask");
    const basic = Buffer.from(`${api}:${password}`).toString("base64");
    const php = JSON.stringify(password)
      .slice(1, -1)
      .replaceAll("/", "\\/")
      .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    // Each secret in two writes some time apart, so cdcreds reads them as two chunks.
    const code = `const pieces = (fd, text) => { const cut = Math.floor(text.length / 2); require("fs").writeSync(fd, "<" + text.slice(0, cut)); return new Promise((r) => setTimeout(() => { require("fs").writeSync(fd, text.slice(cut) + ">\\n"); r(); }, 50)); };
(async () => {
  await pieces(1, process.env.PW);
  await pieces(2, process.env.TOKEN);
  await pieces(1, encodeURIComponent(process.env.PW));
  await pieces(1, ${JSON.stringify(php)});
  await pieces(2, Buffer.from(process.env.LOGIN + ":" + process.env.PW).toString("base64"));
  process.stdout.write("done\\n");
})();`;
    const result = await cdcreds(["run", "--", ...node(code)], {
      env: { PW: `cdcreds://${api}`, TOKEN: `cdcreds://${api}/token`, LOGIN: `cdcreds://${api}/account` },
    });
    secrets.push(encodeURIComponent(password), php, basic);
    expect(result).toMatchObject({
      code: 0,
      stdout: "<<concealed by cdcreds>>\n".repeat(3) + "done\n",
      stderr: "<<concealed by cdcreds>>\n".repeat(2),
    });
  });

  it("--no-masking hands over the terminal itself", async () => {
    const { api } = await storedAccount("tty");
    const code = `process.stdout.write("tty:" + process.stdout.isTTY + ":" + process.stderr.isTTY + ":" + process.stdin.isTTY + ":" + (process.env.PW.length > 0) + "\\n")`;
    const env = { XDG_CONFIG_HOME: box.config.dir, PW: `cdcreds://${api}` };
    const plain = ptyRun(["--auth-url", box.sts.url, "run", "--no-masking", "--", ...node(code)], env);
    expect(await plain.exited).toBe(0);
    expect(plain.screen).toContain("tty:true:true:true:true");
    const masked = ptyRun(["--auth-url", box.sts.url, "run", "--", ...node(code)], env);
    expect(await masked.exited).toBe(0);
    expect(masked.screen).toContain("tty:undefined:undefined:true:true");
    outputs.push(plain.screen, masked.screen);
  });

  it("passes stdin through and exits with the program's status, or 128 + the signal that ended it", async () => {
    const { api } = await storedAccount("status");
    const upper = `let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => { process.stdout.write(s.toUpperCase()); process.exit(7); })`;
    expect(await cdcreds(["run", "--", ...node(upper)], { input: "hello", env: { PW: `cdcreds://${api}` } })).toMatchObject({
      code: 7,
      stdout: "HELLO",
      stderr: "",
    });
    const killed = await cdcreds(["run", "--", ...node("process.kill(process.pid, 'SIGTERM')")], { env: { PW: `cdcreds://${api}` } });
    expect(killed).toMatchObject({ code: 143, stdout: "", stderr: "" });
  });

  it("forwards SIGTERM to the program, whose output is still masked", async () => {
    const { api } = await storedAccount("forward");
    const code = `process.on("SIGTERM", () => { process.stdout.write("got SIGTERM " + process.env.PW); process.exit(5); }); process.stdout.write("ready"); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, [BIN, "--auth-url", box.sts.url, "run", "--", ...node(code)], {
      env: { ...process.env, XDG_CONFIG_HOME: box.config.dir, PW: `cdcreds://${api}` },
    });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      if (stdout === "ready") child.kill("SIGTERM");
    });
    const status = await new Promise((resolve) => child.on("close", resolve));
    outputs.push(stdout);
    expect(stdout).toBe("readygot SIGTERM <concealed by cdcreds>");
    expect(status).toBe(5);
  });

  it("ends when the reader of its output goes away, as the program would with its output inherited", async () => {
    const { api } = await storedAccount("epipe");
    const code = `setInterval(() => process.stdout.write("x " + process.env.PW + "\\n"), 1)`;
    const child = spawn(process.execPath, [BIN, "--auth-url", box.sts.url, "run", "--", ...node(code)], {
      env: { ...process.env, XDG_CONFIG_HOME: box.config.dir, PW: `cdcreds://${api}` },
    });
    const first = await new Promise<string>((resolve) => child.stdout.once("data", (d: Buffer) => resolve(d.toString())));
    outputs.push(first);
    expect(first).toMatch(/^x /);
    child.stdout.destroy();
    const status = await new Promise((resolve) => child.on("close", (c, signal) => resolve(c ?? signal)));
    expect(status).not.toBe(0);
  });

  it("runs nothing when a reference cannot be resolved", async () => {
    const { api } = await storedAccount("fail");
    const marker = join(dir, "ran");
    const touch = node(`require("fs").writeFileSync(${JSON.stringify(marker)}, "")`);
    const missing = await cdcreds(["run", "--", ...touch], { env: { PW: `cdcreds://${api}x` } });
    expect(missing).toMatchObject({ code: 3, stdout: "" });
    expect(missing.stderr).toContain(`reference "cdcreds://${api}x"`);
    const malformed = await cdcreds(["run", "--", ...touch], { env: { PW: `cdcreds://${api}/passwd` } });
    expect(malformed).toMatchObject({ code: 2, stdout: "" });
    // Node itself checks an `--env-file` it sees before `--`, even among a script's arguments
    // (nodejs/node#54232): a missing file is its "not found", exit 9, before cdcreds starts.
    const noFile = await cdcreds(["run", "--env-file", join(dir, "none.env"), "--", ...touch]);
    expect(noFile.code).not.toBe(0);
    expect(noFile.stderr).toContain("none.env");
    await expect(stat(marker)).rejects.toThrow("ENOENT");
  });
});
