// The forms a secret takes in a file or an output (SPEC section 10): as is, percent-encoded,
// JSON-escaped (as JavaScript and Python write it, and as PHP's json_encode does by default, with
// `\/` and `\uXXXX`), and for an API login the base64 of `login:password` of an HTTP Basic header.
// Masked output (`run`) and the leak scan (`scan`) look for the same list.

/** One form of a secret: its name for reports, and its text. */
export interface SecretForm {
  form: "value" | "percent-encoded" | "JSON-escaped" | "HTTP Basic";
  text: string;
}

/** `\uXXXX` for every character outside ASCII (a surrogate pair for one beyond U+FFFF), as PHP and Python write it. */
const asciiOnly = (text: string): string => text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

/**
 * Every form of `secret`, each text once (the first form that writes it names it). With `login`
 * (an API login), the base64 of `login:secret` too.
 */
export function secretForms(secret: string, login?: string): SecretForm[] {
  const json = JSON.stringify(secret).slice(1, -1);
  const candidates: SecretForm[] = [
    { form: "value", text: secret },
    { form: "percent-encoded", text: encodeURIComponent(secret) },
    { form: "percent-encoded", text: new URLSearchParams({ s: secret }).toString().slice(2) },
    { form: "JSON-escaped", text: json },
    { form: "JSON-escaped", text: asciiOnly(json) },
    { form: "JSON-escaped", text: json.replaceAll("/", "\\/") },
    { form: "JSON-escaped", text: asciiOnly(json).replaceAll("/", "\\/") },
    { form: "JSON-escaped", text: asciiOnly(json).replace(/\\u[0-9a-f]{4}/g, (u) => u.toUpperCase().replace("\\U", "\\u")) },
  ];
  if (login !== undefined) candidates.push({ form: "HTTP Basic", text: Buffer.from(`${login}:${secret}`, "utf8").toString("base64") });
  const seen = new Set<string>();
  return candidates.filter(({ text }) => text !== "" && !seen.has(text) && seen.add(text));
}
