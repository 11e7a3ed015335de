import { environmentCredentials } from "../../core/account.js";
import { tokenRequest } from "../../core/credentials.js";
import { KIND_IDS, loadKind } from "../../kinds/index.js";
import type { CredentialKind } from "../../kinds/types.js";
import { retiredApiNote } from "../legacy.js";
import { kindOf, storeDeps, type CommandContext, type CommandResult } from "../context.js";
import { CdcredsError, ExitCode } from "../../errors.js";
import { accountsPath, readAccounts } from "../../core/account-index.js";
import { openStore } from "../../stores/index.js";
import { VERSION } from "../../version.js";
import { win32 } from "node:path";
import { cacheHome, configDir } from "../../platform/paths.js";

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

/** Something doctor cannot check here, said as such rather than passed over. */
interface Unchecked {
  name: string;
  detail: string;
}

/**
 * What POSIX owners and modes guard on Linux and macOS (own-files.ts, key-file.ts, bin/cdcreds.cjs:
 * the config folder no other user may write, the key file no other user may read, the code cache
 * run as code), which Windows has not: there cdcreds checks none of them, and says so. Nothing on
 * other systems, where each is checked where the file is read (a failure is the store's check).
 */
export function uncheckedOnWindows(platform: NodeJS.Platform, processEnv: NodeJS.ProcessEnv, store: string): Unchecked | undefined {
  if (platform !== "win32") return undefined;
  const keyFile = store === "file" ? processEnv.CDCREDS_KEY_FILE : undefined;
  const what = [
    `the config folder ${configDir(processEnv, platform)}`,
    `the code cache ${win32.join(cacheHome(processEnv, platform), "cdcreds", "code-cache")}`,
    ...(keyFile === undefined || keyFile === "" ? [] : [`the key file ${keyFile} (CDCREDS_KEY_FILE)`]),
  ];
  return {
    name: "file permissions",
    detail: `unchecked on Windows (no POSIX owner or mode): who else may read or write ${what.join(", ")}; they rely on Windows' ACLs (your profile's keep other users out)`,
  };
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

async function indexCheck(ctx: CommandContext): Promise<Check & { apiLogins?: string[] }> {
  const path = accountsPath({ processEnv: ctx.processEnv });
  try {
    const accounts = await readAccounts({ processEnv: ctx.processEnv });
    const apiLogins = accounts.filter((a) => a.kind === "api-login").map((a) => a.account);
    return {
      name: "account index",
      ok: true,
      detail: `${path} (${accounts.length} account${accounts.length === 1 ? "" : "s"})`,
      apiLogins,
    };
  } catch (error) {
    if (!(error instanceof CdcredsError)) throw error;
    return { name: "account index", ok: false, detail: error.message, hint: error.hint };
  }
}

/** Asks a token service about made-up credentials: a rejection proves it answers, without any real account. */
async function onlineCheck(ctx: CommandContext, kind: CredentialKind, url: URL, name: string): Promise<Check> {
  const answer = await kind.requestToken(kind.madeUpCredentials(), tokenRequest(ctx.options, ctx.processEnv));
  if (answer.status === "rejected") return { name, ok: true, detail: `answers (${answer.detail} to a made-up login, as expected)` };
  if (answer.status === "valid") return { name, ok: true, detail: "answers (it even accepted a made-up login)" };
  return {
    name,
    ok: false,
    detail: `${url.host} ${answer.status === "unexpected" ? "answered unexpectedly" : "is unreachable"}: ${answer.detail}`,
    hint: "check the network, proxy variables (HTTPS_PROXY, NO_PROXY) and --auth-url",
  };
}

/**
 * The kinds whose token services doctor looks at, with their URLs: the one asked for (`--kind`),
 * or the one a replaced URL is for (the kind rule's); else every kind with a service for the
 * environment (a kind may document none for preprod).
 */
async function kindsToCheck(ctx: CommandContext): Promise<{ kind: CredentialKind; url: URL }[]> {
  const { env, authUrl } = ctx.options;
  if (ctx.options.kind !== undefined || authUrl !== undefined) {
    const kind = await kindOf(ctx);
    return [{ kind, url: kind.tokenUrl(env, authUrl) }];
  }
  const kinds = await Promise.all(KIND_IDS.map(loadKind));
  return kinds.flatMap((kind) => {
    try {
      return [{ kind, url: kind.tokenUrl(env) }];
    } catch {
      return [];
    }
  });
}

/**
 * `cdcreds doctor [--online]`: which store is in use and whether it works, the environment and
 * token URLs, and with `--online` whether each token service answers. The report goes to stderr
 * (stdout only with --json); exit 5 when the store fails, 4 when a service does not answer.
 */
export async function doctor(ctx: CommandContext, flags: DoctorFlags): Promise<CommandResult> {
  const { env, json } = ctx.options;
  const services = await kindsToCheck(ctx);
  const { description, checks } = await storeChecks(ctx);
  const { apiLogins = [], ...index } = await indexCheck(ctx);
  // One service is "the token service"; with several, each is named by whose it is.
  const nameOf = (kind: CredentialKind) => (services.length === 1 ? "token service" : `${kind.serviceName} token service`);
  const online =
    flags.online === true ? await Promise.all(services.map(({ kind, url }) => onlineCheck(ctx, kind, url, nameOf(kind)))) : undefined;
  const allKinds = await Promise.all(KIND_IDS.map(loadKind));
  const fromEnv = allKinds.flatMap((kind) => {
    const credentials = environmentCredentials(kind, ctx.processEnv);
    return credentials === undefined ? [] : [{ kind, account: credentials.account }];
  });
  // Node's own switch for turning certificate checks off; cdcreds verifies explicitly, so it is ignored.
  const tlsOverride = ctx.processEnv.NODE_TLS_REJECT_UNAUTHORIZED !== undefined && ctx.processEnv.NODE_TLS_REJECT_UNAUTHORIZED !== "1";

  const unchecked = uncheckedOnWindows(process.platform, ctx.processEnv, ctx.options.store);
  const storeOk = checks.every((c) => c.ok) && index.ok;
  const exitCode = !storeOk ? ExitCode.Store : online?.some((c) => !c.ok) === true ? ExitCode.Service : ExitCode.Ok;
  if (json) {
    const report = {
      version: VERSION,
      node: process.version,
      platform: process.platform,
      store: ctx.options.store,
      storeDescription: description,
      env,
      tokenUrl: services[0]?.url.href ?? null,
      tokenUrls: Object.fromEntries(services.map(({ kind, url }) => [kind.id, url.href])),
      environmentCredentials: fromEnv[0]?.account ?? null,
      tlsOverrideIgnored: tlsOverride,
      checks: [...checks, index, ...(online ?? [])],
      unchecked: unchecked === undefined ? [] : [unchecked],
    };
    return { stdout: `${JSON.stringify(report)}\n`, exitCode };
  }
  const { ui } = ctx;
  ui.info(`cdcreds ${VERSION}, Node ${process.version}, ${process.platform}-${process.arch}`);
  ui.info(`store: ${ctx.options.store} (${description})`);
  for (const check of [...checks, index, ...(online ?? [])]) {
    if (check.ok) ui.success(`${check.name}: ${check.detail}`);
    else ui.error(`${check.name}: ${check.detail}`, check.hint);
  }
  if (unchecked !== undefined) ui.note(`${unchecked.name}: ${unchecked.detail}`);
  ui.info(`environment: ${env}`);
  const replaced = ctx.options.authUrl === undefined ? "" : " (replaced by --auth-url or CDCREDS_AUTH_URL)";
  for (const { kind, url } of services)
    ui.info(`${services.length === 1 ? "token URL" : `${kind.serviceName} token URL`}: ${url.href}${replaced}`);
  for (const { kind, account } of fromEnv) {
    ui.note(
      `${kind.variables.account} and ${kind.variables.secret} are set (${account}): get, verify, token and exec use them, not the store`,
    );
  }
  const retired = retiredApiNote(apiLogins);
  if (retired !== undefined) ui.note(retired);
  if (tlsOverride)
    ui.warn("NODE_TLS_REJECT_UNAUTHORIZED is set: cdcreds ignores it and always verifies certificates (other programs may not)");
  if (online === undefined) ui.info("token services: not asked (add --online to ask them)");
  return { exitCode };
}
