// cdcreds in a real pseudo-terminal (@lydell/node-pty), as a person runs it: what it draws, and
// ways to wait for a prompt and type at it.
import { spawn } from "@lydell/node-pty";
import { BIN } from "./cli.js";

/** A cdcreds run in a pseudo-terminal: everything it drew, and ways to wait and type. */
export function ptyRun(args: string[], env: Record<string, string>) {
  const processEnv: NodeJS.ProcessEnv = { ...process.env, ...env, NO_COLOR: "1", TERM: "xterm" };
  delete processEnv.FORCE_COLOR;
  const pty = spawn(process.execPath, [BIN, ...args], {
    name: "xterm",
    cols: 120,
    rows: 40,
    env: processEnv,
  });
  let screen = "";
  const waiters: { seen: () => number | undefined; resolve: (end: number) => void }[] = [];
  pty.onData((data) => {
    screen += data;
    for (const waiter of [...waiters]) {
      const end = waiter.seen();
      if (end !== undefined) waiter.resolve(end);
    }
  });
  const exited = new Promise<number>((resolve) => pty.onExit(({ exitCode }) => resolve(exitCode)));
  return {
    get screen() {
      return screen;
    },
    exited,
    /**
     * Resolves once the screen shows `match` after position `since` (default: the start), with
     * the position where the match ends, to wait for what comes after it.
     */
    waitFor: (match: RegExp, since = 0) =>
      new Promise<number>((resolve, reject) => {
        const seen = (): number | undefined => {
          const found = match.exec(screen.slice(since));
          return found === null ? undefined : since + found.index + found[0].length;
        };
        const now = seen();
        if (now !== undefined) return resolve(now);
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${match} on screen:\n${screen}`)), 15_000);
        waiters.push({ seen, resolve: (end) => (clearTimeout(timer), resolve(end)) });
      }),
    type: (text: string) => pty.write(text),
  };
}
