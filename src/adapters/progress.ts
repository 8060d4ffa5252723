// Progress of a long run (send, followup, inbox; import when it comes): on a terminal one live line, redrawn in
// place, with done / total, the rate, the time left and an item the server has held for a while; elsewhere
// the plain lines of old, one per item, or none with --quiet. Whether the line is live is decided once, here,
// by `liveTerminal` beside the colour decision; nothing but plain text ever reaches a pipe or a file.
//
// The live line is drawn with node's own readline cursor functions (return to column 0, clear the line):
// a single line cut to the terminal's width needs nothing more, and loads nothing at start-up. log-update
// would add six packages and a cursor hidden until exit for the same two escape sequences.
import { clearLine, cursorTo } from "node:readline";
import type { Writable } from "node:stream";
import { printable } from "../core/text-rules.js";
import { type IO, liveTerminal } from "./terminal.js";

/** An item held longer than this by the server is named on the live line. */
export const HELD_AFTER_MS = 3000;
/** At most this often the line is redrawn for an update; the clock redraws it every second anyway. */
const REDRAW_MS = 100;

export interface Progress {
  /** The server has the item now (a letter handed over, a message being fetched): `label` names it. */
  serverHas(label: string): void;
  /** The server answered for the item (it may be tried again, or be finished). */
  serverAnswered(label: string): void;
  /** An item is done; `line` is its plain line (printed above the live line, or alone without a terminal). */
  finished(label: string, line?: string): void;
  /** A line that must stay on screen whatever the mode (a failure, a retry, a warning): never dropped. */
  note(line: string): void;
  /** More items than first counted (a second mailbox folder). */
  addTotal(count: number): void;
  /** Clears the live line; later output starts on a clean line. */
  stop(): void;
}

export interface ProgressOptions {
  total: number;
  /** What one item is called: "letter", "follow-up", "message". */
  noun: string;
  /** The verb for items done: "sent", "read". */
  verb: string;
  /** --quiet: no per-item lines and no live line, only what `note` must say. */
  quiet?: boolean;
  /** For tests: the monotonic clock in milliseconds, and the stream's liveness decided by the caller. */
  clock?: () => number;
  live?: boolean;
}

export function startProgress(io: IO, options: ProgressOptions): Progress {
  const live = !options.quiet && (options.live ?? liveTerminal(io.stderr as { isTTY?: boolean }, io.env));
  if (!live) return plainProgress(io.stderr, options.quiet ?? false);
  return new LiveLine(io.stderr, options);
}

function plainProgress(stream: Writable, quiet: boolean): Progress {
  return {
    serverHas() {},
    serverAnswered() {},
    finished(_label, line) {
      if (line !== undefined && !quiet) stream.write(`${line}\n`);
    },
    note(line) {
      stream.write(`${line}\n`);
    },
    addTotal() {},
    stop() {},
  };
}

class LiveLine implements Progress {
  private readonly clock: () => number;
  private readonly began: number;
  private total: number;
  private done = 0;
  /** Items in the server's hands, with when each began: the oldest is the one named. */
  private readonly inFlight = new Map<string, number>();
  private lastDrawn = 0;
  private readonly timer: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly stream: Writable & { columns?: number },
    private readonly options: ProgressOptions,
  ) {
    this.clock = options.clock ?? (() => performance.now());
    this.began = this.clock();
    this.total = options.total;
    this.timer = setInterval(() => this.draw(), 1000);
    this.timer.unref();
    // A count not known yet (a mailbox before its first folder is scanned) is drawn once there is one.
    if (this.total > 0) this.draw();
  }

  serverHas(label: string): void {
    this.inFlight.set(label, this.clock());
    this.drawSoon();
  }

  serverAnswered(label: string): void {
    this.inFlight.delete(label);
    this.drawSoon();
  }

  finished(label: string): void {
    this.inFlight.delete(label);
    this.done++;
    this.drawSoon();
  }

  note(line: string): void {
    this.clear();
    this.stream.write(`${line}\n`);
    this.draw();
  }

  addTotal(count: number): void {
    this.total += count;
    this.drawSoon();
  }

  stop(): void {
    if (this.stopped) return;
    this.draw();
    this.stopped = true;
    clearInterval(this.timer);
    this.clear();
  }

  private drawSoon(): void {
    if (this.clock() - this.lastDrawn >= REDRAW_MS || this.done === this.total) this.draw();
  }

  private draw(): void {
    if (this.stopped) return;
    const now = this.clock();
    this.lastDrawn = now;
    const oldest = [...this.inFlight].reduce<[string, number] | undefined>(
      (first, item) => (first === undefined || item[1] < first[1] ? item : first),
      undefined,
    );
    // A label may come from the world (a mailbox folder's name): no escape sequence reaches the terminal.
    const text = printable(
      progressText({
        done: this.done,
        total: this.total,
        noun: this.options.noun,
        verb: this.options.verb,
        elapsedMs: now - this.began,
        ...(oldest && now - oldest[1] > HELD_AFTER_MS
          ? { held: { label: oldest[0], ms: now - oldest[1] } }
          : {}),
      }),
    );
    // One column short of the terminal's width, however narrow: a longer line would wrap, and the next
    // redraw would clear only its last row, leaving the rest on screen.
    const width = (this.stream.columns || 80) - 1;
    if (width < 2) return;
    cursorTo(this.stream, 0);
    this.stream.write(text.length > width ? `${text.slice(0, width - 1)}…` : text);
    clearLine(this.stream, 1);
  }

  private clear(): void {
    cursorTo(this.stream, 0);
    clearLine(this.stream, 0);
  }
}

export interface ProgressState {
  done: number;
  total: number;
  noun: string;
  verb: string;
  elapsedMs: number;
  held?: { label: string; ms: number };
}

/** "12/35 letters sent · 3.1/s · about 8 s left · waiting for the server: embassy-us, 12 s" */
export function progressText(state: ProgressState): string {
  const nouns = state.total === 1 ? state.noun : `${state.noun}s`;
  const parts = [`${state.done}/${state.total} ${nouns} ${state.verb}`];
  const seconds = state.elapsedMs / 1000;
  if (state.done > 0 && seconds > 0) {
    const rate = state.done / seconds;
    parts.push(`${rate >= 10 ? Math.round(rate) : rate.toFixed(1)}/s`);
    if (state.done < state.total)
      parts.push(`about ${formatSeconds((state.total - state.done) / rate)} left`);
  }
  if (state.held) {
    parts.push(`waiting for the server: ${state.held.label}, ${Math.floor(state.held.ms / 1000)} s`);
  }
  return parts.join(" · ");
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
