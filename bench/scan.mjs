// The scan section of `npm run bench`: `cdcreds scan` of a 100 MB tree (10,000 files) with 300
// stored accounts (the encrypted file store, a key file), against `grep -rnF -f` of the same needles
// (every form of every secret) over the same tree, in the same run. Budget: scan <= 2x grep.
// Runs alone too: node bench/scan.mjs [--runs N] [--node PATH] [--bin PATH]
import { build } from "esbuild";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { median, runOnce } from "./measure.mjs";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const ACCOUNTS = 300;
const FILES = 10_000;
const FILE_BYTES = 10_000;
const PLANTED = 10;

/** The forms of a secret, as cdcreds computes them (src/core/secret-forms.ts, bundled). */
async function loadForms(dir) {
  const outfile = join(dir, "secret-forms.mjs");
  await build({
    entryPoints: [join(ROOT, "src/core/secret-forms.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    logLevel: "warning",
  });
  return (await import(pathToFileURL(outfile).href)).secretForms;
}

/**
 * Times the scan of a 100 MB tree, and grep's, `runs` times each, alternating; prints the table row
 * and the budget, and returns the budget line.
 */
export async function scanBench({ node = process.execPath, bin = join(ROOT, "bin/cdcreds.cjs"), runs = 5 } = {}) {
  const dir = await mkdtemp(join(tmpdir(), "cdcreds-bench-scan-"));
  try {
    const secretForms = await loadForms(dir);
    const keyFile = join(dir, "cdcreds.key");
    await writeFile(keyFile, Buffer.alloc(32, 9), { mode: 0o600 });
    const env = { ...process.env, CDCREDS_STORE: "file", CDCREDS_KEY_FILE: keyFile, XDG_CONFIG_HOME: join(dir, "config"), LC_ALL: "C" };
    const accounts = Array.from({ length: ACCOUNTS }, (_, i) => ({
      login: `scanshop${i}-api`,
      password: `Sc4n/é ${randomBytes(9).toString("base64url")}`,
    }));
    const csv = `login,password\n${accounts.map((a) => `${a.login},${a.password}`).join("\n")}\n`;
    const stored = await runOnce([node, bin, "import", "--no-verify", "-"], { env, input: csv });
    if (stored.code !== 0) throw new Error(`import: exit ${stored.code}: ${stored.stderr}`);
    const needles = accounts.flatMap((a) => secretForms(a.password, a.login).map((f) => f.text));
    await writeFile(join(dir, "needles.txt"), `${needles.join("\n")}\n`);

    const tree = join(dir, "tree");
    process.stderr.write("scan: writing a 100 MB tree\r");
    for (let d = 0; d < 100; d++) {
      await mkdir(join(tree, `d${d}`), { recursive: true });
      for (let f = 0; f < FILES / 100; f++) {
        const n = d * 100 + f;
        const lines = randomBytes((FILE_BYTES / 77) * 57)
          .toString("base64")
          .match(/.{1,76}/g);
        if (n % (FILES / PLANTED) === 0) lines[5] = `password=${accounts[n % ACCOUNTS].password}`;
        await writeFile(join(tree, `d${d}`, `f${f}.txt`), `${lines.join("\n")}\n`);
      }
    }
    const scan = [node, bin, "scan", tree];
    const grep = ["grep", "-rnF", "-f", join(dir, "needles.txt"), tree];
    // Once each before timing: the page cache warm for both, and both find the same planted lines.
    const [s, g] = [await runOnce(scan, { env }), await runOnce(grep, { env })];
    const found = s.stdout.split("\n").filter(Boolean).length;
    const grepped = g.stdout.split("\n").filter(Boolean).length;
    if (s.code !== 1 || g.code !== 0 || found !== PLANTED || grepped !== PLANTED) {
      throw new Error(`scan found ${found} (exit ${s.code}), grep ${grepped} (exit ${g.code}); expected ${PLANTED}: ${s.stderr}`);
    }
    const times = { scan: [], grep: [] };
    for (let i = 0; i < runs; i++) {
      for (const [name, argv] of i % 2 === 0
        ? [
            ["scan", scan],
            ["grep", grep],
          ]
        : [
            ["grep", grep],
            ["scan", scan],
          ]) {
        times[name].push((await runOnce(argv, { env })).ms);
      }
    }
    const [scanMs, grepMs] = [median(times.scan), median(times.grep)];
    console.log(
      `\nscan: ${FILES.toLocaleString("en")} files, ${((FILES * FILE_BYTES) / 1e6).toFixed(0)} MB, ${ACCOUNTS} accounts (${needles.length} needles), median of ${runs} runs each`,
    );
    console.log(`  cdcreds scan: ${scanMs.toFixed(1)} ms; grep -rnF -f (LC_ALL=C): ${grepMs.toFixed(1)} ms`);
    const budget = { what: "scan of 100 MB ≤ 2× grep -rnF -f", holds: scanMs <= 2 * grepMs, detail: `${(scanMs / grepMs).toFixed(2)}×` };
    console.log(`  ${budget.holds ? "PASS" : "FAIL"}  ${budget.what}: ${budget.detail}`);
    return budget;
  } finally {
    if (process.env.CDCREDS_BENCH_KEEP === undefined) await rm(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "5" }, node: { type: "string" }, bin: { type: "string" } } });
  await scanBench({ node: values.node, bin: values.bin, runs: Number(values.runs) });
}
