// The commander program: global options, and the table of commands, each imported only when it
// runs (so `derive` never loads the prompt library, the keychain binding or an HTTP client).
import { Argument, Command, Option } from "commander";
import { STORE_IDS } from "../stores/index.js";
import { ENVIRONMENTS } from "../kinds/environment.js";
import { VERSION } from "../version.js";
import { action, type Outcome } from "./command.js";
import type { CommandContext, CommandResult } from "./context.js";

/** One command: its words for commander, and its body (which imports the command's module). */
interface CommandSpec {
  name: string;
  description: string;
  /** `<name>` or `[name]`, its description, and its choices when it has a fixed set. */
  args?: [string, string, string[]?][];
  /** Flags and description, as commander takes them. */
  options?: [string, string][];
  usage?: string;
  examples: string[];
  // Each body types its own arguments and flags (the command module's flag types).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  run: (ctx: CommandContext, program: Command, ...args: any[]) => Promise<CommandResult>;
}

const LOGIN = "seller or API login (default: CDCREDS_LOGIN, else the only stored account)";
const PASSWORD_STDIN: [string, string] = ["--password-stdin", "read the password from standard input (one trailing newline dropped)"];

const COMMANDS: CommandSpec[] = [
  {
    name: "derive",
    description: "print the API login of a seller login (bestshop -> bestshop-api)",
    args: [["<seller-login>", "the seller login"]],
    examples: ["cdcreds derive bestshop", "cdcreds derive --json bestshop"],
    run: async (ctx, _program, login: string) => (await import("./commands/derive.js")).derive(ctx, login),
  },
  {
    name: "verify",
    description: "check the credentials against Cdiscount's token service; the exit status is the answer",
    args: [["[login]", "seller or API login (default: CDISCOUNT_API_LOGIN with environment credentials, else CDCREDS_LOGIN)"]],
    options: [PASSWORD_STDIN, ["--quiet", "print nothing on stderr: the exit status is the answer"]],
    examples: [
      "cdcreds verify bestshop && run-my-sync",
      'printf %s "$PW" | cdcreds verify --password-stdin bestshop',
      "CDISCOUNT_API_LOGIN=bestshop-api CDISCOUNT_API_PASSWORD=... cdcreds verify --json",
    ],
    run: async (ctx, _program, login: string | undefined, flags: import("./commands/verify.js").VerifyFlags) =>
      (await import("./commands/verify.js")).verify(ctx, login, flags),
  },
  {
    name: "completion",
    description: "print a shell completion script",
    args: [["<shell>", "bash, zsh or fish", ["bash", "zsh", "fish"]]],
    examples: ['eval "$(cdcreds completion bash)"', "cdcreds completion fish | source"],
    run: async (_ctx, program, shell: string) => (await import("./commands/completion.js")).completion(program, shell),
  },
  {
    name: "set",
    description: "check a password with Cdiscount, then store it in the keychain",
    args: [["[login]", "seller or API login (asked when missing)"]],
    options: [PASSWORD_STDIN, ["--no-verify", "store without checking the password with the token service"]],
    examples: ["cdcreds set bestshop", 'printf %s "$PW" | cdcreds set --password-stdin bestshop'],
    run: async (ctx, _program, login: string | undefined, flags: import("./commands/set.js").SetFlags) =>
      (await import("./commands/set.js")).set(ctx, login, flags),
  },
  {
    name: "get",
    description: "print the stored password on stdout",
    args: [["[login]", LOGIN]],
    examples: ['PW="$(cdcreds get bestshop)"', "cdcreds get --json --env preprod bestshop"],
    run: async (ctx, _program, login: string | undefined) => (await import("./commands/get.js")).get(ctx, login),
  },
  {
    name: "list",
    description: "list the stored accounts (never a secret)",
    examples: ["cdcreds list", "cdcreds list --json"],
    run: async (ctx) => (await import("./commands/list.js")).list(ctx),
  },
  {
    name: "delete",
    description: "remove a stored password and its cached token",
    args: [["<login>", "seller or API login"]],
    examples: ["cdcreds delete bestshop", "cdcreds delete --env preprod bestshop"],
    run: async (ctx, _program, login: string) => (await import("./commands/delete.js")).deleteAccount(ctx, login),
  },
  {
    name: "doctor",
    description: "check the secret store, the environment and (with --online) the token service",
    options: [["--online", "also ask the token service whether it answers (with a made-up login)"]],
    examples: ["cdcreds doctor", "cdcreds doctor --online --env preprod"],
    run: async (ctx, _program, flags: import("./commands/doctor.js").DoctorFlags) =>
      (await import("./commands/doctor.js")).doctor(ctx, flags),
  },
  {
    name: "token",
    description: "print a valid token, from the cache while it has more than an hour left",
    args: [["[login]", LOGIN]],
    options: [["--refresh", "ignore the cached token and get a new one"]],
    examples: ['TOKEN="$(cdcreds token bestshop)"', "cdcreds token --json --refresh"],
    run: async (ctx, _program, login: string | undefined, flags: import("./commands/token.js").TokenFlags) =>
      (await import("./commands/token.js")).token(ctx, login, flags),
  },
  {
    name: "exec",
    description: "run a command with CDISCOUNT_API_LOGIN, CDISCOUNT_API_PASSWORD and CDISCOUNT_API_TOKEN set",
    usage: "[--login L] [--no-token] -- <command> [args...]",
    args: [["<command...>", "the command and its arguments, after --"]],
    options: [
      ["--login <login>", LOGIN],
      ["--no-token", "do not get a token (CDISCOUNT_API_TOKEN stays unset)"],
    ],
    examples: ["cdcreds exec -- python sync.py", "cdcreds exec --login bestshop -- ./sync.sh --full"],
    run: async (ctx, _program, argv: string[], flags: import("./commands/exec.js").ExecFlags) =>
      (await import("./commands/exec.js")).exec(ctx, argv, flags),
  },
];

