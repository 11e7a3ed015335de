// Octopia's token endpoint, as the octopia kind asks it: exactly what is sent, how often, and how
// each answer is read (the contract suite covers the classification of every kind of answer).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { kind } from "../src/kinds/octopia/index.js";
import type { TokenRequestOptions } from "../src/kinds/types.js";
import { startOctopiaEmulator, type OctopiaEmulator } from "./support/octopia-emulator.js";

const CLIENT_ID = "My Client @ agency";
const SECRET = "a+b&c=d%e/f:g é €";
const NOW = new Date("2026-12-01T10:00:00Z");

let auth: OctopiaEmulator;
let sleeps: number[];
beforeEach(async () => {
  auth = await startOctopiaEmulator();
  sleeps = [];
});
afterEach(() => auth.close());

const ask = (over: Partial<TokenRequestOptions> = {}) =>
  kind.requestToken(
    { account: CLIENT_ID, secret: SECRET },
    {
      env: "prod",
      authUrl: new URL(auth.url),
      timeoutMs: 2000,
      retries: 2,
      proxyEnv: {},
      now: () => NOW,
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      ...over,
    },
  );

describe("the octopia kind's token request", () => {
  it("posts the client credentials grant, form-encoded UTF-8, with spaces, @ and + & = % / : intact", async () => {
    const answer = await ask();
    expect(answer).toEqual({
      status: "valid",
      token: auth.token,
      issuedAt: NOW,
      expiresAt: new Date(NOW.getTime() + 7200_000),
      attempts: 1,
    });
    expect(auth.requests).toEqual([
      {
        method: "POST",
        contentType: "application/x-www-form-urlencoded; charset=utf-8",
        form: { grant_type: "client_credentials", client_id: CLIENT_ID, client_secret: SECRET },
      },
    ]);
  });

  it("takes the lifetime from expires_in, never from a constant", async () => {
    auth.expiresIn(70);
    expect(await ask()).toMatchObject({ status: "valid", expiresAt: new Date(NOW.getTime() + 70_000) });
  });

  it.each(["401", "401-unauthorized", "400-unauthorized"] as const)("sends a secret rejected with %s exactly once", async (mode) => {
    auth.answer(mode);
    const answer = await ask();
    expect(answer).toMatchObject({ status: "rejected", attempts: 1 });
    expect(auth.requests).toHaveLength(1);
    const error = kind.answerError(answer as Exclude<typeof answer, { status: "valid" }>, new URL(auth.url), CLIENT_ID);
    expect(error.message).toMatch(
      /^My Client @ agency: client ID or secret rejected by Octopia \(HTTP 40[01] (invalid_client|unauthorized_client)\)$/,
    );
    expect(error.hint).toContain("API Credentials Management");
    expect(`${error.message} ${error.hint}`).not.toContain(SECRET);
  });

  it("honours a Retry-After of 429 up to 10 s, then gets the token", async () => {
    auth.retryAfter("3");
    auth.answer("429", "token");
    expect(await ask()).toMatchObject({ status: "valid", attempts: 2 });
    expect(sleeps).toEqual([3000]);
  });

  it("does not wait for a Retry-After longer than 10 s", async () => {
    auth.retryAfter("60");
    auth.answer("429");
    expect(await ask()).toMatchObject({
      status: "unreachable",
      detail: "HTTP 429 (too many requests), asked to retry after 60 s",
      attempts: 1,
    });
    expect(sleeps).toEqual([]);
  });

  it("retries 503 with backoff, never a 3xx (not followed)", async () => {
    auth.answer("503", "503", "token");
    expect(await ask()).toMatchObject({ status: "valid", attempts: 3 });
    expect(sleeps).toEqual([500, 1500]);
    auth.answer("redirect");
    expect(await ask()).toMatchObject({ status: "unexpected", detail: "HTTP 302 redirect, not followed", attempts: 1 });
  });

  it("has no preprod endpoint unless one is given (exit 2)", () => {
    expect(() => kind.tokenUrl("preprod")).toThrow(/^Octopia documents no preprod token endpoint$/);
    expect(kind.tokenUrl("preprod", new URL(auth.url)).href).toBe(auth.url);
    expect(kind.tokenUrl("prod").href).toBe("https://auth.octopia-io.net/auth/realms/maas/protocol/openid-connect/token");
  });
});

describe("the seller check (GET /seller/v2/sellers)", () => {
  const check = (sellerId: string, token = auth.token, retries = 2) =>
    kind.sellers!.check(token, sellerId, {
      env: "prod",
      apiUrl: new URL(auth.apiUrl),
      timeoutMs: 2000,
      retries,
      proxyEnv: {},
      now: () => NOW,
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
    });

  it("sends the token and the seller, and reads each answer", async () => {
    auth.sellers({ "1": 200, "2": 403, "3": 401 });
    expect(await check("1")).toEqual({ status: "valid", attempts: 1 });
    expect(auth.sellerRequests[0]).toEqual({ path: "/seller/v2/sellers", authorization: `Bearer ${auth.token}`, sellerId: "1" });
    expect(await check("2")).toEqual({ status: "seller-denied", detail: "HTTP 403", httpStatus: 403, attempts: 1 });
    expect(await check("3")).toEqual({ status: "seller-denied", detail: "HTTP 401", httpStatus: 401, attempts: 1 });
    expect(await check("4")).toEqual({ status: "seller-unknown", detail: "HTTP 404", httpStatus: 404, attempts: 1 });
    // A call naming no seller is refused by the API (400): not a verdict on the client, so exit 4.
    expect(await check("")).toEqual({ status: "unexpected", detail: "HTTP 400", httpStatus: 400, attempts: 1 });
    expect(auth.sellerRequests).toHaveLength(5); // a denied or unknown seller is asked once
  });

  it("retries 429 (after its Retry-After) and 5xx, never follows a redirect, and gives up on a hang", async () => {
    auth.retryAfter("3");
    auth.sellers({ "1": 200 });
    auth.sellerAnswer("429", "503", "rules");
    expect(await check("1")).toEqual({ status: "valid", attempts: 3 });
    expect(sleeps).toEqual([3000, 3000]);
    auth.sellerAnswer("redirect");
    expect(await check("1")).toMatchObject({ status: "unexpected", detail: "HTTP 302 redirect, not followed" });
    auth.sellerAnswer("hang");
    const hung = await kind.sellers!.check(auth.token, "1", {
      env: "prod",
      apiUrl: new URL(auth.apiUrl),
      timeoutMs: 300,
      retries: 0,
      proxyEnv: {},
    });
    expect(hung).toMatchObject({ status: "unreachable", detail: expect.stringMatching(/timed out/) as unknown });
  });
});
