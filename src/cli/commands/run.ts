import { readFile } from "node:fs/promises";
import { parseEnv } from "node:util";
import { errnoText, UsageError } from "../../errors.js";
import { runChild } from "../../platform/child.js";
import { withoutVariables } from "../../platform/env-names.js";
import { escapeText } from "../../platform/text.js";
import type { CommandContext, CommandResult } from "../context.js";
import { resolveAll } from "../references.js";
import { cdcredsSecrets } from "./exec.js";

/** The flags of `cdcreds run`. */
export interface RunFlags {
  /** `--env-file`, in the order given: a later file's variable wins. */
  envFile?: string[];
  /** False with `--no-masking`: the program's output goes straight to cdcreds' own streams. */
  masking?: boolean;
}

/** The variables of a dotenv file, read by Node's own parser. @throws {UsageError} (2) when it cannot be read. */
async function readEnvFile(path: string): Promise<Record<string, string>> {
  const text = await readFile(path, "utf8").catch((error: unknown) => {
    throw new UsageError(`cannot read --env-file ${escapeText(path)}: ${errnoText(error)}`);
  });
  const parsed = parseEnv(text);
  return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/**
 * `cdcreds run [--env-file FILE]... [--no-masking] -- <command> [args...]`: runs the command with
 * every variable whose value is a reference (`cdcreds://...`), in the environment or the files,
 * replaced by the value it names, and exits with its status, as `exec` does. Its stdout and stderr
 * pass through cdcreds with each resolved secret, in each of its forms, concealed.
 */
export async function run(ctx: CommandContext, argv: string[], flags: RunFlags): Promise<CommandResult> {
  const [command, ...args] = argv;
  if (command === undefined || command === "") {
    throw new UsageError("no command to run", { hint: "cdcreds run --env-file .env -- php sync.php" });
  }
  const read: NodeJS.ProcessEnv = { ...ctx.processEnv };
  for (const path of flags.envFile ?? []) Object.assign(read, await readEnvFile(path));
  // On Windows in any case of their names, as the OS reads them.
  const env = withoutVariables(read, cdcredsSecrets(ctx.processEnv), process.platform);
  const names = Object.keys(env).filter((name) => env[name]?.startsWith("cdcreds://") === true);
  const resolved = await resolveAll(
    ctx,
    names.map((name) => env[name]!),
  );
  for (const name of names) env[name] = resolved.get(env[name]!)!.value;
  const secrets = [...resolved.values()].flatMap((r) => r.secrets.map((s) => s.text));
  ctx.ui.debug(
    `running ${command} with ${names.length === 0 ? "no reference" : names.join(", ")} resolved${flags.masking === false ? "" : ", output masked"}`,
  );
  if (flags.masking === false || secrets.length === 0) return { exitCode: await runChild(command, args, env) };
  const { maskStream } = await import("../../platform/mask.js");
  return { exitCode: await runChild(command, args, env, () => maskStream(secrets)) };
}
