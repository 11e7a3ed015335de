// A loopback emulator of Cdiscount's token service for tests and benches: a real
// node:http server on 127.0.0.1, port 0, that records every request and answers as told.
//
//   const sts = await startEmulator();               // answers a token by default
//   sts.answer("503", "token");                      // first request 503, then tokens
//   sts.setCredentials("bestshop-api", "s3cret");    // token for these credentials, else 401
//   await runCli(["--auth-url", sts.url, "verify", ...]);
//   expect(sts.requests).toHaveLength(1);
//   await sts.close();
import { randomBytes } from "node:crypto";
import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { listenOnLoopback } from "./loopback-server.js";
import { gzipSync } from "node:zlib";

/** How the emulator answers a request. */
export type EmulatorMode =
  | "token" // 200 text/plain, `<string xmlns=...>TOKEN</string>`
  | "check" // "token" for the credentials given to setCredentials, else 401
  | "401"
  | "403"
  | "challenge" // 200 HTML bot-protection page, "Welcome on Cdiscount STS"
  | "xml" // 200 with another XML document (a fault), no token
  | "empty" // 200 with an empty body
  | "redirect" // 302 to REDIRECT_PATH on the same server (which answers a token if ever asked)
  | "429"
  | "500"
  | "503"
  | "hang" // reads the request, never answers
  | "reset" // headers and half the body, then a TCP reset
  | "huge" // 200 with a 10 MB body, no Content-Length
  | "stall" // headers and the start of the body, then nothing
  | "gzip-bomb" // 200 with `Content-Encoding: gzip`: 16 MiB of gzip that inflates to 16 GiB of token answers
  | "gate"; // holds the answer until openGate(), then answers "token"

/** One request as the emulator saw it; the Authorization header is decoded as UTF-8. */
export interface RecordedRequest {
  method: string;
  /** Path and query. */
  url: string;
  authorization: string | undefined;
  /** From `Basic base64(login:password)`: the login is everything before the first colon. */
  login: string | undefined;
  password: string | undefined;
  /** Set when the connection ends: true if the whole answer was sent, false if the client left first. */
  finished?: boolean;
}

/** A running emulator. */
export interface Emulator {
  /** The token URL, to pass as `--auth-url` / `CDCREDS_AUTH_URL`. */
  readonly url: string;
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  /** The token every "token" answer carries (32 lowercase hex, as Cdiscount's today). */
  readonly token: string;
  /** Every request received, in order, including any to REDIRECT_PATH. */
  readonly requests: RecordedRequest[];
  /** Answers the next requests with these modes in turn; the last one then stays. */
  answer(...modes: [EmulatorMode, ...EmulatorMode[]]): void;
  /** Sets the Retry-After header sent with 429 and 503 (none by default). */
  retryAfter(value: string | undefined): void;
  /** Accepts only these credentials (token), anything else gets 401; switches to "check". */
  setCredentials(login: string, password: string): void;
  /** Accepts these credentials too, beside the others accepted (a batch of accounts); answers "check". */
  addCredentials(login: string, password: string): void;
  /** Answers every request for that login so, whatever the queue says (a batch with a mix of answers). */
  answerFor(login: string, mode: EmulatorMode): void;
  /** Lets the requests held by "gate" through (they get a token), and every later "gate" one. */
  openGate(): void;
  /** Resolves once the emulator has received `count` requests in all. */
  waitForRequests(count: number): Promise<void>;
  /** Closes the server and every connection, hanging ones included. */
  close(): Promise<void>;
}

/** Path of the token URL, as in production. */
export const TOKEN_PATH = "/users/httpIssue.svc/?realm=https://wsvc.cdiscount.com/MarketplaceAPIService.svc";
/** Where "redirect" points; a client that follows it shows up in `requests`. */
export const REDIRECT_PATH = "/elsewhere";

