// The masking transform of `cdcreds run`: every secret replaced, also when it arrives in pieces.
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { CONCEALED, maskStream } from "../src/platform/mask.js";

/** Passes `chunks` through a mask of `needles`, and gives the text that came out. */
async function masked(needles: string[], chunks: (string | Buffer)[]): Promise<string> {
  const out: Buffer[] = [];
  for await (const chunk of Readable.from(chunks, { objectMode: false }).pipe(maskStream(needles))) out.push(chunk as Buffer);
  return Buffer.concat(out).toString("utf8");
}

/** Every way of cutting `text` into two and three pieces. */
function cuts(text: string): string[][] {
  const bytes = Buffer.from(text);
  const all: string[][] = [];
  for (let i = 0; i <= bytes.length; i++) {
    for (let j = i; j <= bytes.length; j++)
      all.push([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)].map((b) => b.toString("latin1")));
  }
  return all;
}

describe("maskStream", () => {
  it("replaces each occurrence of each secret", async () => {
    expect(await masked(["s3cret", "tok"], ["a s3cret b tok c s3crets3cret"])).toBe(
      `a ${CONCEALED} b ${CONCEALED} c ${CONCEALED}${CONCEALED}`,
    );
  });

  it("replaces a secret however it is cut across chunks, and keeps everything else", async () => {
    const text = "before pa€ss/wd and pa€ss/wd after, pa€ss/w";
    const bytes = Buffer.from(text);
    for (const pieces of cuts(text)) {
      const chunks = pieces.map((p) => Buffer.from(p, "latin1"));
      expect(Buffer.concat(chunks)).toEqual(bytes);
      expect(await masked(["pa€ss/wd"], chunks)).toBe(`before ${CONCEALED} and ${CONCEALED} after, pa€ss/w`);
    }
  });

  it("replaces a secret written one byte at a time", async () => {
    const chunks = [...Buffer.from("x=hunter2hunter2;")].map((b) => Buffer.from([b]));
    expect(await masked(["hunter2"], chunks)).toBe(`x=${CONCEALED}${CONCEALED};`);
  });

  it("prefers the longest secret starting at a place (a value and its base64 or escaped form)", async () => {
    expect(await masked(["ab", "abcd"], ["xabcdx", "ab"])).toBe(`x${CONCEALED}x${CONCEALED}`);
  });

  it("passes output through untouched when there is no secret in it", async () => {
    const binary = Buffer.from([0, 255, 10, 13, 27, 128]);
    const out: Buffer[] = [];
    for await (const chunk of Readable.from([binary]).pipe(maskStream(["zz"]))) out.push(chunk as Buffer);
    expect(Buffer.concat(out)).toEqual(binary);
  });
});

describe("maskStream holding back", () => {
  it("passes on at once a chunk's end that begins no secret (a prompt), and holds back one that may", async () => {
    const mask = maskStream(["secret-value"]);
    const seen: string[] = [];
    mask.on("data", (chunk: Buffer) => seen.push(chunk.toString()));
    mask.write("Password: ");
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(["Password: "]);
    mask.write("x secr");
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(["Password: ", "x "]);
    mask.end("et-value!");
    await new Promise((resolve) => mask.on("end", resolve));
    expect(seen.join("")).toBe(`Password: x ${CONCEALED}!`);
  });
});
