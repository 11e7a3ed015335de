// The encrypted file's key derivation: scrypt, with its cost stored in each file's header.
import { scrypt } from "node:crypto";

const KEY_BYTES = 32;

/** scrypt cost parameters, stored in each file's header so they can be raised later. */
export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  log2N: number;
  r: number;
  p: number;
}

/**
 * The cost for new files: N = 2^16, r = 8, p = 1 uses 64 MiB and took about 290 ms on the
 * development machine (2^15: 145 ms, 2^17: 620 ms). Paid once per command, which a script calling
 * `cdcreds get` can afford, while every guess costs an attacker the same.
 */
export const DEFAULT_SCRYPT: ScryptParams = { log2N: 16, r: 8, p: 1 };

// Bounds on header parameters, checked before deriving: a damaged or hostile header must not make
// us allocate gigabytes or spin for minutes before GCM gets the chance to refuse it.
const LOG2N_RANGE = [10, 20] as const;
const MAX_SCRYPT_MEMORY = 1024 * 1024 * 1024;

/** True when the parameters are within the bounds this version accepts. */
export function scryptParamsOk({ log2N, r, p }: ScryptParams): boolean {
  return (
    Number.isInteger(log2N) &&
    log2N >= LOG2N_RANGE[0] &&
    log2N <= LOG2N_RANGE[1] &&
    Number.isInteger(r) &&
    r >= 1 &&
    r <= 255 &&
    Number.isInteger(p) &&
    p >= 1 &&
    p <= 255 &&
    128 * 2 ** log2N * r <= MAX_SCRYPT_MEMORY
  );
}

/** Derives the 256-bit file key from the passphrase (runs on the libuv thread pool). */
export function deriveKey(passphrase: string, salt: Buffer, kdf: ScryptParams): Promise<Buffer> {
  const N = 2 ** kdf.log2N;
  // Node's default maxmem (32 MiB) is below what N=2^15, r=8 needs (128·N·r bytes): allow twice that.
  const options = { N, r: kdf.r, p: kdf.p, maxmem: 256 * N * kdf.r };
  return new Promise((resolve, reject) => {
    scrypt(passphrase.normalize("NFC"), salt, KEY_BYTES, options, (error, key) => (error === null ? resolve(key) : reject(error)));
  });
}
