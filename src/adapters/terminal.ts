// The one place that decides colour and interactivity, and the streams every command writes to:
// results to stdout, progress, warnings and errors to stderr.
import type { Writable } from "node:stream";
import { Chalk, type ChalkInstance } from "chalk";
import { EXIT, UserError } from "../errors.js";

export interface IO {
  stdout: Writable;
  stderr: Writable;
  /** Colours for stdout and stderr; plain when that stream is not a terminal or NO_COLOR is set. */
  out: ChalkInstance;
  err: ChalkInstance;
  /** True when a prompt may be shown: both stdin and stdout are terminals. */
  canPrompt: boolean;
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

export function parseNow(env: NodeJS.ProcessEnv): Date {
  const fixed = env.OUTREACH_NOW;
  if (!fixed) return new Date();
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(fixed) ? `${fixed}T12:00:00Z` : fixed);
  if (Number.isNaN(date.getTime())) {
    throw new UserError(`OUTREACH_NOW must be an ISO date or time such as 2012-08-15, got "${fixed}"`, {
      exitCode: EXIT.usage,
    });
  }
  return date;
}

export function processIO(): IO {
  const env = process.env;
  const now = parseNow(env);
  const started = performance.now();
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    out: new Chalk({ level: colourLevel(process.stdout, env) }),
    err: new Chalk({ level: colourLevel(process.stderr, env) }),
    canPrompt: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    env,
    cwd: process.cwd(),
    now,
    clock: () => new Date(now.getTime() + (performance.now() - started)),
  };
}
