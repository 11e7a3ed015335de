// Proxies for the token service, from the usual variables, through undici's EnvHttpProxyAgent
// (no hand-written CONNECT code). The variables are passed in rather than read from process.env
// so the CLI's environment and a library caller's are treated alike.
import type { Dispatcher } from "undici";
import { UsageError } from "../../errors.js";
import { isLoopbackHost, loopbackAddressOf } from "./loopback.js";

/**
 * TLS options for every connection: certificates always verified, whatever
 * NODE_TLS_REJECT_UNAUTHORIZED says (it only sets the default). Extra roots from
 * NODE_EXTRA_CA_CERTS stay trusted: Node adds them to the default store that is used here.
 */
export const TLS_ALWAYS_VERIFIED = { rejectUnauthorized: true } as const;

/** First non-empty value among the names, lower case first as curl and undici read them. */
function variable(processEnv: NodeJS.ProcessEnv, name: string): { name: string; value: string } | undefined {
  for (const key of [name.toLowerCase(), name]) {
    const value = processEnv[key];
    if (value !== undefined && value.trim() !== "") return { name: key, value: value.trim() };
  }
  return undefined;
}

function proxyHost(found: { name: string; value: string }): string {
  const url = URL.canParse(found.value) ? new URL(found.value) : undefined;
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    // The value itself is not shown: a proxy URL may carry a user and password.
    throw new UsageError(`${found.name} is not a valid proxy URL`, {
      hint: "use an http: or https: URL, such as http://proxy.example:3128",
    });
  }
  return url.hostname;
}

/**
 * Loads undici on demand. It is CommonJS: through the bundle its dynamic import offers only
 * `default` (module.exports), as Node's own CommonJS interop also does, so take that when present.
 */
export async function importUndici(): Promise<typeof import("undici")> {
  const module = await import("undici");
  return ((module as { default?: unknown }).default ?? module) as typeof module;
}

/**
 * The proxy dispatcher for a token request to `url`: `HTTPS_PROXY` (else `HTTP_PROXY`, as undici
 * does) for https: URLs; for http: ones, which only ever go to loopback (see parseAuthUrl), a
 * loopback `HTTP_PROXY` only, so a cleartext password is never handed to another machine.
 * `NO_PROXY` is honoured; TLS is always verified.
 * Undefined when no proxy applies: the request then goes straight out through node:http(s), which
 * starts far faster than undici (its WebAssembly parser costs ~300 ms a process).
 * @throws {UsageError} (exit 2) when a proxy variable is not a URL.
 */
export async function dispatcherFromEnv(processEnv: NodeJS.ProcessEnv, url: URL): Promise<Dispatcher | undefined> {
  const http = variable(processEnv, "HTTP_PROXY");
  const https = variable(processEnv, "HTTPS_PROXY") ?? http;
  // Checked whichever applies, so a malformed variable is reported rather than silently ignored.
  for (const found of [http, https]) if (found !== undefined) proxyHost(found);
  const proxy = url.protocol === "https:" ? https?.value : http !== undefined ? await loopbackProxy(http.value) : undefined;
  if (proxy === undefined) return undefined;
  const { EnvHttpProxyAgent } = await importUndici();
  const noProxy = variable(processEnv, "NO_PROXY")?.value ?? "";
  // Empty strings, not undefined: undici would otherwise read process.env behind our back.
  const tls = { connect: TLS_ALWAYS_VERIFIED, requestTls: TLS_ALWAYS_VERIFIED, proxyTls: TLS_ALWAYS_VERIFIED };
  return url.protocol === "https:"
    ? new EnvHttpProxyAgent({ httpProxy: "", httpsProxy: proxy, noProxy, ...tls })
    : new EnvHttpProxyAgent({ httpProxy: proxy, httpsProxy: "", noProxy, ...tls });
}

/**
 * For a cleartext request: the proxy URL with its host replaced by the loopback address it
 * resolves to, or undefined (no proxy: straight to the loopback service) when it is not on this
 * machine, by name or by address.
 */
async function loopbackProxy(value: string): Promise<string | undefined> {
  const url = new URL(value);
  if (!isLoopbackHost(url.hostname)) return undefined;
  try {
    url.hostname = await loopbackAddressOf(url.hostname);
  } catch {
    return undefined;
  }
  return url.href;
}
