import { parseServiceUrl } from "../platform/http/loopback.js";
import { parseEnvironment, type Environment } from "../kinds/environment.js";
import { UsageError } from "../errors.js";
import { STORE_IDS, type StoreId } from "../stores/index.js";


/** Options every command shares, resolved from flags and environment variables. */
export interface GlobalOptions {
  env: Environment;
  /** Replacement token URL, already validated. */
  authUrl: URL | undefined;
  /** Per-attempt timeout, in milliseconds. */
  timeoutMs: number;
  /** Retries of the "unreachable" class after the first attempt. */
  retries: number;
  json: boolean;
  store: StoreId;
  debug: boolean;
}

/** The raw values commander hands over (all strings, all optional). */
export interface RawGlobalOptions {
  env?: string;
  authUrl?: string;
  timeout?: string;
  retries?: string;
  json?: boolean;
  store?: string;
  debug?: boolean;
}

const DEFAULT_TIMEOUT_SECONDS = 20;
const DEFAULT_RETRIES = 2;

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
 * Turns raw flags and environment variables into typed options; flags win over variables.
 * @throws {UsageError} (exit 2) naming the bad value and where it came from.
 */
export function resolveGlobalOptions(raw: RawGlobalOptions, env: NodeJS.ProcessEnv): GlobalOptions {
  const envName = raw.env ?? env.CDCREDS_ENV;
  const authUrl = raw.authUrl ?? env.CDCREDS_AUTH_URL;
  const store = raw.store ?? env.CDCREDS_STORE;
  if (store !== undefined && !(STORE_IDS as readonly string[]).includes(store)) {
    const source = raw.store === undefined ? "CDCREDS_STORE" : "--store";
    throw new UsageError(`unknown store "${store}" from ${source}: use ${STORE_IDS.join(" or ")}`);
  }
  return {
    env: envName === undefined || envName === "" ? "prod" : parseEnvironment(envName, raw.env === undefined ? "CDCREDS_ENV" : "--env"),
    // An empty value is refused, not read as "production": a variable emptied by mistake must not
    // silently send real credentials to the real service.
    authUrl: authUrl === undefined ? undefined : parseServiceUrl(authUrl, raw.authUrl === undefined ? "CDCREDS_AUTH_URL" : "--auth-url"),
    timeoutMs: 1000 * (raw.timeout === undefined ? DEFAULT_TIMEOUT_SECONDS : parseNumber(raw.timeout, "--timeout", { min: 0.001, max: 600, integer: false })),
    retries: raw.retries === undefined ? DEFAULT_RETRIES : parseNumber(raw.retries, "--retries", { min: 0, max: 10, integer: true }),
    json: raw.json === true,
    store: (store === undefined || store === "" ? "keychain" : store) as StoreId,
    debug: raw.debug === true,
  };
}
