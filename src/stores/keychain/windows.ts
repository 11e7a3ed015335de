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
import { StoreError } from "../../errors.js";
import type { KeyringBinding } from "./binding.js";
import { MAX_WINDOWS_SECRET, joinSecret, partTarget, partsOf, splitSecret, windowsTargets } from "./windows-layout.js";

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
  const get = (service: string, account: string): string | undefined => {
    const t = windowsTargets(service, account);
    const python = read(t.python, account);
    if (python !== undefined) return python;
    const main = read(t.main, account);
    if (main !== undefined) return whole(t.main, account, main);
    return read(t.legacy, account);
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
      const held = b.findCredentials("", t.main)[0];
      if (held !== undefined && held.account !== account) {
        throw new StoreError(
          `the Windows Credential Manager already holds ${t.main} for the account ${held.account}: Windows target names ignore case, so the two accounts would share one credential`,
          { hint: `remove the other one first (cdcreds delete), or use \`--store file\`` },
        );
      }
      const blobs = splitSecret(secret);
      for (let index = 2; index <= blobs.length; index++) write(service, partTarget(t.main, index), account, blobs[index - 1]!);
      write(service, t.main, account, blobs[0]!);
      const written = read(t.main, account);
      if (written === undefined || whole(t.main, account, written) !== secret) {
        throw new StoreError(`the Windows Credential Manager did not keep the secret written to ${t.main} (it reads back different)`);
      }
      const before = held === undefined || held.password === "" ? 1 : partsOf(held.password);
      for (let index = blobs.length + 1; index <= before; index++) remove(service, partTarget(t.main, index), account);
      // Python's keyring reads target <service> before <account>@<service>: an older copy of this
      // account there would shadow the new secret for it. The old cdcreds name has been moved.
      if (read(t.python, account) !== undefined) remove(service, t.python, account);
      if (read(t.legacy, account) !== undefined) remove(service, t.legacy, account);
    },

    delete(service, account) {
      const t = windowsTargets(service, account);
      let deleted = false;
      const main = read(t.main, account);
      if (main !== undefined) {
        remove(service, t.main, account);
        for (let index = 2; index <= partsOf(main); index++) remove(service, partTarget(t.main, index), account);
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