const examples = (...lines: string[]): string => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;

/** Every command and the program share the same error handling and output. */
const configure = (cmd: Command): Command =>
  cmd
    .exitOverride()
    .configureOutput({ outputError: (message, write) => write(message) })
    .showSuggestionAfterError(true);

/**
 * The commander program: argv to typed options and a lazily imported command. The command that
 * runs leaves its result in `outcome`, for main() to print.
 */
export function buildProgram(outcome: Outcome = {}): Command {
  const program = configure(new Command("cdcreds"))
    .description(
      "Credential helper for the Cdiscount Marketplace API: derive the API login, verify the password, keep it in the OS keychain.",
    )
    .version(VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "display help")
    .addOption(new Option("--env <name>", "Cdiscount environment (env: CDCREDS_ENV)").choices(ENVIRONMENTS))
    .addOption(new Option("--auth-url <url>", "replace the token service URL: https:, or http: to loopback (env: CDCREDS_AUTH_URL)"))
    .addOption(new Option("--timeout <seconds>", "timeout of each request to the token service, default 20"))
    .addOption(new Option("--retries <n>", "retries when the token service is unreachable, default 2"))
    .addOption(new Option("--store <kind>", "secret store (env: CDCREDS_STORE)").choices(STORE_IDS))
    .option("--json", "print data as JSON on stdout")
    .option("--debug", "print details and stack traces on stderr (secrets redacted)")
    .addHelpText(
      "after",
      `${examples("cdcreds derive bestshop             # -> bestshop-api", "cdcreds completion bash > ~/.local/share/bash-completion/completions/cdcreds")}
Exit status: 0 ok, 1 rejected by Cdiscount, 2 usage error, 3 no stored credentials,
4 token service unreachable or unexpected, 5 secret store unavailable, 70 internal error,
130 interrupted.
`,
    );
  for (const spec of COMMANDS) {
    const cmd = configure(program.command(spec.name)).description(spec.description);
    if (spec.usage !== undefined) cmd.usage(spec.usage);
    for (const [name, description, choices] of spec.args ?? []) {
      cmd.addArgument(choices === undefined ? new Argument(name, description) : new Argument(name, description).choices(choices));
    }
    for (const [flags, description] of spec.options ?? []) cmd.option(flags, description);
    cmd
      .addHelpText("after", examples(...spec.examples))
      .action(action(outcome, (ctx, ...args: unknown[]) => spec.run(ctx, program, ...args)));
  }
  return program;
}
