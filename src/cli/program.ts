// The commander program: global options, and the table of commands, each imported only when it
// runs (so `derive` never loads the prompt library, the keychain binding or an HTTP client).
import { Argument, Command, Option } from "commander";
import { escapeText } from "../platform/text.js";
import { STORE_IDS } from "../stores/index.js";
import { ENVIRONMENTS } from "../kinds/environment.js";
import { KIND_IDS } from "../kinds/index.js";
import { VERSION } from "../version.js";
import { action, type Outcome } from "./command.js";
import { writeStdout } from "./output.js";
import type { CommandContext, CommandResult } from "./context.js";

/** One command: its words for commander, and its body (which imports the command's module). */
interface CommandSpec {
  name: string;
  description: string;
  /** `<name>` or `[name]`, its description, and its choices when it has a fixed set. */
  args?: [string, string, string[]?][];
  /** Flags and description, as commander takes them, and a parser for a repeatable flag. */
  options?: [string, string, ((value: string, previous?: string[]) => string[])?][];
  usage?: string;
  examples: string[];
  // Each body types its own arguments and flags (the command module's flag types).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  run: (ctx: CommandContext, program: Command, ...args: any[]) => Promise<CommandResult>;
}

const LOGIN = "seller or API login, or client ID (default: CDCREDS_LOGIN, else the only stored account)";
const SECRET_STDIN: [string, string][] = [
  ["--secret-stdin", "read the password or client secret from standard input (one trailing newline dropped)"],
  ["--password-stdin", "the same as --secret-stdin"],
];
/** A flag given once per value: `--seller-id 1 --seller-id 2`. */
const repeated = (value: string, previous: string[] = []): string[] => [...previous, value];
const SELLER_IDS: [string, string, typeof repeated] = ["--seller-id <id>", "an Octopia seller ID (repeat for several)", repeated];
const SELLER_ID: [string, string] = ["--seller-id <id>", "the Octopia seller to act for (default: the client's only one)"];

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
    description: "check the credentials with the token service (and an Octopia client's sellers); the exit status is the answer",
    args: [["[login]", "seller or API login, or client ID (default: the environment credentials' account, else CDCREDS_LOGIN)"]],
    options: [
      ...SECRET_STDIN,
      SELLER_IDS,
      ["--quiet", "print nothing on stderr: the exit status is the answer"],
      ["--all", "check every stored account of the environment (all kinds, or --kind's)"],
      ["--jobs <n>", "with --all: accounts checked at the same time, 1 to 32, default 4"],
    ],
    examples: [
      "cdcreds verify bestshop && run-my-sync",
      "cdcreds verify --all --jobs 8 --json > report.json   # the nightly check of every account",
      'printf %s "$PW" | cdcreds verify --secret-stdin bestshop',
      "cdcreds verify --kind octopia 'My client' --seller-id 12345",
      "CDISCOUNT_API_LOGIN=bestshop-api CDISCOUNT_API_PASSWORD=... cdcreds verify --json",
    ],
    run: async (ctx, _program, login: string | undefined, flags: import("./commands/verify.js").VerifyFlags) =>
      flags.all === true
        ? (await import("./commands/verify-all.js")).verifyAll(ctx, login, flags)
        : (await import("./commands/verify.js")).verify(ctx, login, flags),
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
    description: "check a password (or an Octopia client secret) with its token service, then store it",
    args: [["[login]", "seller or API login, or client ID (asked when missing)"]],
    options: [...SECRET_STDIN, SELLER_IDS, ["--no-verify", "store without checking with the token service"]],
    examples: [
      "cdcreds set bestshop",
      'printf %s "$PW" | cdcreds set --secret-stdin bestshop',
      "cdcreds set --kind octopia 'My client' --seller-id 12345",
    ],
    run: async (ctx, _program, login: string | undefined, flags: import("./commands/set.js").SetFlags) =>
      (await import("./commands/set.js")).set(ctx, login, flags),
  },
  {
    name: "import",
    description: "check and store the accounts of a CSV file (login,password or client_id,client_secret,seller_ids)",
    args: [["<file>", "the CSV file, or - for standard input"]],
    options: [
      ["--no-verify", "store without checking with the token service"],
      ["--jobs <n>", "accounts checked at the same time, 1 to 32, default 4"],
    ],
    examples: ["cdcreds import sellers.csv && shred -u sellers.csv", "cdcreds --store file import - < clients.csv"],
    run: async (ctx, _program, file: string, flags: import("./commands/import.js").ImportFlags) =>
      (await import("./commands/import.js")).importAccounts(ctx, file, flags),
  },
  {
    name: "get",
    description: "print the stored password (or client secret) on stdout",
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
    description: "remove a stored password (or client secret) and its cached token",
    args: [["<login>", "seller or API login, or client ID"]],
    examples: ["cdcreds delete bestshop", "cdcreds delete --env preprod bestshop"],
    run: async (ctx, _program, login: string) => (await import("./commands/delete.js")).deleteAccount(ctx, login),
  },
  {
    name: "doctor",
    description: "check the secret store, the environment and (with --online) the token services",
    options: [["--online", "also ask each token service whether it answers (with made-up credentials)"]],
    examples: ["cdcreds doctor", "cdcreds doctor --online --env preprod"],
    run: async (ctx, _program, flags: import("./commands/doctor.js").DoctorFlags) =>
      (await import("./commands/doctor.js")).doctor(ctx, flags),
  },
  {
    name: "token",
    description: "print a valid token, from the cache while enough of it is left",
    args: [["[login]", LOGIN]],
    options: [["--refresh", "ignore the cached token and get a new one"], SELLER_ID],
    examples: ['TOKEN="$(cdcreds token bestshop)"', "cdcreds token --json --refresh", "cdcreds token --json 'My client'   # with headers"],
    run: async (ctx, _program, login: string | undefined, flags: import("./commands/token.js").TokenFlags) =>
      (await import("./commands/token.js")).token(ctx, login, flags),
  },
  {
    name: "exec",
    description: "run a command with the credentials and a token in its environment (CDISCOUNT_API_* or OCTOPIA_*)",
    usage: "[--login L] [--no-token] [--seller-id ID] -- <command> [args...]",
    args: [["<command...>", "the command and its arguments, after --"]],
    options: [
      ["--login <login>", LOGIN],
      ["--no-token", "do not get a token (CDISCOUNT_API_TOKEN or OCTOPIA_ACCESS_TOKEN stays unset)"],
      SELLER_ID,
    ],
    examples: [
      "cdcreds exec -- python sync.py",
      "cdcreds exec --login bestshop -- ./sync.sh --full",
      "cdcreds exec --login 'My client' -- python octopia_sync.py",
    ],
    run: async (ctx, _program, argv: string[], flags: import("./commands/exec.js").ExecFlags) =>
      (await import("./commands/exec.js")).exec(ctx, argv, flags),
  },
];

