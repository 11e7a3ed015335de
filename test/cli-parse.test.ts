// The parsing layer alone: argv in, a typed context and arguments handed to the right command.
// The commands are mocked, so nothing here touches a store, the network or a terminal.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../src/cli/main.js";
import { buildProgram } from "../src/cli/program.js";
import type { CommandContext } from "../src/cli/context.js";
import { SIGNAL_NUMBERS, type HandledSignal } from "../src/platform/signals.js";

const calls = vi.hoisted(() => [] as { command: string; ctx: CommandContext; args: unknown[] }[]);
const record =
  (command: string) =>
  (ctx: CommandContext, ...args: unknown[]) => {
    calls.push({ command, ctx, args });
    return {};
  };

vi.mock("../src/cli/commands/verify.js", () => ({ verify: record("verify") }));
vi.mock("../src/cli/commands/set.js", () => ({ set: record("set") }));
vi.mock("../src/cli/commands/get.js", () => ({ get: record("get") }));
vi.mock("../src/cli/commands/token.js", () => ({ token: record("token") }));
vi.mock("../src/cli/commands/exec.js", () => ({ exec: record("exec") }));
vi.mock("../src/cli/commands/delete.js", () => ({
  // A fault no error class describes, as a bug would throw it.
  deleteAccount: (ctx: CommandContext, login: string) =>
    login === "boom" ? Promise.reject(new TypeError("x is undefined")) : record("delete")(ctx, login),
}));
vi.mock("../src/cli/commands/doctor.js", () => ({ doctor: record("doctor") }));

/** Parses argv with every command set up, and again with only the one argv names (as main does). */
async function parse(...argv: string[]): Promise<{ command: string; ctx: CommandContext; args: unknown[] }> {
  calls.length = 0;
  await buildProgram().parseAsync(argv, { from: "user" });
  await buildProgram({}, argv).parseAsync(argv, { from: "user" });
  expect(calls).toHaveLength(2);
  const [full, only] = calls as [(typeof calls)[0], (typeof calls)[0]];
  expect({ command: only.command, args: only.args, options: only.ctx.options }).toEqual({
    command: full.command,
    args: full.args,
    options: full.ctx.options,
  });
  return full;
}

beforeEach(() => {
  vi.unstubAllEnvs();
  for (const name of ["CDCREDS_ENV", "CDCREDS_STORE", "CDCREDS_AUTH_URL"]) vi.stubEnv(name, undefined);
});

describe("argv to command", () => {
  it("passes global options given before or after the command", async () => {
    const before = await parse("--env", "preprod", "--timeout", "3", "--retries", "0", "--json", "verify", "bestshop", "--quiet");
    const after = await parse("verify", "bestshop", "--quiet", "--env", "preprod", "--timeout", "3", "--retries", "0", "--json");
    for (const { command, ctx, args } of [before, after]) {
      expect(command).toBe("verify");
      expect(ctx.options).toMatchObject({ env: "preprod", timeoutMs: 3000, retries: 0, json: true, store: "keychain", debug: false });
      expect(args).toEqual(["bestshop", { quiet: true }]);
    }
  });

  it("reads defaults from the environment, and flags win", async () => {
    vi.stubEnv("CDCREDS_ENV", "preprod");
    vi.stubEnv("CDCREDS_STORE", "file");
    expect((await parse("get")).ctx.options).toMatchObject({ env: "preprod", store: "file" });
    expect((await parse("get", "--env", "prod", "--store", "keychain")).ctx.options).toMatchObject({ env: "prod", store: "keychain" });
  });

  it("turns --no-verify into verify: false and keeps --password-stdin", async () => {
    expect((await parse("set", "bestshop", "--no-verify", "--password-stdin")).args).toEqual([
      "bestshop",
      { verify: false, passwordStdin: true },
    ]);
    expect((await parse("set")).args).toEqual([undefined, { verify: true }]);
  });

  it("hands exec everything after -- untouched, options included", async () => {
    const { args } = await parse("exec", "--login", "bestshop", "--", "python", "sync.py", "--json", "--env", "x");
    expect(args).toEqual([["python", "sync.py", "--json", "--env", "x"], { login: "bestshop", token: true }]);
    expect((await parse("exec", "--no-token", "--", "true")).args).toEqual([["true"], { token: false }]);
  });

  it.each([
    [["token", "--refresh"], "token", [undefined, { refresh: true }]],
    [["delete", "bestshop"], "delete", ["bestshop"]],
    [["doctor", "--online"], "doctor", [{ online: true }]],
    [["get", "bestshop-api"], "get", ["bestshop-api"]],
  ])("%j runs %s with %j", async (argv, command, args) => {
    const call = await parse(...argv);
    expect(call.command).toBe(command);
    expect(call.args).toEqual(args);
  });

  it("refuses a bad environment variable before the command runs", async () => {
    vi.stubEnv("CDCREDS_ENV", "staging");
    calls.length = 0;
    await expect(buildProgram().parseAsync(["get"], { from: "user" })).rejects.toThrow('unknown environment "staging" from CDCREDS_ENV');
    expect(calls).toHaveLength(0);
  });

  it("refuses an option value outside its choices", async () => {
    calls.length = 0;
    await expect(
      buildProgram()
        .configureOutput({ writeErr: () => {} })
        .parseAsync(["--env", "dev", "get"], { from: "user" }),
    ).rejects.toMatchObject({
      code: "commander.invalidArgument",
    });
    expect(calls).toHaveLength(0);
  });
});

