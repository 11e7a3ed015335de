// How the Octopia seller API pages its lists (2025-26 integrators' code): `/products` and `/offers`
// give the next page in a `Link: <url>; rel="next"` header (cursor and limit); `/orders` takes
// `pageIndex` (from 1) and `pageSize` and gives no total, so the short page is the last. Lists come
// as `{"items": [...]}`, some sources say `data`. Pure functions: each rule has a unit test.
import { nextLink } from "../../platform/http/link.js";

/** The items of a page: its `items`, else its `data`, else the page itself when it is an array. */
export function pageItems(body: string): unknown[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (Array.isArray(value)) return value as unknown[];
  if (typeof value !== "object" || value === null) return undefined;
  const { items, data } = value as { items?: unknown; data?: unknown };
  if (Array.isArray(items)) return items as unknown[];
  if (Array.isArray(data)) return data as unknown[];
  return undefined;
}

const positive = (text: string | null): number | undefined => (text !== null && /^\d{1,9}$/.test(text) ? Number(text) : undefined);

/**
 * The URL of the page after the one `url` asked for, or undefined when it was the last: the Link
 * header's rel="next" when the answer has one; else, for a request with `pageIndex`/`pageSize`, the
 * next `pageIndex` while the page was full (`pageSize` items; without a `pageSize`, while it had
 * any); else none.
 */
export function nextPage(url: URL, link: string | string[] | undefined, body: string): URL | undefined {
  const linked = nextLink(link, url);
  if (linked !== undefined) return linked;
  const params = url.searchParams;
  if (!params.has("pageIndex") && !params.has("pageSize")) return undefined;
  const items = pageItems(body);
  if (items === undefined || items.length === 0) return undefined;
  const pageSize = positive(params.get("pageSize"));
  if (pageSize !== undefined && items.length < pageSize) return undefined;
  const next = new URL(url);
  next.searchParams.set("pageIndex", String((positive(params.get("pageIndex")) ?? 1) + 1));
  return next;
}
