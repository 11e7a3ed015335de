// The pure parts of `cdcreds api`: Octopia's paging rules, the Link header, RFC 9457 problem
// details read into one line, the endpoint kept under the API's base, the retry waits.
import { describe, expect, it } from "vitest";
import { buildCall, parseField, parseHeader, resolveEndpoint } from "../src/core/api.js";
import { nextPage, pageItems } from "../src/kinds/octopia/paging.js";
import { backoffWithJitterMs } from "../src/platform/http/api-client.js";
import { nextLink } from "../src/platform/http/link.js";
import { parseProblem, summarizeError } from "../src/platform/http/problem.js";

const BASE = new URL("https://api.octopia-io.net/seller/v2");

describe("nextLink", () => {
  it("finds rel=next among several links, quoted or not, relative or absolute", () => {
    const here = new URL("https://api.octopia-io.net/seller/v2/offers?limit=2");
    expect(nextLink('<https://x.test/a?cursor=1>; rel="next"', here)?.href).toBe("https://x.test/a?cursor=1");
    expect(nextLink('</seller/v2/offers?cursor=2>; rel="prev", </seller/v2/offers?cursor=3>; rel=next', here)?.href).toBe(
      "https://api.octopia-io.net/seller/v2/offers?cursor=3",
    );
    expect(nextLink('<?cursor=4>; title="x"; rel="last next"', here)?.href).toBe("https://api.octopia-io.net/seller/v2/offers?cursor=4");
    expect(nextLink(['<a>; rel="prev"', '<b>; rel="next"'], here)?.href).toBe("https://api.octopia-io.net/seller/v2/b");
    expect(nextLink('<a>; rel="prev"', here)).toBeUndefined();
    expect(nextLink('<a>; rel="nextpage"', here)).toBeUndefined();
    expect(nextLink(undefined, here)).toBeUndefined();
  });
});

describe("Octopia paging", () => {
  const orders = (query: string) => new URL(`https://api.octopia-io.net/seller/v2/orders${query}`);
  const page = (n: number) => JSON.stringify({ items: Array.from({ length: n }, (_, i) => ({ i })) });

  it("takes a page's items, else its data, else the page when it is an array", () => {
    expect(pageItems('{"items":[1,2],"data":[3]}')).toEqual([1, 2]);
    expect(pageItems('{"data":[3]}')).toEqual([3]);
    expect(pageItems("[4,5]")).toEqual([4, 5]);
    expect(pageItems('{"id":1}')).toBeUndefined();
    expect(pageItems("not json")).toBeUndefined();
  });

  it("follows Link rel=next first, whatever the query says", () => {
    expect(nextPage(orders("?pageSize=2"), '<https://api.octopia-io.net/seller/v2/orders?c=1>; rel="next"', page(1))?.href).toBe(
      "https://api.octopia-io.net/seller/v2/orders?c=1",
    );
  });

  it("asks the next pageIndex while a page is full, and stops at the short one", () => {
    expect(nextPage(orders("?pageSize=2"), undefined, page(2))?.search).toBe("?pageSize=2&pageIndex=2");
    expect(nextPage(orders("?pageIndex=7&pageSize=2"), undefined, page(2))?.search).toBe("?pageIndex=8&pageSize=2");
    expect(nextPage(orders("?pageIndex=7&pageSize=2"), undefined, page(1))).toBeUndefined();
    expect(nextPage(orders("?pageIndex=3&pageSize=2"), undefined, page(0))).toBeUndefined();
  });

  it("without a pageSize, goes on until an empty page; without either, one page", () => {
    expect(nextPage(orders("?pageIndex=1"), undefined, page(30))?.search).toBe("?pageIndex=2");
    expect(nextPage(orders("?pageIndex=2"), undefined, page(0))).toBeUndefined();
    expect(nextPage(orders(""), undefined, page(100))).toBeUndefined();
    expect(nextPage(orders("?pageSize=2"), undefined, '{"message":"no list"}')).toBeUndefined();
  });
});