describe("one command set up", () => {
  it.each([
    [["--env", "preprod", "get", "x"], ["get"]],
    [["--store=file", "--json", "token"], ["token"]],
    [
      ["--kind", "octopia", "--", "get"],
      ["api", "completion", "delete", "derive", "doctor", "exec"],
    ],
    [
      ["completion", "bash"],
      ["api", "completion", "delete", "derive", "doctor", "exec"],
    ],
    [
      ["help", "get"],
      ["api", "completion", "delete", "derive", "doctor", "exec"],
    ],
    [["gett"], ["api", "completion", "delete", "derive", "doctor", "exec"]],
    [["--help"], ["api", "completion", "delete", "derive", "doctor", "exec"]],
  ])("%j sets up %j (first six, sorted)", (argv, names) => {
    const commands = buildProgram({}, argv).commands.map((c) => c.name());
    expect(commands.sort().slice(0, 6)).toEqual(names);
  });
});

describe("main", () => {
  // main() installs the CLI's signal handlers in this worker: removed after each test, or vitest's
  // SIGTERM at the end of the file would print "error: interrupted (SIGTERM)" into the run's output.
  const signals = Object.keys(SIGNAL_NUMBERS) as HandledSignal[];
  const signalListeners = () => new Map(signals.map((signal) => [signal, process.listeners(signal)]));
  let before: ReturnType<typeof signalListeners>;
  beforeEach(() => {
    before = signalListeners();
  });
  afterEach(() => {
    for (const signal of signals)
      for (const listener of process.listeners(signal)) if (!before.get(signal)!.includes(listener)) process.off(signal, listener);
  });

  it("exits 70 for a fault no error class describes, never 1 (which scripts read as 'rejected')", async () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      await main(["node", "cdcreds", "delete", "boom"]);
      expect(exit).toHaveBeenCalledWith(70);
      expect(stderr.mock.calls.map(([text]) => String(text)).join("")).toBe(
        "error: unexpected failure: x is undefined\nhint: this is a bug in cdcreds: run again with --debug and report it\n",
      );
    } finally {
      exit.mockRestore();
      stderr.mockRestore();
    }
  });

  it("reports a fault thrown outside the command (in an event handler) the same way: exit 70, one line, no stack", async () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const events = ["uncaughtException", "unhandledRejection"] as const;
    const listeners = (event: (typeof events)[number]) => process.listeners(event as "uncaughtException") as ((error: unknown) => void)[];
    const before = new Map(events.map((event) => [event, listeners(event)]));
    const added = (event: (typeof events)[number]) => listeners(event).filter((listener) => !before.get(event)!.includes(listener));
    try {
      await main(["node", "cdcreds", "delete", "x"]);
      exit.mockClear();
      stderr.mockClear();
      for (const event of events) {
        expect(added(event)).toHaveLength(1);
        // What a string grown past V8's limit in a child's output handler throws.
        added(event)[0]!(new RangeError("Invalid string length"));
      }
      expect(exit.mock.calls).toEqual([[70], [70]]);
      expect(stderr.mock.calls.map(([text]) => String(text)).join("")).toBe(
        "error: unexpected failure: Invalid string length\nhint: this is a bug in cdcreds: run again with --debug and report it\n".repeat(
          2,
        ),
      );
    } finally {
      for (const event of events) for (const listener of added(event)) process.off(event, listener);
      exit.mockRestore();
      stderr.mockRestore();
    }
  });
});
