import { chooseSeller, issueToken, openAccount, replacedServiceNotice, sellerIdsOf } from "../../core/credentials.js";
import { kindField } from "../../kinds/index.js";
import { kindOf, storeDeps, type CommandContext, type CommandResult } from "../context.js";

/** The flags of `cdcreds token`. */
export interface TokenFlags {
  refresh?: boolean;
  /** The seller the `--json` headers act for (kinds with sellers). */
  sellerId?: string;
}

/**
 * `cdcreds token [login]`: prints a valid token on stdout, from the cache while enough of it is
 * left, else a new one from the token service (cached for the next call). `--json` adds its expiry
 * and, for a kind whose calls name a seller, the headers of a call.
 */
export async function token(ctx: CommandContext, login: string | undefined, flags: TokenFlags): Promise<CommandResult> {
  const { options, ui } = ctx;
  const kind = await kindOf(ctx, login);
  if (flags.sellerId !== undefined) chooseSeller(kind, flags.sellerId, []); // a bad seller ID fails before any request
  const opened = await openAccount({ kind, options, ...storeDeps(ctx), login });
  const { account, source } = opened;
  // The secret is read only when a new token is needed; from then on it is never shown.
  const secret = async (): Promise<string> => {
    const value = await opened.secret();
    ui.redact(value);
    return value;
  };
  const issued = await issueToken(
    { kind, options, processEnv: ctx.processEnv },
    { ...opened, secret },
    {
      refresh: flags.refresh === true,
      onProgress: (event) => ui.debug(`token service: attempt ${event.attempt}${event.reason === undefined ? "" : ` (${event.reason})`}`),
    },
  );
  ui.redact(issued.token);
  const notice = issued.fromCache ? undefined : replacedServiceNotice(kind, options.authUrl);
  if (notice !== undefined) ui.note(notice);
  // Formatted only when shown: a process's first Date#toISOString measured 0.3 ms.
  const expiresAt = () => issued.expiresAt.toISOString();
  if (options.debug) {
    ui.debug(
      `${account} (${kind.id}, ${options.env}): ${issued.fromCache ? "cached token" : "new token"} from ${source === "environment" ? "environment credentials" : `the ${options.store} store`}, expires ${expiresAt()}`,
    );
  }
  if (!options.json) return { stdout: `${issued.token}\n` };
  const record: Record<string, unknown> = {
    ...kindField(kind.id),
    [kind.jsonKeys.account]: account,
    env: options.env,
    token: issued.token,
    expiresAt: expiresAt(),
  };
  if (kind.sellers !== undefined) {
    const sellerId = chooseSeller(kind, flags.sellerId, sellerIdsOf(kind, opened, options, ctx.processEnv));
    record.sellerId = sellerId ?? null;
    record.headers = kind.sellers.headers(issued.token, sellerId);
  }
  return { stdout: `${JSON.stringify(record)}\n` };
}
