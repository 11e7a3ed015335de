import { storeDeps, type CommandContext, type CommandResult } from "../context.js";
import { openAccount } from "../../core/handoff.js";

/**
 * `cdcreds get [login]`: prints the password on stdout (a script's `PW=$(cdcreds get)` gets it and
 * nothing else). Environment credentials win over the store, as SPEC section 3 says.
 */
export async function get(ctx: CommandContext, argument: string | undefined): Promise<CommandResult> {
  const { env, store } = ctx.options;
  const account = await openAccount({ options: ctx.options, ...storeDeps(ctx), login: argument });
  const { apiLogin, source } = account;
  const password = await account.password();
  ctx.ui.redact(password);
  ctx.ui.debug(`${apiLogin} (${env}): password from the ${source === "environment" ? "CDISCOUNT_API_LOGIN/CDISCOUNT_API_PASSWORD variables" : `${store} store`}`);
  return { stdout: ctx.options.json ? `${JSON.stringify({ apiLogin, password, env })}\n` : `${password}\n` };
}
