// The build's rules that depend on how paths are written (scripts/build-rules.mjs): a Windows
// build gives esbuild paths with `\`.
import { describe, expect, it } from "vitest";
import { isCommanderFile } from "../scripts/build-rules.mjs";

describe("the build's commander trim", () => {
  it("knows commander's files by either separator, and nothing else", () => {
    expect(isCommanderFile("/home/u/cdcreds/node_modules/commander/lib/command.js")).toBe(true);
    expect(isCommanderFile("C:\\Users\\u\\cdcreds\\node_modules\\commander\\lib\\command.js")).toBe(true);
    expect(isCommanderFile("/home/u/cdcreds/node_modules/commander-extra/index.js")).toBe(false);
    expect(isCommanderFile("C:\\Users\\u\\cdcreds\\src\\cli\\commander\\x.ts")).toBe(false);
  });
});
