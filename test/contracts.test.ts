// Every store and every kind against its contract (test/support/*-contract.ts): a new store or kind
// is one more line here.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kind as apiLogin } from "../src/kinds/api-login/index.js";
import { openKeychainStore } from "../src/stores/keychain/index.js";
import { startEmulator, type EmulatorMode } from "./support/emulator.js";
import { fileStore } from "./support/file-store.js";
import { describeCredentialKind } from "./support/kind-contract.js";
import { memoryStore } from "./support/memory-store.js";
import { describeSecretStore } from "./support/store-contract.js";

describeSecretStore("keychain", () => Promise.resolve(openKeychainStore()));
const fileDir = mkdtemp(join(tmpdir(), "cdcreds-contract-"));
describeSecretStore("file", async () => fileStore(join(await fileDir, "secrets.enc")));
const memory = memoryStore();
describeSecretStore("memory", () => Promise.resolve(memory));

describeCredentialKind<EmulatorMode>({
  kind: apiLogin,
  names: [
    ["bestshop", "bestshop-api"],
    [" épicerie.fine_42@x ", "épicerie.fine_42@x-api"],
    ["bestshop-api", "bestshop-api"],
  ],
  invalidNames: ["", "a b", "a:b", `x\u001b[2J`, "x".repeat(129)],
  secret: "p€ss:w=/|@()&é ñ",
  startService: async () => {
    const sts = await startEmulator();
    return {
      url: sts.url,
      answer: (mode) => sts.answer(mode),
      accept: (account, secret) => sts.setCredentials(account, secret),
      requests: () => sts.requests.length,
      close: () => sts.close(),
    };
  },
  answers: [
    ["token", "valid"],
    ["401", "rejected"],
    ["403", "rejected"],
    ["challenge", "unexpected"],
    ["xml", "unexpected"],
    ["empty", "unexpected"],
    ["redirect", "unexpected"],
    ["gzip-bomb", "unexpected"],
    ["429", "unreachable"],
    ["500", "unreachable"],
    ["503", "unreachable"],
    ["huge", "unreachable"],
    ["reset", "unreachable"],
  ],
});
