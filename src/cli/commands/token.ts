import { storeDeps, type CommandContext, type CommandResult } from "../context.js";
import { replacedServiceNotice } from "../../kinds/api-login/endpoints.js";
import { issueToken, openAccount } from "../../core/handoff.js";

/** The flags of `cdcreds token`. */
export interface TokenFlags {
  refresh?: boolean;
}

/**
 * `cdcreds token [login]`: prints a valid token on stdout, from the cache while it has more than
 * an hour left, else a new one from the token service (cached for the next call).
 */
export async function token(ctx: CommandContext, login: string | undefined, flags: TokenFlags): Promise<CommandResult> {
  const { options, ui } = ctx;
  const account = await openAccount({ options, ...storeDeps(ctx), login });
  const { apiLogin, source } = account;
  // The password is read only when a new token is needed; from then on it is never shown.
  const password = async (): Promise<string> => {
    const value = await account.password();
    ui.redact(value);
    return value;
  };
  const issued = await issueToken(ctx, { ...account, password }, {
    refresh: flags.refresh === true,
    onProgress: (event) => ui.debug(`token service: attempt ${event.attempt}${event.reason === undefined ? "" : ` (${event.reason})`}`),
  });
  ui.redact(issued.token);
  const notice = issued.fromCache ? undefined : replacedServiceNotice(options.authUrl);
  if (notice !== undefined) ui.note(notice);
  ui.debug(
    `${apiLogin} (${options.env}): ${issued.fromCache ? "cached token" : "new token"} from ${source === "environment" ? "environment credentials" : `the ${options.store} store`}, expires ${issued.expiresAt.toISOString()}`,
  );
  const expiresAt = issued.expiresAt.toISOString();
  return {
    stdout: options.json ? `${JSON.stringify({ apiLogin, env: options.env, token: issued.token, expiresAt })}\n` : `${issued.token}\n`,
  };
}
