import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";

/**
 * cdcreds' configuration directory: `$XDG_CONFIG_HOME/cdcreds`, else `~/.config/cdcreds`;
 * `%APPDATA%\cdcreds` on Windows. Holds the account index, the encrypted file store and locks.
 */
export function configDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  if (platform === "win32" && env.APPDATA !== undefined && env.APPDATA !== "") return join(env.APPDATA, "cdcreds");
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, "cdcreds");
  return join(env.HOME || homedir(), ".config", "cdcreds");
}
