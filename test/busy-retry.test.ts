// The retry of a file another program holds open (platform/busy-retry.ts): the rule, with the
// platform passed in, so the Windows branch runs here too. Under Wine the Windows lane proves the
// real thing: a write to secrets.enc while test/windows/hold-file.c holds it open.
import { describe, expect, it } from "vitest";
import { BUSY_RETRY_DELAYS_MS, retryWhileBusy, retryWhileBusySync } from "../src/platform/busy-retry.js";

/** An operation that fails with `code` its first `failures` calls, then returns "done"; counts its calls. */
function failing(code: string, failures: number): { operation: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    operation: () => {
      calls++;
      return calls <= failures ? Promise.reject(Object.assign(new Error(`${code}: rename`), { code })) : Promise.resolve("done");
    },
    calls: () => calls,
  };
}

describe("retryWhileBusy", () => {
  it.each(["EPERM", "EACCES", "EBUSY"])("on win32 tries a rename failing with %s again until the other program lets go", async (code) => {
    const rename = failing(code, 3);
    expect(await retryWhileBusy(rename.operation, "win32")).toBe("done");
    expect(rename.calls()).toBe(4);
  });

  it("on win32 gives up after its delays (about 5 s, growing), throwing the last failure", async () => {
    expect(BUSY_RETRY_DELAYS_MS.reduce((a, b) => a + b)).toBeGreaterThanOrEqual(4000);
    expect(BUSY_RETRY_DELAYS_MS.reduce((a, b) => a + b)).toBeLessThanOrEqual(8000);
    expect([...BUSY_RETRY_DELAYS_MS].sort((a, b) => a - b)).toEqual(BUSY_RETRY_DELAYS_MS);
    const rename = failing("EPERM", Infinity);
    await expect(retryWhileBusy(rename.operation, "win32", [0, 1, 2])).rejects.toMatchObject({ code: "EPERM" });
    expect(rename.calls()).toBe(4);
  });

  it("fails at once elsewhere (EPERM is a permission there), and on win32 for any other error", async () => {
    for (const platform of ["linux", "darwin"] as const) {
      const rename = failing("EPERM", 1);
      await expect(retryWhileBusy(rename.operation, platform)).rejects.toMatchObject({ code: "EPERM" });
      expect(rename.calls()).toBe(1);
    }
    const missing = failing("ENOENT", 1);
    await expect(retryWhileBusy(missing.operation, "win32")).rejects.toMatchObject({ code: "ENOENT" });
    expect(missing.calls()).toBe(1);
  });
});

describe("retryWhileBusySync", () => {
  /** A synchronous read failing with `code` its first `failures` calls; its calls. */
  const reading = (code: string, failures: number) => {
    let calls = 0;
    const read = (): string => {
      if (++calls <= failures) throw Object.assign(new Error(`${code}: open`), { code });
      return "index";
    };
    return { read, calls: () => calls };
  };

  it("on win32 waits (blocking) while the file is busy, then reads it", () => {
    const index = reading("EBUSY", 2);
    const started = Date.now();
    expect(retryWhileBusySync(index.read, "win32", [30, 30, 30])).toBe("index");
    expect(index.calls()).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55); // the two waits happened
  });

  it("throws the last failure after its delays, at once elsewhere or for another error", () => {
    const held = reading("EBUSY", Infinity);
    expect(() => retryWhileBusySync(held.read, "win32", [0, 0])).toThrow(/EBUSY/);
    expect(held.calls()).toBe(3);
    const onLinux = reading("EBUSY", 1);
    expect(() => retryWhileBusySync(onLinux.read, "linux")).toThrow(/EBUSY/);
    expect(onLinux.calls()).toBe(1);
    const missing = reading("ENOENT", 1);
    expect(() => retryWhileBusySync(missing.read, "win32")).toThrow(/ENOENT/);
    expect(missing.calls()).toBe(1);
  });
});
