// Where a credential may travel in clear: to this machine only, decided on the address a socket
// connects to, never on a name alone. Shared by every token service and API client.
import { UsageError } from "../../errors.js";

/** True for an address (a canonical URL host) in 127.0.0.0/8, or [::1]. */
const isLoopbackAddress = (host: string): boolean => host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

/**
 * True for 127.0.0.0/8, ::1 and localhost: the only hosts a password may travel to in clear.
 * `hostname` is a WHATWG URL's, which the URL parser has made canonical: every IPv4 spelling is
 * dotted decimal ("127.1" and "0x7f000001" are "127.0.0.1"), every IPv6 one compressed in brackets.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === "localhost" || host.endsWith(".localhost") || isLoopbackAddress(host);
}

/**
 * The loopback address to connect to for a host {@link isLoopbackHost} accepts. A name only claims
 * to be loopback: a hosts file or resolver may map `evil.localhost` anywhere. So the name is
 * resolved here and every address it has must be loopback; the caller then connects to the address
 * itself, so no second lookup can answer otherwise.
 * @returns the address as a URL host (`127.0.0.1`, `[::1]`).
 * @throws {UsageError} (exit 2) when any address of the name is outside 127.0.0.0/8 and ::1;
 *   the resolver's error when the name does not resolve.
 */
export async function loopbackAddressOf(hostname: string): Promise<string> {
  if (isLoopbackAddress(hostname)) return hostname;
  const { lookup } = await import("node:dns/promises"); // only for a name: IP literals need no resolver
  const found = (await lookup(hostname, { all: true, verbatim: true })).map((a) => (a.family === 6 ? `[${a.address}]` : a.address));
  const outside = found.find((address) => !isLoopbackAddress(address));
  if (outside !== undefined || found[0] === undefined) {
    throw new UsageError(
      `${hostname} resolves to ${outside ?? "no address"}, not a loopback address: nothing is sent in clear to another machine`,
      {
        hint: "use an https: URL, or a loopback address such as http://127.0.0.1:PORT/",
      },
    );
  }
  return found[0];
}

/**
 * Validates a replacement service URL (`--auth-url`, `CDCREDS_AUTH_URL`): `https:` anywhere, or
 * `http:` to a loopback host only, so a stray variable can never send a password in clear.
 * @throws {UsageError} (exit 2) before any request is made.
 */
export function parseServiceUrl(value: string, source: string): URL {
  if (value.trim() === "") {
    throw new UsageError(`${source} is empty`, { hint: "give a URL, or unset it to use the service's own" });
  }
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
