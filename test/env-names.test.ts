// Environment variable names as Windows compares them (case-blind), tested on Linux through the
// platform parameter; the Windows lane (docs/development.md) runs `exec` under Wine as well.
import { describe, expect, it } from "vitest";
import { cdcredsSecrets } from "../src/cli/commands/exec.js";
import { sideEnv } from "../src/cli/commands/store-migrate.js";
import { nameKey, withoutMatching, withoutVariables } from "../src/platform/env-names.js";
import { SECRET_VARIABLE } from "../src/stores/pass/index.js";

const callerEnv = {
  cdcreds_passphrase: "lower-case passphrase",
  Cdcreds_Key_File: "C:\\keys\\cdcreds.key",
  CDCREDS_PASSPHRASE: "upper-case passphrase",
  Path: "C:\\Windows\\system32",
  CDCREDS_ENV: "preprod",
};

describe("withoutVariables", () => {
  it("removes every spelling of cdcreds' secrets on Windows, and keeps the rest as spelt", () => {
    expect(withoutVariables(callerEnv, cdcredsSecrets(callerEnv), "win32")).toEqual({
      Path: "C:\\Windows\\system32",
      CDCREDS_ENV: "preprod",
    });
  });

  it("removes exact names only elsewhere, where `cdcreds_passphrase` is another variable", () => {
    expect(withoutVariables(callerEnv, cdcredsSecrets(callerEnv), "linux")).toEqual({
      cdcreds_passphrase: "lower-case passphrase",
      Cdcreds_Key_File: "C:\\keys\\cdcreds.key",
      Path: "C:\\Windows\\system32",
      CDCREDS_ENV: "preprod",
    });
    expect(withoutVariables(callerEnv, cdcredsSecrets(callerEnv), "darwin")).not.toHaveProperty("CDCREDS_PASSPHRASE");
  });

  it("removes a variable cdcreds is about to set, whatever its spelling, so the program sees only cdcreds' value", () => {
    const env = { cdiscount_api_password: "the caller's", Cdiscount_Api_Login: "theirs-api", HOME: "/h" };
    expect(withoutVariables(env, ["CDISCOUNT_API_LOGIN", "CDISCOUNT_API_PASSWORD"], "win32")).toEqual({ HOME: "/h" });
    expect(withoutVariables(env, ["CDISCOUNT_API_LOGIN", "CDISCOUNT_API_PASSWORD"], "linux")).toEqual(env);
  });

  it("does not change the environment it was given", () => {
    const env = { ...callerEnv };
    withoutVariables(env, ["CDCREDS_PASSPHRASE"], "win32");
    expect(env).toEqual(callerEnv);
  });
});

describe("the variables kept from `pass` and gpg", () => {
  const env = {
    MY_API_TOKEN: "t",
    my_api_token: "t",
    Shop_Password: "p",
    cdcreds_passphrase: "x",
    GNUPGHOME: "g",
    PASSWORD_STORE_DIR: "d",
    password_store_dir: "d",
  };

  it("are matched whatever the case of their names on Windows", () => {
    expect(withoutMatching(env, SECRET_VARIABLE, "win32")).toEqual({ GNUPGHOME: "g", PASSWORD_STORE_DIR: "d", password_store_dir: "d" });
  });

  it("are matched exactly elsewhere", () => {
    expect(withoutMatching(env, SECRET_VARIABLE, "linux")).toEqual({
      my_api_token: "t",
      Shop_Password: "p",
      cdcreds_passphrase: "x",
      GNUPGHOME: "g",
      PASSWORD_STORE_DIR: "d",
      password_store_dir: "d",
    });
  });
});

describe("nameKey", () => {
  it("is the upper case on Windows and the name itself elsewhere", () => {
    expect(nameKey("Path", "win32")).toBe("PATH");
    expect(nameKey("Path", "linux")).toBe("Path");
  });
});

describe("store migrate's environment of each side", () => {
  const windowsUser = { cdcreds_key_file: "C:\\keys\\old.key", Cdcreds_To_Passphrase: "new passphrase", Path: "C:\\Windows" };

  it("gives the store the key file a Windows user set in lower case, in the spelling the store reads", () => {
    expect(sideEnv(windowsUser, "FROM", undefined, "win32")).toEqual({ CDCREDS_KEY_FILE: "C:\\keys\\old.key", Path: "C:\\Windows" });
    expect(sideEnv(windowsUser, "TO", undefined, "win32")).toEqual({ CDCREDS_PASSPHRASE: "new passphrase", Path: "C:\\Windows" });
    expect(sideEnv(windowsUser, "FROM", "D:\\new.key", "win32")).toEqual({ CDCREDS_KEY_FILE: "D:\\new.key", Path: "C:\\Windows" });
  });

  it("compares names exactly elsewhere, as the OS does", () => {
    expect(sideEnv(windowsUser, "FROM", undefined, "linux")).toEqual(windowsUser);
  });
});
