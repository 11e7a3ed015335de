import { execFile } from "node:child_process";
import { closeSync, openSync, readSync } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { promisify } from "node:util";
import { NeedleSearch } from "../../core/needle-search.js";
import { secretForms, type SecretForm } from "../../core/secret-forms.js";
import { errnoText, UsageError } from "../../errors.js";
import { KIND_IDS, loadKind, type KindId } from "../../kinds/index.js";
import { escapeText } from "../../platform/text.js";
import { openStore } from "../../stores/index.js";
import { storeDeps, type CommandContext, type CommandResult } from "../context.js";

/** The flags of `cdcreds scan`. */
export interface ScanFlags {
  staged?: boolean;
}

/** Files larger than this are skipped (and counted): secrets live in settings, not in data dumps. */
const MAX_FILE_BYTES = 8 * 1024 * 1024;
/** A file with a NUL byte in its first bytes is binary, and skipped (and counted). */
const BINARY_SNIFF_BYTES = 8000;

/** What a found needle stands for. */
interface Needle {
  account: string;
  kind: KindId;
  form: SecretForm["form"];
}

const run = promisify(execFile);
const git = async (cwd: string, args: string[]): Promise<Buffer> =>
  (await run("git", args, { cwd, encoding: "buffer", maxBuffer: 1 << 30 })).stdout;
/** A NUL-separated list, as `git -z` writes it. */
const nulList = (bytes: Buffer): string[] =>
  bytes
    .toString("utf8")
    .split("\0")
    .filter((p) => p !== "");

/** The top of the git work tree `dir` is in, or undefined when it is in none (or git is missing). */
async function workTree(dir: string): Promise<string | undefined> {
  try {
    return (await git(dir, ["rev-parse", "--show-toplevel"])).toString("utf8").trim();
  } catch {
    return undefined;
  }
}

/** Every regular file under `dir`, its `.git` folders left out (symbolic links are not followed). */
async function walk(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const folder = entry.parentPath;
    if (folder.includes(".git") && relative(dir, folder).split(/[\\/]/).includes(".git")) continue;
    files.push(`${folder}${folder.endsWith(sep) ? "" : sep}${entry.name}`);
  }
  return files;
}

/** The files a path stands for: itself; a git work tree's tracked and untracked-not-ignored files; else the folder's. */
async function filesOf(path: string): Promise<string[]> {
  const info = await lstat(path).catch((error: unknown) => {
    throw new UsageError(`cannot scan ${escapeText(path)}: ${errnoText(error)}`);
  });
  if (!info.isDirectory()) return info.isFile() ? [path] : [];
  if ((await workTree(path)) !== undefined) {
    return nulList(await git(path, ["ls-files", "-co", "--exclude-standard", "-z"])).map((p) => join(path, p));
  }
  return walk(path);
}

/** Every secret the store holds for the environment (both kinds, or `--kind`'s), in each form. */
async function needlesOf(ctx: CommandContext): Promise<{ search: NeedleSearch<Needle>; accounts: number }> {
  const { options } = ctx;
  const store = await openStore(options.store, storeDeps(ctx));
  const needles: { text: string; value: Needle }[] = [];
  let accounts = 0;
  for (const id of options.kind === undefined ? KIND_IDS : [options.kind]) {
    const kind = await loadKind(id);
    const service = kind.secretService(options.env);
    for (const account of await store.accounts(service)) {
      const secret = await store.get(service, account);
      if (secret === undefined || secret === "") continue;
      ctx.ui.redact(secret);
      accounts++;
      for (const { form, text } of secretForms(secret, id === "api-login" ? account : undefined)) {
        ctx.ui.redact(text);
        needles.push({ text, value: { account, kind: id, form } });
      }
    }
  }
  return { search: new NeedleSearch(needles), accounts };
}

