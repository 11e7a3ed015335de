// Proxies for the token service, from the usual variables, through undici's EnvHttpProxyAgent
// (no hand-written CONNECT code). The variables are passed in rather than read from process.env
// so the CLI's environment and a library caller's are treated alike.
import { EnvHttpProxyAgent, type Dispatcher } from "undici";
import { UsageError } from "../errors.js";
import { isLoopbackHost } from "./endpoints.js";

/** First non-empty value among the names, lower case first as curl and undici read them. */
function variable(env: NodeJS.ProcessEnv, name: string): { name: string; value: string } | undefined {
  for (const key of [name.toLowerCase(), name]) {
    const value = env[key];
    if (value !== undefined && value.trim() !== "") return { name: key, value: value.trim() };
  }
  return undefined;
}

function proxyHost(found: { name: string; value: string }): string {
  const url = URL.canParse(found.value) ? new URL(found.value) : undefined;
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    // The value itself is not shown: a proxy URL may carry a user and password.
    throw new UsageError(`${found.name} is not a valid proxy URL`, { hint: "use an http: or https: URL, such as http://proxy.example:3128" });
  }
  return url.hostname;
}

/**
 * The dispatcher for token requests: `HTTPS_PROXY` for https: URLs (falling back to `HTTP_PROXY`,
 * as undici does), `HTTP_PROXY` for http: ones, `NO_PROXY` honoured, TLS always verified.
 * Plain http: only ever goes to a loopback token URL (see parseAuthUrl); a cleartext password is
 * therefore never handed to a proxy on another machine: a non-loopback `HTTP_PROXY` is skipped
 * for http: URLs (it could not reach this machine's loopback anyway).
 * @throws {UsageError} (exit 2) when a proxy variable is not a URL.
 */
export function dispatcherFromEnv(env: NodeJS.ProcessEnv): Dispatcher {
  const http = variable(env, "HTTP_PROXY");
  const https = variable(env, "HTTPS_PROXY") ?? http;
  const noProxy = variable(env, "NO_PROXY");
  const httpProxy = http !== undefined && isLoopbackHost(proxyHost(http)) ? http.value : "";
  if (https !== undefined) proxyHost(https);
  // Empty strings, not undefined: undici would otherwise read process.env behind our back.
  return new EnvHttpProxyAgent({ httpProxy, httpsProxy: https?.value ?? "", noProxy: noProxy?.value ?? "" });
}
