import type { CommandContext, CommandResult } from "../context.js";
import { deriveApiLogin } from "../../kinds/api-login/login.js";

/** `cdcreds derive <seller-login>`: prints the API login. */
export function derive(ctx: CommandContext, input: string): CommandResult {
  const { sellerLogin, apiLogin, alreadyApi } = deriveApiLogin(input);
  if (alreadyApi) ctx.ui.note(`"${apiLogin}" already ends in -api: it is unchanged`);
  return { stdout: ctx.options.json ? `${JSON.stringify({ sellerLogin, apiLogin })}\n` : `${apiLogin}\n` };
}
