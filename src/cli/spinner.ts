// A tiny stderr spinner for the few seconds a token request may take. Written by hand: a spinner
// library would cost more start-up time than it saves lines. Only on a terminal, never in logs.
import { undoIfInterrupted } from "../platform/signals.js";

/** A running spinner; `stop` erases it. */
export interface Spinner {
  stop(): void;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/**
 * Shows `text` after a spinning frame on `stream` until stopped; does nothing unless the stream is
 * a terminal (and `TERM` is not `dumb`), so redirected stderr gets no control characters.
 */
export function startSpinner(
  text: string,
  stream: NodeJS.WriteStream = process.stderr,
  processEnv: NodeJS.ProcessEnv = process.env,
): Spinner {
  if (stream.isTTY !== true || processEnv.TERM === "dumb") return { stop: () => {} };
  let frame = 0;
  const draw = (): void => {
    stream.write(`\r${FRAMES[frame++ % FRAMES.length]} ${text}`);
  };
  draw();
  const timer = setInterval(draw, 80);
  const erase = (): void => {
    stream.write("\r\u001b[K"); // back to the line start, then clear the line
  };
  const forget = undoIfInterrupted(erase); // Ctrl-C must not leave the line behind the error
  return {
    stop: () => {
      clearInterval(timer);
      forget();
      erase();
    },
  };
}
