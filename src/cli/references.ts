// What `inject` and `run` share: resolving the references they find, each once.
import { resolveReference, type ResolvedReference } from "../core/reference.js";
import { storeDeps, type CommandContext } from "./context.js";

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
