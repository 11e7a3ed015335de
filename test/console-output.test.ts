// How stdout reaches a Windows console (the rule is tested here on Linux; Wine has no real console
// to show what a code page does to raw UTF-8 bytes, see WINE.md).
import { describe, expect, it } from "vitest";
import { writesThroughStream } from "../src/cli/output.js";

describe("writesThroughStream", () => {
  it("writes through the TTY stream on a Windows console, where libuv hands the console UTF-16", () => {
    expect(writesThroughStream("win32", () => true)).toBe(true);
  });

  it("writes to fd 1 on Windows when stdout is a file or a pipe (bytes are what a reader wants there)", () => {
    expect(writesThroughStream("win32", () => false)).toBe(false);
  });

  it("writes to fd 1 on POSIX systems without asking whether it is a terminal (that loads node:tty, kept off the fast paths)", () => {
    const asked = (): boolean => {
      throw new Error("asked");
    };
    expect(writesThroughStream("linux", asked)).toBe(false);
    expect(writesThroughStream("darwin", asked)).toBe(false);
  });
});
