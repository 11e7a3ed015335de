import { writeSync } from "node:fs";
import { errnoOf } from "../errors.js";

/**
 * Writes a command's output to file descriptor 1. Not through process.stdout: building that stream
 * loads `net` or `tty`, a measurable part of the start-up of `get` and `token`. A non-blocking
 * stdout (EAGAIN) gets the rest through the stream; a reader that is gone (EPIPE) gets nothing, as
 * with any Unix filter.
 * @returns false when the reader is gone (a `--paginate` run then stops asking for pages).
 */
export async function writeStdout(data: string): Promise<boolean> {
  const bytes = Buffer.from(data);
  let offset = 0;
  try {
    while (offset < bytes.length) offset += writeSync(1, bytes, offset);
  } catch (error) {
    const code = errnoOf(error);
    if (code === "EPIPE") return false;
    if (code !== "EAGAIN") throw error;
    return new Promise<boolean>((resolve) => process.stdout.write(bytes.subarray(offset), (failed) => resolve(failed == null)));
  }
  return true;
}
