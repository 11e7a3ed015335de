// Where cdcreds keeps its files, per operating system. Linux and macOS: the XDG folders
// (`~/.config/cdcreds`, `~/.cache/cdcreds`), as gh, git and most command-line tools use on macOS
// too; Windows: `%APPDATA%\cdcreds` (Roaming: what follows the user) and `%LOCALAPPDATA%\cdcreds`
// (Local: caches, which stay on the machine). docs/stores.md lists them.
import { homedir } from "node:os";
import { join, posix, win32 } from "node:path";

/**
 * A folder of the Windows profile: the variable when it holds an absolute path, else the profile's
 * `AppData\<sub>` (USERPROFILE, else the home folder).
 */
function windowsFolder(processEnv: NodeJS.ProcessEnv, variable: "APPDATA" | "LOCALAPPDATA", sub: "Roaming" | "Local"): string {
  const value = processEnv[variable];
  if (value !== undefined && win32.isAbsolute(value)) return value;
  return win32.join(processEnv.USERPROFILE || homedir(), "AppData", sub);
}

/**
 * cdcreds' configuration directory: `$XDG_CONFIG_HOME/cdcreds`, else `~/.config/cdcreds`;
 * `%APPDATA%\cdcreds` on Windows. Holds the account index, the encrypted file store and locks.
 */
export function configDir(processEnv: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  if (platform === "win32") return win32.join(windowsFolder(processEnv, "APPDATA", "Roaming"), "cdcreds");
  const xdg = processEnv.XDG_CONFIG_HOME;
  if (xdg !== undefined && posix.isAbsolute(xdg)) return join(xdg, "cdcreds");
  return join(processEnv.HOME || homedir(), ".config", "cdcreds");
}

/**
 * The base of cached files: `$XDG_CACHE_HOME`, else `~/.cache`; `%LOCALAPPDATA%` on Windows. A
 * relative `XDG_CACHE_HOME` is ignored, as the XDG specification says (it would put the cache in
 * whatever folder a command runs in).
 */
export function cacheHome(processEnv: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  if (platform === "win32") return windowsFolder(processEnv, "LOCALAPPDATA", "Local");
  const xdg = processEnv.XDG_CACHE_HOME;
  return xdg !== undefined && posix.isAbsolute(xdg) ? xdg : join(processEnv.HOME || homedir(), ".cache");
}
