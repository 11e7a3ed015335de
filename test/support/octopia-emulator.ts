// A loopback emulator of Octopia's token endpoint (a Keycloak server) and of the seller API's
// `GET /seller/v2/sellers`: a real node:http server on 127.0.0.1 that records each request (the
// token request's decoded form body, the seller call's headers) and answers as told.
//
//   const auth = await startOctopiaEmulator();   // answers a token (expires_in 7200) by default
//   auth.accept("My Client", "s3cret");           // a token for these credentials, else 401
//   auth.answer("400-unauthorized", "token");     // the next answers, the last one then stays
//   auth.sellers({ "12345": 200, "666": 403 });    // GET /sellers per SellerId (others: 404)
//   auth.sellerAnswer("503", "rules");            // the seller API's next answers, as answer() does
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
  /** The access token every "token" answer carries. */
  readonly token: string;
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
  const part = () => randomBytes(24).toString("base64url");
  const token = `${part()}.${part()}.${part()}`;
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
        if (req.headers.authorization !== `Bearer ${token}`) return json(res, 401, { message: "Unauthorized" });
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

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === "GET" && req.url?.startsWith("/seller/v2/sellers") === true) return answerSeller(req, res);
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
    token,
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
