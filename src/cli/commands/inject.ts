import { lstat, readFile } from "node:fs/promises";
import { errnoOf, errnoText, UsageError } from "../../errors.js";
import { escapeText } from "../../platform/text.js";
import type { CommandContext, CommandResult } from "../context.js";
import { resolveAll } from "../references.js";

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
