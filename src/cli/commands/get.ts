import { openAccount, sellerIdsOf } from "../../core/credentials.js";
import { kindField } from "../../kinds/index.js";
import { kindOf, storeDeps, type CommandContext, type CommandResult } from "../context.js";

/**
 * `cdcreds get [login]`: prints the secret on stdout (a script's `PW=$(cdcreds get)` gets it and
 * nothing else). Environment credentials win over the store.
 */
export async function get(ctx: CommandContext, argument: string | undefined): Promise<CommandResult> {
  const { env, store } = ctx.options;
  const kind = await kindOf(ctx, argument);
  const opened = await openAccount({ kind, options: ctx.options, ...storeDeps(ctx), login: argument });
  const secret = await opened.secret();
  ctx.ui.redact(secret);
  const { account: accountVariable, secret: secretVariable } = kind.variables;
  ctx.ui.debug(
    `${opened.account} (${kind.id}, ${env}): secret from the ${opened.source === "environment" ? `${accountVariable}/${secretVariable} variables` : `${store} store`}`,
  );
  if (!ctx.options.json) return { stdout: `${secret}\n` };
  const sellerIds = kind.sellers === undefined ? undefined : sellerIdsOf(kind, opened, ctx.options, ctx.processEnv);
  const record = {
    ...kindField(kind.id),
    [kind.jsonKeys.account]: opened.account,
    [kind.jsonKeys.secret]: secret,
    ...(sellerIds && { sellerIds }),
    env,
  };
  return { stdout: `${JSON.stringify(record)}\n` };
}