const CHALLENGE_PAGE = `<!DOCTYPE html>
<html><head><title>Cdiscount STS</title></head>
<body><h1>Welcome on Cdiscount STS</h1><p>Checking your browser before accessing the service...</p>
<script>document.cookie = "challenge=" + Date.now();</script></body></html>`;
const FAULT_XML = `<?xml version="1.0" encoding="utf-8"?><Fault xmlns="http://schemas.microsoft.com/ws/2005/05/envelope/none"><Code><Value>Sender</Value></Code><Reason><Text xml:lang="fr-FR">Erreur interne</Text></Reason></Fault>`;

function decodeBasic(header: string | undefined): Pick<RecordedRequest, "login" | "password"> {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? "");
  if (match?.[1] === undefined) return { login: undefined, password: undefined };
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? { login: decoded, password: undefined } : { login: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** GZIP_MEMBER_INFLATED bytes of token answers, gzipped: members concatenated are still one gzip body. */
const GZIP_MEMBER_INFLATED = 1024 * 1024;
let gzipMember: Buffer | undefined;
const gzipBombMember = (token: string): Buffer =>
  (gzipMember ??= gzipSync(Buffer.from(tokenBody(token).repeat(Math.ceil(GZIP_MEMBER_INFLATED / tokenBody(token).length))), { level: 9 }));

const tokenBody = (token: string): string => `<string xmlns="http://schemas.microsoft.com/2003/10/Serialization/">${token}</string>`;

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), ...headers }).end(body);
}

