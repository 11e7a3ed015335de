// A loopback emulator of Octopia's token endpoint (a Keycloak server) and of the seller API's
// `GET /seller/v2/sellers`: a real node:http server on 127.0.0.1 that records each request (the
// token request's decoded form body, the seller call's headers) and answers as told.
//
//   const auth = await startOctopiaEmulator();   // answers a token (expires_in 7200) by default
//   auth.accept("My Client", "s3cret");           // a token for these credentials, else 401
//   auth.answer("400-unauthorized", "token");     // the next answers, the last one then stays
//   auth.sellers({ "12345": 200, "666": 403 });    // GET /sellers per SellerId (others: 404)
//   auth.sellerAnswer("503", "rules");            // the seller API's next answers, as answer() does
//
// Beyond /sellers, a small seller API for `cdcreds api` (every call recorded in apiRequests, with
// the number of the TCP connection it came on):
//   GET  /seller/v2/orders?pageIndex=&pageSize=  {"items": [...]}, orderCount() orders, no total
//   GET  /seller/v2/offers?limit=&cursor=        {"items": [...]}, next page in a Link header
//   POST /seller/v2/offers                       201 with the JSON it received (400 problem if none)
//   ANY  /seller/v2/problem                      400 problem+json with field errors
//   GET  /seller/v2/echo                         200 with the headers it received (bar Authorization)
//   GET  /seller/v2/pretty                       200 JSON over several lines
//   GET  /seller/v2/away                         200 with a Link rel=next to another origin (awayUrl)
//   auth.apiAnswer("429", "429", "rules");        // the API's next answers, as answer() does
//   auth.revokeToken();                           // the current token is refused from now on; the next one differs
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { listenOnLoopback } from "./loopback-server.js";

/** How the emulator answers. */
export type OctopiaMode =
  | "token" // 200 JSON with an access_token (a JWT) and expires_in
  | "check" // "token" for the credentials given to accept(), else "401"
  | "401" // newer Keycloak: 401 {"error":"invalid_client"}
  | "401-unauthorized" // 401 {"error":"unauthorized_client"}
  | "400-unauthorized" // older Keycloak: 400 {"error":"unauthorized_client"}
  | "400-invalid-request" // 400 {"error":"invalid_request"}: not a rejection of the client
  | "429"
  | "503"
  | "html" // 200 with an HTML page
  | "json-no-token" // 200 JSON without an access_token
  | "redirect"
  | "huge" // 200 with a 1 MB body
  | "hang" // reads the request, never answers
  | "stall"; // headers and the start of the body, then nothing

/** One request, with its form body decoded. */
export interface OctopiaRequest {
  method: string;
  contentType: string | undefined;
  form: Record<string, string>;
}

/** How the seller API answers: by the rules given to sellers(), or as a whole. */
export type SellerMode = "rules" | "429" | "503" | "hang" | "redirect";

/** One call to the seller API, with the headers that matter. */
export interface SellerRequest {
  path: string;
  authorization: string | undefined;
  sellerId: string | undefined;
}

/** How the seller API (bar /sellers) answers: by its routes, or as a whole. */
export type ApiMode = "rules" | "429" | "503" | "401" | "403" | "hang";

/** One call to the seller API (bar /sellers). */
export interface ApiRequest {
  method: string;
  /** Path and query. */
  url: string;
  authorization: string | undefined;
  sellerId: string | undefined;
  salesChannelId: string | undefined;
  contentType: string | undefined;
  body: string;
  /** The TCP connection it came on: 1 for the server's first, 2 for the next... */
  connection: number;
}

