// `cdcreds migrate <api-login>`: from an API login of the SOAP API (retired by Octopia) to an
// Octopia seller API client. The client is checked (token, then the seller with GET /sellers),
// stored by `set --kind octopia`'s rules, the seller login in Octopia's answer compared with the
// API login's, and only then is deleting the API login offered (default no).
import { removeAccount, upsertAccount } from "../../core/account-index.js";
import { chooseSeller, fetchToken, tokenRequest } from "../../core/credentials.js";
import { secretProblem } from "../../core/secret-rules.js";
import { NotFoundError, RejectedError, ServiceError, UsageError, type CdcredsError } from "../../errors.js";
import { loadKind } from "../../kinds/index.js";
import { openStore, storeName } from "../../stores/index.js";
import { storeDeps, type CommandContext, type CommandResult } from "../context.js";
import { startSpinner } from "../spinner.js";
import { readSecretFromStdin, stdinFlagGiven } from "../stdin.js";

/** The flags of `cdcreds migrate`. */
export interface MigrateFlags {
  clientId?: string;
  secretStdin?: boolean;
  passwordStdin?: boolean;
  sellerId?: string;
  /** Delete the API login once the client is verified (and the seller logins do not differ). */
  deleteLegacy?: boolean;
}

/** What a seller does on Octopia's side first, in the portal's words. */
const WALKTHROUGH = [
  "The Octopia seller API takes a client ID, a client secret and a seller ID, from one of:",
  `  - your own client: on Octopia's seller portal, "API Credentials Management", create one; its secret is shown once`,
  "  - an aggregator's client (an agency, a connector): authorise it on the portal; the aggregator gives you its client ID and secret",
  "Your seller ID is shown on the seller portal.",
];

/** The error of a failed step, saying that nothing was stored and the API login is kept. */
function untouched(error: CdcredsError, legacy: string): CdcredsError {
  const Type = error instanceof RejectedError ? RejectedError : ServiceError;
  return new Type(`${error.message}; nothing was stored, and ${legacy} is kept`, { hint: error.hint, cause: error });
}

/**
 * `cdcreds migrate <api-login>`: walks the seller through creating an Octopia client (or reads
 * `--client-id`, `--secret-stdin`, `--seller-id`), checks and stores it, compares the seller login
 * and offers to delete the API login. Nothing is deleted unless the client was verified.
 */
