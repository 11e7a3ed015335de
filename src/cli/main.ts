import { writeSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { inspect } from "node:util";
import { Argument, Command, CommanderError, Option } from "commander";
import type { CommandContext, CommandResult } from "./context.js";
import { CdcredsError, errnoOf, ExitCode } from "../errors.js";
import { resolveGlobalOptions, type RawGlobalOptions } from "../core/options.js";
import { cleanUpForSignal } from "../platform/signals.js";
import { createUi, type Ui } from "./ui.js";
import { VERSION } from "../version.js";

/** Builds the context a command runs with, from the global flags and the environment. */
function contextOf(cmd: Command): CommandContext {
  const raw = cmd.optsWithGlobals<RawGlobalOptions>();
  const ui = createUi({ env: process.env, debug: raw.debug === true });
  const options = resolveGlobalOptions(raw, process.env);
  // A getter: process.stdin builds a stream, which only `set` and `verify --password-stdin` read (issue 7).
  return {
    options,
    env: process.env,
    ui,
    get stdin() {
      return process.stdin;
    },
  };
}

/** Set by the action that ran, read by main() once parsing is over. */
let outcome: { result: CommandResult; ui: Ui | undefined } | undefined;

/** Wraps a command body: gathers the context, runs, and records the result for main() to print. */
function run<A extends unknown[]>(body: (ctx: CommandContext, ...args: A) => Promise<CommandResult> | CommandResult) {
  return async (...args: unknown[]): Promise<void> => {
    const cmd = args.at(-1) as Command;
    const ctx = contextOf(cmd);
    outcome = { result: {}, ui: ctx.ui };
    outcome.result = await body(ctx, ...(args.slice(0, -1) as A));
  };
}

const EXAMPLES_HEADING = "\nExamples:\n";
const examples = (...lines: string[]): string => `${EXAMPLES_HEADING}${lines.map((l) => `  $ ${l}`).join("\n")}\n`;

/** The commander program: argv to typed options and a lazily imported command. No logic here. */
export function buildProgram(): Command {
  const program = new Command("cdcreds")
    .description("Credential helper for the Cdiscount Marketplace API: derive the API login, verify the password, keep it in the OS keychain.")
    .version(VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "display help")
    .addOption(new Option("--env <name>", "Cdiscount environment (env: CDCREDS_ENV)").choices(["prod", "preprod"]))
    .addOption(new Option("--auth-url <url>", "replace the token service URL: https:, or http: to loopback (env: CDCREDS_AUTH_URL)"))
    .addOption(new Option("--timeout <seconds>", "timeout of each request to the token service, default 20"))
    .addOption(new Option("--retries <n>", "retries when the token service is unreachable, default 2"))
    .addOption(new Option("--store <kind>", "secret store (env: CDCREDS_STORE)").choices(["keychain", "file"]))
    .option("--json", "print data as JSON on stdout")
    .option("--debug", "print details and stack traces on stderr (secrets redacted)")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (message, write) => write(message) })
    .addHelpText(
      "after",
      `${examples(
        "cdcreds derive bestshop             # -> bestshop-api",
        "cdcreds completion bash > ~/.local/share/bash-completion/completions/cdcreds",
      )}
Exit status: 0 ok, 1 rejected by Cdiscount, 2 usage error, 3 no stored credentials,
4 token service unreachable or unexpected, 5 secret store unavailable, 70 internal error,
130 interrupted.
`,
    );

  program
    .command("derive")
    .description("print the API login of a seller login (bestshop -> bestshop-api)")
    .argument("<seller-login>", "the seller login")
    .addHelpText("after", examples("cdcreds derive bestshop", "cdcreds derive --json bestshop"))
    .action(
      run(async (ctx, login: string) => {
        const { derive } = await import("./commands/derive.js");
        return derive(ctx, login);
      }),
    );

  program
    .command("verify")
    .description("check the credentials against Cdiscount's token service; the exit status is the answer")
    .argument("[login]", "seller or API login (default: CDISCOUNT_API_LOGIN with environment credentials, else CDCREDS_LOGIN)")
    .option("--password-stdin", "read the password from standard input (one trailing newline dropped)")
    .option("--quiet", "print nothing on stderr: the exit status is the answer")
    .addHelpText(
      "after",
      examples(
        "cdcreds verify bestshop && run-my-sync",
        "printf %s \"$PW\" | cdcreds verify --password-stdin bestshop",
        "CDISCOUNT_API_LOGIN=bestshop-api CDISCOUNT_API_PASSWORD=... cdcreds verify --json",
      ),
    )
    .action(
      run(async (ctx, login: string | undefined, flags: { passwordStdin?: boolean; quiet?: boolean }) => {
        const { verify } = await import("./commands/verify.js");
        return verify(ctx, login, flags);
      }),
    );

  program
    .command("completion")
    .description("print a shell completion script")
    .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(["bash", "zsh", "fish"]))
    .addHelpText("after", examples('eval "$(cdcreds completion bash)"', "cdcreds completion fish | source"))
    .action(
      run(async (_ctx, shell: string) => {
        const { completion } = await import("./commands/completion.js");
        return completion(program, shell);
      }),
    );

  program
    .command("set")
    .description("check a password with Cdiscount, then store it in the keychain")
    .argument("[login]", "seller or API login (asked when missing)")
    .option("--password-stdin", "read the password from standard input (one trailing newline dropped)")
    .option("--no-verify", "store without checking the password with the token service")
    .addHelpText("after", examples("cdcreds set bestshop", 'printf %s "$PW" | cdcreds set --password-stdin bestshop'))
    .action(
      run(async (ctx, login: string | undefined, flags: { passwordStdin?: boolean; verify?: boolean }) => {
        const { set } = await import("./commands/set.js");
        return set(ctx, login, flags);
      }),
    );

  program
    .command("get")
    .description("print the stored password on stdout")
    .argument("[login]", "seller or API login (default: CDCREDS_LOGIN, else the only stored account)")
    .addHelpText("after", examples('PW="$(cdcreds get bestshop)"', "cdcreds get --json --env preprod bestshop"))
    .action(
      run(async (ctx, login: string | undefined) => {
        const { get } = await import("./commands/get.js");
        return get(ctx, login);
      }),
    );

  program
    .command("list")
    .description("list the stored accounts (never a secret)")
    .addHelpText("after", examples("cdcreds list", "cdcreds list --json"))
    .action(
      run(async (ctx) => {
        const { list } = await import("./commands/list.js");
        return list(ctx);
      }),
    );

  program
    .command("delete")
    .description("remove a stored password and its cached token")
    .argument("<login>", "seller or API login")
    .addHelpText("after", examples("cdcreds delete bestshop", "cdcreds delete --env preprod bestshop"))
    .action(
      run(async (ctx, login: string) => {
        const { deleteAccount } = await import("./commands/delete.js");
        return deleteAccount(ctx, login);
      }),
    );

  program
    .command("doctor")
    .description("check the secret store, the environment and (with --online) the token service")
    .option("--online", "also ask the token service whether it answers (with a made-up login)")
    .addHelpText("after", examples("cdcreds doctor", "cdcreds doctor --online --env preprod"))
    .action(
      run(async (ctx, flags: { online?: boolean }) => {
        const { doctor } = await import("./commands/doctor.js");
        return doctor(ctx, flags);
      }),
    );

  program
    .command("token")
    .description("print a valid token, from the cache while it has more than an hour left")
    .argument("[login]", "seller or API login (default: CDCREDS_LOGIN, else the only stored account)")
    .option("--refresh", "ignore the cached token and get a new one")
    .addHelpText("after", examples('TOKEN="$(cdcreds token bestshop)"', "cdcreds token --json --refresh"))
    .action(
      run(async (ctx, login: string | undefined, flags: { refresh?: boolean }) => {
        const { token } = await import("./commands/token.js");
        return token(ctx, login, flags);
      }),
    );

  program
    .command("exec")
    .description("run a command with CDISCOUNT_API_LOGIN, CDISCOUNT_API_PASSWORD and CDISCOUNT_API_TOKEN set")
    .usage("[--login L] [--no-token] -- <command> [args...]")
    .argument("<command...>", "the command and its arguments, after --")
    .option("--login <login>", "seller or API login (default: CDCREDS_LOGIN, else the only stored account)")
    .option("--no-token", "do not get a token (CDISCOUNT_API_TOKEN stays unset)")
    .addHelpText("after", examples("cdcreds exec -- python sync.py", "cdcreds exec --login bestshop -- ./sync.sh --full"))
    .action(
      run(async (ctx, argv: string[], flags: { login?: string; token?: boolean }) => {
        const { exec } = await import("./commands/exec.js");
        return exec(ctx, argv, flags);
      }),
    );

  // Every subcommand shares the program's error handling and output.
  for (const cmd of program.commands) {
    cmd.exitOverride().configureOutput({ outputError: (message, write) => write(message) }).showSuggestionAfterError(true);
  }
  return program;
}

