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
      ["--max-age <age>", "with --all: also fail (exit 7) when a secret was stored longer ago: 90d, 12w, 6m, 1y"],
    ],
    examples: [
      "cdcreds verify bestshop && run-my-sync",
      "cdcreds verify --all --max-age 365d   # and no secret older than a year",
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
    args: [["<shell>", "bash, zsh, fish or powershell", ["bash", "zsh", "fish", "powershell"]]],
    examples: [
      'eval "$(cdcreds completion bash)"',
      "cdcreds completion fish | source",
      "cdcreds completion powershell | Out-String | Invoke-Expression",
    ],
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
    name: "rotate",
    description: "change a stored password or client secret, guided: where to change it, then check and store the new one",
    args: [["[login]", LOGIN]],
    options: [...SECRET_STDIN],
    examples: [
      "cdcreds rotate bestshop",
      'printf %s "$NEW" | cdcreds rotate --secret-stdin bestshop',
      "cdcreds --store pass rotate 'My client'",
    ],
    run: async (ctx, _program, login: string | undefined, flags: import("./commands/rotate.js").RotateFlags) =>
      (await import("./commands/rotate.js")).rotate(ctx, login, flags),
  },
  {
    name: "migrate",
    description: "move an API login (SOAP API, retired by Octopia) to an Octopia seller API client: check, store, compare, offer to delete",
    args: [["<api-login>", "the seller or API login to move"]],
    options: [
      ["--client-id <id>", "the Octopia client ID (asked when missing)"],
      ["--secret-stdin", "read the client secret from standard input (one trailing newline dropped)"],
      ["--seller-id <id>", "the Octopia seller ID (asked when missing)"],
      ["--delete-legacy", "delete the API login once the client is verified (without it and without a terminal, it is kept)"],
    ],
    examples: [
      "cdcreds migrate bestshop",
      "printf %s \"$CLIENT_SECRET\" | cdcreds migrate bestshop --client-id 'My client' --secret-stdin --seller-id 12345",
    ],
    run: async (ctx, _program, login: string, flags: import("./commands/migrate.js").MigrateFlags) =>
      (await import("./commands/migrate.js")).migrate(ctx, login, flags),
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
    description: "list the stored accounts and how old their secrets are (never a secret)",
    options: [["--older-than <age>", "only the accounts whose secret was stored longer ago: 90d, 12w, 6m (30 days), 1y (365 days)"]],
    examples: ["cdcreds list", "cdcreds list --json", "cdcreds list --older-than 1y   # the secrets due for a change"],
    run: async (ctx, _program, flags: import("./commands/list.js").ListFlags) => (await import("./commands/list.js")).list(ctx, flags),
  },
  {
    name: "delete",
    description: "remove a stored password (or client secret) and its cached token",
    args: [["<login>", "seller or API login, or client ID"]],
    examples: ["cdcreds delete bestshop", "cdcreds delete --env preprod bestshop"],
    run: async (ctx, _program, login: string) => (await import("./commands/delete.js")).deleteAccount(ctx, login),
  },
  {
    name: "store",
    description: "move every account from one secret store to another (`store migrate`)",
    usage:
      "migrate --from STORE --to STORE [--all-envs] [--dry-run] [--overwrite] [--delete-source] [--from-config-dir DIR] [--to-config-dir DIR] [--from-key-file F] [--to-key-file F]",
    args: [["<action>", "what to do", ["migrate"]]],
    options: [
      ["--from <store>", `the store the accounts are in: ${STORE_IDS.join(", ")}`],
      ["--to <store>", "the store they go to"],
      ["--all-envs", "every environment (default: --env's)"],
      ["--dry-run", "say per account what would be done (copy, same, differs: skipped); change nothing"],
      ["--overwrite", "replace an account the target holds with another secret (default: skip it)"],
      ["--delete-source", "delete from the source each account written to the target and read back intact"],
      ["--from-config-dir <dir>", "the source's config folder (its account index, and secrets.enc for the file store)"],
      ["--to-config-dir <dir>", "the target's config folder (file to file: a folder of its own)"],
      ["--from-key-file <file>", "the source file's key file (else CDCREDS_FROM_PASSPHRASE, then CDCREDS_KEY_FILE/CDCREDS_PASSPHRASE)"],
      ["--to-key-file <file>", "the target file's key file (else CDCREDS_TO_PASSPHRASE, then CDCREDS_KEY_FILE/CDCREDS_PASSPHRASE)"],
    ],
    examples: [
      "cdcreds store migrate --from keychain --to pass --all-envs --dry-run",
      "cdcreds store migrate --from keychain --to pass --all-envs --delete-source",
      "cdcreds store migrate --from file --to file --to-config-dir ~/.config/cdcreds.new --to-key-file /etc/cdcreds.key --all-envs",
    ],
    run: async (ctx, _program, action: string, flags: import("./commands/store-migrate.js").MigrateFlags) =>
      (await import("./commands/store-migrate.js")).storeMigrate(ctx, action, flags),
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
    name: "api",
    description:
      "call the Octopia seller API with the stored client: its cached token and seller headers, pages followed, errors made readable",
    args: [["<endpoint>", "a path under the seller API base (/orders?pageSize=100), or a full URL under it"]],
    options: [
      ["--login <login>", LOGIN],
      SELLER_ID,
      ["--sales-channel <id>", "send SalesChannelId (an Octopia sales channel, e.g. CDISFR)"],
      ["-X, --method <method>", "the HTTP method (default: GET, or POST with --input)"],
      ["-H, --header <line>", "add a 'Name: value' header (repeat for several)", repeated],
      ["-f, --field <key=value>", "a query parameter of a GET, else a field of a JSON body (repeat for several)", repeated],
      ["--input <file>", "the request body, sent as is (- for standard input); JSON unless -H says otherwise"],
      ["--paginate", "follow every page (Link rel=next, else pageIndex); each page's body on one line"],
      ["--slurp", "with --paginate: print one JSON array of every page's items"],
      ["-i, --include", "print the status line and headers before the body"],
    ],
    examples: [
      "cdcreds api '/orders?pageSize=100' --paginate --slurp | jq length",
      "cdcreds api --login 'My client' --seller-id 12345 /offers?limit=50 --paginate",
      "cdcreds api -X POST /offers --input offer.json",
      "cdcreds api -i /sellers",
    ],
    run: async (ctx, _program, endpoint: string, flags: import("./commands/api.js").ApiFlags) =>
      (await import("./commands/api.js")).api(ctx, endpoint, flags),
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
  {
    name: "scan",
    description: "look for the stored secrets of the environment in files (a git work tree's, or a folder's); exit 1 when one is found",
    args: [["[path...]", "files or folders (default: the current folder)"]],
    options: [["--staged", "scan what `git commit` would record (a pre-commit hook)"]],
    examples: ["cdcreds scan", "cdcreds scan --staged   # in .git/hooks/pre-commit", "cdcreds scan --env preprod config/"],
    run: async (ctx, _program, paths: string[], flags: import("./commands/scan.js").ScanFlags) =>
      (await import("./commands/scan.js")).scan(ctx, paths, flags),
  },
  {
    name: "run",
    description: "run a command with the cdcreds:// references of its environment and --env-file files resolved, its output masked",
    usage: "[--env-file FILE]... [--no-masking] -- <command> [args...]",
    args: [["<command...>", "the command and its arguments, after --"]],
    options: [
      ["--env-file <file>", "a dotenv file of variables to add (repeat for several; a later one wins)", repeated],
      ["--no-masking", "hand the command's stdout and stderr over untouched (a terminal stays a terminal)"],
    ],
    examples: ["cdcreds run --env-file .env -- php bin/sync.php", "CDISCOUNT_TOKEN=cdcreds://bestshop/token cdcreds run -- ./sync.sh"],
    run: async (ctx, _program, argv: string[], flags: import("./commands/run.js").RunFlags) =>
      (await import("./commands/run.js")).run(ctx, argv, flags),
  },
  {
    name: "inject",
    description: "fill the {{ cdcreds://... }} references of a template (a config file) with the values they name",
    options: [
      ["-i, --in <template>", "the template (default: standard input)"],
      ["-o, --out <file>", "write to this file, mode 0600 (default: standard output)"],
      ["--force", "with -o: replace an existing file"],
    ],
    examples: ["cdcreds inject -i config.json.tpl -o config.json", "cdcreds inject < .env.tpl > .env   # prefer cdcreds run"],
    run: async (ctx, _program, flags: import("./commands/inject.js").InjectFlags) =>
      (await import("./commands/inject.js")).inject(ctx, flags),
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
4 token service (or API) unreachable or unexpected, 5 secret store unavailable, 6 request refused by the API
(api: a 4xx other than 401/403/429), 7 a secret older than verify --all --max-age, 70 internal error,
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