export async function migrate(ctx: CommandContext, argument: string, flags: MigrateFlags): Promise<CommandResult> {
  const { env, store: storeId } = ctx.options;
  const legacyKind = await loadKind("api-login");
  const octopia = await loadKind("octopia");
  const sellers = octopia.sellers!;
  const legacy = legacyKind.accountName(argument);
  const fromStdin = stdinFlagGiven(flags);
  if (flags.clientId !== undefined) octopia.accountName(flags.clientId);
  if (flags.sellerId !== undefined) chooseSeller(octopia, flags.sellerId, []);
  const missing = [
    flags.clientId === undefined && "--client-id",
    fromStdin === undefined && "--secret-stdin",
    flags.sellerId === undefined && "--seller-id",
  ].filter((f) => f !== false);
  if (missing.length > 0 && !ctx.ui.interactive) {
    throw new UsageError(`migrate needs ${missing.join(", ")} when ${ctx.ui.notInteractiveReason} to ask`, {
      hint: `printf %s "$CLIENT_SECRET" | cdcreds migrate ${legacy} --client-id 'My client' --secret-stdin --seller-id 12345`,
    });
  }
  const store = await openStore(storeId, storeDeps(ctx));
  await store.check();
  const legacySecret = await store.get(legacyKind.secretService(env), legacy);
  if (legacySecret === undefined) {
    throw new NotFoundError(`no password stored for the API login ${legacy} (${env}) in ${storeName(storeId)}: nothing to migrate`, {
      hint: "see `cdcreds list`; a new Octopia client is stored with `cdcreds set --kind octopia`",
    });
  }
  ctx.ui.redact(legacySecret);
  const seller = legacy.replace(/-api$/, "");
  ctx.ui.info(`${legacy} is an API login of the SOAP API (retired by Octopia), for seller login ${seller}.`);
  const prompt = missing.length > 0 ? await import("../prompt.js") : undefined;
  if (prompt !== undefined) for (const line of WALKTHROUGH) ctx.ui.info(line);
  const nameProblem = (value: string): string | true => {
    try {
      octopia.accountName(value);
      return true;
    } catch (error) {
      return (error as Error).message.replace(/^invalid client ID: /, "");
    }
  };
  const clientId = octopia.accountName(flags.clientId ?? (await prompt!.askText("Client ID", { validate: nameProblem })));
  let secret: string;
  if (fromStdin !== undefined) {
    secret = await readSecretFromStdin(ctx.stdin, "store", `printf %s "$CLIENT_SECRET" | cdcreds migrate ${legacy} --secret-stdin …`, {
      noun: "client secret",
      flag: fromStdin,
    });
  } else {
    secret = await prompt!.askSecret(`Client secret of ${clientId}`, { validate: (v) => secretProblem(v) ?? true });
  }
  ctx.ui.redact(secret);
  const sellerId = chooseSeller(
    octopia,
    flags.sellerId ?? (await prompt!.askText("Seller ID", { validate: (v) => sellers.idProblem(v.trim()) ?? true })).trim(),
    [],
  )!;
  const request = tokenRequest(ctx.options, ctx.processEnv);
  let spinner = startSpinner(`checking ${clientId} with ${octopia.serviceName} (${env})…`);
  let issued;
  try {
    issued = await fetchToken(octopia, { account: clientId, secret }, request);
  } catch (error) {
    if (error instanceof RejectedError || error instanceof ServiceError) throw untouched(error, legacy);
    throw error;
  } finally {
    spinner.stop();
  }
  ctx.ui.redact(issued.token);
  spinner = startSpinner(`checking seller ${sellerId} for ${clientId}…`);
  let login: string | undefined;
  try {
    const answer = await sellers.check(issued.token, sellerId, request);
    if (answer.status !== "valid")
      throw untouched(sellers.answerError(answer, sellers.apiUrl(env, ctx.options.apiUrl), clientId, sellerId), legacy);
    login = await sellers.login?.(issued.token, sellerId, request);
  } finally {
    spinner.stop();
  }
  await store.set(octopia.secretService(env), clientId, secret);
  await store.delete(octopia.tokenService(env), clientId);
  const now = new Date().toISOString();
  try {
    await upsertAccount(
      { processEnv: ctx.processEnv },
      {
        kind: "octopia",
        account: clientId,
        env,
        store: storeId,
        lastVerified: issued.issuedAt.toISOString(),
        secretSetAt: now,
        sellerIds: [sellerId],
      },
    );
  } catch (error) {
    ctx.ui.warn(`the account index was not updated: ${(error as Error).message}`);
  }
  ctx.ui.success(`${clientId} (${env}): client secret verified and stored in ${storeName(storeId)} (seller ${sellerId}, checked)`);
  const matches = login === undefined ? undefined : login.toLowerCase() === seller.toLowerCase();
  if (matches === true) ctx.ui.success(`seller ${sellerId}'s seller login in Octopia's answer, ${login}, matches ${legacy}'s seller login`);
  else if (matches === false)
    ctx.ui.warn(
      `seller ${sellerId}'s seller login in Octopia's answer is ${login}, not ${seller} (${legacy}'s): check that it is the same shop`,
    );
  else ctx.ui.note(`Octopia's answer names no seller login for seller ${sellerId}: check yourself that it is ${seller}'s shop`);

  let remove = false;
  if (matches === false) {
    ctx.ui.info(`${legacy} is kept: the seller logins differ${flags.deleteLegacy === true ? " (--delete-legacy is not applied)" : ""}`);
  } else if (flags.deleteLegacy === true) {
    remove = true;
  } else if (ctx.ui.interactive) {
    const { askConfirm } = await import("../prompt.js");
    remove = await askConfirm(`Delete the API login ${legacy} from ${storeName(storeId)} now?`, { default: false });
  }
  if (remove) {
    await store.delete(legacyKind.secretService(env), legacy);
    await store.delete(legacyKind.tokenService(env), legacy);
    await removeAccount({ processEnv: ctx.processEnv }, { kind: "api-login", account: legacy, env, store: storeId });
    ctx.ui.success(`${legacy} (${env}): removed from ${storeName(storeId)}`);
  } else if (matches !== false) {
    ctx.ui.info(`${legacy} is kept: delete it once nothing uses it with \`cdcreds delete ${legacy}\``);
  }
  ctx.ui.info(`Tools reading through cdcreds use the client with \`--kind octopia\` (\`cdcreds exec --login '${clientId}' -- …\`).`);
  return { stdout: "" };
}