export interface OctopiaEmulator {
  readonly url: string;
  /** The seller API's base, as --api-url takes it. */
  readonly apiUrl: string;
  readonly requests: OctopiaRequest[];
  readonly sellerRequests: SellerRequest[];
  /** The status of GET /sellers per seller ID; any other seller is 404, no SellerId 400, another token 401. */
  sellers(statuses: Record<string, 200 | 401 | 403 | 404>): void;
  /** The seller login GET /sellers gives for these sellers (an `items[].login` field); none by default. */
  sellerLogins(logins: Record<string, string>): void;
  sellerAnswer(...modes: [SellerMode, ...SellerMode[]]): void;
  /** The access token the next "token" answers carry. */
  readonly token: string;
  /** Every token issued so far that the API still takes. */
  readonly issued: string[];
  /** The seller API's calls (bar /sellers). */
  readonly apiRequests: ApiRequest[];
  apiAnswer(...modes: [ApiMode, ...ApiMode[]]): void;
  /** How many orders GET /orders pages through (250 by default), and offers GET /offers (95). */
  orderCount(count: number): void;
  offerCount(count: number): void;
  /** Revokes the current token (the API answers 401 to it) and issues another from then on. */
  revokeToken(): void;
  /** Issues tokens of about this many characters from now on (Octopia's JWTs run 1-3 KB). */
  tokenLength(characters: number): void;
  /** Where GET /away's Link points: set by the test to its own listener on another origin. */
  awayUrl(url: string): void;
  answer(...modes: [OctopiaMode, ...OctopiaMode[]]): void;
  /** Accepts these credentials (besides those accepted before) and answers "check". */
  accept(clientId: string, secret: string): void;
  /** The `expires_in` of the next tokens, in seconds: a number, or a JSON number's text as sent ("1e400"). */
  expiresIn(seconds: number | string): void;
  /** Sets the Retry-After header sent with 429 and 503. */
  retryAfter(value: string | undefined): void;
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(value));
}