describe("problem details", () => {
  const body = JSON.stringify({
    type: "https://tools.ietf.org/html/rfc9110#section-15.5.1",
    title: "One or more validation errors occurred.",
    status: 400,
    detail: "See errors",
    instance: "/seller/v2/offers",
    traceId: "00-1-2-01",
    errors: { price: ["must be positive"], "items[0].sku": ["required", "too long"] },
  });

  it("reads title, detail and each field error", () => {
    expect(parseProblem(body)).toEqual({
      title: "One or more validation errors occurred.",
      detail: "See errors",
      fieldErrors: ["price: must be positive", "items[0].sku: required", "items[0].sku: too long"],
    });
    expect(summarizeError(400, body)).toBe(
      "HTTP 400: One or more validation errors occurred.: See errors; price: must be positive; items[0].sku: required; items[0].sku: too long",
    );
  });

  it("reads a list of {field, message}, a plain message, and nothing from a body that is not a JSON object", () => {
    expect(parseProblem('{"errors":[{"field":"a","message":"bad"},"loose"]}')?.fieldErrors).toEqual(["a: bad", "loose"]);
    expect(summarizeError(429, '{"message":"Too many requests"}')).toBe("HTTP 429: Too many requests");
    expect(summarizeError(503, "Service Unavailable")).toBe("HTTP 503");
    expect(summarizeError(500, "[1,2]")).toBe("HTTP 500");
    expect(summarizeError(400, "")).toBe("HTTP 400");
  });

  it("clips long fields and caps the number of field errors", () => {
    const long = summarizeError(400, JSON.stringify({ title: "x".repeat(1000), errors: { f: Array.from({ length: 50 }, () => "m") } }));
    expect(long.length).toBeLessThan(600);
    expect(long.match(/f: m/g)).toHaveLength(20);
  });
});

describe("endpoints stay under the base", () => {
  it("joins a path with or without a leading slash, and keeps its query", () => {
    expect(resolveEndpoint(BASE, "/orders?pageSize=100").href).toBe("https://api.octopia-io.net/seller/v2/orders?pageSize=100");
    expect(resolveEndpoint(BASE, "offers").href).toBe("https://api.octopia-io.net/seller/v2/offers");
    expect(resolveEndpoint(new URL("https://api.octopia-io.net/seller/v2/"), "offers#x").href).toBe(
      "https://api.octopia-io.net/seller/v2/offers",
    );
    expect(resolveEndpoint(BASE, "https://api.octopia-io.net/seller/v2/offers?cursor=abc").href).toBe(
      "https://api.octopia-io.net/seller/v2/offers?cursor=abc",
    );
    // A path is always under the base: `//host/...` is not read as another host.
    expect(resolveEndpoint(BASE, "//evil.example/x").href).toBe("https://api.octopia-io.net/seller/v2/evil.example/x");
  });

  it.each([
    "https://api.octopia-io.net/seller/v3/offers",
    "https://api.octopia-io.net/seller/v2x",
    "http://api.octopia-io.net/seller/v2/offers",
    "https://api.octopia-io.net:444/seller/v2/offers",
    "https://evil.example/seller/v2/offers",
    "https://api.octopia-io.net.evil.example/seller/v2/offers",
    "https://user:pw@api.octopia-io.net/seller/v2/offers",
    "/../v3/offers",
    "%2e%2e/v3",
    "",
  ])("refuses %j (exit 2)", (endpoint) => {
    expect(() => resolveEndpoint(BASE, endpoint)).toThrow(expect.objectContaining({ exitCode: 2 }) as Error);
  });
});

describe("requests", () => {
  it("puts -f fields in a GET's query and in a POST's JSON body; -H replaces a default; never Authorization", () => {
    expect(buildCall(BASE, { endpoint: "/orders", fields: [["a", "1"]] }, {})).not.toHaveProperty("body");
    expect(buildCall(BASE, { endpoint: "/orders", fields: [["a", "1"]] }, {}).url.search).toBe("?a=1");
    const post = buildCall(BASE, { endpoint: "/offers", method: "post", fields: [["a", "1"]], headers: [["Accept", "text/csv"]] }, {});
    expect(post).toMatchObject({ method: "POST", body: '{"a":"1"}' });
    expect(post.headers).toMatchObject({ Accept: "text/csv", "content-type": "application/json" });
    expect(post.headers.accept).toBeUndefined();
    expect(buildCall(BASE, { endpoint: "/offers", body: "{}" }, {}).method).toBe("POST");
    expect(parseHeader("X-A:  b c ")).toEqual(["X-A", "b c"]);
    expect(parseField("q=a=b")).toEqual(["q", "a=b"]);
    for (const bad of ["Authorization: Bearer x", "Host: x", "No colon", "Bad Name: x", "X: a\nb"])
      expect(() => parseHeader(bad), bad).toThrow(expect.objectContaining({ exitCode: 2 }) as Error);
    expect(() => parseField("=x")).toThrow(expect.objectContaining({ exitCode: 2 }) as Error);
    expect(() => buildCall(BASE, { endpoint: "/x", method: "GE T" }, {})).toThrow(expect.objectContaining({ exitCode: 2 }) as Error);
  });
});

describe("retry waits", () => {
  it("grow threefold from 500 ms, each between half and all of its step", () => {
    expect([1, 2, 3].map((n) => backoffWithJitterMs(n, 0))).toEqual([250, 750, 2250]);
    expect([1, 2, 3].map((n) => backoffWithJitterMs(n, 0.999999))).toEqual([500, 1500, 4500]);
  });
});
