import { lstat, readFile } from "node:fs/promises";
import { resolveReference, type ResolvedReference } from "../../core/reference.js";
import { errnoOf, errnoText, UsageError } from "../../errors.js";
import { escapeText } from "../../platform/text.js";
import { storeDeps, type CommandContext, type CommandResult } from "../context.js";

/** The flags of `cdcreds inject`. */
export interface InjectFlags {
  in?: string;
  out?: string;
  force?: boolean;
}

/** `{{ cdcreds://... }}`, the spaces inside the braces optional. */
const PLACEHOLDER = /\{\{\s*(cdcreds:\/\/[^\s{}]*)\s*\}\}/g;

/** Reads a whole stream. */
async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Resolves every distinct reference of `references` one after the other (a token each account
 * needs is asked for once), redacting each secret from the command's own messages.
 * @throws the first reference's error that cannot be resolved: nothing is handed over then.
 */
export async function resolveAll(ctx: CommandContext, references: Iterable<string>): Promise<Map<string, ResolvedReference>> {
  const resolved = new Map<string, ResolvedReference>();
  for (const text of references) {
    if (resolved.has(text)) continue;
    const value = await resolveReference(text, { options: ctx.options, ...storeDeps(ctx) });
    for (const { text: secret } of value.secrets) ctx.ui.redact(secret);
    resolved.set(text, value);
  }
  return resolved;
}

/**
 * `cdcreds inject [-i TEMPLATE] [-o FILE] [--force]`: fills the `{{ cdcreds://... }}` placeholders
 * of a template (standard input by default) and prints it, or writes it to a file of mode 0600,
 * atomically, refusing to replace one unless `--force`. Nothing is written when any reference
 * cannot be resolved.
 */
export async function inject(ctx: CommandContext, flags: InjectFlags): Promise<CommandResult> {
  const out = flags.out;
  if (out !== undefined && flags.force !== true) {
    const exists = await lstat(out).then(
      () => true,
      (error: unknown) => {
        if (errnoOf(error) === "ENOENT") return false;
        throw new UsageError(`cannot write ${escapeText(out)}: ${errnoText(error)}`);
      },
    );
    if (exists) throw new UsageError(`${escapeText(out)} exists`, { hint: "give --force to replace it" });
  }
  let template: string;
  if (flags.in === undefined) template = await readAll(ctx.stdin);
  else {
    const path = flags.in;
    template = await readFile(path, "utf8").catch((error: unknown) => {
      throw new UsageError(`cannot read ${escapeText(path)}: ${errnoText(error)}`);
    });
  }
  const resolved = await resolveAll(
    ctx,
    [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!),
  );
  const filled = template.replace(PLACEHOLDER, (_all, reference: string) => resolved.get(reference)!.value);
  ctx.ui.debug(`${resolved.size} reference(s) filled`);
  if (out === undefined) return { stdout: filled };
  const { writeFileAtomic } = await import("../../platform/atomic-write.js");
  await writeFileAtomic(out, filled).catch((error: unknown) => {
    throw new UsageError(`cannot write ${escapeText(out)}: ${errnoText(error)}`);
  });
  return {};
}
