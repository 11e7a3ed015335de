// A child process for the concurrency test: stores `count` entries in the file store at `path`,
// as a separate cdcreds process would. Bundled by esbuild in the test, run with plain node.
import { openFileStore } from "../../src/stores/file/index.js";

const [path, id, count] = process.argv.slice(2);
if (path === undefined || id === undefined || count === undefined) throw new Error("usage: file-store-writer <path> <id> <count>");
const store = await openFileStore({ processEnv: process.env, interactive: false, path, kdf: { log2N: 10, r: 8, p: 1 } });
for (let i = 0; i < Number(count); i++)
  await store.set(`cdcreds:${i % 2 === 0 ? "prod" : "preprod"}`, `shop${id}-${i}-api`, `secret ${id}/${i} €`);
