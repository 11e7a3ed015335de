import { removeAccount } from "../../core/account-index.js";
import { NotFoundError } from "../../errors.js";
import { openStore, storeName } from "../../stores/index.js";
import { kindField } from "../../kinds/index.js";
import { kindOf, storeDeps, type CommandContext, type CommandResult } from "../context.js";

/**
 * `cdcreds delete <login>`: removes the secret, the cached token and the index entry. The store
 * goes first: if it fails, the index still lists the account. Exit 3 when there was nothing at all.
 */
export async function deleteAccount(ctx: CommandContext, argument: string): Promise<CommandResult> {
  const kind = await kindOf(ctx, argument);
  const account = kind.accountName(argument);
  const { env, json } = ctx.options;
  const store = await openStore(ctx.options.store, storeDeps(ctx));
  const secret = await store.delete(kind.secretService(env), account);
  const token = await store.delete(kind.tokenService(env), account);
  const indexed = await removeAccount({ processEnv: ctx.processEnv }, { kind: kind.id, account, env, store: ctx.options.store });
  const where = storeName(ctx.options.store);
  const secretNoun = kind.prompts.secret.toLowerCase();
  if (!secret && !token && !indexed) {
    throw new NotFoundError(`nothing stored for ${account} (${kind.id}, ${env}) in ${where}`, {
      hint: "see `cdcreds list` (the account may be in another --kind, --env or --store)",
    });
  }
  const removed = [secret && secretNoun, token && "cached token"].filter(Boolean).join(" and ");
  if (removed === "") ctx.ui.success(`${account} (${env}): no ${secretNoun} was left in ${where}; removed it from the account index`);
  else ctx.ui.success(`${account} (${env}): removed the ${removed} from ${where}`);
  return {
    stdout: json
      ? `${JSON.stringify({ ...kindField(kind.id), [kind.jsonKeys.account]: account, env, store: ctx.options.store, [kind.jsonKeys.secret]: secret, token, indexed })}\n`
      : "",
  };
}
