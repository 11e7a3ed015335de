import { removeAccount } from "../../core/account-index.js";
import { NotFoundError } from "../../errors.js";
import { openStore, storeName } from "../../stores/index.js";
import { kindOf, storeDeps, type CommandContext, type CommandResult } from "../context.js";

/**
 * `cdcreds delete <login>`: removes the password, the cached token and the index entry. The store
 * goes first: if it fails, the index still lists the account. Exit 3 when there was nothing at all.
 */
export async function deleteAccount(ctx: CommandContext, argument: string): Promise<CommandResult> {
  const kind = await kindOf(ctx);
  const apiLogin = kind.accountName(argument);
  const { env, json } = ctx.options;
  const store = await openStore(ctx.options.store, storeDeps(ctx));
  const password = await store.delete(kind.secretService(env), apiLogin);
  const token = await store.delete(kind.tokenService(env), apiLogin);
  const indexed = await removeAccount({ processEnv: ctx.processEnv }, { apiLogin, env, store: ctx.options.store });
  const where = storeName(ctx.options.store);
  if (!password && !token && !indexed) {
    throw new NotFoundError(`nothing stored for ${apiLogin} (${env}) in ${where}`, {
      hint: "see `cdcreds list` (the account may be in another --env or --store)",
    });
  }
  const removed = [password && "password", token && "cached token"].filter(Boolean).join(" and ");
  if (removed === "") ctx.ui.success(`${apiLogin} (${env}): no password was left in ${where}; removed it from the account index`);
  else ctx.ui.success(`${apiLogin} (${env}): removed the ${removed} from ${where}`);
  return { stdout: json ? `${JSON.stringify({ apiLogin, env, store: ctx.options.store, password, token, indexed })}\n` : "" };
}
