// The one place that decides colour and interactivity, and the streams every command writes to:
// results to stdout, progress, warnings and errors to stderr.
import type { Writable } from "node:stream";
import { Chalk, type ChalkInstance } from "chalk";
import { instantProblem, showText } from "../core/text-rules.js";
import { EXIT, UserError } from "../errors.js";

export interface IO {
  stdout: Writable;
  stderr: Writable;
  /** Colours for stdout and stderr; plain when that stream is not a terminal or NO_COLOR is set. */
  out: ChalkInstance;
  err: ChalkInstance;
  /**
   * True when a prompt may be shown: stdin is a terminal and so is the stream the prompt is drawn on
   * (`promptOutput`), so `send | tee log` still asks and `send 2>err.txt` never asks into a file.
   */
  canPrompt: boolean;
  /** Where prompts are drawn: stderr when it is a terminal, else stdout when that is one. */
  promptOutput: Writable;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** "Now", fixed by OUTREACH_NOW for tests and reproducible reports. */
  now: Date;
  /** The time now, moving on from `now`: journal events and message dates use it. */
  clock(): Date;
}

export function colourLevel(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): 0 | 1 | 2 | 3 {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return 0;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== "0") return 1;
  if (!stream.isTTY || env.TERM === "dumb") return 0;
  return 1;
}

/**
 * A live line (progress redrawn in place) only on a terminal that can move its cursor: never into a pipe or
 * a file, and never for TERM=dumb. NO_COLOR does not stop it (it draws no colour), --quiet does.
 */
export function liveTerminal(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && env.TERM !== "dumb";
}

export function parseNow(env: NodeJS.ProcessEnv): Date {
  const fixed = env.OUTREACH_NOW;
  if (!fixed) return new Date();
  // Checked by hand: the Date parser turns 2012-02-30 into 1 March without a word.
  const problem = instantProblem(fixed);
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(fixed) ? `${fixed}T12:00:00Z` : fixed);
  if (problem || Number.isNaN(date.getTime())) {
    throw new UserError(
      `OUTREACH_NOW ${problem?.startsWith("must") ? `${problem}, not ${showText(fixed)}` : (problem ?? `cannot be read: ${showText(fixed)}`)}`,
      { exitCode: EXIT.usage, hint: "write it like OUTREACH_NOW=2012-08-15, or unset it to use the clock" },
    );
  }
  return date;
}

/**
 * Prompts are drawn on stderr, so that stdout stays the result (`send --json > f` still asks); when stderr
 * goes to a file and stdout is the terminal, the prompt is drawn there rather than hidden in the file.
 * Without a terminal for stdin, or with neither output a terminal, nothing is asked: @inquirer/prompts would
 * wait forever on a closed stdin, and a question drawn into a file is never seen.
 */
export function promptStream<S extends { isTTY?: boolean }>(streams: {
  stdin: { isTTY?: boolean };
  stdout: S;
  stderr: S;
}): S | undefined {
  if (!streams.stdin.isTTY) return undefined;
  if (streams.stderr.isTTY) return streams.stderr;
  if (streams.stdout.isTTY) return streams.stdout;
  return undefined;
}

export function processIO(): IO {
  const env = process.env;
  const now = parseNow(env);
  const started = performance.now();
  const prompt = promptStream<Writable & { isTTY?: boolean }>(process);
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    out: new Chalk({ level: colourLevel(process.stdout, env) }),
    err: new Chalk({ level: colourLevel(process.stderr, env) }),
    canPrompt: prompt !== undefined,
    promptOutput: prompt ?? process.stderr,
    env,
    cwd: process.cwd(),
    now,
    clock: () => new Date(now.getTime() + (performance.now() - started)),
  };
}