/** The report lines of the needles found in one file's bytes, each place and account and form once. */
function report(path: string, data: Buffer, search: NeedleSearch<Needle>, env: string): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  let line = 1;
  let counted = 0;
  for (const { offset, needle } of search.find(data)) {
    for (let nl = data.indexOf(10, counted); nl !== -1 && nl < offset; nl = data.indexOf(10, nl + 1)) {
      line++;
      counted = nl + 1;
    }
    const text = `${escapeText(path)}:${line}: ${escapeText(needle.account)} (${needle.kind}, ${env}, ${needle.form})`;
    if (!seen.has(text)) lines.push(text);
    seen.add(text);
  }
  return lines;
}

/**
 * Reads a file unless it is too big or binary. Synchronous on purpose: thousands of small files
 * read one after the other cost a third of the same reads through the thread pool's promises.
 */
/** The buffer files are read into, grown to the largest; a file's bytes are searched before the next is read. */
let readBuffer = Buffer.alloc(0);

function readScanned(path: string): Buffer | "big" | "binary" | "gone" {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return "gone";
  }
  try {
    // Read to the end (no fstat: a call saved on each of thousands of files), the buffer grown as needed.
    let read = 0;
    for (;;) {
      if (read === readBuffer.length) {
        if (read > MAX_FILE_BYTES) return "big";
        const grown = Buffer.allocUnsafe(Math.max(64 * 1024, readBuffer.length * 2));
        readBuffer.copy(grown, 0, 0, read);
        readBuffer = grown;
      }
      const n = readSync(fd, readBuffer, read, readBuffer.length - read, null);
      if (n === 0) break;
      read += n;
    }
    if (read > MAX_FILE_BYTES) return "big";
    const bytes = readBuffer.subarray(0, read);
    return bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0) ? "binary" : bytes;
  } catch {
    return "gone";
  } finally {
    closeSync(fd);
  }
}

/**
 * `cdcreds scan [PATH...] [--staged]`: looks for every secret the store holds for the environment,
 * in each form a secret takes in a file, and reports `path:line: account (kind, env, form)`, never
 * the secret. Exit 1 when one is found, 0 when none is.
 */
export async function scan(ctx: CommandContext, paths: string[], flags: ScanFlags): Promise<CommandResult> {
  const { search, accounts } = await needlesOf(ctx);
  const env = ctx.options.env;
  const found: string[] = [];
  let scanned = 0;
  let big = 0;
  let binary = 0;
  const count = (what: Buffer | "big" | "binary" | "gone"): Buffer | undefined => {
    if (what === "big") big++;
    else if (what === "binary") binary++;
    else if (what !== "gone") {
      scanned++;
      return what;
    }
    return undefined;
  };
  if (flags.staged === true) {
    const top = await workTree(paths[0] ?? ".");
    if (top === undefined) throw new UsageError("--staged scans what `git commit` would record: this is not a git work tree");
    for (const path of nulList(await git(top, ["diff", "--cached", "--name-only", "--diff-filter=ACMR", "-z"]))) {
      const blob = await git(top, ["cat-file", "blob", `:${path}`]);
      const data = count(blob.length > MAX_FILE_BYTES ? "big" : blob.subarray(0, BINARY_SNIFF_BYTES).includes(0) ? "binary" : blob);
      if (data !== undefined) found.push(...report(path, data, search, env));
    }
  } else {
    for (const path of paths.length === 0 ? ["."] : paths) {
      for (const file of await filesOf(path)) {
        const data = count(readScanned(file));
        if (data !== undefined) found.push(...report(file, data, search, env));
      }
    }
  }
  const skipped = [big > 0 ? `${big} over ${MAX_FILE_BYTES / 1024 / 1024} MiB` : "", binary > 0 ? `${binary} binary` : ""].filter(Boolean);
  ctx.ui.note(
    `${scanned} file${scanned === 1 ? "" : "s"} scanned for the secrets of ${accounts} account${accounts === 1 ? "" : "s"} (${env})${skipped.length > 0 ? `, skipped: ${skipped.join(", ")}` : ""}${found.length > 0 ? `: ${found.length} found` : ": none found"}`,
  );
  return { stdout: found.map((l) => `${l}\n`).join(""), exitCode: found.length > 0 ? 1 : 0 };
}
