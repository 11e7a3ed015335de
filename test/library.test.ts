// The package used as another Node tool would: a separate process importing "cdcreds" by name
// (the package's own exports map, built dist/), with no terminal.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";
import { sentinel, uniqueLogin } from "./support/store-helpers.js";
import { useSandbox } from "./support/sandbox.js";

const execFileAsync = promisify(execFile);
const TSC = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));

/**
 * Runs an ES module that imports "cdcreds", and parses the JSON it prints. Asynchronous: the
 * emulator answers from this process's event loop.
 */
async function tool(code: string, env: Record<string, string | undefined> = {}): Promise<{ out: unknown; stderr: string }> {
  const { stdout, stderr } = await execFileAsync(process.execPath, ["--input-type=module", "-e", code], {
    env: { ...process.env, XDG_CONFIG_HOME: box.config.dir, CDCREDS_AUTH_URL: box.sts.url, ...env },
  });
  return { out: stdout === "" ? undefined : JSON.parse(stdout), stderr };
}

const box = useSandbox();
const { apiLogins } = box;

describe('import { ... } from "cdcreds"', () => {
  it("ships type declarations that type-check a consumer and catch its mistakes", async () => {
    // One bundled file, naming none of the package's internal modules.
    const dist = fileURLToPath(new URL("../dist/", import.meta.url));
    expect((await readdir(dist, { recursive: true })).filter((f) => f.endsWith(".d.ts"))).toEqual(["index.d.ts"]);
    expect(await readFile(join(dist, "index.d.ts"), "utf8")).not.toMatch(/import\(|from "\./);
    // Inside the package, so "cdcreds" resolves through its own exports map, as for a dependant.
    const dir = await mkdtemp(join(fileURLToPath(new URL(".", import.meta.url)), ".consumer-"));
    try {
      const check = async (code: string): Promise<string> => {
        await writeFile(join(dir, "consumer.ts"), code);
        const args = [
          "--noEmit",
          "--strict",
          "--module",
          "nodenext",
          "--moduleResolution",
          "nodenext",
          "--target",
          "es2022",
          "--types",
          "node",
          "--skipLibCheck",
          join(dir, "consumer.ts"),
        ];
        return execFileAsync(process.execPath, [TSC, ...args]).then(
          () => "",
          (error: { stdout: string }) => error.stdout,
        );
      };
      const good = `import { getToken, getCredentials, deriveApiLogin, ExitCode, type ApiToken } from "cdcreds";
const t: ApiToken = await getToken({ kind: "api-login", login: "bestshop", env: "preprod" });
const expires: Date = t.expiresAt;
const { password }: { password: string } = await getCredentials({ kind: "api-login" });
const either = await getCredentials();
const secret: string = either.kind === "octopia" ? either.clientSecret : either.password;
const client = await getToken({ kind: "octopia", login: "My client 1", sellerId: "12345" });
const headers: Record<string, string> = client.headers;
const code: number = ExitCode.Store;
export const all = [expires, password, secret, headers, code, deriveApiLogin("x").apiLogin];
`;
      expect(await check(good)).toBe("");
      expect(
        await check(`import { getToken } from "cdcreds";
await getToken({ env: "staging" });
`),
      ).toMatch(/error TS(2322|2769)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("derives logins and throws typed errors with their exit codes", async () => {
    const { out } = await tool(`
      import { deriveApiLogin, UsageError } from "cdcreds";
      let error;
      try { deriveApiLogin("a:b"); } catch (e) { error = { usage: e instanceof UsageError, exitCode: e.exitCode, message: e.message }; }
      console.log(JSON.stringify({ login: deriveApiLogin("bestshop").apiLogin, error }));`);
    expect(out).toEqual({
      login: "bestshop-api",
      error: {
        usage: true,
        exitCode: 2,
        message: "invalid login: the login contains a colon, which cannot travel in HTTP Basic authentication",
      },
    });
  });

  it('is also require("cdcreds") for CommonJS tools (Node loads the ESM build synchronously)', async () => {
    const code = `const { deriveApiLogin, ExitCode } = require("cdcreds"); console.log(JSON.stringify([deriveApiLogin("bestshop").apiLogin, ExitCode.Store]));`;
    const { stdout } = await execFileAsync(process.execPath, ["-e", code]);
    expect(JSON.parse(stdout)).toEqual(["bestshop-api", 5]);
  });

  it("reads stored credentials and a cached token, as the CLI does", async () => {
    const api = `${uniqueLogin("lib")}-api`;
    apiLogins.push(api);
    const password = sentinel();
    box.sts.setCredentials(api, password);
    const set = await runCli(["set", "--password-stdin", "--no-verify", api], {
      input: password,
      env: { XDG_CONFIG_HOME: box.config.dir },
    });
    expect(set.code).toBe(0);

    const { out, stderr } = await tool(`
      import { getCredentials, getToken } from "cdcreds";
      const credentials = await getCredentials();
      const first = await getToken({ login: "${api}" });
      const second = await getToken({ login: "${api}" });
      console.log(JSON.stringify({ credentials, first, second }));`);
    expect(stderr).toBe("");
    const expiresAt = (out as { first: { expiresAt: string } }).first.expiresAt;
    expect(out).toEqual({
      credentials: { apiLogin: api, password, env: "prod", source: "store" },
      first: { apiLogin: api, env: "prod", token: box.sts.token, expiresAt, fromCache: false },
      second: { apiLogin: api, env: "prod", token: box.sts.token, expiresAt, fromCache: true },
    });
    expect(box.sts.requests).toHaveLength(1);
  });

  it("prefers environment credentials, and reports failures as typed errors", async () => {
    const api = `${uniqueLogin("libenv")}-api`;
    box.sts.setCredentials(api, "right");
    const code = `
      import { getCredentials, getToken, verifyCredentials, RejectedError } from "cdcreds";
      const credentials = await getCredentials();
      const token = await getToken();
      let rejected;
      try { await verifyCredentials({ login: "${api}", password: "wrong", authUrl: process.env.CDCREDS_AUTH_URL }); }
      catch (e) { rejected = { rejected: e instanceof RejectedError, exitCode: e.exitCode }; }
      let missing;
      try { await getCredentials({ processEnv: { XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME }, login: "nobody" }); }
      catch (e) { missing = e.exitCode; }
      console.log(JSON.stringify({ credentials, token: token.token, fromCache: token.fromCache, rejected, missing }));`;
    const { out, stderr } = await tool(code, { CDISCOUNT_API_LOGIN: api, CDISCOUNT_API_PASSWORD: "right" });
    expect(stderr).toBe("");
    expect(out).toEqual({
      credentials: { apiLogin: api, password: "right", env: "prod", source: "environment" },
      token: box.sts.token,
      fromCache: false,
      rejected: { rejected: true, exitCode: 1 },
      missing: 3,
    });
  });

  it("checks its own options and names them as it does, never as a CLI flag", async () => {
    const { out } = await tool(`
      import { getToken, verifyCredentials } from "cdcreds";
      const refusal = (work) => work.then(() => "accepted", (e) => ({ exitCode: e.exitCode, message: e.message }));
      console.log(JSON.stringify([
        await refusal(getToken({ login: "bestshop", timeoutMs: 700000 })),
        await refusal(getToken({ login: "bestshop", retries: 2.5 })),
        await refusal(verifyCredentials({ login: "bestshop", password: "pw", retries: 2.5 })),
        await refusal(verifyCredentials({ login: "bestshop", password: "pw", timeoutMs: 0.5 })),
      ]));`);
    expect(out).toEqual([
      { exitCode: 2, message: "timeoutMs must be a whole number of milliseconds from 1 to 600000, not 700000" },
      { exitCode: 2, message: "retries must be an integer from 0 to 10, not 2.5" },
      { exitCode: 2, message: "retries must be an integer from 0 to 10, not 2.5" },
      { exitCode: 2, message: "timeoutMs must be a whole number of milliseconds from 1 to 600000, not 0.5" },
    ]);
    expect(box.sts.requests).toHaveLength(0);
  });
});
