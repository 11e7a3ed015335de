// The leak scan's search of many needles at once, against a plain indexOf of each.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { NeedleSearch } from "../src/core/needle-search.js";

/** Every occurrence of each needle, by indexOf. */
function naive(data: Buffer, needles: string[]): { offset: number; needle: string }[] {
  const found: { offset: number; needle: string }[] = [];
  for (const needle of needles) {
    const bytes = Buffer.from(needle);
    for (let at = data.indexOf(bytes); at !== -1; at = data.indexOf(bytes, at + 1)) found.push({ offset: at, needle });
  }
  return found.sort((a, b) => a.offset - b.offset || a.needle.localeCompare(b.needle));
}

describe("NeedleSearch", () => {
  it("finds what indexOf finds: at the start, the end, overlapping, short and sharing a prefix", () => {
    const needles = ["abcd", "abcdef", "cdefgh", "xy", "é€zz", "zzzz"];
    const data = Buffer.from("abcdefgh xy é€zzzzz abcd");
    const search = new NeedleSearch(needles.map((text) => ({ text, value: text })));
    const got = search.find(data).sort((a, b) => a.offset - b.offset || a.needle.localeCompare(b.needle));
    expect(got).toEqual(naive(data, needles));
    expect(got.length).toBe(8);
  });

  it("agrees with indexOf on random data with needles planted in it", () => {
    const needles = Array.from({ length: 50 }, () => randomBytes(6).toString("base64"));
    const parts: string[] = [];
    for (let i = 0; i < 200; i++)
      parts.push(randomBytes(20).toString("base64"), needles[i % 50]!.slice(0, i % 9), i % 3 === 0 ? needles[i % 50]! : "");
    const data = Buffer.from(parts.join(""));
    const search = new NeedleSearch(needles.map((text) => ({ text, value: text })));
    expect(search.find(data).sort((a, b) => a.offset - b.offset || a.needle.localeCompare(b.needle))).toEqual(naive(data, needles));
  });

  it("agrees with indexOf with needles of many lengths over a small alphabet (near misses everywhere)", () => {
    const word = (n: number) => Array.from(randomBytes(n), (b) => "abc"[b % 3]).join("");
    const needles = [...new Set(Array.from({ length: 40 }, (_, i) => word(4 + (i % 27))))];
    const data = Buffer.from(Array.from({ length: 300 }, (_, i) => word(5) + (i % 4 === 0 ? needles[i % needles.length]! : "")).join(""));
    const search = new NeedleSearch(needles.map((text) => ({ text, value: text })));
    const got = search.find(data);
    expect(got.map((f) => f.offset)).toEqual([...got.map((f) => f.offset)].sort((a, b) => a - b));
    expect([...got].sort((a, b) => a.offset - b.offset || a.needle.localeCompare(b.needle))).toEqual(naive(data, needles));
  });

  it("is empty with no needles, and finds nothing in a buffer shorter than four bytes", () => {
    expect(new NeedleSearch([]).empty).toBe(true);
    expect(new NeedleSearch([{ text: "abcd", value: 1 }]).find(Buffer.from("abc"))).toEqual([]);
  });
});
