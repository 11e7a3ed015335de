// One account resolution for every command: the same precedence, and a bad value worded the same
// way wherever it comes from.
import { describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";
import { useSandbox } from "./support/sandbox.js";

const box = useSandbox();

describe("a bad CDCREDS_LOGIN", () => {
  it.each([
    ["get"],
    ["token"],
    ["verify"],
    ["verify", "--password-stdin"],
    ["set", "--password-stdin", "--no-verify"],
    ["exec", "--", "true"],
  ])("is exit 2 naming CDCREDS_LOGIN in `%s`", async (...args) => {
    const result = await runCli(["--auth-url", box.sts.url, ...args], {
      input: "pw",
      env: { XDG_CONFIG_HOME: box.config.dir, CDCREDS_LOGIN: "a b" },
    });
    expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
      code: 2,
      stdout: "",
      stderr: "error: CDCREDS_LOGIN: invalid login: the login contains whitespace (U+0020)\n",
    });
    expect(box.sts.requests).toHaveLength(0);
  });
});
