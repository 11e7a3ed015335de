// `cdcreds rotate [account]`: a secret changed at Cdiscount or Octopia, guided. It says where the
// secret is changed, waits, asks for the new one, checks it with the service, and only then
// replaces the stored one (a rejected secret leaves the old one as it was, byte for byte).
import { resolveName } from "../../core/account.js";
import { readAccounts, upsertAccount } from "../../core/account-index.js";
import { fetchToken, tokenRequest } from "../../core/credentials.js";
import { secretProblem } from "../../core/secret-rules.js";
import { NotFoundError, RejectedError, ServiceError, UsageError } from "../../errors.js";
import type { CredentialKind } from "../../kinds/types.js";
import { isSharedStore, openStore, storeName } from "../../stores/index.js";
import { kindOf, storeDeps, type CommandContext, type CommandResult } from "../context.js";
import { startSpinner } from "../spinner.js";
import { readSecretFromStdin, stdinFlag, stdinFlagGiven } from "../stdin.js";

/** The flags of `cdcreds rotate`. */
export interface RotateFlags {
  secretStdin?: boolean;
  passwordStdin?: boolean;
}

/** Where a seller changes the secret, in the words of Cdiscount's and Octopia's help pages. */
function steps(kind: CredentialKind, account: string): string[] {
  if (kind.id === "octopia") {
    return [
      `To get a new client secret for ${account}:`,
      `  1. on Octopia's seller portal, open the "API Credentials Management" page`,
      "  2. create a new secret for this client: it replaces the old one and is shown once, so copy it",
      "Every tool using the API must be updated after a change: cdcreds is, below.",
    ];
  }
  const seller = account.replace(/-api$/, "");
  return [
    `To change the password of the API login ${account} (seller login ${seller}):`,
    "  1. log in at https://seller.cdiscount.com/login",
    `  2. tab "Settings", then "Your personal Settings & Bank details"`,
    `  3. the last tab, "Connection information": section "Change your API connection settings"`,
    "  If that menu is missing, the account is not fully validated yet: contact the marketplace.",
    "Every tool using the API must be updated after a change: cdcreds is, below.",
  ];
}

/**
 * The new secret, typed at a masked prompt (a typed password twice; an Octopia secret, pasted,
 * once) until it is acceptable and differs from the stored one.
 */
async function askNewSecret(ctx: CommandContext, kind: CredentialKind, account: string, old: string): Promise<string> {
  const { askSecret } = await import("../prompt.js");
  const noun = kind.prompts.secret.toLowerCase();
  for (;;) {
    const typed = await askSecret(`New ${noun} of ${account}`);
    const problem = secretProblem(typed);
    if (problem !== undefined) {
      ctx.ui.error(`this ${noun} is refused: ${problem}`);
      continue;
    }
    if (typed === old) {
      ctx.ui.error(`this is the stored ${noun}: change it first, then type the new one`);
      continue;
    }
    if (kind.id === "octopia") return typed;
    if ((await askSecret(`The same ${noun} again`)) === typed) return typed;
    ctx.ui.error(`the two ${noun}s differ: type the new one again`);
  }
}

/** Offers to send the change to the team's remote (`pass git push`), at a terminal. */
async function offerPush(ctx: CommandContext): Promise<void> {
  ctx.ui.info("Your teammates get the new secret from the pass store's git remote: `pass git push` sends it, `pass git pull` fetches it.");
  if (!ctx.ui.interactive) return;
  const { askConfirm } = await import("../prompt.js");
  if (!(await askConfirm("Run `pass git push` now?", { default: true }))) return;
  const { runChild } = await import("../../platform/child.js");
  const code = await runChild("pass", ["git", "push"], ctx.processEnv);
  if (code === 0) ctx.ui.success("pushed: teammates get the new secret with `pass git pull`");
  else ctx.ui.warn(`\`pass git push\` exited with status ${code}: run it again once its remote answers`);
}

