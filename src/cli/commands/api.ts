import { readFile } from "node:fs/promises";
import {
  isSuccess,
  openApiSession,
  parseField,
  parseHeader,
  sellerApiOf,
  apiErrorOf,
  type ApiCallSpec,
  type ApiResponse,
} from "../../core/api.js";
import { chooseSeller, openAccount, sellerIdsOf } from "../../core/credentials.js";
import { errnoText, ServiceError, UsageError } from "../../errors.js";
import type { ApiExchange } from "../../platform/http/api-client.js";
import { requireNow } from "../../platform/require.js";
import { escapeText, jsonLine } from "../../platform/text.js";
import { kindOf, storeDeps, type CommandContext, type CommandResult } from "../context.js";
import { writeStdout } from "../output.js";

/** The flags of `cdcreds api`. */
export interface ApiFlags {
  login?: string;
  sellerId?: string;
  salesChannel?: string;
  method?: string;
  header?: string[];
  field?: string[];
  input?: string;
  paginate?: boolean;
  slurp?: boolean;
  include?: boolean;
}

/**
 * A body, printed: on a terminal, JSON indented and every control character escaped; in a pipe, as
 * received (a page of `--paginate` that spans lines made one line).
 */
function shown(body: Buffer, terminal: boolean, oneLine: boolean): string {
  const text = body.toString("utf8");
  if (terminal || (oneLine && text.includes("\n"))) {
    const value = parseJson(text);
    if (value !== undefined) return terminal ? indented(value.json) : jsonLine(value.json);
    if (terminal) return `${text.split("\n").map(escapeText).join("\n")}${text === "" || text.endsWith("\n") ? "" : "\n"}`;
  }
  return text === "" || text.endsWith("\n") ? text : `${text}\n`;
}

function parseJson(text: string): { json: unknown } | undefined {
  try {
    return { json: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/** Indented JSON, with the controls jsonLine escapes escaped too. */
const indented = (value: unknown): string =>
  `${JSON.stringify(value, null, 2).replace(/[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, "0")}`)}\n`;

const REASONS: Readonly<Record<number, string>> = {
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** `-i`: the status line and headers, escaped. */
function statusAndHeaders(response: ApiResponse): string {
  const lines = [`HTTP/1.1 ${response.status} ${REASONS[response.status] ?? ""}`.trimEnd()];
  for (const [name, value] of Object.entries(response.headers)) {
    for (const one of Array.isArray(value) ? value : [value ?? ""]) lines.push(`${name}: ${escapeText(one)}`);
  }
  return `${lines.join("\n")}\n\n`;
}

function debugLine(exchange: ApiExchange): string {
  const connection = exchange.reusedConnection === undefined ? "" : exchange.reusedConnection ? ", reused connection" : ", new connection";
  const status = typeof exchange.status === "number" ? `HTTP ${exchange.status}` : exchange.status;
  const retry = exchange.retryInMs === undefined ? "" : `, retry in ${exchange.retryInMs} ms`;
  return `${exchange.method} ${exchange.url.href} -> ${status} in ${exchange.elapsedMs} ms${connection}${retry}`;
}

/** The body of `--input`: a file, or standard input for `-`. */
async function readInput(ctx: CommandContext, input: string): Promise<string> {
  if (input !== "-") {
    try {
      return await readFile(input, "utf8");
    } catch (error) {
      throw new UsageError(`--input: cannot read ${input} (${errnoText(error)})`);
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * `cdcreds api ENDPOINT`: one request to the seller API (or every page of a list with
 * `--paginate`) with the stored client's cached token and seller headers; the body on stdout, an
 * error's summary on stderr and its exit status (1, 4 or 6).
 */
export async function api(ctx: CommandContext, endpoint: string, flags: ApiFlags): Promise<CommandResult> {
  const { options, ui } = ctx;
  if (flags.slurp === true && flags.paginate !== true) throw new UsageError("--slurp goes with --paginate");
  const kind = await kindOf(ctx, flags.login);
  sellerApiOf(kind); // an api-login account fails here, before the store is read
  if (flags.sellerId !== undefined) chooseSeller(kind, flags.sellerId, []);
  const spec: ApiCallSpec = {
    endpoint,
    headers: (flags.header ?? []).map(parseHeader),
    fields: (flags.field ?? []).map(parseField),
  };
  if (flags.method !== undefined) spec.method = flags.method;
  if (flags.input !== undefined) spec.body = await readInput(ctx, flags.input);
  const account = await openAccount({ kind, options, ...storeDeps(ctx), login: flags.login });
  // The secret is read only when a new token is needed; from then on it is never shown.
  const opened = {
    ...account,
    secret: async (): Promise<string> => {
      const value = await account.secret();
      ui.redact(value);
      return value;
    },
  };
  const sellerIds = sellerIdsOf(kind, opened, options, ctx.processEnv);
  const sellerId = chooseSeller(kind, flags.sellerId, sellerIds);
  if (sellerId === undefined && sellerIds.length > 1) {
    throw new UsageError(`${opened.account} acts for several sellers (${sellerIds.join(", ")}): name one with --seller-id`);
  }
  const session = await openApiSession({
    kind,
    options,
    processEnv: ctx.processEnv,
    opened,
    sellerId,
    ...(flags.salesChannel === undefined ? {} : { salesChannel: flags.salesChannel }),
    onToken: (token) => ui.redact(token),
    onExchange: (exchange) => ui.debug(debugLine(exchange)),
    onNewToken: () => ui.debug("the cached token was refused (401): getting a new one, then one more try"),
  });
  const terminal = (requireNow("node:tty") as typeof import("node:tty")).isatty(1);
  /** Prints an answer; false when stdout's reader is gone. */
  const print = async (response: ApiResponse, oneLine: boolean): Promise<boolean> =>
    writeStdout(`${flags.include === true ? statusAndHeaders(response) : ""}${shown(response.body, terminal, oneLine)}`);
  try {
    if (flags.paginate !== true) {
      const response = await session.send(spec);
      await print(response, false);
      if (!isSuccess(response.status)) throw apiErrorOf(response);
      return {};
    }
    const slurped: unknown[] = [];
    const sellers = kind.sellers!;
    for await (const response of session.pages(spec)) {
      if (!isSuccess(response.status)) {
        await print(response, true);
        throw apiErrorOf(response);
      }
      if (flags.slurp !== true) {
        if (!(await print(response, true))) break; // `| head`: no more pages asked for
        continue;
      }
      const body = response.body.toString("utf8");
      const items = sellers.pageItems(body);
      if (items !== undefined) slurped.push(...items);
      else if (body.trim() !== "") {
        const value = parseJson(body);
        if (value === undefined) throw new ServiceError(`--slurp: the page of ${response.url.pathname} is not JSON`);
        slurped.push(value.json);
      }
    }
    if (flags.slurp === true) await writeStdout(terminal ? indented(slurped) : jsonLine(slurped));
    return {};
  } finally {
    await session.close();
  }
}
