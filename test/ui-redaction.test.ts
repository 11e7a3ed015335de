// The UI's last-resort redaction of secrets in stderr lines (ui.ts), with as many secrets as an
// `import` registers.
import { describe, expect, it } from "vitest";
import { createUi } from "../src/cli/ui.js";

/** A UI writing to an array, with no colour. */
function capturingUi() {
  const lines: string[] = [];
  const stderr = { isTTY: false, write: (text: string) => lines.push(text) > 0 } as unknown as NodeJS.WriteStream;
  return { ui: createUi({ processEnv: { NO_COLOR: "1" }, debug: true, stderr }), lines };
}

describe("redaction", () => {
  it("replaces every occurrence of every registered secret, among thousands, with ***", () => {
    const { ui, lines } = capturingUi();
    for (let i = 0; i < 5000; i++) ui.redact(`p4ssword-${i}-€`);
    ui.info("p4ssword-17-€ then p4ssword-4999-€, p4ssword-17-€ again, and p4ssword-5000-€ (not one)");
    expect(lines).toEqual(["*** then ***, *** again, and p4ssword-5000-€ (not one)\n"]);
  });

  it("replaces the longest secret that starts at a place, and leaves short ones alone", () => {
    const { ui, lines } = capturingUi();
    ui.redact("abcdefgh");
    ui.redact("abcdefgh-longer");
    ui.redact("e");
    ui.debug("x abcdefgh-longer y abcdefgh-long z\nabcdefghabcdefgh");
    expect(lines).toEqual(["debug: x *** y ***-long z\n******\n"]);
  });
});
