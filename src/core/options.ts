// The options every command and library call shares, typed and checked once. The CLI turns its
// flags into the same typed values the library takes; each message names the value the way its
// caller gave it (`--timeout` for the CLI, `timeoutMs` for the library).
import { UsageError } from "../errors.js";
import { parseEnvironment, type Environment } from "../kinds/environment.js";
import { KIND_IDS, type KindId } from "../kinds/index.js";
import { parseServiceUrl } from "../platform/http/loopback.js";
import { STORE_IDS, type StoreId } from "../stores/index.js";

/** Options every command shares, resolved from flags (or library options) and environment variables. */
export interface GlobalOptions {
  /** The kind asked for (`--kind`, CDCREDS_KIND); undefined: chosen by the rule of core/kind-choice.ts. */
  kind: KindId | undefined;
  env: Environment;
  /** Replacement token URL, already validated. */
  authUrl: URL | undefined;
  /** Replacement seller API base, already validated. */
  apiUrl: URL | undefined;
  /** Per-attempt timeout, in milliseconds. */
  timeoutMs: number;
  /** Retries of the "unreachable" class after the first attempt. */
  retries: number;
  json: boolean;
  store: StoreId;
  debug: boolean;
}

/** Typed values, before defaults and checks; what the library takes and the CLI's flags become. */
export interface OptionValues {
  kind?: string;
  env?: string;
  store?: string;
  authUrl?: string;
  apiUrl?: string;
  timeoutMs?: number;
  retries?: number;
  json?: boolean;
  debug?: boolean;
}

/** How messages name each value: a flag, or a library option. */
type OptionNames = Record<"kind" | "env" | "store" | "authUrl" | "apiUrl" | "timeoutMs" | "retries", string>;

/** The names of the library's own options. */
const LIBRARY_NAMES: OptionNames = {
  kind: "kind",
  env: "env",
  store: "store",
  authUrl: "authUrl",
  apiUrl: "apiUrl",
  timeoutMs: "timeoutMs",
  retries: "retries",
};
const CLI_NAMES: OptionNames = {
  kind: "--kind",
  env: "--env",
  store: "--store",
  authUrl: "--auth-url",
  apiUrl: "--api-url",
  timeoutMs: "--timeout",
  retries: "--retries",
};

/** "a or b", "a, b or c". */
const orList = (items: readonly string[]): string =>
  items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;

const DEFAULT_TIMEOUT_MS = 20_000;
const MAX_TIMEOUT_MS = 600_000;
const DEFAULT_RETRIES = 2;
const MAX_RETRIES = 10;

/**
 * Checks typed values and fills in the defaults; values win over the `CDCREDS_*` variables.
 * @throws {UsageError} (exit 2) naming the bad value as `names` says, or the variable it came from.
 */
export function resolveOptions(values: OptionValues, processEnv: NodeJS.ProcessEnv, names: OptionNames = LIBRARY_NAMES): GlobalOptions {
  const envName = values.env ?? processEnv.CDCREDS_ENV;
  const authUrl = values.authUrl ?? processEnv.CDCREDS_AUTH_URL;
  const apiUrl = values.apiUrl ?? processEnv.CDCREDS_API_URL;
  const store = values.store ?? processEnv.CDCREDS_STORE;
  const kind = values.kind ?? processEnv.CDCREDS_KIND;
  if (kind !== undefined && kind !== "" && !(KIND_IDS as readonly string[]).includes(kind)) {
    const source = values.kind === undefined ? "CDCREDS_KIND" : names.kind;
    throw new UsageError(`unknown kind "${kind}" from ${source}: use ${orList(KIND_IDS)}`);
  }
  if (store !== undefined && store !== "" && !(STORE_IDS as readonly string[]).includes(store)) {
    const source = values.store === undefined ? "CDCREDS_STORE" : names.store;
    throw new UsageError(`unknown store "${store}" from ${source}: use ${orList(STORE_IDS)}`);
  }
  const { timeoutMs = DEFAULT_TIMEOUT_MS, retries = DEFAULT_RETRIES } = values;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
    throw new UsageError(`${names.timeoutMs} must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}, not ${timeoutMs}`);
  }
  if (!Number.isInteger(retries) || retries < 0 || retries > MAX_RETRIES) {
    throw new UsageError(`${names.retries} must be an integer from 0 to ${MAX_RETRIES}, not ${retries}`);
  }
  return {
    kind: kind === undefined || kind === "" ? undefined : (kind as KindId),
    env: envName === undefined || envName === "" ? "prod" : parseEnvironment(envName, values.env === undefined ? "CDCREDS_ENV" : names.env),
    // An empty value is refused, not read as "production": a variable emptied by mistake must not
    // silently send real credentials to the real service.
    authUrl:
      authUrl === undefined ? undefined : parseServiceUrl(authUrl, values.authUrl === undefined ? "CDCREDS_AUTH_URL" : names.authUrl),
    apiUrl: apiUrl === undefined ? undefined : parseServiceUrl(apiUrl, values.apiUrl === undefined ? "CDCREDS_API_URL" : names.apiUrl),
    timeoutMs,
    retries,
    json: values.json === true,
    store: (store === undefined || store === "" ? "keychain" : store) as StoreId,
    debug: values.debug === true,
  };
}

/** The raw values commander hands over (all strings, all optional). */
export interface RawGlobalOptions {
  kind?: string;
  env?: string;
  authUrl?: string;
  apiUrl?: string;
  timeout?: string;
  retries?: string;
  json?: boolean;
  store?: string;
  debug?: boolean;
}

// Plain decimal only: Number() would also take "0x10", "1e3" and "0b11".
const DECIMAL = /^\d+(\.\d+)?$/;
const INTEGER = /^\d+$/;

function parseNumber(value: string, name: string, { min, max, integer }: { min: number; max: number; integer: boolean }): number {
  const text = value.trim();
  const n = Number(text);
  if (!(integer ? INTEGER : DECIMAL).test(text) || n < min || n > max) {
    throw new UsageError(`${name} must be ${integer ? "an integer" : "a number"} from ${min} to ${max}, not "${value}"`);
  }
  return n;
}

/**
 * Turns the CLI's flags into typed options (`--timeout` in seconds), then checks them as the
 * library's are; flags win over variables.
 * @throws {UsageError} (exit 2) naming the bad value and where it came from.
 */
export function resolveGlobalOptions(raw: RawGlobalOptions, processEnv: NodeJS.ProcessEnv): GlobalOptions {
  const seconds =
    raw.timeout === undefined
      ? undefined
      : parseNumber(raw.timeout, "--timeout", { min: 0.001, max: MAX_TIMEOUT_MS / 1000, integer: false });
  return resolveOptions(
    {
      kind: raw.kind,
      env: raw.env,
      store: raw.store,
      authUrl: raw.authUrl,
      apiUrl: raw.apiUrl,
      timeoutMs: seconds === undefined ? undefined : Math.round(seconds * 1000),
      retries: raw.retries === undefined ? undefined : parseNumber(raw.retries, "--retries", { min: 0, max: MAX_RETRIES, integer: true }),
      json: raw.json,
      debug: raw.debug,
    },
    processEnv,
    CLI_NAMES,
  );
}