/**
 * `cdcreds rotate [account]`: guides the change of a stored account's secret. At a terminal it
 * prints where the secret is changed, waits for Enter and asks for the new secret; with
 * `--secret-stdin` it reads it. The new secret is checked with the token service, then replaces
 * the stored one; the cached token is dropped and the date recorded. Ctrl-C at any prompt before
 * that changes nothing (exit 130).
 */
export async function rotate(ctx: CommandContext, argument: string | undefined, flags: RotateFlags): Promise<CommandResult> {
  const { env, store: storeId } = ctx.options;
  const fromStdin = stdinFlagGiven(flags);
  const kind = await kindOf(ctx, argument);
  const noun = kind.prompts.secret.toLowerCase();
  if (fromStdin === undefined && !ctx.ui.interactive) {
    throw new UsageError(`a new ${noun} is needed but ${ctx.ui.notInteractiveReason} to ask for it`, {
      hint: `give it on standard input with ${stdinFlag(kind.id)}`,
    });
  }
  const store = await openStore(storeId, storeDeps(ctx));
  await store.check();
  const { account } = await resolveName({
    kind,
    argument,
    processEnv: ctx.processEnv,
    env,
    store: storeId,
    listAccounts: () => readAccounts({ processEnv: ctx.processEnv }),
  });
  const old = await store.get(kind.secretService(env), account);
  if (old === undefined) {
    throw new NotFoundError(`no ${noun} stored for ${account} (${env}) in ${storeName(storeId)}: there is nothing to rotate`, {
      hint: `store it with \`cdcreds set${kind.id === "api-login" ? "" : ` --kind ${kind.id}`}\``,
    });
  }
  ctx.ui.redact(old);
  let secret: string;
  if (fromStdin !== undefined) {
    secret = await readSecretFromStdin(ctx.stdin, "store", `printf %s "$NEW" | cdcreds rotate ${fromStdin} ${account}`, {
      noun,
      flag: fromStdin,
    });
    if (secret === old) throw new UsageError(`the ${noun} given is the stored one: nothing to rotate`);
  } else {
    for (const line of steps(kind, account)) ctx.ui.info(line);
    const { askText } = await import("../prompt.js");
    await askText(`Press Enter once the ${noun} is changed (Ctrl-C to stop, nothing changes)`);
    secret = await askNewSecret(ctx, kind, account, old);
  }
  ctx.ui.redact(secret);
  const spinner = startSpinner(`checking the new ${noun} of ${account} with ${kind.serviceName} (${env})…`);
  let issued;
  try {
    issued = await fetchToken(kind, { account, secret }, tokenRequest(ctx.options, ctx.processEnv));
  } catch (error) {
    if (error instanceof RejectedError || error instanceof ServiceError) {
      const Type = error instanceof RejectedError ? RejectedError : ServiceError;
      throw new Type(`${error.message}; the stored ${noun} is unchanged`, { hint: error.hint, cause: error });
    }
    throw error;
  } finally {
    spinner.stop();
  }
  ctx.ui.redact(issued.token);
  await store.set(kind.secretService(env), account, secret);
  const secretSetAt = new Date().toISOString();
  // The token issued for the old secret must not outlive it.
  await store.delete(kind.tokenService(env), account);
  try {
    await upsertAccount(
      { processEnv: ctx.processEnv },
      { kind: kind.id, account, env, store: storeId, lastVerified: issued.issuedAt.toISOString(), secretSetAt },
    );
  } catch (error) {
    ctx.ui.warn(`the account index was not updated: ${(error as Error).message}`);
  }
  ctx.ui.success(`${account} (${env}): new ${noun} verified and stored in ${storeName(storeId)}; the cached token dropped`);
  if (isSharedStore(storeId)) await offerPush(ctx);
  ctx.ui.info(
    `Up to date: everything that reads it through cdcreds (get, token, exec, the Node library). A tool holding its own copy of the old ${noun} must be given the new one.`,
  );
  if (kind.id === "octopia") {
    ctx.ui.note(`revoke the old client secret on the portal's "API Credentials Management" page if it is still listed`);
  }
  return { stdout: "" };
}