const examples = (...lines: string[]): string => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;

/**
 * The name of an option commander does not know, without what was typed after it: `set
 * --password=SECRET` must not print the password (`--password`; `-pSECRET` gives `-p`).
 */
function optionName(flag: string): string {
  if (flag.startsWith("--")) return flag.split("=", 1)[0]!;
  return flag.slice(0, 2);
}

/**
 * A commander error message as it may be shown: an option's invalid value left out (`--env=X`
 * could be anything typed there), and every control character escaped, line breaks kept. The
 * other messages hold no value typed (too many arguments are counted, not shown), or the word
 * typed in a command's place or a choice's (`unknown command 'derivee'`), which is kept, escaped.
 */
function commanderMessage(message: string): string {
  const shown = message.replace(
    /^(error: option '[^']*' )(argument|value) '[\s\S]*?'( from env '[^']*')? is invalid\./,
    (_all, option: string, what: string, env = "") => `${option}${what}${env} is invalid.`,
  );
  return shown.split("\n").map(escapeText).join("\n");
}

/** Every command and the program share the same error handling and output. */
function configure(cmd: Command): Command {
  // Commander's own step for an unknown option, given the option's name alone: its message then
  // names no value, and its suggestion is made from the name. Not in commander's types: the tests
  // of `set --password=SECRET` see that it is still called.
  const steps = cmd as unknown as { unknownOption: (flag: string) => void };
  const unknownOption = steps.unknownOption.bind(cmd);
  steps.unknownOption = (flag) => unknownOption(optionName(flag));
  return (
    cmd
      .exitOverride()
      // Help and the version go to fd 1 as every output does: a reader that has gone is no error.
      .configureOutput({
        writeOut: (text) => void writeStdout(text).catch(() => undefined),
        outputError: (message, write) => write(commanderMessage(message)),
      })
      .showSuggestionAfterError(true)
      // A command's help lists the program's options too (--env, --store, --json...): they are given
      // after the command as often as before it.
      .configureHelp({ showGlobalOptions: true })
  );
}

