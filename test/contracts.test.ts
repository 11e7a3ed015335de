// Every store and every kind against its contract (test/support/*-contract.ts): a new store or kind
// is one more line here.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kind as apiLogin } from "../src/kinds/api-login/index.js";
import { kind as octopia } from "../src/kinds/octopia/index.js";
import { openKeychainStore } from "../src/stores/keychain/index.js";
import { startEmulator, type EmulatorMode } from "./support/emulator.js";
import { fileStore } from "./support/file-store.js";
import { describeCredentialKind } from "./support/kind-contract.js";
import { memoryStore } from "./support/memory-store.js";
import { startOctopiaEmulator, type OctopiaMode } from "./support/octopia-emulator.js";
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
    // One login however its é is written (U+00E9, or e + U+0301 from a macOS file name): NFC.
    ["e\u0301picerie-api", "\u00e9picerie-api"],
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

describeCredentialKind<OctopiaMode>({
  kind: octopia,
  names: [
    ["My Client", "My Client"],
    ["  seller@agency.example  ", "seller@agency.example"],
    ["Épicerie fine 42", "Épicerie fine 42"],
    ["E\u0301picerie fine 42", "\u00c9picerie fine 42"],
  ],
  invalidNames: ["", "short", "1starts-with-a-digit", "tab\there-inside", "x".repeat(81)],
  secret: "a+b&c=d%e/f:g é",
  startService: async () => {
    const auth = await startOctopiaEmulator();
    return {
      url: auth.url,
      answer: (mode) => auth.answer(mode),
      accept: (account, secret) => auth.accept(account, secret),
      requests: () => auth.requests.length,
      close: () => auth.close(),
    };
  },
  answers: [
    ["token", "valid"],
    ["401", "rejected"],
    ["401-unauthorized", "rejected"],
    ["400-unauthorized", "rejected"],
    ["400-invalid-request", "unexpected"],
    ["html", "unexpected"],
    ["json-no-token", "unexpected"],
    ["redirect", "unexpected"],
    ["429", "unreachable"],
    ["503", "unreachable"],
    ["huge", "unreachable"],
    ["hang", "unreachable"],
    ["stall", "unreachable"],
  ],
});
