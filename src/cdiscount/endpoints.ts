import { UsageError } from "../errors.js";

/** The Cdiscount environments cdcreds knows. */
export const ENVIRONMENTS = ["prod", "preprod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** Token service URLs (SPEC section 2). */
export const TOKEN_URLS: Readonly<Record<Environment, string>> = {
  prod: "https://sts.cdiscount.com/users/httpIssue.svc/?realm=https://wsvc.cdiscount.com/MarketplaceAPIService.svc",
  preprod:
    "https://sts.preprod-cdiscount.com/users/httpIssue.svc/?realm=https://wsvc.preprod-cdiscount.com/MarketplaceAPIService.svc",
};

/** Parses an environment name. @throws {UsageError} for any other value. */
export function parseEnvironment(value: string, source: string): Environment {
  if ((ENVIRONMENTS as readonly string[]).includes(value)) return value as Environment;
  throw new UsageError(`unknown environment "${value}" from ${source}: use ${ENVIRONMENTS.join(" or ")}`);
}

/**
 * True for 127.0.0.0/8, ::1 and localhost: the only hosts a password may travel to in clear.
 * `hostname` is a WHATWG URL's, which the URL parser has made canonical: every IPv4 spelling is
 * dotted decimal ("127.1" and "0x7f000001" are "127.0.0.1"), every IPv6 one compressed in brackets.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === "localhost" || host.endsWith(".localhost") || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Validates a replacement token URL (`--auth-url`, `CDCREDS_AUTH_URL`): `https:` anywhere, or
 * `http:` to a loopback host only, so a stray variable can never send a password in clear.
 * @throws {UsageError} (exit 2) before any request is made.
 */
export function parseAuthUrl(value: string, source: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${source} is not a valid URL: "${value}"`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new UsageError(`${source} must not contain credentials`);
  }
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return url;
  if (url.protocol === "http:") {
    throw new UsageError(`${source} refused: http: is only allowed to a loopback host (127.0.0.0/8, ::1, localhost), not ${url.hostname}`, {
      hint: "use an https: URL",
    });
  }
  throw new UsageError(`${source} refused: the scheme must be https: (or http: to a loopback host), not ${url.protocol}`);
}

/** The token URL for an environment, or the validated override. */
export function tokenUrl(env: Environment, override?: URL): URL {
  return override ?? new URL(TOKEN_URLS[env]);
}
