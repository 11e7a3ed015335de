// Timing and memory of whole processes, for bench/run.mjs.
//
// Time: wall clock from spawn() to the child's "close" (exited and its output drained), read with
// process.hrtime. Every case is timed the same way, the bare `node -e 0` baseline included, so the
// cost of spawning from Node is in every figure alike and cancels out of the ratios.
//
// Peak RSS: the kernel's ru_maxrss of the child, as GNU time (`/usr/bin/time -f %M`, Debian package
// "time") reports it from wait4(). Node's child_process reports no rusage of its children, and
// process.resourceUsage() in a wrapper would measure the wrapper. Memory runs are separate from
// the timed runs, so the wrapper's own fork and exec never enter a timing.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const GNU_TIME = "/usr/bin/time";

/**
 * Runs a command to its end. Resolves { code, stdout, stderr, ms }; rejects if it cannot start.
 * @param {string[]} argv
 * @param {{ input?: string, env?: NodeJS.ProcessEnv }} [options]
 */
export function runOnce(argv, { input = "", env = process.env } = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
    child.stdin.on("error", () => {}); // the child may exit before reading its input
    child.stdin.end(input);
  });
}

/** Peak resident set size of one run, in MB (10^6 bytes), or undefined without GNU time. */
export async function peakRssMb(argv, options) {
  if (!existsSync(GNU_TIME)) return undefined;
  const dir = await mkdtemp(join(tmpdir(), "cdcreds-bench-"));
  try {
    const out = join(dir, "rss");
    const run = await runOnce([GNU_TIME, "-f", "%M", "-o", out, ...argv], options);
    if (run.code !== 0) throw new Error(`${argv.join(" ")} exited ${run.code} under ${GNU_TIME}: ${run.stderr}`);
    const kib = Number((await readFile(out, "utf8")).trim().split("\n").at(-1));
    return (kib * 1024) / 1e6;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The q-quantile (0..1) of sorted numbers, interpolated. */
function quantile(sorted, q) {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/** Median, min, max and interquartile range of a sample. */
export function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: quantile(sorted, 0.5),
    min: sorted[0],
    max: sorted.at(-1),
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
  };
}

/** The median of numbers. */
export const median = (samples) => summarize(samples).median;
