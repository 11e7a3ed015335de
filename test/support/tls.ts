// A throwaway TLS certificate, made with the openssl command, for an HTTPS test server that a
// child trusts through NODE_EXTRA_CA_CERTS: TLS stays verified, as it always is in cdcreds.
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A certificate and its key, and the certificate's path for NODE_EXTRA_CA_CERTS. */
export interface TestCertificate {
  key: Buffer;
  cert: Buffer;
  certPath: string;
}

/** A self-signed certificate valid one day for 127.0.0.1 and each of `names`. */
export async function throwawayCertificate(names: [string, ...string[]]): Promise<TestCertificate> {
  const dir = await mkdtemp(join(tmpdir(), "cdcreds-tls-"));
  const alt = ["IP:127.0.0.1", ...names.map((name) => `DNS:${name}`)].join(",");
  const args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"];
  args.push("-subj", `/CN=${names[0]}`, "-addext", `subjectAltName=${alt}`, "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"));
  const made = spawnSync("openssl", args, { encoding: "utf8" });
  if (made.status !== 0) throw new Error(`openssl is needed for the TLS tests: ${made.error?.message ?? made.stderr}`);
  return { key: await readFile(join(dir, "key.pem")), cert: await readFile(join(dir, "cert.pem")), certPath: join(dir, "cert.pem") };
}
