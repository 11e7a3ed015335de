import { runChild } from "../../platform/child.js";
import { storeDeps, type CommandContext, type CommandResult } from "../context.js";
import { UsageError } from "../../errors.js";
import { replacedServiceNotice } from "../../kinds/api-login/endpoints.js";
import { issueToken, openAccount } from "../../core/handoff.js";

/** Variables that hold cdcreds' own secrets (or lead to them), and a token that may be another account's. */
const CDCREDS_SECRETS = ["CDCREDS_PASSPHRASE", "CDISCOUNT_API_TOKEN"] as const;

/** The flags of `cdcreds exec`. */
export interface ExecFlags {
  login?: string;
  /** False with `--no-token`: hand over the login and password only, with no request. */
  token?: boolean;
}

/**
 * `cdcreds exec [--login L] -- <command> [args...]`: runs the command with CDISCOUNT_API_LOGIN,
 * CDISCOUNT_API_PASSWORD and CDISCOUNT_API_TOKEN in its environment (the only place cdcreds ever
 * puts a password in an environment), and exits with its status.
 */
export async function exec(ctx: CommandContext, argv: string[], flags: ExecFlags): Promise<CommandResult> {
  const [command, ...args] = argv;
  if (command === undefined || command === "") {
    throw new UsageError("no command to run", { hint: "cdcreds exec -- python sync.py" });
  }
  const { options, env, ui } = ctx;
  const account = await openAccount({ options, ...storeDeps(ctx), login: flags.login });
  const { apiLogin } = account;
  const password = await account.password();
  ui.redact(password);
  const childEnv: NodeJS.ProcessEnv = { ...env, CDISCOUNT_API_LOGIN: apiLogin, CDISCOUNT_API_PASSWORD: password };
  // The program gets this account's credentials and nothing of cdcreds' own: the file store's
  // passphrase would open every account in it, for the program and all it starts.
  for (const name of CDCREDS_SECRETS) delete childEnv[name];
  if (flags.token !== false) {
    const issued = await issueToken(ctx, account);
    ui.redact(issued.token);
    const notice = issued.fromCache ? undefined : replacedServiceNotice(options.authUrl);
    if (notice !== undefined) ui.note(notice);
    childEnv.CDISCOUNT_API_TOKEN = issued.token;
  }
  ui.debug(`running ${command} as ${apiLogin} (${options.env})`);
  return { exitCode: await runChild(command, args, childEnv) };
}
