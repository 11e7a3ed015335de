import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";

/**
 * cdcreds' configuration directory: `$XDG_CONFIG_HOME/cdcreds`, else `~/.config/cdcreds`;
 * `%APPDATA%\cdcreds` on Windows. Holds the account index, the encrypted file store and locks.
 */
export function configDir(processEnv: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  if (platform === "win32" && processEnv.APPDATA !== undefined && processEnv.APPDATA !== "") return join(processEnv.APPDATA, "cdcreds");
  const xdg = processEnv.XDG_CONFIG_HOME;
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, "cdcreds");
  return join(processEnv.HOME || homedir(), ".config", "cdcreds");
}

/**
 * The base of cached files: `$XDG_CACHE_HOME`, else `~/.cache`. A relative `XDG_CACHE_HOME` is
 * ignored, as the XDG specification says (it would put the cache in whatever folder a command
 * runs in).
 */
export function cacheHome(processEnv: NodeJS.ProcessEnv): string {
  const xdg = processEnv.XDG_CACHE_HOME;
  return xdg !== undefined && isAbsolute(xdg) ? xdg : join(processEnv.HOME || homedir(), ".cache");
}