export async function startOctopiaEmulator(): Promise<OctopiaEmulator> {
  const part = (bytes = 24) => randomBytes(bytes).toString("base64url");
  let payloadBytes = 24;
  const newToken = () => `${part()}.${part(payloadBytes)}.${part()}`;
  let token = newToken();
  const valid = new Set<string>();
  const apiRequests: ApiRequest[] = [];
  let apiQueue: ApiMode[] = ["rules"];
  let orders = 250;
  let offers = 95;
  let away = "http://127.0.0.1:9/";
  const connectionOf = new WeakMap<object, number>();
  /** The API takes the current token (a test may hand it over without a token request) and every one issued and not revoked. */
  const authorized = (req: IncomingMessage): boolean => {
    const bearer = (req.headers.authorization ?? "").replace(/^Bearer /, "");
    return bearer === token || valid.has(bearer);
  };
  let connections = 0;
  const requests: OctopiaRequest[] = [];
  let queue: OctopiaMode[] = ["token"];
  const accepted = new Map<string, string>(); // client ID → secret
  let expiresIn: number | string = 7200;
  let retryAfter: string | undefined;
  const sellerRequests: SellerRequest[] = [];
  let sellerStatuses: Record<string, number> = {};
  let sellerLogins: Record<string, string> = {};
  let sellerQueue: SellerMode[] = ["rules"];

  const answerSeller = (req: IncomingMessage, res: ServerResponse): void => {
    const sellerId = typeof req.headers.sellerid === "string" ? req.headers.sellerid : undefined;
    sellerRequests.push({ path: req.url ?? "", authorization: req.headers.authorization, sellerId });
    const mode = sellerQueue.length > 1 ? sellerQueue.shift()! : sellerQueue[0]!;
    const later: Record<string, string> = retryAfter === undefined ? {} : { "retry-after": retryAfter };
    switch (mode) {
      case "429":
        return json(res, 429, { message: "Too many requests" }, later);
      case "503":
        return void res.writeHead(503, later).end("Service Unavailable");
      case "hang":
        return;
      case "redirect":
        return void res.writeHead(302, { location: "/elsewhere" }).end();
      case "rules": {
        if (!authorized(req)) return json(res, 401, { message: "Unauthorized" });
        if (sellerId === undefined || sellerId === "") return json(res, 400, { message: "The SellerId header is required" });
        const status = sellerStatuses[sellerId] ?? 404;
        const login = sellerLogins[sellerId];
        return json(
          res,
          status,
          status === 200
            ? { items: [{ sellerId, name: "Best Shop", ...(login === undefined ? {} : { login }) }] }
            : { message: `HTTP ${status}` },
        );
      }
    }
  };

  const respond = (mode: OctopiaMode, req: OctopiaRequest, res: ServerResponse): void => {
    const later: Record<string, string> = retryAfter === undefined ? {} : { "retry-after": retryAfter };
    switch (mode) {
      case "token": {
        valid.add(token);
        const body = JSON.stringify({
          access_token: token,
          expires_in: "EXPIRES_IN",
          refresh_expires_in: 0,
          token_type: "Bearer",
          "not-before-policy": 0,
          scope: "profile email",
        });
        // Written as text: a number JSON allows but JavaScript cannot hold (1e400) is sent as given.
        const raw = typeof expiresIn === "number" ? JSON.stringify(expiresIn) : expiresIn;
        return void res.writeHead(200, { "content-type": "application/json" }).end(body.replace('"EXPIRES_IN"', raw));
      }
      case "check":
        return respond(
          req.form.client_id !== undefined && accepted.get(req.form.client_id) === req.form.client_secret ? "token" : "401",
          req,
          res,
        );
      case "401":
        return json(res, 401, { error: "invalid_client", error_description: "Invalid client or Invalid client credentials" });
      case "401-unauthorized":
        return json(res, 401, { error: "unauthorized_client", error_description: "Invalid client secret" });
      case "400-unauthorized":
        return json(res, 400, { error: "unauthorized_client", error_description: "Invalid client secret" });
      case "400-invalid-request":
        return json(res, 400, { error: "invalid_request", error_description: "Missing form parameter: grant_type" });
      case "429":
        return json(res, 429, { error: "too_many_requests" }, later);
      case "503":
        return void res.writeHead(503, later).end("Service Unavailable");
      case "html":
        return void res
          .writeHead(200, { "content-type": "text/html" })
          .end("<!DOCTYPE html><html><body>Please enable JavaScript</body></html>");
      case "json-no-token":
        return json(res, 200, { status: "ok" });
      case "redirect":
        return void res.writeHead(302, { location: "/elsewhere" }).end();
      case "huge":
        return void res.writeHead(200, { "content-type": "application/json" }).end(`{"access_token":"${"a".repeat(1024 * 1024)}"}`);
      case "hang":
        return;
      case "stall":
        res.writeHead(200, { "content-type": "application/json" });
        return void res.write('{"access_token":"');
    }
  };

  const problem = (res: ServerResponse, status: number, title: string, detail: string, errors?: Record<string, string[]>): void =>
    void res
      .writeHead(status, {
        "content-type": "application/problem+json",
        ...(status === 429 && retryAfter !== undefined ? { "retry-after": retryAfter } : {}),
      })
      .end(
        JSON.stringify({
          type: "about:blank",
          title,
          status,
          detail,
          instance: "/seller/v2",
          traceId: "00-abc-01",
          ...(errors === undefined ? {} : { errors }),
        }),
      );

  const answerApi = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const header = (name: string) => (typeof req.headers[name] === "string" ? req.headers[name] : undefined);
    apiRequests.push({
      method: req.method ?? "",
      url: req.url ?? "",
      authorization: req.headers.authorization,
      sellerId: header("sellerid"),
      salesChannelId: header("saleschannelid"),
      contentType: header("content-type"),
      body,
      connection: connectionOf.get(req.socket) ?? 0,
    });
    const mode = apiQueue.length > 1 ? apiQueue.shift()! : apiQueue[0]!;
    switch (mode) {
      case "429":
        return problem(res, 429, "Too Many Requests", "Wait, then retry.");
      case "503":
        return void res.writeHead(503, { "content-type": "text/plain" }).end("Service Unavailable");
      case "401":
        return problem(res, 401, "Unauthorized", "The token is not valid.");
      case "403":
        return problem(res, 403, "Forbidden", "This client may not act for this seller.");
      case "hang":
        return;
      case "rules":
        break;
    }
    if (!authorized(req)) return problem(res, 401, "Unauthorized", "The token is not valid.");
    const url = new URL(req.url ?? "/", "http://emulator");
    const route = url.pathname.replace(/^\/seller\/v2/, "");
    const count = (name: string, fallback: number) => Number(url.searchParams.get(name) ?? fallback);
    if (req.method === "GET" && route === "/orders") {
      const pageIndex = count("pageIndex", 1);
      const pageSize = Math.min(count("pageSize", 50), 100);
      const first = (pageIndex - 1) * pageSize;
      const items = Array.from({ length: Math.max(0, Math.min(pageSize, orders - first)) }, (_, i) => ({ orderId: `O${first + i + 1}` }));
      return json(res, 200, { items });
    }
    if (req.method === "GET" && route === "/offers") {
      const limit = count("limit", 20);
      const from = url.searchParams.has("cursor") ? Number(Buffer.from(url.searchParams.get("cursor")!, "base64url").toString()) : 0;
      const items = Array.from({ length: Math.max(0, Math.min(limit, offers - from)) }, (_, i) => ({ offerId: `F${from + i + 1}` }));
      const next =
        from + limit < offers
          ? `http://${req.headers.host}/seller/v2/offers?limit=${limit}&cursor=${Buffer.from(String(from + limit)).toString("base64url")}`
          : undefined;
      return json(res, 200, { items }, next === undefined ? {} : { link: `<${next}>; rel="next"` });
    }
    if (req.method === "POST" && route === "/offers") {
      let received: unknown;
      try {
        received = JSON.parse(body);
      } catch {
        return problem(res, 400, "Bad Request", "The body is not JSON.");
      }
      return json(res, 201, { id: "new-offer", received });
    }
    if (route === "/problem") {
      return problem(res, 400, "Validation \u001b[31mfailed", "One or more fields are invalid.", {
        sellerId: ["must be a number"],
        "items[0].price": ["must be positive", "must have two decimals"],
      });
    }
    if (req.method === "GET" && route === "/echo") {
      const { authorization: _authorization, ...headers } = req.headers;
      return json(res, 200, { headers });
    }
    if (req.method === "GET" && route === "/pretty") {
      return void res.writeHead(200, { "content-type": "application/json" }).end(`{\n  "items": [\n    1,\n    2\n  ]\n}\n`);
    }
    if (req.method === "GET" && route === "/away") return json(res, 200, { items: [1] }, { link: `<${away}>; rel="next"` });
    return problem(res, 404, "Not Found", `No route ${route}`);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === "GET" && req.url?.startsWith("/seller/v2/sellers") === true) return answerSeller(req, res);
    if (req.url?.startsWith("/seller/v2/") === true) {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => answerApi(req, res, Buffer.concat(chunks).toString("utf8")));
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
      const recorded = { method: req.method ?? "", contentType: req.headers["content-type"], form };
      requests.push(recorded);
      const mode = queue.length > 1 ? queue.shift()! : queue[0]!;
      respond(mode, recorded, res);
    });
  });
  server.on("connection", (socket: object) => connectionOf.set(socket, ++connections));
  const { port, close } = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}/auth/realms/maas/protocol/openid-connect/token`,
    apiUrl: `http://127.0.0.1:${port}/seller/v2`,
    requests,
    sellerRequests,
    sellers: (statuses) => {
      sellerStatuses = statuses;
    },
    sellerLogins: (logins) => {
      sellerLogins = logins;
    },
    sellerAnswer: (...modes) => {
      sellerQueue = [...modes];
    },
    get token() {
      return token;
    },
    get issued() {
      return [...valid];
    },
    apiRequests,
    apiAnswer: (...modes) => {
      apiQueue = [...modes];
    },
    orderCount: (count) => {
      orders = count;
    },
    offerCount: (count) => {
      offers = count;
    },
    revokeToken: () => {
      valid.delete(token);
      token = newToken();
    },
    tokenLength: (characters) => {
      payloadBytes = Math.max(24, Math.floor(((characters - 66) * 3) / 4));
      token = newToken();
    },
    awayUrl: (url) => {
      away = url;
    },
    answer: (...modes) => {
      queue = [...modes];
    },
    accept: (clientId, secret) => {
      accepted.set(clientId, secret);
      queue = ["check"];
    },
    expiresIn: (seconds) => {
      expiresIn = seconds;
    },
    retryAfter: (value) => {
      retryAfter = value;
    },
    close,
  };
}
