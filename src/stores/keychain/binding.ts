/** The part of the native binding (@napi-rs/keyring) the keychain store uses. */
export type KeyringBinding = Pick<typeof import("@napi-rs/keyring"), "Entry" | "findCredentials">;
