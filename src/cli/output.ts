import { writeSync } from "node:fs";
import { errnoOf } from "../errors.js";
import { requireNow } from "../platform/require.js";

/**
 * Whether stdout must be written through process.stdout rather than to fd 1: on a Windows console,
 * where only the TTY stream (libuv's WriteConsoleW) shows UTF-8 text as written; raw bytes would
 * be read in the console's code page (`é` as `Ã©`). `isTTY` is asked on Windows only.
 */
export const writesThroughStream = (platform: NodeJS.Platform, isTTY: () => boolean): boolean => platform === "win32" && isTTY();

/**
 * Writes a command's output to file descriptor 1. Not through process.stdout: building that stream
 * loads `net` or `tty`, a measurable part of the start-up of `get` and `token` (except on a Windows
 * console: writesThroughStream). A non-blocking stdout (EAGAIN) gets the rest through the stream; a
 * reader that is gone (EPIPE) gets nothing, as with any Unix filter.
 * @returns false when the reader is gone (a `--paginate` run then stops asking for pages).
 */
export async function writeStdout(data: string): Promise<boolean> {
  const bytes = Buffer.from(data);
  const throughStream = (from: number): Promise<boolean> =>
    new Promise((resolve) => process.stdout.write(bytes.subarray(from), (failed) => resolve(failed == null)));
  if (writesThroughStream(process.platform, () => (requireNow("node:tty") as typeof import("node:tty")).isatty(1))) return throughStream(0);
  let offset = 0;
  try {
    while (offset < bytes.length) offset += writeSync(1, bytes, offset);
  } catch (error) {
    const code = errnoOf(error);
    if (code === "EPIPE") return false;
    if (code !== "EAGAIN") throw error;
    return throughStream(offset);
  }
  return true;
}
