// The keychain store on Windows: the Credential Manager, with entries Python's keyring reads (and
// reads of theirs), and secrets longer than one credential's blob split over several. The layout
// (targets, parts) is in windows-layout.ts; docs/stores.md describes it for other programs.
//
// Two facts of the binding (@napi-rs/keyring 2.1.2, src/entry.rs) shape this file:
// - `Entry.withTarget` WRITES an empty credential as soon as it is made (then sets its UserName):
//   it is used only to write or to delete, never to read;
// - `findCredentials(service, filter)` runs CredEnumerateW with that filter (service unused) and
//   answers UserName and blob of each generic credential: with an exact target, a read without
//   side effects. It throws when a matched blob is not UTF-16 (another program's credential).
import { StoreError, UsageError } from "../../errors.js";
import type { KeyringBinding } from "./binding.js";
import { MAX_WINDOWS_SECRET, joinSecret, partTarget, splitSecret, windowsTargets } from "./windows-layout.js";

/** The store's operations on the Credential Manager, synchronous as the binding's calls are. */
export interface WindowsCredentials {
  get(service: string, account: string): string | undefined;
  set(service: string, account: string, secret: string): void;
  delete(service: string, account: string): boolean;
  /** The accounts holding a secret under the service, with their secrets (for the store's cache). */
  accounts(service: string): Map<string, string>;
}

