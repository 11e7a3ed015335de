// apiRequest and apiPages, as a Node integrator calls them: against the loopback emulator of
// Octopia's token endpoint and seller API, with environment credentials (no store, no terminal).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApiError, apiPages, apiRequest, type ApiRequestOptions } from "../src/index.js";
import { startOctopiaEmulator, type OctopiaEmulator } from "./support/octopia-emulator.js";
import { tempConfig } from "./support/store-helpers.js";

let auth: OctopiaEmulator;
let config: Awaited<ReturnType<typeof tempConfig>>;
beforeEach(async () => {
  auth = await startOctopiaEmulator();
  auth.accept("Library client", "library-secret-1");
  config = await tempConfig();
});
afterEach(async () => {
  await auth.close();
  await config.remove();
});

const options = (more: ApiRequestOptions = {}): ApiRequestOptions => ({
  kind: "octopia",
  authUrl: auth.url,
  apiUrl: auth.apiUrl,
  retries: 0,
  processEnv: {
    OCTOPIA_CLIENT_ID: "Library client",
    OCTOPIA_CLIENT_SECRET: "library-secret-1",
    OCTOPIA_SELLER_ID: "12345",
    XDG_CONFIG_HOME: config.dir,
  },
  ...more,
});

describe("apiRequest", () => {
  it("sends the token and the seller, and gives the answer; a JSON body from an object", async () => {
    const answer = await apiRequest("/orders?pageSize=2", options());
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ items: [{ orderId: "O1" }, { orderId: "O2" }] });
    const posted = await apiRequest("/offers", options({ body: { sku: "A1" }, salesChannel: "CDISFR" }));
    expect(posted).toMatchObject({ status: 201 });
    expect(auth.apiRequests.map((r) => [r.method, r.authorization, r.sellerId, r.salesChannelId, r.body])).toEqual([
      ["GET", `Bearer ${auth.token}`, "12345", undefined, ""],
      ["POST", `Bearer ${auth.token}`, "12345", "CDISFR", '{"sku":"A1"}'],
    ]);
  });

  it("throws an ApiError with the status, the body and the CLI's exit code", async () => {
    const error = (await apiRequest("/problem", options()).catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, exitCode: 6 });
    expect(error.message).toContain("sellerId: must be a number");
    expect(JSON.parse(error.body)).toMatchObject({ title: expect.stringContaining("Validation") as string });
    auth.apiAnswer("403");
    await expect(apiRequest("/orders", options())).rejects.toMatchObject({ status: 403, exitCode: 1 });
  });

  it("refuses an endpoint on another origin before any request", async () => {
    await expect(apiRequest("https://evil.example/seller/v2/orders", options())).rejects.toMatchObject({ exitCode: 2 });
    expect(auth.requests).toHaveLength(0);
    expect(auth.apiRequests).toHaveLength(0);
  });
});

describe("apiPages", () => {
  it("yields each page with its items, over one connection", async () => {
    const counts: number[] = [];
    for await (const page of apiPages("/offers?limit=40", options())) counts.push(page.items?.length ?? -1);
    expect(counts).toEqual([40, 40, 15]);
    expect(new Set(auth.apiRequests.map((r) => r.connection)).size).toBe(1);
    expect(auth.requests).toHaveLength(1); // one token for the whole run
  });
});