/**
 * The command word of `args` (argv without node and the script): the first word that is neither
 * an option nor the value of one of `program`'s options. Undefined when there is none.
 */
function commandWord(program: Command, args: readonly string[]): string | undefined {
  const takesValue = new Set(program.options.filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short]));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") return undefined;
    if (!arg.startsWith("-")) return arg;
    if (takesValue.has(arg)) i++;
  }
  return undefined;
}

/**
 * The commander program: argv to typed options and a lazily imported command. The command that
 * runs leaves its result in `outcome`, for main() to print.
 *
 * Given `args` (argv after node and the script) that name a command, only that command is set up:
 * the other ten cost ~1 ms of every run and change nothing in its parsing, errors or help.
 * The program's own help, `help`, `completion` and an unknown word get them all.
 */
export function buildProgram(outcome: Outcome = {}, args?: readonly string[]): Command {
  const program = configure(new Command("cdcreds"))
    .description(
      "Credential helper for the Cdiscount Marketplace API and the Octopia seller API: verify credentials, keep them in the OS keychain, hand out tokens.",
    )
    .version(VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "display help")
    .addOption(new Option("--env <name>", "environment (env: CDCREDS_ENV)").choices(ENVIRONMENTS))
    .addOption(
      new Option(
        "--kind <kind>",
        "kind of credential: api-login (SOAP API login) or octopia (seller API client) (env: CDCREDS_KIND)",
      ).choices(KIND_IDS),
    )
    .addOption(new Option("--auth-url <url>", "replace the token service URL: https:, or http: to loopback (env: CDCREDS_AUTH_URL)"))
    .addOption(new Option("--api-url <url>", "replace the Octopia seller API base, same rule (env: CDCREDS_API_URL)"))
    .addOption(new Option("--timeout <seconds>", "timeout of each request to the token service, default 20"))
    .addOption(new Option("--retries <n>", "retries when the token service is unreachable, default 2"))
    .addOption(new Option("--store <store>", "secret store (env: CDCREDS_STORE)").choices(STORE_IDS))
    .option("--json", "print data as JSON on stdout")
    .option("--debug", "print details and stack traces on stderr (secrets redacted)")
    .addHelpText(
      "after",
      `${examples("cdcreds derive bestshop             # -> bestshop-api", "cdcreds completion bash > ~/.local/share/bash-completion/completions/cdcreds")}
Exit status: 0 ok, 1 rejected by Cdiscount or Octopia (or a seller denied), 2 usage error, 3 no stored credentials,
4 token service unreachable or unexpected, 5 secret store unavailable, 70 internal error,
130 interrupted.
`,
    );
  const word = args === undefined ? undefined : commandWord(program, args);
  const only = word === "completion" ? undefined : COMMANDS.find((spec) => spec.name === word);
  for (const spec of only === undefined ? COMMANDS : [only]) {
    const cmd = configure(program.command(spec.name)).description(spec.description);
    if (spec.usage !== undefined) cmd.usage(spec.usage);
    for (const [name, description, choices] of spec.args ?? []) {
      cmd.addArgument(choices === undefined ? new Argument(name, description) : new Argument(name, description).choices(choices));
    }
    for (const [flags, description, parse] of spec.options ?? []) {
      if (parse === undefined) cmd.option(flags, description);
      else cmd.option(flags, description, parse);
    }
    cmd
      .addHelpText("after", examples(...spec.examples))
      .action(action(outcome, (ctx, ...args: unknown[]) => spec.run(ctx, program, ...args)));
  }
  return program;
}
