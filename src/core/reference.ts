// References (SPEC section 10): `cdcreds://<account>[/<field>][?env=prod|preprod&kind=api-login|octopia]`
// names a stored value, so a `.env` file or a template holds the reference and never the secret.
// Parsed here, and resolved by the same account and kind rules as every command.
import { CdcredsError, UsageError } from "../errors.js";
import { ENVIRONMENTS, type Environment } from "../kinds/environment.js";
import { KIND_IDS, type KindId } from "../kinds/index.js";
import { escapeText } from "../platform/text.js";
import type { StoreDeps } from "../stores/types.js";
import { chooseSeller, issueToken, openAccount, sellerIdsOf } from "./credentials.js";
import { resolveKind } from "./kind-choice.js";
import type { GlobalOptions } from "./options.js";
import { secretForms, type SecretForm } from "./secret-forms.js";

/** How every reference begins. */
const REFERENCE_SCHEME = "cdcreds://";

/** The values a reference can name. */
const REFERENCE_FIELDS = ["secret", "token", "account", "seller-id"] as const;
type ReferenceField = (typeof REFERENCE_FIELDS)[number];

/** A parsed reference. */
export interface Reference {
  /** The reference as written, for messages (it holds no secret). */
  text: string;
  /** The account, percent-decoded. */
  account: string;
  field: ReferenceField;
  env: Environment | undefined;
  kind: KindId | undefined;
}

/** The reference as a message shows it: quoted, its control characters escaped. */
const shown = (text: string): string => `"${escapeText(text)}"`;

/**
 * Parses a reference.
 * @throws {UsageError} (exit 2) naming the reference when it is malformed, or names an unknown
 * field, parameter, environment or kind.
 */
export function parseReference(text: string): Reference {
  const bad = (why: string, hint?: string): UsageError =>
    new UsageError(`reference ${shown(text)}: ${why}`, {
      hint: hint ?? "write cdcreds://<account>[/secret|token|account|seller-id][?env=prod|preprod&kind=api-login|octopia]",
    });
  if (!text.startsWith(REFERENCE_SCHEME)) throw bad(`it does not begin with ${REFERENCE_SCHEME}`);
  const rest = text.slice(REFERENCE_SCHEME.length);
  const queryAt = rest.indexOf("?");
  const path = queryAt === -1 ? rest : rest.slice(0, queryAt);
  const query = queryAt === -1 ? undefined : rest.slice(queryAt + 1);
  const slash = path.indexOf("/");
  const rawAccount = slash === -1 ? path : path.slice(0, slash);
  const rawField = slash === -1 ? undefined : path.slice(slash + 1);
  if (rawAccount === "") throw bad("it names no account");
  let account: string;
  try {
    account = decodeURIComponent(rawAccount);
  } catch {
    throw bad("the account's percent-encoding is malformed", "encode a space as %20, a / as %2F and a % as %25");
  }
  if (/\p{Cc}/u.test(account)) throw bad("the account holds a control character");
  let field: ReferenceField = "secret";
  if (rawField !== undefined) {
    if (!(REFERENCE_FIELDS as readonly string[]).includes(rawField)) {
      throw bad(`unknown field "${escapeText(rawField)}": use ${REFERENCE_FIELDS.join(", ")}`);
    }
    field = rawField as ReferenceField;
  }
  let env: Environment | undefined;
  let kind: KindId | undefined;
  if (query !== undefined) {
    const seen = new Set<string>();
    for (const pair of query.split("&")) {
      const eq = pair.indexOf("=");
      const name = eq === -1 ? pair : pair.slice(0, eq);
      const value = eq === -1 ? "" : pair.slice(eq + 1);
      if (seen.has(name)) throw bad(`"${escapeText(name)}" is given twice`);
      seen.add(name);
      if (name === "env") {
        if (!(ENVIRONMENTS as readonly string[]).includes(value)) {
          throw bad(`unknown environment "${escapeText(value)}": use ${ENVIRONMENTS.join(" or ")}`);
        }
        env = value as Environment;
      } else if (name === "kind") {
        if (!(KIND_IDS as readonly string[]).includes(value))
          throw bad(`unknown kind "${escapeText(value)}": use ${KIND_IDS.join(" or ")}`);
        kind = value as KindId;
      } else {
        throw bad(`unknown parameter "${escapeText(name)}": use env or kind`);
      }
    }
  }
  return { text, account, field, env, kind };
}

/** What resolving a reference needs: the command's options (its env and kind are the defaults) and the store's deps. */
export interface ReferenceRequest extends StoreDeps {
  options: GlobalOptions;
}

/** A resolved reference. */
export interface ResolvedReference {
  reference: Reference;
  /** The account's name as stored (an API login, a client ID). */
  account: string;
  kind: KindId;
  env: Environment;
  value: string;
  /** The value's forms a masked output or a leak scan looks for; none for a field that is no secret. */
  secrets: SecretForm[];
}

/**
 * Resolves a reference by the rules of every command: the kind of the stored account (or the
 * reference's `kind`), environment credentials of that same account before the store, a cached
 * token while enough of it is left.
 * @throws {UsageError} (2), {NotFoundError} (3), {RejectedError} (1), {ServiceError} (4),
 * {StoreError} (5): each message begins with the reference, and never holds a secret.
 */
export async function resolveReference(reference: Reference | string, request: ReferenceRequest): Promise<ResolvedReference> {
  const ref = typeof reference === "string" ? parseReference(reference) : reference;
  try {
    const options: GlobalOptions = { ...request.options, env: ref.env ?? request.options.env, kind: ref.kind ?? request.options.kind };
    const { processEnv } = request;
    const kind = await resolveKind(options, processEnv, ref.account);
    const opened = await openAccount({ ...request, kind, options, login: ref.account });
    const base = { reference: ref, account: opened.account, kind: kind.id, env: options.env };
    if (ref.field === "token") {
      const { token } = await issueToken({ kind, options, processEnv }, opened);
      return { ...base, value: token, secrets: secretForms(token) };
    }
    // Read even when the field is not the secret: an account that is not stored is exit 3, not a name handed over.
    const secret = await opened.secret();
    if (ref.field === "secret") {
      return { ...base, value: secret, secrets: secretForms(secret, kind.id === "api-login" ? opened.account : undefined) };
    }
    if (ref.field === "account") return { ...base, value: opened.account, secrets: [] };
    if (kind.sellers === undefined) throw new UsageError(`${kind.id} accounts have no seller ID`);
    const sellerIds = sellerIdsOf(kind, opened, options, processEnv);
    const sellerId = chooseSeller(kind, undefined, sellerIds);
    if (sellerId === undefined) {
      throw new UsageError(
        sellerIds.length === 0 ? `no seller ID is stored for ${opened.account}` : `${opened.account} acts for several sellers`,
        { hint: "store the client with its only seller: `cdcreds set --kind octopia CLIENT --seller-id ID`" },
      );
    }
    return { ...base, value: sellerId, secrets: [] };
  } catch (error) {
    if (!(error instanceof CdcredsError)) throw error;
    // The same error, its class and exit code kept (a library caller tests `instanceof NotFoundError`).
    error.message = `reference ${shown(ref.text)}: ${error.message}`;
    throw error;
  }
}
