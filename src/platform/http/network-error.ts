// What to tell the user of a request that got no answer: network, TLS, DNS, proxy or deadline.

const TLS_CODES = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH)/;

const CAUSES: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EPIPE: "connection reset",
  UND_ERR_SOCKET: "connection closed by the other side",
  ENOTFOUND: "DNS lookup failed",
  EAI_AGAIN: "DNS lookup failed (temporary)",
  EAI_FAIL: "DNS lookup failed",
  ETIMEDOUT: "connection timed out",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
};

/** Every `code` along an error's cause chain (undici wraps socket errors). */
function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as Error & { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
  }
  return codes;
}

/**
 * A printable cause for a failed attempt (network, TLS, DNS, proxy, timeout). Only error codes and
 * undici's own messages are used: neither ever contains the request's headers.
 */
export function describeNetworkError(error: unknown, timedOut: boolean, timeoutMs: number): string {
  const codes = errorCodes(error);
  if (timedOut || codes.includes("UND_ERR_HEADERS_TIMEOUT") || codes.includes("UND_ERR_BODY_TIMEOUT")) {
    return `timed out after ${timeoutMs / 1000} s`;
  }
  const tls = codes.find((code) => TLS_CODES.test(code));
  if (tls !== undefined) return `TLS certificate not accepted (${tls})`;
  for (const code of codes) {
    const cause = CAUSES[code];
    if (cause !== undefined) return `${cause} (${code})`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return codes[0] === undefined ? message : `${message} (${codes[0]})`;
}
