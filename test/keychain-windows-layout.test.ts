// The Windows Credential Manager layout's pure rules (src/stores/keychain/windows-layout.ts): the
// target names Python's keyring shares, and the splitting of secrets longer than one blob. They
// run on every OS; the Windows lane (.ci/run) checks them against the real Credential Manager API.
import { describe, expect, it } from "vitest";
import {
  BLOB_UNITS,
  MAX_WINDOWS_SECRET,
  joinSecret,
  partTarget,
  partsOf,
  splitSecret,
  windowsTargets,
} from "../src/stores/keychain/windows-layout.js";

/** What a Credential Manager would hold after writing `blobs`: the main target and its parts. */
function written(blobs: string[]): Map<number, string> {
  return new Map(blobs.map((blob, i) => [i + 1, blob]));
}
const join = (held: Map<number, string>): string | undefined => joinSecret(held.get(1)!, (index) => held.get(index));

describe("Windows target names", () => {
  it("writes <account>@<service> (Python's compound name), reads Python's <service> and the old <account>.<service>", () => {
    expect(windowsTargets("cdcreds:prod", "bestshop-api")).toEqual({
      main: "bestshop-api@cdcreds:prod",
      python: "cdcreds:prod",
      legacy: "bestshop-api.cdcreds:prod",
    });
    expect(partTarget("bestshop-api@cdcreds-token:prod", 2)).toBe("bestshop-api@cdcreds-token:prod~2");
  });
});

describe("splitting a secret over credentials", () => {
  it("keeps a secret that fits one blob as it is: what Python and every other reader sees", () => {
    for (const secret of ["correct horse", "x".repeat(BLOB_UNITS), '{"token":"eyJ","expiresAt":"2026-12-06T10:00:00.000Z"}']) {
      expect(splitSecret(secret)).toEqual([secret]);
      expect(partsOf(secret)).toBe(1);
      expect(joinSecret(secret, () => undefined)).toBe(secret);
    }
  });

  it.each([BLOB_UNITS + 1, 4096, 12_000, MAX_WINDOWS_SECRET])(
    "splits %i characters into blobs that each fit, and joins them back",
    (length) => {
      const secret = Array.from({ length }, (_, i) => "abcdefghijklmnopqrstuvwxyz0123456789"[i % 36]).join("");
      const blobs = splitSecret(secret);
      expect(blobs.length).toBe(Math.ceil((length + 40) / BLOB_UNITS));
      for (const blob of blobs) expect(blob.length).toBeLessThanOrEqual(BLOB_UNITS);
      expect(blobs[0]!.startsWith("\u0001cdcreds-parts ")).toBe(true);
      expect(partsOf(blobs[0]!)).toBe(blobs.length);
      expect(join(written(blobs))).toBe(secret);
    },
  );

  it("never cuts between the halves of a surrogate pair (each blob must be valid UTF-16)", () => {
    const secret = `a${"😀".repeat(3000)}`; // 6,001 code units: each even cut falls inside a pair
    const blobs = splitSecret(secret);
    for (const blob of blobs) {
      expect(blob.length).toBeLessThanOrEqual(BLOB_UNITS);
      expect(() => encodeURIComponent(blob)).not.toThrow(); // it throws on a lone surrogate
    }
    expect(join(written(blobs))).toBe(secret);
  });

  it("answers nothing when a part is missing, altered, or from another write", () => {
    const first = splitSecret("a".repeat(4000));
    const second = splitSecret("b".repeat(4000));
    const missing = written(first);
    missing.delete(3);
    expect(join(missing)).toBeUndefined();
    const altered = written(first);
    altered.set(2, `${altered.get(2)!.slice(1)}x`);
    expect(join(altered)).toBeUndefined();
    // A write interrupted after its parts, before its main credential: the old header, new parts.
    const mixed = written(second);
    mixed.set(1, first[0]!);
    expect(join(mixed)).toBeUndefined();
    expect(joinSecret("\u0001cdcreds-parts garbage\n", () => "x")).toBeUndefined();
  });

  it("gives a short secret that happens to start like a header a header of its own", () => {
    const odd = "\u0001cdcreds-parts 2 0123456789abcdef\nnot a header";
    const blobs = splitSecret(odd);
    expect(blobs).toHaveLength(1);
    expect(blobs[0]).not.toBe(odd);
    expect(join(written(blobs))).toBe(odd);
  });

  it("takes a 16 KB token's cache entry, refuses more than 20,000 characters, and says only the size", () => {
    expect(splitSecret(JSON.stringify({ token: "t".repeat(16_384), expiresAt: new Date().toISOString() })).length).toBeLessThanOrEqual(14);
    expect(splitSecret("x".repeat(MAX_WINDOWS_SECRET))).toHaveLength(16);
    const secret = "s3cr3t".repeat(3334);
    expect(() => splitSecret(secret)).toThrow(new RangeError(`${secret.length} > ${MAX_WINDOWS_SECRET}`));
  });
});
