// Preloaded with NODE_OPTIONS=--require by test/lazy-loading.test.ts: when the process exits, writes
// to $CDCREDS_TEST_LOADS what it loaded after start-up: Node built-ins and CommonJS files.
"use strict";
const { writeFileSync } = require("node:fs");

const before = new Set(process.moduleLoadList);
process.on("exit", () => {
  const builtins = process.moduleLoadList
    .filter((m) => !before.has(m) && m.startsWith("NativeModule "))
    .map((m) => m.slice("NativeModule ".length));
  writeFileSync(process.env.CDCREDS_TEST_LOADS, JSON.stringify({ builtins, files: Object.keys(require.cache) }));
});