function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) {
    // Help and --version (also `cdcreds help set`) carry exit code 0; every parse error is a usage error.
    return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  }
  return error instanceof CdcredsError ? error.exitCode : ExitCode.Internal;
}

/** Reports an error on stderr: the message, the hint, and with --debug the cause and stack. */
function report(error: unknown, ui: Ui): void {
  if (error instanceof CommanderError) return; // commander already printed it
  if (error instanceof CdcredsError) {
    ui.error(error.message, error.hint);
  } else {
    ui.error(`unexpected failure: ${error instanceof Error ? error.message : String(error)}`, "this is a bug in cdcreds: run again with --debug and report it");
  }
  if (ui.debugEnabled && error instanceof Error) {
    ui.debug(error.stack ?? String(error));
    if (error.cause !== undefined) ui.debug(`caused by: ${inspect(error.cause)}`);
  }
}

/**
 * Writes a command's output to file descriptor 1. Not through process.stdout: building that stream
 * loads `net` or `tty`, a measurable part of the start-up of `get` and `token` (issue 7). A
 * non-blocking stdout (EAGAIN) gets the rest through the stream; a reader that is gone (EPIPE) gets
 * nothing, as with any Unix filter.
 */
async function writeStdout(data: string): Promise<void> {
  const bytes = Buffer.from(data);
  let offset = 0;
  try {
    while (offset < bytes.length) offset += writeSync(1, bytes, offset);
  } catch (error) {
    const code = errnoOf(error);
    if (code === "EPIPE") return;
    if (code !== "EAGAIN") throw error;
    await new Promise<void>((resolve) => process.stdout.write(bytes.subarray(offset), () => resolve()));
  }
}

/**
 * Ctrl-C, `kill` or a closed terminal at any step: remove this process's temporary and lock files,
 * then exit 128 + the signal number (130 for SIGINT, SPEC section 5; 143 for SIGTERM). Nothing is
 * half-written: every write is an atomic rename (issue 8). During `exec` the program gets the signal.
 */
function exitOnSignal(signal: NodeJS.Signals): void {
  if (!cleanUpForSignal()) return;
  process.stderr.write(`error: interrupted (${signal})\n`);
  process.exit(128 + (osConstants.signals[signal] ?? 0));
}

/** Runs the CLI and exits. The only place that calls process.exit. */
export async function main(argv: string[]): Promise<never> {
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, exitOnSignal);
  const program = buildProgram();
  let code: number;
  try {
    await program.parseAsync(argv);
    await writeStdout(outcome?.result.stdout ?? "");
    code = outcome?.result.exitCode ?? ExitCode.Ok;
  } catch (error) {
    const debug = argv.includes("--debug");
    report(error, outcome?.ui ?? createUi({ env: process.env, debug }));
    code = exitCodeOf(error);
  }
  process.exit(code);
}
