import { Chalk, type ChalkInstance } from "chalk";
import { requireNow } from "../platform/require.js";
import { escapeText } from "../platform/text.js";

/** Where messages go: always stderr (stdout carries data only). */
export interface Ui {
  readonly color: ChalkInstance;
  /** True when a person can answer prompts: stdin and stderr are terminals. */
  readonly interactive: boolean;
  /** Why not {@link interactive}, naming the stream that is not a terminal; undefined when interactive. */
  readonly notInteractiveReason: string | undefined;
  /** True when standard input is a terminal (where `--password-stdin` would echo). */
  readonly stdinIsTerminal: boolean;
  readonly debugEnabled: boolean;
  /** A plain message line. */
  info(message: string): void;
  /** A note the user may want to act on. */
  note(message: string): void;
  success(message: string): void;
  /** One failed item of a batch (`verify --all`, `import`): a red ✗, no "error:" and no hint. */
  failure(message: string): void;
  warn(message: string): void;
  error(message: string, hint?: string): void;
  /** Shown with --debug only. */
  debug(message: string): void;
  /**
   * Registers a secret as a last resort: a later stderr line containing it shows `***` instead.
   * No message is ever built from a secret; this only guards against a mistake.
   */
  redact(secret: string): void;
}

/**
 * Colour level per the usual conventions: FORCE_COLOR wins (0-3, or any other value for basic
 * colours), then NO_COLOR (any non-empty value), then whether the stream is a terminal.
 */
function colorLevel(processEnv: NodeJS.ProcessEnv, isTTY: boolean): 0 | 1 | 2 | 3 {
  const force = processEnv.FORCE_COLOR;
  if (force !== undefined) {
    if (force === "0" || force === "false") return 0;
    return force === "2" || force === "3" ? (Number(force) as 2 | 3) : 1;
  }
  if (processEnv.NO_COLOR !== undefined && processEnv.NO_COLOR !== "") return 0;
  if (!isTTY || processEnv.TERM === "dumb") return 0;
  return 1;
}

interface UiOptions {
  processEnv: NodeJS.ProcessEnv;
  debug: boolean;
  stderr?: NodeJS.WriteStream;
  stdinIsTTY?: boolean;
}

/**
 * Whether a file descriptor is a terminal. `node:tty` is loaded on first use only: it brings in
 * `net` and the streams, a measurable part of a start-up that `get`, `token` and `derive` (which
 * write nothing on stderr and prompt for nothing) do not need.
 */
const isTerminal = (fd: number): boolean => (requireNow("node:tty") as typeof import("node:tty")).isatty(fd);

/** A value computed on first use, then kept. */
function lazy<T>(compute: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: compute() }).v;
}

/**
 * Secrets shorter than this are not searched for: replacing every "e" of a message would mangle it
 * and, worse, show which letters the secret is made of. Real passwords and tokens are longer.
 */
const MIN_REDACTED_LENGTH = 8;

/**
 * Creates the stderr UI. Every message is escaped (it may quote text from outside: a login from
 * the index, a file header, a service's answer); only the UI's own colours reach the terminal.
 */
export function createUi({ processEnv: env, debug, stderr, stdinIsTTY }: UiOptions): Ui {
  const stderrIsTTY = lazy(() => (stderr === undefined ? isTerminal(2) : stderr.isTTY === true));
  const stdinIsTerminal = lazy(() => stdinIsTTY ?? isTerminal(0));
  const color = lazy(() => new Chalk({ level: colorLevel(env, stderrIsTTY()) }));
  // Secrets by their first MIN_REDACTED_LENGTH characters, with their lengths longest first: a
  // message is searched for those that can start at each of its places, not for each secret in
  // turn (an `import` registers thousands, and writes a line for each).
  const secrets = new Map<string, { all: Set<string>; lengths: number[] }>();
  const write = (text: string): void => {
    let safe = "";
    for (let i = 0; i < text.length;) {
      const same = secrets.get(text.slice(i, i + MIN_REDACTED_LENGTH));
      const length = same?.lengths.find((n) => same.all.has(text.slice(i, i + n)));
      safe += length === undefined ? text[i] : "***";
      i += length ?? 1;
    }
    (stderr ?? process.stderr).write(`${safe}\n`);
  };
  const escapeLines = (text: string): string => text.split("\n").map(escapeText).join("\n");
  return {
    get color() {
      return color();
    },
    get interactive() {
      return stdinIsTerminal() && stderrIsTTY();
    },
    get notInteractiveReason() {
      if (!stdinIsTerminal()) return "standard input is not a terminal";
      return stderrIsTTY() ? undefined : "standard error is not a terminal (prompts are drawn there)";
    },
    get stdinIsTerminal() {
      return stdinIsTerminal();
    },
    debugEnabled: debug,
    info: (message) => write(escapeText(message)),
    note: (message) => write(`${color().cyan("note:")} ${escapeText(message)}`),
    success: (message) => write(`${color().green("✓")} ${escapeText(message)}`),
    failure: (message) => write(`${color().red("✗")} ${escapeText(message)}`),
    warn: (message) => write(`${color().yellow("warning:")} ${escapeText(message)}`),
    error: (message, hint) => {
      write(`${color().red("error:")} ${escapeText(message)}`);
      if (hint !== undefined) write(`${color().dim("hint:")} ${escapeText(hint)}`);
    },
    debug: (message) => {
      // Line breaks kept: stack traces span lines; every other control is escaped.
      if (debug) write(color().dim(`debug: ${escapeLines(message)}`));
    },
    redact: (secret) => {
      if (secret.length < MIN_REDACTED_LENGTH) return;
      const start = secret.slice(0, MIN_REDACTED_LENGTH);
      const same = secrets.get(start) ?? { all: new Set<string>(), lengths: [] };
      same.all.add(secret);
      if (!same.lengths.includes(secret.length)) same.lengths = [...same.lengths, secret.length].sort((a, b) => b - a);
      secrets.set(start, same);
    },
  };
}
