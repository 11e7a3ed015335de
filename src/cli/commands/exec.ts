import { existsSync } from "node:fs";
import { join } from "node:path";
import { chooseSeller, issueToken, openAccount, replacedServiceNotice, sellerIdsOf } from "../../core/credentials.js";
import { UsageError } from "../../errors.js";
import { runChild } from "../../platform/child.js";
import { withoutVariables } from "../../platform/env-names.js";
import { kindOf, storeDeps, type CommandContext, type CommandResult } from "../context.js";

/**
 * Variables that lead to cdcreds' own secrets, which open every account of the encrypted file: its
 * passphrase and the key file's path. systemd's credentials folder is one too when it holds
 * `cdcreds.key` (a program that needs its own credentials from it gets the folder under a name of
 * its own: `Environment=MY_CREDENTIALS=%d`).
 */
export function cdcredsSecrets(env: NodeJS.ProcessEnv): string[] {
  const systemd = env.CREDENTIALS_DIRECTORY;
  const holdsKey = systemd !== undefined && systemd !== "" && existsSync(join(systemd, "cdcreds.key"));
  return ["CDCREDS_PASSPHRASE", "CDCREDS_KEY_FILE", ...(holdsKey ? ["CREDENTIALS_DIRECTORY"] : [])];
}

/** The flags of `cdcreds exec`. */
export interface ExecFlags {
  login?: string;
  /** False with `--no-token`: hand over the login and password only, with no request. */
  token?: boolean;
  /** The seller the program acts for (kinds with sellers): else the account's only one. */
  sellerId?: string;
}

/**
 * `cdcreds exec [--login L] -- <command> [args...]`: runs the command with the account's
 * credentials in its environment (CDISCOUNT_API_LOGIN, CDISCOUNT_API_PASSWORD, CDISCOUNT_API_TOKEN,
 * or another kind's variables: the only place cdcreds ever puts a secret in an environment), and
 * exits with its status.
 */
export async function exec(ctx: CommandContext, argv: string[], flags: ExecFlags): Promise<CommandResult> {
  const [command, ...args] = argv;
  if (command === undefined || command === "") {
    throw new UsageError("no command to run", { hint: "cdcreds exec -- python sync.py" });
  }
  const { options, processEnv: env, ui } = ctx;
  const kind = await kindOf(ctx, flags.login);
  if (flags.sellerId !== undefined) chooseSeller(kind, flags.sellerId, []);
  const opened = await openAccount({ kind, options, ...storeDeps(ctx), login: flags.login });
  const secret = await opened.secret();
  ui.redact(secret);
  let token: string | undefined;
  let expiresAt: Date | undefined;
  if (flags.token !== false) {
    const issued = await issueToken({ kind, options, processEnv: env }, opened);
    ui.redact(issued.token);
    const notice = issued.fromCache ? undefined : replacedServiceNotice(kind, options.authUrl);
    if (notice !== undefined) ui.note(notice);
    token = issued.token;
    expiresAt = issued.expiresAt;
  }
  // The program gets this account's credentials and nothing of cdcreds' own, nor a token or a
  // seller that may be another account's.
  // On Windows in any case of their names (`cdcreds_passphrase` is CDCREDS_PASSPHRASE there); the
  // variables cdcreds sets too, so the program never gets the caller's under another spelling.
  const sellerVariable = kind.sellers?.variable;
  const { token: tokenVariable, tokenExpiresAt } = kind.variables;
  const exported = kind.exports({ account: opened.account, secret }, token);
  const removed = [...cdcredsSecrets(env), tokenVariable, tokenExpiresAt, ...(sellerVariable === undefined ? [] : [sellerVariable])];
  const childEnv = withoutVariables(env, [...removed, ...Object.keys(exported)], process.platform);
  Object.assign(childEnv, exported);
  // When the token stops working: a job that outlives it runs `cdcreds token` again (cached, cheap).
  if (expiresAt !== undefined) childEnv[tokenExpiresAt] = expiresAt.toISOString();
  if (sellerVariable !== undefined) {
    const sellerId = chooseSeller(kind, flags.sellerId, sellerIdsOf(kind, opened, options, env));
    if (sellerId !== undefined) childEnv[sellerVariable] = sellerId;
  }
  ui.debug(`running ${command} as ${opened.account} (${kind.id}, ${options.env})`);
  return { exitCode: await runChild(command, args, childEnv) };
}
