// What hints tell a user to type, per operating system (platform/os-hints.ts): the Windows branch
// runs here too, the platform passed in.
import { describe, expect, it } from "vitest";
import { configDirVariable, deleteFileCommand, makeKeyFileHint } from "../src/platform/os-hints.js";

describe("hints per operating system", () => {
  it("names no shred, chmod, /dev/urandom or XDG variable on Windows, and PowerShell's commands instead", () => {
    const windows = [configDirVariable("win32"), deleteFileCommand("C:\\x\\sellers.csv", "win32"), makeKeyFileHint("win32")].join("\n");
    expect(windows).not.toMatch(/shred|chmod|\/dev\/urandom|XDG_|\brm\b/);
    expect(configDirVariable("win32")).toBe("APPDATA");
    expect(deleteFileCommand("C:\\x\\sellers.csv", "win32")).toContain("Remove-Item -LiteralPath C:\\x\\sellers.csv");
    expect(deleteFileCommand("C:\\Jean Dupont\\l'export $(x).csv", "win32")).toContain(
      "Remove-Item -LiteralPath 'C:\\Jean Dupont\\l''export $(x).csv'",
    );
    expect(makeKeyFileHint("win32")).toContain("RandomNumberGenerator");
  });

  it("keeps the POSIX commands on Linux and macOS", () => {
    for (const platform of ["linux", "darwin"] as const) {
      expect(configDirVariable(platform)).toBe("XDG_CONFIG_HOME");
      expect(deleteFileCommand("sellers.csv", platform)).toBe("shred -u sellers.csv, or rm");
      expect(deleteFileCommand("my sellers's.csv", platform)).toBe("shred -u 'my sellers'\\''s.csv', or rm");
      expect(makeKeyFileHint(platform)).toContain("head -c 32 /dev/urandom > FILE && chmod 600 FILE");
    }
  });
});
