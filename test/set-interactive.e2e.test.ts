// `cdcreds set` as a person uses it: in a real pseudo-terminal (@lydell/node-pty), typing at the prompts.
// What reaches the screen is searched for the typed password; Ctrl-C is tried at every step.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { spawn } from "@lydell/node-pty";
import { describe, expect, it } from "vitest";
import { BIN } from "./support/cli.js";
import { ptyRun } from "./support/pty.js";
import { filesUnder, secretToolLookup, sentinel, uniqueLogin } from "./support/store-helpers.js";
import { useSandbox } from "./support/sandbox.js";

const CTRL_C = "\u0003";
const box = useSandbox();
const { apiLogins } = box;

/** A cdcreds run in a pseudo-terminal, against this test's emulator and config folder. */
const terminal = (args: string[]) => ptyRun(["--auth-url", box.sts.url, "--retries", "0", ...args], { XDG_CONFIG_HOME: box.config.dir });

const newLogin = (name: string) => {
  const seller = uniqueLogin(name);
  apiLogins.push(`${seller}-api`);
  return { seller, api: `${seller}-api` };
};

async function expectNothingStored(api: string, secret?: string): Promise<void> {
  expect(secretToolLookup("cdcreds:prod", api)).toBeUndefined();
  for (const [path, content] of await filesUnder(box.config.dir)) {
    expect(content, path).not.toContain(api);
    if (secret !== undefined) expect(content, path).not.toContain(secret);
  }
}

describe("set in a terminal", () => {
  it("asks the login, shows the API login, masks the password, verifies and stores it", async () => {
    const { seller, api } = newLogin("tty");
    const password = sentinel();
    box.sts.setCredentials(api, password);
    const run = terminal(["set"]);
    await run.waitFor(/Seller login/);
    run.type(`${seller}\r`);
    await run.waitFor(new RegExp(`API login: ${api}`));
    await run.waitFor(/Password of/);
    run.type(`${password}\r`);
    expect(await run.exited).toBe(0);
    expect(run.screen).toContain(`✓ ${api} (prod): password verified and stored in the keychain`);
    expect(run.screen).toContain("*".repeat([...password].length));
    expect(run.screen).not.toContain(password);
    expect(secretToolLookup("cdcreds:prod", api)).toBe(password);
  });

  it("says a rejected password was rejected, asks again, and stores only the right one", async () => {
    const { seller, api } = newLogin("retry");
    const [wrong, right] = [sentinel(), sentinel()];
    box.sts.setCredentials(api, right);
    const run = terminal(["set", seller]);
    await run.waitFor(/Password of/);
    run.type(`${wrong}\r`);
    await run.waitFor(/credentials rejected by Cdiscount \(HTTP 401\)[\s\S]*try again \(2 of 3\)[\s\S]*Password of/);
    run.type(`${right}\r`);
    expect(await run.exited).toBe(0);
    expect(box.sts.requests.map((r) => r.password)).toEqual([wrong, right]);
    expect(secretToolLookup("cdcreds:prod", api)).toBe(right);
    expect(run.screen).not.toContain(wrong);
    expect(run.screen).not.toContain(right);
  });

  it("refuses to send a just-rejected password again (it only brings a lock-out closer)", async () => {
    const { seller, api } = newLogin("same");
    const [wrong, right] = [sentinel(), sentinel()];
    box.sts.setCredentials(api, right);
    const run = terminal(["set", seller]);
    await run.waitFor(/Password of/);
    run.type(`${wrong}\r`);
    const asked = await run.waitFor(/try again \(2 of 3\)[\s\S]*Password of/);
    run.type(`${wrong}\r`);
    const refused = await run.waitFor(/Cdiscount just rejected this password/, asked);
    // A new, empty prompt: what is typed next is the whole password, not appended to the refused one.
    await run.waitFor(/Password of/, refused);
    run.type(`${right}\r`);
    expect(await run.exited).toBe(0);
    expect(box.sts.requests.map((r) => r.password)).toEqual([wrong, right]);
    expect(secretToolLookup("cdcreds:prod", api)).toBe(right);
  });

  it("refuses a password with a control character at a new, empty prompt, before any request", async () => {
    const { seller, api } = newLogin("control");
    const right = sentinel();
    box.sts.setCredentials(api, right);
    const run = terminal(["set", seller]);
    await run.waitFor(/Password of/);
    run.type("with\tcontrol\r");
    const refused = await run.waitFor(/this password is refused: it contains a control character \(U\+0009\)/);
    await run.waitFor(/Password of/, refused);
    run.type(`${right}\r`);
    expect(await run.exited).toBe(0);
    expect(box.sts.requests.map((r) => r.password)).toEqual([right]);
  });

  it("takes Ctrl-D at the password prompt as no answer: exit 2, not an interruption", async () => {
    const { seller, api } = newLogin("ctrld");
    const run = terminal(["set", seller]);
    await run.waitFor(/Password of/);
    run.type("\u0004");
    expect(await run.exited).toBe(2);
    expect(run.screen).toContain("error: no answer: the input ended at the prompt (Ctrl-D)");
    expect(box.sts.requests).toHaveLength(0);
    await expectNothingStored(api);
  });

  it("refuses --password-stdin when standard input is the terminal (it would echo): exit 2", async () => {
    const { seller, api } = newLogin("stdin-tty");
    for (const command of ["set", "verify"]) {
      const run = terminal([command, "--password-stdin", seller]);
      expect(await run.exited).toBe(2);
      expect(run.screen).toContain(
        "error: --password-stdin reads a pipe, but standard input is a terminal, where the password would be echoed",
      );
    }
    expect(box.sts.requests).toHaveLength(0);
    await expectNothingStored(api);
  });

  it("names standard error as the stream that is not a terminal when only it is redirected", async () => {
    const { seller } = newLogin("stderr-log");
    const log = join(box.config.dir, "log");
    const processEnv: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: box.config.dir, NO_COLOR: "1", TERM: "xterm" };
    const pty = spawn("sh", ["-c", 'exec "$0" "$1" --auth-url "$2" set "$3" 2>"$4"', process.execPath, BIN, box.sts.url, seller, log], {
      name: "xterm",
      env: processEnv,
    });
    const code = await new Promise<number>((resolve) => pty.onExit(({ exitCode }) => resolve(exitCode)));
    expect(code).toBe(2);
    expect(await readFile(log, "utf8")).toMatch(
      /^error: a password is needed but standard error is not a terminal \(prompts are drawn there\) to ask for it$/m,
    );
  });

  it("gives up after three rejected passwords (exit 1) and stores nothing", async () => {
    const { seller, api } = newLogin("thrice");
    box.sts.setCredentials(api, "never-typed");
    const run = terminal(["set", seller]);
    await run.waitFor(/Password of/);
    run.type("wrong-1\r");
    for (const attempt of [2, 3]) {
      const asked = await run.waitFor(new RegExp(`try again \\(${attempt} of 3\\)`));
      await run.waitFor(/Password of/, asked);
      run.type(`wrong-${attempt}\r`);
    }
    expect(await run.exited).toBe(1);
    expect(run.screen).toContain("nothing was stored");
    expect(box.sts.requests).toHaveLength(3);
    await expectNothingStored(api);
  });
});

