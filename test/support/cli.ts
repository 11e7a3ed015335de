import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The built binary, as a user runs it (tests run after `npm run build`). */
export const BIN = fileURLToPath(new URL("../../bin/cdcreds.cjs", import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Variables added to (or, when undefined, removed from) the test process's environment. */
  env?: Record<string, string | undefined>;
  /** Written to the child's stdin, which is then closed. Without it stdin is empty. */
  input?: string;
  cwd?: string;
}

/**
 * Runs `cdcreds` with args and resolves with its exit status and exact output. Colour and the
 * user's cdcreds variables are off unless the test sets them.
 */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const processEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined };
  for (const [key, value] of Object.entries(options.env ?? {})) processEnv[key] = value;
  for (const key of Object.keys(processEnv)) if (processEnv[key] === undefined) delete processEnv[key];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: processEnv, cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.on("error", () => {}); // the child may exit before reading its input
    child.stdin.end(options.input ?? "");
  });
}
