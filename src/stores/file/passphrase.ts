// Where the encrypted file's passphrase comes from: CDCREDS_PASSPHRASE, else a masked prompt of the
// caller's (twice when the file is created).
import { UsageError } from "../../errors.js";

/** What getting a passphrase needs, and how messages name the file. */
export interface PassphraseSource {
  processEnv: NodeJS.ProcessEnv;
  interactive: boolean | (() => boolean);
  askPassphrase?: (message: string, validate: (value: string) => string | true) => Promise<string>;
  /** The file, as messages show it (`~/.config/cdcreds/secrets.enc`). */
  shown: string;
}

/** Tries at typing a new passphrase twice alike. */
const PASSPHRASE_TRIES = 3;

function nonEmptyAnswer(value: string): string {
  if (value === "") throw new UsageError("the passphrase cannot be empty");
  return value;
}

/**
 * CDCREDS_PASSPHRASE, or undefined when a person can be asked instead.
 * @throws {UsageError} (exit 2) when it is empty, or missing with no one to ask.
 */
export function passphraseFromEnv(source: PassphraseSource): string | undefined {
  const value = source.processEnv.CDCREDS_PASSPHRASE;
  if (value === "") throw new UsageError("CDCREDS_PASSPHRASE is set but empty: the encrypted file store needs a passphrase");
  const interactive = typeof source.interactive === "function" ? source.interactive() : source.interactive;
  if (value === undefined && (!interactive || source.askPassphrase === undefined)) {
    throw new UsageError(
      `the encrypted file ${source.shown} needs a passphrase: set CDCREDS_PASSPHRASE (there is no terminal to ask for it)`,
      {
        hint: "pass CDCREDS_PASSPHRASE in the environment of the service or job, or run the command in a terminal; a service that runs it often is better off with a key file (CDCREDS_KEY_FILE)",
      },
    );
  }
  return value;
}

/**
 * The passphrase: from CDCREDS_PASSPHRASE, else asked (twice alike for a new file).
 * @throws {UsageError} (exit 2) as passphraseFromEnv, or when the two answers never match.
 */
export async function obtainPassphrase(source: PassphraseSource, creating: boolean): Promise<string> {
  const fromEnv = passphraseFromEnv(source);
  if (fromEnv !== undefined) return fromEnv;
  const ask = source.askPassphrase!; // passphraseFromEnv() made sure there is one
  const nonEmpty = (v: string): string | true => (v === "" ? "it cannot be empty" : true);
  if (!creating) return nonEmptyAnswer(await ask(`Passphrase for ${source.shown}`, nonEmpty));
  // A mismatch starts over at two new, empty prompts: the prompt's own validation would keep the
  // masked text, and what is typed next would be appended to it.
  for (let attempt = 1; ; attempt++) {
    const again = attempt === 1 ? "" : "The passphrases did not match. ";
    const first = nonEmptyAnswer(await ask(`${again}New passphrase for ${source.shown}`, nonEmpty));
    if ((await ask("Repeat the passphrase", nonEmpty)) === first) return first;
    if (attempt === PASSPHRASE_TRIES) throw new UsageError("the two passphrases do not match; nothing was stored");
  }
}
