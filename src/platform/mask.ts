// A stream transform that replaces every occurrence of any of a set of byte strings (a program's
// secrets, in each of their forms) with a fixed text, also when one is written in pieces: the last
// end of a chunk that begins one (at most longest - 1 bytes) is held back until the next chunk, or
// the end, shows whether it is one. Anything else is passed on at once: a prompt is seen.
import { Transform, type TransformCallback } from "node:stream";

/** What `cdcreds run` writes in a secret's place. */
export const CONCEALED = "<concealed by cdcreds>";

/** The earliest occurrence at or after `from` that starts before `limit` (the longest at one place), or undefined. */
function firstMatch(data: Buffer, needles: readonly Buffer[], from: number, limit: number): { at: number; length: number } | undefined {
  let best: { at: number; length: number } | undefined;
  for (const needle of needles) {
    const at = data.indexOf(needle, from);
    if (at === -1 || at >= limit) continue;
    if (best === undefined || at < best.at || (at === best.at && needle.length > best.length)) best = { at, length: needle.length };
  }
  return best;
}

/**
 * A transform that writes its input with every occurrence of `needles` (UTF-8) replaced by
 * `replacement`. Only an end of a chunk that may begin a needle is held back; the end flushes it all.
 */
export function maskStream(needles: readonly string[], replacement = CONCEALED): Transform {
  const bytes = [...new Set(needles.filter((n) => n !== ""))].map((n) => Buffer.from(n, "utf8"));
  const keep = Math.max(0, ...bytes.map((b) => b.length - 1));
  const replaced = Buffer.from(replacement, "utf8");
  let held: Buffer = Buffer.alloc(0);

  /** True when the bytes from `at` to the end are the beginning of a needle (or one whole). */
  const beginsNeedle = (data: Buffer, at: number): boolean => {
    const rest = data.subarray(at);
    return bytes.some((needle) => rest.subarray(0, needle.length).equals(needle.subarray(0, rest.length)));
  };

  /** Masks `data` up to `limit` (no match may start at or after it) and returns what is left over. */
  const run = (stream: Transform, data: Buffer, limit: number): Buffer => {
    const out: Buffer[] = [];
    let pos = 0;
    for (let match = firstMatch(data, bytes, pos, limit); match !== undefined; match = firstMatch(data, bytes, pos, limit)) {
      out.push(data.subarray(pos, match.at), replaced);
      pos = match.at + match.length;
    }
    let cut = Math.max(pos, limit);
    while (cut < data.length && !beginsNeedle(data, cut)) cut++;
    out.push(data.subarray(pos, cut));
    const chunk = Buffer.concat(out);
    if (chunk.length > 0) stream.push(chunk);
    return Buffer.from(data.subarray(cut));
  };

  return new Transform({
    transform(chunk: Buffer | string, _encoding, callback: TransformCallback) {
      const data = Buffer.concat([held, typeof chunk === "string" ? Buffer.from(chunk) : chunk]);
      held = run(this, data, data.length - keep);
      callback();
    },
    flush(callback: TransformCallback) {
      run(this, held, held.length);
      held = Buffer.alloc(0);
      callback();
    },
  });
}
