// RFC 9457 problem details (`application/problem+json`), read into one line for stderr: the
// status, `title`, `detail` and each field error of `errors` (Octopia's: field -> messages).
// Pure: the caller escapes the line before a terminal sees it.

/** The most of a body's text a summary quotes: a problem's fields are short, a page is not. */
const MAX_FIELD_CHARS = 300;
const MAX_FIELD_ERRORS = 20;

const clip = (text: string): string => (text.length > MAX_FIELD_CHARS ? `${text.slice(0, MAX_FIELD_CHARS)}…` : text);

const textOf = (value: unknown): string | undefined =>
  typeof value === "string" && value.trim() !== "" ? clip(value.trim()) : typeof value === "number" ? String(value) : undefined;

/** A problem's fields that a summary shows; undefined when the body is not a JSON object. */
export interface Problem {
  title?: string;
  detail?: string;
  /** `field: message`, one per message of `errors` (an object of lists, or a list of {field, message}). */
  fieldErrors: string[];
}

function fieldErrorsOf(errors: unknown): string[] {
  const found: string[] = [];
  if (Array.isArray(errors)) {
    for (const entry of errors) {
      if (typeof entry === "string") found.push(clip(entry));
      else if (typeof entry === "object" && entry !== null) {
        const { field, name, message, detail } = entry as Record<string, unknown>;
        const label = textOf(field) ?? textOf(name);
        const text = textOf(message) ?? textOf(detail);
        if (text !== undefined) found.push(label === undefined ? text : `${label}: ${text}`);
      }
    }
  } else if (typeof errors === "object" && errors !== null) {
    for (const [field, messages] of Object.entries(errors as Record<string, unknown>)) {
      for (const message of Array.isArray(messages) ? messages : [messages]) {
        const text = textOf(message);
        if (text !== undefined) found.push(`${clip(field)}: ${text}`);
      }
    }
  }
  return found.slice(0, MAX_FIELD_ERRORS);
}

/** Reads a problem+json (or any JSON error object with `title`/`detail`/`message`/`errors`); undefined otherwise. */
export function parseProblem(body: string): Problem | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const object = value as Record<string, unknown>;
  const title = textOf(object.title) ?? textOf(object.error);
  const detail = textOf(object.detail) ?? textOf(object.message) ?? textOf(object.error_description);
  const problem: Problem = { fieldErrors: fieldErrorsOf(object.errors) };
  if (title !== undefined) problem.title = title;
  if (detail !== undefined && detail !== title) problem.detail = detail;
  return problem;
}

/** `HTTP 400: Validation failed: The request is invalid; sellerId: must be a number`, for one stderr line. */
export function summarizeError(status: number, body: string): string {
  const problem = parseProblem(body);
  const parts = [problem?.title, problem?.detail].filter((p): p is string => p !== undefined);
  const head = `HTTP ${status}${parts.length === 0 ? "" : `: ${parts.join(": ")}`}`;
  const fields = problem?.fieldErrors ?? [];
  return fields.length === 0 ? head : `${head}; ${fields.join("; ")}`;
}
