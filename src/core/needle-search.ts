// Many fixed byte strings searched at once in a buffer (the leak scan's secrets in each form), in
// the manner of Wu and Manber: a window as long as the shortest needle slides along the data, and
// its last three bytes tell how far it may jump without passing a needle's end; where it may not,
// the window's first four bytes are looked up among the needles' and the few found are compared.
// Needles shorter than four bytes are found one by one.

/** A needle found: where, and which. */
export interface Found<T> {
  offset: number;
  needle: T;
}

const BLOCK_BITS = 18;
/** The shift table's slot of the three bytes b0 b1 b2. */
const block = (b0: number, b1: number, b2: number): number => Math.imul(b0 | (b1 << 8) | (b2 << 16), 0x9e3779b1) >>> (32 - BLOCK_BITS);

/** A searcher for a fixed set of needles, each with what it stands for. */
export class NeedleSearch<T> {
  /** How far the window may jump when it ends with a block (a jump never passes a needle's end). */
  private readonly shift = new Uint8Array(1 << BLOCK_BITS);
  /** The window: the shortest needle's length (at most 255, the most a jump can be). */
  private readonly window: number;
  private readonly byKey = new Map<number, { bytes: Buffer; value: T }[]>();
  private readonly short: { bytes: Buffer; value: T }[] = [];

  constructor(needles: Iterable<{ text: string; value: T }>) {
    const long: { bytes: Buffer; value: T }[] = [];
    for (const { text, value } of needles) {
      const bytes = Buffer.from(text, "utf8");
      if (bytes.length === 0) continue;
      (bytes.length < 4 ? this.short : long).push({ bytes, value });
    }
    this.window = Math.min(255, ...long.map((n) => n.bytes.length));
    const m = this.window;
    this.shift.fill(m - 2);
    for (const needle of long) {
      const { bytes } = needle;
      for (let q = 2; q < m; q++) {
        const slot = block(bytes[q - 2]!, bytes[q - 1]!, bytes[q]!);
        if (this.shift[slot]! > m - 1 - q) this.shift[slot] = m - 1 - q;
      }
      const key = bytes.readInt32LE(0);
      const list = this.byKey.get(key);
      if (list === undefined) this.byKey.set(key, [needle]);
      else list.push(needle);
    }
  }

  /** True when there is nothing to look for. */
  get empty(): boolean {
    return this.byKey.size === 0 && this.short.length === 0;
  }

  /** Every occurrence of every needle in `data` (overlapping ones too), by offset. */
  find(data: Buffer): Found<T>[] {
    const found: Found<T>[] = [];
    const { shift, byKey, window: m } = this;
    const length = data.length;
    if (byKey.size > 0) {
      for (let j = m - 1; j < length;) {
        const jump = shift[block(data[j - 2]!, data[j - 1]!, data[j]!)]!;
        if (jump !== 0) {
          j += jump;
          continue;
        }
        const start = j - m + 1;
        const list = byKey.get(data.readInt32LE(start));
        if (list !== undefined) {
          for (const { bytes, value } of list) {
            if (start + bytes.length <= length && data.compare(bytes, 4, bytes.length, start + 4, start + bytes.length) === 0) {
              found.push({ offset: start, needle: value });
            }
          }
        }
        j++;
      }
    }
    for (const { bytes, value } of this.short) {
      for (let at = data.indexOf(bytes); at !== -1; at = data.indexOf(bytes, at + 1)) found.push({ offset: at, needle: value });
    }
    return this.short.length === 0 ? found : found.sort((a, b) => a.offset - b.offset);
  }
}
