// The kinds of credential: one entry each, loaded on first use. A new kind is a folder and one
// line here.
import type { CredentialKind } from "./types.js";

/** A kind as the registry knows it, before it is loaded. */
interface KindEntry {
  /** What it is, for help and messages. */
  label: string;
  load: () => Promise<{ kind: CredentialKind }>;
}

const KINDS = {
  "api-login": { label: "Marketplace API login and password (the SOAP API)", load: () => import("./api-login/index.js") },
  octopia: { label: "Octopia seller API client (client ID and secret)", load: () => import("./octopia/index.js") },
} satisfies Record<string, KindEntry>;

export type KindId = keyof typeof KINDS;

/** The kind with that id, loaded. */
export async function loadKind(id: KindId): Promise<CredentialKind> {
  return (await KINDS[id].load()).kind;
}
