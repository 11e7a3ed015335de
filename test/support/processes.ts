import { spawnSync } from "node:child_process";

/** A pid that no process has any more: a child that ran and ended. */
export function deadPid(): number {
  const { pid, status } = spawnSync(process.execPath, ["-e", ""]);
  if (status !== 0) throw new Error("could not run a short-lived node process");
  return pid;
}
