// The `Link` header (RFC 8288), as far as paging needs it: the target of rel="next".

/**
 * The `rel="next"` target of a Link header, resolved against the URL it came with; undefined when
 * there is none. Several links, quoted or bare `rel` values and several relations in one are read.
 */
export function nextLink(header: string | string[] | undefined, base: URL): URL | undefined {
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header.join(", ") : header;
  for (const match of text.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]*)*)/g)) {
    const params = match[2] ?? "";
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
    const relations = (rel?.[1] ?? rel?.[2] ?? "").toLowerCase().split(/\s+/);
    if (!relations.includes("next")) continue;
    try {
      return new URL(match[1]!, base);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