/** Starts an emulator on 127.0.0.1 with an ephemeral port; it answers "token" until told otherwise. */
export async function startEmulator(): Promise<Emulator> {
  const token = randomBytes(16).toString("hex");
  const requests: RecordedRequest[] = [];
  let queue: EmulatorMode[] = ["token"];
  let credentials: { login: string; password: string } | undefined;
  const accepted = new Map<string, string>();
  const perLogin = new Map<string, EmulatorMode>();
  let retryAfter: string | undefined;
  let gateOpen = false;
  const held: (() => void)[] = [];
  const requestWaiters: (() => void)[] = [];

  const respond = (mode: EmulatorMode, req: RecordedRequest, res: ServerResponse): void => {
    const retry: Record<string, string> = retryAfter === undefined ? {} : { "retry-after": retryAfter };
    switch (mode) {
      case "token":
        return send(res, 200, "text/plain; charset=utf-8", tokenBody(token));
      case "check":
        if (credentials !== undefined && req.login === credentials.login && req.password === credentials.password)
          return respond("token", req, res);
        if (req.login !== undefined && accepted.has(req.login) && accepted.get(req.login) === req.password)
          return respond("token", req, res);
        return respond("401", req, res);
      case "401":
        return send(res, 401, "text/html", "<html><body>401 - Unauthorized</body></html>", { "www-authenticate": 'Basic realm="sts"' });
      case "403":
        return send(res, 403, "text/html", "<html><body>403 - Forbidden</body></html>");
      case "challenge":
        return send(res, 200, "text/html; charset=utf-8", CHALLENGE_PAGE);
      case "xml":
        return send(res, 200, "application/xml", FAULT_XML);
      case "empty":
        return send(res, 200, "text/plain", "");
      case "redirect":
        return send(res, 302, "text/html", "", { location: `http://${res.req.headers.host}${REDIRECT_PATH}` });
      case "429":
        return send(res, 429, "text/plain", "Too Many Requests", retry);
      case "500":
        return send(res, 500, "text/html", "<html><body>Runtime Error</body></html>");
      case "503":
        return send(res, 503, "text/html", "<html><body>Service Unavailable</body></html>", retry);
      case "hang":
        return;
      case "reset": {
        const body = tokenBody(token);
        res.writeHead(200, { "content-type": "text/plain", "content-length": body.length });
        res.write(body.slice(0, 20), () => res.socket?.resetAndDestroy());
        return;
      }
      case "huge": {
        res.on("error", () => {}); // the client hangs up early, as it should
        res.writeHead(200, { "content-type": "text/plain" });
        const chunk = Buffer.alloc(64 * 1024, "a");
        let left = 160; // 160 x 64 KiB = 10 MiB
        const pump = (): void => {
          while (left > 0 && !res.destroyed) {
            left--;
            if (!res.write(chunk)) return void res.once("drain", pump);
          }
          if (!res.destroyed) res.end();
        };
        return pump();
      }
      case "gzip-bomb": {
        res.on("error", () => {}); // a client that does not decompress hangs up early, as it should
        res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-encoding": "gzip" });
        const member = gzipBombMember(token);
        let left = 16 * 1024; // ~16 MiB sent, 16 GiB once inflated
        const pump = (): void => {
          while (left > 0 && !res.destroyed) {
            left--;
            if (!res.write(member)) return void res.once("drain", pump);
          }
          if (!res.destroyed) res.end();
        };
        return pump();
      }
      case "gate":
        if (gateOpen) return respond("token", req, res);
        held.push(() => respond("token", req, res));
        return;
      case "stall":
        res.writeHead(200, { "content-type": "text/plain", "content-length": 200 });
        res.write('<string xmlns="http://schemas.microsoft.com/2003/10/Serialization/">');
        return;
    }
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const authorization = req.headers.authorization;
    const recorded: RecordedRequest = { method: req.method ?? "", url: req.url ?? "", authorization, ...decodeBasic(authorization) };
    requests.push(recorded);
    for (const wake of requestWaiters.splice(0)) wake();
    req.resume();
    res.on("close", () => (recorded.finished = res.writableFinished));
    if (recorded.url === REDIRECT_PATH) return respond("token", recorded, res);
    const fixed = recorded.login === undefined ? undefined : perLogin.get(recorded.login);
    const mode = fixed ?? (queue.length > 1 ? queue.shift()! : queue[0]!);
    respond(mode, recorded, res);
  });
  const { port, close } = await listenOnLoopback(server);
  const origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}${TOKEN_PATH}`,
    origin,
    token,
    requests,
    answer: (...modes) => {
      queue = [...modes];
    },
    retryAfter: (value) => {
      retryAfter = value;
    },
    setCredentials: (login, password) => {
      credentials = { login, password };
      queue = ["check"];
    },
    addCredentials: (login, password) => {
      accepted.set(login, password);
      queue = ["check"];
    },
    answerFor: (login, mode) => {
      perLogin.set(login, mode);
    },
    openGate: () => {
      gateOpen = true;
      for (const answer of held.splice(0)) answer();
    },
    waitForRequests: async (count) => {
      while (requests.length < count) await new Promise<void>((resolve) => requestWaiters.push(resolve));
    },
    close,
  };
}

/** A running forward proxy (see {@link startProxy}). */
export interface Proxy {
  /** `http://127.0.0.1:PORT`, for HTTP_PROXY / HTTPS_PROXY. */
  readonly url: string;
  /** What went through it: `CONNECT 127.0.0.1:PORT`, or `GET http://...` for absolute-URI requests. */
  readonly seen: string[];
  close(): Promise<void>;
}

/**
 * Starts a minimal HTTP forward proxy on 127.0.0.1 that relays CONNECT tunnels (what undici's
 * ProxyAgent uses, for http: targets too) and absolute-URI requests, to loopback targets only.
 * `routes` maps host names to a loopback port, as a proxy resolving real names would: a tunnel to
 * `sts.example.test:443` then reaches `127.0.0.1:<port>`.
 */
export async function startProxy(routes: Record<string, number> = {}): Promise<Proxy> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const target = new URL(req.url ?? "");
    if (target.hostname !== "127.0.0.1") return void res.writeHead(403).end();
    const upstream = request(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    const [name, port] = (req.url ?? "").split(":");
    const routed = name === undefined ? undefined : routes[name];
    if (name !== "127.0.0.1" && routed === undefined) return void client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
    const upstream = connect(routed ?? Number(port), "127.0.0.1", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client).on("error", () => {});
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}