/** The Credential Manager through the binding; `opened` counts each Entry made (the store's collections). */
export function windowsCredentials(b: KeyringBinding, opened: () => void): WindowsCredentials {
  /** The credential at exactly this target (names ignore case), when its UserName is `account`. */
  const read = (target: string, account: string): string | undefined => {
    const found = b.findCredentials("", target).find((c) => c.account === account);
    // An empty blob is what an interrupted write leaves (withTarget's placeholder): nothing stored.
    return found === undefined || found.password === "" ? undefined : found.password;
  };
  const write = (service: string, target: string, account: string, blob: string): void => {
    opened();
    b.Entry.withTarget(target, service, account).setPassword(blob);
  };
  const remove = (service: string, target: string, account: string): void => {
    opened();
    b.Entry.withTarget(target, service, account).deleteCredential();
  };
  /** The secret whose main credential is `main`, joined from its parts; undefined when a part is missing or altered. */
  const whole = (main: string, account: string, blob: string): string | undefined =>
    joinSecret(blob, (index) => read(partTarget(main, index), account));

  // Python's keyring reads <service> first when its UserName is the account, then
  // <account>@<service>: read in its order, so both see the same secret whoever wrote last (its
  // set_password writes <service> and can leave an older copy at <account>@<service>).
  // An entry of the old name is moved (or, once another name holds the account, removed) as soon
  // as it is seen: left there, it would come back for cdcreds alone once Python deleted the
  // account (Python removes <service> and <account>@<service>, not the old name).
  const get = (service: string, account: string): string | undefined => {
    const t = windowsTargets(service, account);
    const legacy = read(t.legacy, account);
    const python = read(t.python, account);
    const main = python === undefined ? read(t.main, account) : undefined;
    if (python === undefined && main === undefined) {
      if (legacy !== undefined) moveLegacy(service, account, legacy);
      return legacy;
    }
    if (legacy !== undefined) quietly(() => remove(service, t.legacy, account));
    return python ?? whole(t.main, account, main!);
  };

  /** Runs a tidying step whose failure changes nothing the caller reads: it is tried again at the next read. */
  const quietly = (step: () => void): void => {
    try {
      step();
    } catch {
      // tried again at the next read
    }
  };

  /** Moves an entry of the old name to the new one: written and read back first, then the old one removed. */
  const moveLegacy = (service: string, account: string, secret: string): void => {
    const t = windowsTargets(service, account);
    quietly(() => {
      write(service, t.main, account, secret);
      if (read(t.main, account) === secret) remove(service, t.legacy, account);
    });
  };

  /** Removes the parts from `from` on that are still there (a longer secret's, or left by an interrupted delete). */
  const sweepParts = (service: string, main: string, account: string, from: number): void => {
    for (let index = from; read(partTarget(main, index), account) !== undefined; index++) remove(service, partTarget(main, index), account);
  };

  return {
    get,

    // Parts first, the main credential last (it makes them count), then read back; only then are
    // the older copies removed: a failure at any step leaves the previous secret readable (but for
    // a split secret replaced in place, whose old main then fails its hash: "not stored", which
    // for a cached token, the only secret that long, means fetching a new one).
    set(service, account, secret) {
      if (secret.length > MAX_WINDOWS_SECRET) {
        throw new StoreError(
          `the secret is ${secret.length} characters long, more than the ${MAX_WINDOWS_SECRET} cdcreds keeps in the Windows Credential Manager`,
          { hint: "use `--store file` for it" },
        );
      }
      const t = windowsTargets(service, account);
      // The search's filter reads `*` as a wildcard: only an entry of this account, in any case, counts.
      const held = b.findCredentials("", t.main).find((c) => c.account.toLowerCase() === account.toLowerCase());
      if (held !== undefined && held.account !== account) {
        throw new UsageError(
          `the Windows Credential Manager already holds ${t.main} for the account ${held.account}: Windows target names ignore case, so the two accounts would share one credential`,
          { hint: `use the account's own spelling, or remove the other one first (cdcreds delete)` },
        );
      }
      const blobs = splitSecret(secret);
      for (let index = 2; index <= blobs.length; index++) write(service, partTarget(t.main, index), account, blobs[index - 1]!);
      write(service, t.main, account, blobs[0]!);
      const written = read(t.main, account);
      if (written === undefined || whole(t.main, account, written) !== secret) {
        throw new StoreError(`the Windows Credential Manager did not keep the secret written to ${t.main} (it reads back different)`);
      }
      sweepParts(service, t.main, account, blobs.length + 1);
      // Python's keyring reads target <service> before <account>@<service>: an older copy of this
      // account there would shadow the new secret for it. The old cdcreds name has been moved.
      if (read(t.python, account) !== undefined) remove(service, t.python, account);
      if (read(t.legacy, account) !== undefined) remove(service, t.legacy, account);
      if (get(service, account) !== secret) {
        throw new StoreError(
          `the Windows Credential Manager still holds an older copy of ${account}'s secret of ${service} (it could not be removed)`,
        );
      }
    },

    delete(service, account) {
      const t = windowsTargets(service, account);
      let deleted = false;
      // The parts first, then the main entry: an interrupted delete leaves a main entry whose parts
      // are missing ("not stored"), which the next delete finds, never parts no entry counts.
      sweepParts(service, t.main, account, 2);
      if (read(t.main, account) !== undefined) {
        remove(service, t.main, account);
        deleted = true;
      }
      for (const target of [t.python, t.legacy]) {
        if (read(target, account) === undefined) continue;
        remove(service, target, account);
        deleted = true;
      }
      return deleted;
    },

    // The accounts of the three namings, each confirmed by a read (a search answers UserNames, not
    // which target they were found at). Wine's CredEnumerateW ignores a filter starting with `*`:
    // when those searches find nothing, every credential is enumerated, and one that is not
    // UTF-16 (another program's) fails that search, so it leaves the answer as it was.
    accounts(service) {
      const names = new Set<string>();
      const search = (filter: string): void => {
        for (const c of b.findCredentials(service, filter)) names.add(c.account);
      };
      search(`*@${service}`);
      search(`*.${service}`);
      const wildcardsFound = names.size > 0;
      search(service);
      if (!wildcardsFound) {
        try {
          search("*");
        } catch {
          // a foreign credential's blob: the searches above stand
        }
      }
      const found = new Map<string, string>();
      for (const account of names) {
        if (account === "") continue;
        const secret = get(service, account);
        if (secret !== undefined) found.set(account, secret);
      }
      return found;
    },
  };
}
