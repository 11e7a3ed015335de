import { openAccount } from "../../core/credentials.js";
import { kindOf, storeDeps, type CommandContext, type CommandResult } from "../context.js";

/**
 * `cdcreds get [login]`: prints the secret on stdout (a script's `PW=$(cdcreds get)` gets it and
 * nothing else). Environment credentials win over the store.
 */
export async function get(ctx: CommandContext, argument: string | undefined): Promise<CommandResult> {
  const { env, store } = ctx.options;
  const kind = await kindOf(ctx);
  const { account, source, secret: readSecret } = await openAccount({ kind, options: ctx.options, ...storeDeps(ctx), login: argument });
  const password = await readSecret();
  ctx.ui.redact(password);
  const { account: accountVariable, secret: secretVariable } = kind.variables;
  ctx.ui.debug(
    `${account} (${env}): password from the ${source === "environment" ? `${accountVariable}/${secretVariable} variables` : `${store} store`}`,
  );
  return { stdout: ctx.options.json ? `${JSON.stringify({ apiLogin: account, password, env })}\n` : `${password}\n` };
}
