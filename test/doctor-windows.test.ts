// What doctor says of the checks POSIX modes make on Linux and macOS (the config folder, the key
// file, the code cache), which Windows has not: "unchecked", with the platform passed in so the
// Windows branch runs here too. The Windows lane runs `doctor` under Wine.
import { describe, expect, it } from "vitest";
import { uncheckedOnWindows } from "../src/cli/commands/doctor.js";

describe("doctor on Windows", () => {
  const env = {
    APPDATA: "C:\\Users\\u\\AppData\\Roaming",
    LOCALAPPDATA: "C:\\Users\\u\\AppData\\Local",
    CDCREDS_KEY_FILE: "C:\\Users\\u\\cdcreds.key",
  };

  it("reports the folders and the key file as unchecked, naming each, rather than passing them", () => {
    const unchecked = uncheckedOnWindows("win32", env, "file");
    expect(unchecked?.name).toBe("file permissions");
    expect(unchecked?.detail).toMatch(/^unchecked on Windows \(no POSIX owner or mode\)/);
    for (const path of [
      "C:\\Users\\u\\AppData\\Roaming\\cdcreds",
      "C:\\Users\\u\\AppData\\Local\\cdcreds\\code-cache",
      "C:\\Users\\u\\cdcreds.key",
    ])
      expect(unchecked?.detail).toContain(path);
    expect(uncheckedOnWindows("win32", env, "keychain")?.detail).not.toContain("key file"); // not the file store's: not in use
  });

  it("adds nothing on Linux and macOS, where reading each file checks its owner and mode", () => {
    expect(uncheckedOnWindows("linux", env, "file")).toBeUndefined();
    expect(uncheckedOnWindows("darwin", env, "file")).toBeUndefined();
  });
});