describe("Ctrl-C during set stores nothing and exits 130", () => {
  it("at the login prompt", async () => {
    const run = terminal(["set"]);
    await run.waitFor(/Seller login/);
    run.type("half-typed");
    run.type(CTRL_C);
    expect(await run.exited).toBe(130);
    expect(await filesUnder(box.config.dir)).toEqual(new Map());
  });

  it("at the password prompt, with the password half typed", async () => {
    const { seller, api } = newLogin("ctrlc");
    const password = sentinel();
    const run = terminal(["set", seller]);
    await run.waitFor(/Password of/);
    run.type(password);
    run.type(CTRL_C);
    expect(await run.exited).toBe(130);
    expect(run.screen).not.toContain(password);
    expect(box.sts.requests).toHaveLength(0);
    await expectNothingStored(api, password);
  });

  it("while the token service is being asked", async () => {
    const { seller, api } = newLogin("ctrlc-verify");
    const password = sentinel();
    box.sts.answer("hang");
    const run = terminal(["set", seller]);
    await run.waitFor(/Password of/);
    run.type(`${password}\r`);
    const spinning = await run.waitFor(/checking .* with Cdiscount/);
    run.type(CTRL_C);
    expect(await run.exited).toBe(130);
    // The spinner's line is erased before the error is printed, not left half-drawn above it.
    const after = run.screen.slice(spinning);
    expect(after.lastIndexOf("\r\u001b[K")).toBeGreaterThan(-1);
    expect(after.lastIndexOf("\r\u001b[K")).toBeLessThan(after.indexOf("error: interrupted"));
    await expectNothingStored(api, password);
  });
});
