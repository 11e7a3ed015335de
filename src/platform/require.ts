// Synchronous loading on first use, for the few modules that a fast path must not load at start-up:
// `node:tty` brings in the whole streams stack, and the keychain binding is a native
// CommonJS package (an ESM import of it measured ~60 ms on Node 20; require does not).
import { createRequire } from "node:module";

/** `require`, resolving from this file (from the bundle in dist/ once built). */
export const requireNow = createRequire(import.meta.url);
