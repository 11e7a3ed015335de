// The kinds of credential: one entry each, loaded on first use. A new kind is a folder and one
// line here.
import type { CredentialKind } from "./types.js";

/** A kind as the registry knows it, before it is loaded. */
interface KindEntry {
  /** What it is, for help and messages. */
  label: string;
  /** The account index's field naming an account of this kind (`{"apiLogin": "bestshop-api"}`). */
  indexKey: string;
  load: () => Promise<{ kind: CredentialKind }>;
}

/** The kinds' ids, spelled out so the library's declarations name them, not the registry. */
export type KindId = "api-login" | "octopia";

const KINDS: Record<KindId, KindEntry> = {
  "api-login": {
    label: "Marketplace API login and password (the SOAP API)",
    indexKey: "apiLogin",
    load: () => import("./api-login/index.js"),
  },
  octopia: { label: "Octopia seller API client (client ID and secret)", indexKey: "clientId", load: () => import("./octopia/index.js") },
};

/** A kind as the registry loads it: its id is one of the registry's. */
export type Kind = CredentialKind & { readonly id: KindId };

/** Every kind's id, the default (`api-login`) first. */
export const KIND_IDS = Object.keys(KINDS) as [KindId, ...KindId[]];

/**
 * The `kind` field of JSON output and of the account index: none for the default kind, whose
 * output predates kinds and keeps its shape (`{"apiLogin",...}`), so scripts written for it still work.
 */
export const kindField = (id: string): { kind?: string } => (id === KIND_IDS[0] ? {} : { kind: id });

/** The account index's field naming an account of that kind. */
export const indexKeyOf = (id: KindId): string => KINDS[id].indexKey;

/** The kind with that id, loaded. */
export async function loadKind(id: KindId): Promise<Kind> {
  return (await KINDS[id].load()).kind as Kind;
}
