// What cdcreds does with a signal while `exec` or `run` runs a program, per platform (the Windows
// rule is tested here on Linux; Wine has no console to deliver a Ctrl-C, see docs/commands.md).
import { describe, expect, it } from "vitest";
import { childSignals } from "../src/platform/child.js";

describe("childSignals", () => {
  it("passes SIGINT, SIGTERM and SIGHUP on to the program on POSIX systems", () => {
    for (const platform of ["linux", "darwin"] as const) {
      expect(childSignals(platform)).toEqual({ signals: ["SIGINT", "SIGTERM", "SIGHUP"], forward: true });
    }
  });

  it("passes nothing on on Windows, where the console's Ctrl-C and Ctrl-Break reach the program by themselves, and outlives them", () => {
    const { signals, forward } = childSignals("win32");
    expect(forward).toBe(false);
    expect(signals).toEqual(expect.arrayContaining(["SIGINT", "SIGBREAK", "SIGHUP"]));
  });
});
