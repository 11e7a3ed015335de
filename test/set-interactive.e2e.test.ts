// `cdcreds set` as a person uses it: in a real pseudo-terminal (@lydell/node-pty), typing at the prompts.
// What reaches the screen is searched for the typed password; Ctrl-C is tried at every step.
import { spawn } from "@lydell/node-pty";
import { describe, expect, it } from "vitest";
import { BIN } from "./support/cli.js";
import { filesUnder, secretToolLookup, sentinel, uniqueLogin } from "./support/store-helpers.js";
import { useSandbox } from "./support/sandbox.js";

const CTRL_C = "\u0003";
const box = useSandbox();
const { apiLogins } = box;

/** A cdcreds run in a pseudo-terminal: everything it drew, and ways to wait and type. */
function terminal(args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: box.config.dir, NO_COLOR: "1", TERM: "xterm" };
  delete env.FORCE_COLOR;
  const pty = spawn(process.execPath, [BIN, "--auth-url", box.sts.url, "--retries", "0", ...args], { name: "xterm", cols: 120, rows: 40, env });
  let screen = "";
  const waiters: { seen: () => number | undefined; resolve: (end: number) => void }[] = [];
  pty.onData((data) => {
    screen += data;
    for (const waiter of [...waiters]) {
      const end = waiter.seen();
      if (end !== undefined) waiter.resolve(end);
    }
  });
  const exited = new Promise<number>((resolve) => pty.onExit(({ exitCode }) => resolve(exitCode)));
  return {
    get screen() {
      return screen;
    },
    exited,
    /**
     * Resolves once the screen shows `match` after position `since` (default: the start), with
     * the position where the match ends, to wait for what comes after it.
     */
    waitFor: (match: RegExp, since = 0) =>
      new Promise<number>((resolve, reject) => {
        const seen = (): number | undefined => {
          const found = match.exec(screen.slice(since));
          return found === null ? undefined : since + found.index + found[0].length;
        };
        const now = seen();
        if (now !== undefined) return resolve(now);
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${match} on screen:\n${screen}`)), 15_000);
        waiters.push({ seen, resolve: (end) => (clearTimeout(timer), resolve(end)) });
      }),
    type: (text: string) => pty.write(text),
  };
}

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
    run.type("\u0015"); // Ctrl-U: clear the line, as readline does
    // The prompt again, empty: nothing after the login but terminal escape sequences.
    // eslint-disable-next-line no-control-regex -- matching ESC is the point
    await run.waitFor(/Password of \S+ *(\u001b\[[0-9;]*[A-Za-z])*$/, refused);
    run.type(`${right}\r`);
    expect(await run.exited).toBe(0);
    expect(box.sts.requests.map((r) => r.password)).toEqual([wrong, right]);
    expect(secretToolLookup("cdcreds:prod", api)).toBe(right);
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
    await run.waitFor(/checking .* with Cdiscount/);
    run.type(CTRL_C);
    expect(await run.exited).toBe(130);
    await expectNothingStored(api, password);
  });
});
