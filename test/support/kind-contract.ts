// The behaviour every credential kind must have, as one suite each kind's test runs with a
// fixture: how its accounts are named, how its secret and token are stored and read back, and how
// each answer of its token service is classified.
import { describe, expect, it } from "vitest";
import { loadSecret } from "../../src/core/account.js";
import { cacheToken, parseCachedToken } from "../../src/core/token-cache.js";
import { ExitCode, UsageError } from "../../src/errors.js";
import { ENVIRONMENTS } from "../../src/kinds/environment.js";
import type { CredentialKind, TokenAnswer } from "../../src/kinds/types.js";
import { memoryStore } from "./memory-store.js";

/** A token service of the kind's, on loopback, told how to answer. */
export interface KindService<Mode> {
  url: string;
  answer(mode: Mode): void;
  /** Accept only these credentials; anything else is rejected. */
  accept(account: string, secret: string): void;
  /** How many requests it received. */
  requests(): number;
  close(): Promise<void>;
}

/** What the contract needs to know of a kind. */
export interface KindFixture<Mode> {
  kind: CredentialKind;
  /** What a user may type, and the account it names. */
  names: [input: string, account: string][];
  /** What no account can be named. */
  invalidNames: string[];
  /** A secret of the kind, with the characters it may hold. */
  secret: string;
  startService: () => Promise<KindService<Mode>>;
  /** Each way the service may answer, and the status the kind must classify it as. */
  answers: [mode: Mode, status: TokenAnswer["status"]][];
}

/** Registers the contract suite for a kind. */
export function describeCredentialKind<Mode>(fixture: KindFixture<Mode>): void {
  const { kind } = fixture;
  const ask = (service: KindService<Mode>, account: string, secret: string) =>
    kind.requestToken({ account, secret }, { env: "prod", authUrl: new URL(service.url), timeoutMs: 2000, retries: 0, proxyEnv: {} });

  describe(`the ${kind.id} kind keeps the CredentialKind contract`, () => {
    it.each(fixture.names)("names %j as %j, and that name as itself", (input, account) => {
      expect(kind.accountName(input)).toBe(account);
      expect(kind.accountName(account)).toBe(account);
      expect(kind.storedNameProblem(account)).toBeUndefined();
    });

    it.each(fixture.invalidNames)("refuses %j with exit 2, and as a stored name", (input) => {
      expect(() => kind.accountName(input)).toThrow(UsageError);
      expect(kind.storedNameProblem(input)).toBeDefined();
    });

    it("keeps a secret and a token under services of its own, per environment, and reads them back", async () => {
      const services = ENVIRONMENTS.flatMap((env) => [kind.secretService(env), kind.tokenService(env)]);
      expect(new Set(services).size).toBe(services.length);
      const store = memoryStore({}, "keychain");
      const [, account] = fixture.names[0]!;
      await store.set(kind.secretService("preprod"), account, fixture.secret);
      expect(await loadSecret(store, kind, "preprod", account)).toBe(fixture.secret);
      await expect(loadSecret(store, kind, "prod", account)).rejects.toMatchObject({ exitCode: ExitCode.NotFound });
    });

    it.each(fixture.answers)("classifies the answer %j as %s", async (mode, status) => {
      const service = await fixture.startService();
      try {
        service.answer(mode);
        const answer = await ask(service, fixture.names[0]![1], fixture.secret);
        expect(answer.status).toBe(status);
        if (answer.status === "valid") {
          expect(kind.isToken(answer.token)).toBe(true);
          const lifetime = answer.expiresAt.getTime() - answer.issuedAt.getTime();
          expect(lifetime).toBeGreaterThan(kind.minRemainingMs);
          expect(lifetime).toBeLessThanOrEqual(kind.maxTokenLifetimeMs);
          // What the cache writes, it reads back.
          const store = memoryStore();
          await cacheToken(store, kind, "prod", "someone", answer, new URL(service.url));
          expect(parseCachedToken(await store.get(kind.tokenService("prod"), "someone"), kind)).toEqual({
            token: answer.token,
            expiresAt: answer.expiresAt,
          });
        } else {
          const error = kind.answerError(answer, new URL(service.url), "someone");
          expect(error.exitCode).toBe(status === "rejected" ? ExitCode.Rejected : ExitCode.Service);
          expect(error.message).not.toContain(fixture.secret);
        }
      } finally {
        await service.close();
      }
    });

    it("sends a rejected secret once, and its made-up credentials are rejected", async () => {
      const service = await fixture.startService();
      try {
        service.accept(fixture.names[0]![1], fixture.secret);
        expect((await ask(service, fixture.names[0]![1], `${fixture.secret}-wrong`)).status).toBe("rejected");
        const { account, secret } = kind.madeUpCredentials();
        expect((await ask(service, account, secret)).status).toBe("rejected");
        expect(service.requests()).toBe(2);
      } finally {
        await service.close();
      }
    });

    it("exports the account, the secret and the token under its own variables", () => {
      const exported = kind.exports({ account: "a", secret: "s" }, "t");
      expect(exported).toEqual({ [kind.variables.account]: "a", [kind.variables.secret]: "s", [kind.variables.token]: "t" });
      expect(Object.keys(kind.exports({ account: "a", secret: "s" }, undefined))).not.toContain(kind.variables.token);
    });
  });
}
