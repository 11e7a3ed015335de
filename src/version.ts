/** The package version, inlined at build time (scripts/build.mjs, vitest.config.ts) rather than read from package.json. */
declare const CDCREDS_VERSION: string;

export const VERSION = CDCREDS_VERSION;
