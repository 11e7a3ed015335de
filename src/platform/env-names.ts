// Environment variable names as the OS compares them. Windows ignores their case (`Path`, `PATH`
// and `path` are one variable): there a secret set as `cdcreds_passphrase` is still
// CDCREDS_PASSPHRASE, and a copy of the environment (`{ ...process.env }`, a plain object, which
// compares exactly) must lose it in every spelling. Pure, with the platform passed in, so the
// Windows rule is tested on Linux too.

/** The key two names are compared by: the name itself, or on Windows its upper case. */
export const nameKey = (name: string, platform: NodeJS.Platform): string => (platform === "win32" ? name.toUpperCase() : name);

/**
 * A copy of `env` without the variables `names` names: on Windows in any spelling of their case
 * (`Cdcreds_Key_File` goes with CDCREDS_KEY_FILE), elsewhere exactly.
 */
export function withoutVariables(env: NodeJS.ProcessEnv, names: Iterable<string>, platform: NodeJS.Platform): NodeJS.ProcessEnv {
  const gone = new Set([...names].map((name) => nameKey(name, platform)));
  return Object.fromEntries(Object.entries(env).filter(([name]) => !gone.has(nameKey(name, platform))));
}

/** A copy of `env` without the variables whose name `test` matches: case-blind on Windows. */
export function withoutMatching(env: NodeJS.ProcessEnv, test: RegExp, platform: NodeJS.Platform): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !test.test(nameKey(name, platform))));
}
