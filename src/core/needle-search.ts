// Many fixed byte strings searched at once in a buffer (the leak scan's secrets in each form): each
// place's first four bytes are looked up in a bit table, and only the few places it lets through are
// compared. Shorter needles are found one by one.

/** A needle found: where, and which. */
export interface Found<T> {
  offset: number;
  needle: T;
}

const TABLE_BITS = 20;
/** The bit table's slot of a 4-byte key. */
const slot = (key: number): number => Math.imul(key, 0x9e3779b1) >>> (32 - TABLE_BITS);

/** A searcher for a fixed set of needles, each with what it stands for. */
export class NeedleSearch<T> {
  private readonly bits = new Uint8Array(1 << (TABLE_BITS - 3));
  private readonly byKey = new Map<number, { bytes: Buffer; value: T }[]>();
  private readonly short: { bytes: Buffer; value: T }[] = [];

  constructor(needles: Iterable<{ text: string; value: T }>) {
    for (const { text, value } of needles) {
      const bytes = Buffer.from(text, "utf8");
      if (bytes.length === 0) continue;
      if (bytes.length < 4) {
        this.short.push({ bytes, value });
        continue;
      }
      const key = bytes.readInt32LE(0);
      const s = slot(key);
      this.bits[s >>> 3]! |= 1 << (s & 7);
      const list = this.byKey.get(key);
      if (list === undefined) this.byKey.set(key, [{ bytes, value }]);
      else list.push({ bytes, value });
    }
  }

  /** True when there is nothing to look for. */
  get empty(): boolean {
    return this.byKey.size === 0 && this.short.length === 0;
  }

  /** Every occurrence of every needle in `data` (overlapping ones too), by offset. */
  find(data: Buffer): Found<T>[] {
    const found: Found<T>[] = [];
    const { bits, byKey } = this;
    const end = data.length - 3;
    if (byKey.size > 0 && end > 0) {
      // Shifted once before the first look, `key` then holds bytes i..i+3 (readInt32LE's order).
      let key = (data[0]! << 8) | (data[1]! << 16) | (data[2]! << 24);
      for (let i = 0; i < end; i++) {
        key = (key >>> 8) | (data[i + 3]! << 24);
        const s = slot(key);
        if ((bits[s >>> 3]! & (1 << (s & 7))) === 0) continue;
        const list = byKey.get(key);
        if (list === undefined) continue;
        for (const { bytes, value } of list) {
          if (i + bytes.length <= data.length && data.compare(bytes, 4, bytes.length, i + 4, i + bytes.length) === 0) {
            found.push({ offset: i, needle: value });
          }
        }
      }
    }
    for (const { bytes, value } of this.short) {
      for (let at = data.indexOf(bytes); at !== -1; at = data.indexOf(bytes, at + 1)) found.push({ offset: at, needle: value });
    }
    return this.short.length === 0 ? found : found.sort((a, b) => a.offset - b.offset);
  }
}
