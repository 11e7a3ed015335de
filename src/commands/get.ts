import type { CommandContext, CommandResult } from "../context.js";
import { getCredentials } from "../credentials.js";
import { openStore } from "../store/open.js";

/**
 * `cdcreds get [login]`: prints the password on stdout (a script's `PW=$(cdcreds get)` gets it and
 * nothing else). Environment credentials win over the store, as SPEC section 3 says.
 */
export async function get(ctx: CommandContext, argument: string | undefined): Promise<CommandResult> {
  const { env, store } = ctx.options;
  const credentials = await getCredentials({
    argument,
    env: ctx.env,
    environment: env,
    store,
    // The index (and zod) is read only when no login is named: `get bestshop` stays lean (issue 7).
    listAccounts: async () => (await import("../store/accounts.js")).readAccounts({ env: ctx.env }),
    openStore: () => openStore(ctx.options, { env: ctx.env, interactive: () => ctx.ui.interactive }),
  });
  ctx.ui.redact(credentials.password);
  ctx.ui.debug(`${credentials.apiLogin} (${env}): password from the ${credentials.source === "environment" ? "CDISCOUNT_API_LOGIN/CDISCOUNT_API_PASSWORD variables" : `${store} store`}`);
  const { apiLogin, password } = credentials;
  return { stdout: ctx.options.json ? `${JSON.stringify({ apiLogin, password, env })}\n` : `${password}\n` };
}
