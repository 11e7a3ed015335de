import { environmentCredentials } from "../../core/account.js";
import { tokenRequest } from "../../core/credentials.js";
import type { CredentialKind } from "../../kinds/types.js";
import { kindOf, storeDeps, type CommandContext, type CommandResult } from "../context.js";
import { CdcredsError, ExitCode } from "../../errors.js";
import { accountsPath, readAccounts } from "../../core/account-index.js";
import { openStore } from "../../stores/index.js";
import { VERSION } from "../../version.js";

/** The flags of `cdcreds doctor`. */
export interface DoctorFlags {
  online?: boolean;
}

/** One checked fact: what, whether it is fine, and what to do when not. */
interface Check {
  name: string;
  ok: boolean;
  detail: string;
  hint?: string;
}

async function storeChecks(ctx: CommandContext): Promise<{ description: string; checks: Check[] }> {
  let description: string = ctx.options.store;
  try {
    const store = await openStore(ctx.options.store, storeDeps(ctx));
    description = store.description;
    const steps = await store.probe();
    return { description, checks: steps.map(({ name, ok, detail, problem }) => ({ name, ok, detail, hint: problem?.hint })) };
  } catch (error) {
    if (!(error instanceof CdcredsError)) throw error;
    return { description, checks: [{ name: "store usable", ok: false, detail: error.message, hint: error.hint }] };
  }
}

async function indexCheck(ctx: CommandContext): Promise<Check> {
  const path = accountsPath({ processEnv: ctx.processEnv });
  try {
    const accounts = await readAccounts({ processEnv: ctx.processEnv });
    return { name: "account index", ok: true, detail: `${path} (${accounts.length} account${accounts.length === 1 ? "" : "s"})` };
  } catch (error) {
    if (!(error instanceof CdcredsError)) throw error;
    return { name: "account index", ok: false, detail: error.message, hint: error.hint };
  }
}

/** Asks the token service about a made-up login: a 401 proves it answers, without any real account. */
async function onlineCheck(ctx: CommandContext, kind: CredentialKind, url: URL): Promise<Check> {
  const answer = await kind.requestToken(kind.madeUpCredentials(), tokenRequest(ctx.options, ctx.processEnv));
  if (answer.status === "rejected")
    return { name: "token service", ok: true, detail: `answers (${answer.detail} to a made-up login, as expected)` };
  if (answer.status === "valid") return { name: "token service", ok: true, detail: "answers (it even accepted a made-up login)" };
  return {
    name: "token service",
    ok: false,
    detail: `${url.host} ${answer.status === "unexpected" ? "answered unexpectedly" : "is unreachable"}: ${answer.detail}`,
    hint: "check the network, proxy variables (HTTPS_PROXY, NO_PROXY) and --auth-url",
  };
}

/**
 * `cdcreds doctor [--online]`: which store is in use and whether it works, the environment and
 * token URL, and with `--online` whether the token service answers. The report goes to stderr
 * (stdout only with --json); exit 5 when the store fails, 4 when the service does not answer.
 */
export async function doctor(ctx: CommandContext, flags: DoctorFlags): Promise<CommandResult> {
  const { env, json } = ctx.options;
  const kind = await kindOf(ctx);
  const url = kind.tokenUrl(env, ctx.options.authUrl);
  const { description, checks } = await storeChecks(ctx);
  const index = await indexCheck(ctx);
  const online = flags.online === true ? await onlineCheck(ctx, kind, url) : undefined;
  const fromEnv = environmentCredentials(kind, ctx.processEnv);
  // Node's own switch for turning certificate checks off; cdcreds verifies explicitly, so it is ignored.
  const tlsOverride = ctx.processEnv.NODE_TLS_REJECT_UNAUTHORIZED !== undefined && ctx.processEnv.NODE_TLS_REJECT_UNAUTHORIZED !== "1";

  const storeOk = checks.every((c) => c.ok) && index.ok;
  const exitCode = !storeOk ? ExitCode.Store : online?.ok === false ? ExitCode.Service : ExitCode.Ok;
  if (json) {
    const report = {
      version: VERSION,
      node: process.version,
      platform: process.platform,
      store: ctx.options.store,
      storeDescription: description,
      env,
      tokenUrl: url.href,
      environmentCredentials: fromEnv?.account ?? null,
      tlsOverrideIgnored: tlsOverride,
      checks: [...checks, index, ...(online ? [online] : [])],
    };
    return { stdout: `${JSON.stringify(report)}\n`, exitCode };
  }
  const { ui } = ctx;
  ui.info(`cdcreds ${VERSION}, Node ${process.version}, ${process.platform}-${process.arch}`);
  ui.info(`store: ${ctx.options.store} (${description})`);
  for (const check of [...checks, index, ...(online ? [online] : [])]) {
    if (check.ok) ui.success(`${check.name}: ${check.detail}`);
    else ui.error(`${check.name}: ${check.detail}`, check.hint);
  }
  ui.info(`environment: ${env}`);
  ui.info(`token URL: ${url.href}${ctx.options.authUrl === undefined ? "" : " (replaced by --auth-url or CDCREDS_AUTH_URL)"}`);
  if (fromEnv !== undefined)
    ui.note(
      `${kind.variables.account} and ${kind.variables.secret} are set (${fromEnv.account}): get, verify, token and exec use them, not the store`,
    );
  if (tlsOverride)
    ui.warn("NODE_TLS_REJECT_UNAUTHORIZED is set: cdcreds ignores it and always verifies certificates (other programs may not)");
  if (online === undefined) ui.info("token service: not asked (add --online to ask it)");
  return { exitCode };
}
