// The journal on disk: .outreach/journal.jsonl, one JSON event per line, appended and fsynced before the
// command reports anything. A torn last line (a crash mid-write) is set aside; damage elsewhere stops the run.
import { createHash, randomUUID } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  existsSync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  truncateSync,
  writeSync,
} from "node:fs";
import { type FileHandle, open, truncate } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  type AttemptEvent,
  eventProblem,
  JOURNAL_VERSION,
  type JournalEvent,
  recoverTornAttempt,
  serializeEvent,
} from "../core/journal.js";
import { UserError } from "../errors.js";
import {
  describeFileFailure,
  fileError,
  openToAppend,
  openToReadSync,
  readRegularFile,
  ShortWriteError,
} from "./file-system.js";
import { writeWhole as writeWholeSync } from "./file-writes.js";

export const STATE_FOLDER = ".outreach";
export const JOURNAL_FILE = join(STATE_FOLDER, "journal.jsonl");

/** Creates .outreach/ readable by the owner only. */
export function stateFolder(root: string): string {
  const folder = join(root, STATE_FOLDER);
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw fileError(error, STATE_FOLDER, "write", "nothing was done");
  }
  return folder;
}

export interface JournalContents {
  events: JournalEvent[];
  /**
   * The last line was cut off by a crash: its text and line number, and when it holds the start of an
   * attempt, that attempt rebuilt (it is among `events` too, so the letter reads as uncertain).
   */
  torn?: { line: number; text: string; attempt?: AttemptEvent };
  /** The file ends without a newline after a complete event. */
  missingNewline: boolean;
  /** Length in bytes of the part of the file that holds complete lines. */
  goodLength: number;
}

function damaged(line: number, problem: string): UserError {
  return new UserError(`${JOURNAL_FILE} is damaged at line ${line}: ${problem}`, {
    hint: `nothing was done. Look at that line (git can show how it changed: git log -p ${JOURNAL_FILE}); fix or remove it, then run the command again`,
  });
}

/** One complete line: its event, or an error naming the line. `undefined` when it is not JSON at all. */
function parseLine(text: string, lineNumber: number): JournalEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const version = (value as { v?: unknown } | null)?.v;
  if (typeof version === "number" && version > JOURNAL_VERSION) {
    throw new UserError(`${JOURNAL_FILE} line ${lineNumber} was written by a newer version of outreach`, {
      hint: "update outreach (npm install) and run the command again",
    });
  }
  const problem = eventProblem(value);
  if (problem) throw damaged(lineNumber, problem);
  return value as JournalEvent;
}

export function readJournal(root: string): JournalContents {
  const buffer = readJournalBytes(root);
  return buffer ? parseJournal(buffer) : { events: [], missingNewline: false, goodLength: 0 };
}

/** The journal's bytes, or undefined when there is no journal yet. */
export function readJournalBytes(root: string): Buffer | undefined {
  const path = join(root, JOURNAL_FILE);
  try {
    return readRegularFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" && !existsSync(path)) return undefined;
    throw fileError(error, JOURNAL_FILE, "read");
  }
}

/**
 * The journal's lines, one at a time and in order, to events: what parseJournal and readJournalHashed share.
 * A damaged line is an error naming its number; a last line without its newline that is not JSON was cut off.
 */
class JournalLines {
  readonly events: JournalEvent[] = [];
  private lineNumber = 0;

  /** A line that has its newline after it. */
  line(text: string): void {
    this.lineNumber++;
    if (text.trim() === "") return;
    const event = parseLine(text, this.lineNumber);
    if (!event) throw damaged(this.lineNumber, "it is not a journal event");
    this.events.push(event);
  }

  /** The text after the last newline (`goodLength` bytes of complete lines before it), and the file's length. */
  end(text: string, goodLength: number, length: number): JournalContents {
    const { events } = this;
    if (text === "") return { events, missingNewline: false, goodLength: length };
    this.lineNumber++;
    if (text.trim() !== "") {
      const event = parseLine(text, this.lineNumber);
      if (!event) {
        const attempt = recoverTornAttempt(text, events, `${JOURNAL_FILE} (its cut-off last line)`);
        if (attempt) events.push(attempt);
        return {
          events,
          torn: { line: this.lineNumber, text, ...(attempt ? { attempt } : {}) },
          missingNewline: false,
          goodLength,
        };
      }
      events.push(event);
    }
    return { events, missingNewline: true, goodLength: length };
  }
}

/** The events of the journal's bytes; a damaged line (anywhere but a cut-off last one) is an error naming it. */
export function parseJournal(buffer: Buffer): JournalContents {
  const text = buffer.toString("utf8");
  const lines = new JournalLines();
  let start = 0;
  for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n", start)) {
    lines.line(text.slice(start, end));
    start = end + 1;
  }
  // Counted in the file's bytes, not in its text: a byte that is not UTF-8 reads as a 3-byte character.
  return lines.end(text.slice(start), buffer.lastIndexOf(0x0a) + 1, buffer.length);
}

const PIECE = 1 << 20;

/**
 * parseJournal of the whole journal, with its length and a SHA-256 of all its bytes (base64url), read a
 * megabyte at a time: neither the file nor its text is ever held whole (33 MB each at 100,000 events).
 * Undefined when there is no journal yet.
 */
export function readJournalHashed(
  root: string,
): { contents: JournalContents; length: number; digest: string } | undefined {
  const path = join(root, JOURNAL_FILE);
  let descriptor: number;
  try {
    descriptor = openToReadSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" && !existsSync(path)) return undefined;
    throw fileError(error, JOURNAL_FILE, "read");
  }
  try {
    const hash = createHash("sha256");
    const lines = new JournalLines();
    const chunk = Buffer.allocUnsafe(PIECE);
    let carried: Buffer = Buffer.alloc(0);
    let length = 0;
    for (;;) {
      const read = readPiece(descriptor, chunk);
      if (read === 0) break;
      hash.update(chunk.subarray(0, read));
      length += read;
      // A line longer than the piece is carried (copied, as the chunk is reused) until its newline comes.
      const piece =
        carried.length > 0 ? Buffer.concat([carried, chunk.subarray(0, read)]) : chunk.subarray(0, read);
      // Its complete lines decoded at once (a newline byte is never inside a character), then split.
      const last = piece.lastIndexOf(0x0a);
      if (last === -1) {
        carried = Buffer.from(piece);
        continue;
      }
      const text = piece.toString("utf8", 0, last);
      let start = 0;
      for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n", start)) {
        lines.line(text.slice(start, end));
        start = end + 1;
      }
      lines.line(text.slice(start));
      carried = Buffer.from(piece.subarray(last + 1));
    }
    const contents = lines.end(carried.toString("utf8"), length - carried.length, length);
    return { contents, length, digest: hash.digest("base64url") };
  } finally {
    closeSync(descriptor);
  }
}

function readPiece(descriptor: number, chunk: Buffer): number {
  try {
    return readSync(descriptor, chunk, 0, chunk.length, null);
  } catch (error) {
    throw fileError(error, JOURNAL_FILE, "read");
  }
}

/** A sentence for a journal that cannot be changed, and what it means for the letters. */
function cannotWrite(error: unknown, consequence: string, root?: string): UserError {
  const where = root ? ` (${join(root, STATE_FOLDER)})` : "";
  const { cause, advice } = describeFileFailure(error, "write");
  return new UserError(`cannot write to the journal ${JOURNAL_FILE}: ${cause}`, {
    hint: `${consequence}. ${capitalise(advice)}${where}, then run the command again: what the journal already holds is never sent twice`,
  });
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Before appending: sets a torn last line aside in .outreach/ (reported to the user) and cuts it off, so
 * new events start on a line of their own. A torn attempt is put back as a complete attempt without outcome
 * (uncertain), in one step: the journal is rewritten beside itself and renamed into place. Returns the path
 * where the torn text was kept.
 */
export async function repairJournal(root: string, contents: JournalContents): Promise<string | undefined> {
  const path = join(root, JOURNAL_FILE);
  try {
    if (contents.torn) {
      const kept = join(STATE_FOLDER, `journal.torn-${new Date().toISOString().replace(/[:.]/g, "-")}.txt`);
      writeDurably(join(root, kept), `${contents.torn.text}\n`);
      if (contents.torn.attempt) {
        contents.torn.attempt.torn = kept;
        replaceTail(path, contents.goodLength, `${serializeEvent(contents.torn.attempt)}\n`);
      } else {
        await truncate(path, contents.goodLength);
      }
      return kept;
    }
    if (contents.missingNewline) {
      const handle = await open(path, "a");
      try {
        await writeWhole(handle, Buffer.from("\n"));
        await handle.datasync();
      } finally {
        await handle.close();
      }
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw cannotWrite(
      error,
      "Its cut-off last line could not be set aside, so nothing was sent and the journal is as it was",
      root,
    );
  }
  return undefined;
}

function writeDurably(path: string, text: string): void {
  const descriptor = openSync(path, "w", 0o600);
  try {
    writeWholeSync(descriptor, Buffer.from(text));
    fdatasyncSync(descriptor);
  } catch (error) {
    rmSync(path, { force: true }); // half a copy would only mislead
    throw error;
  } finally {
    closeSync(descriptor);
  }
}

/** The journal's first `keep` bytes followed by `tail`, replacing the file in one rename. */
function replaceTail(path: string, keep: number, tail: string): void {
  const draft = `${path}.repair-${process.pid}`;
  try {
    copyFileSync(path, draft);
    truncateSync(draft, keep);
    const descriptor = openSync(draft, "a");
    try {
      writeWholeSync(descriptor, Buffer.from(tail));
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
    renameSync(draft, path);
    syncFolder(dirname(path));
  } catch (error) {
    rmSync(draft, { force: true });
    throw error;
  }
}

/** Makes the names in a folder durable (a created or renamed file), not only their contents. */
export function syncFolder(folder: string): void {
  const directory = openSync(folder, "r");
  try {
    fsyncSync(directory);
  } finally {
    closeSync(directory);
  }
}

/** Writes all of `data` at the end of the file, or throws: a short write is never taken for a whole one. */
async function writeWhole(handle: FileHandle, data: Buffer): Promise<number> {
  let written = 0;
  while (written < data.length) {
    const { bytesWritten } = await handle.write(data, written, data.length - written, null);
    if (bytesWritten <= 0) throw new ShortWriteError(written, data.length);
    written += bytesWritten;
  }
  return written;
}

/**
 * Writes all of `data` at the end of the file (it is opened to append), counting in `progress` what reached
 * it, or throws: a short write is never taken for a whole one.
 */
function writeAtEnd(descriptor: number, data: Buffer, progress: { written: number }): void {
  while (progress.written < data.length) {
    const written = writeSync(descriptor, data, progress.written, data.length - progress.written);
    if (written <= 0) throw new ShortWriteError(progress.written, data.length);
    progress.written += written;
  }
}

/** True when the journal does not end with a complete line (a crash cut it off), so it needs repairJournal. */
export function journalNeedsRepair(root: string): boolean {
  const path = join(root, JOURNAL_FILE);
  let descriptor: number;
  try {
    descriptor = openToReadSync(path);
  } catch {
    return false;
  }
  try {
    const size = fstatSync(descriptor).size;
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    readSync(descriptor, last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    closeSync(descriptor);
  }
}

export function newEventId(): string {
  return randomUUID();
}

type Pending = { line: string; resolve: () => void; reject: (error: Error) => void };

/**
 * Appends events durably. Appends that arrive while a write is in progress are written and synced together
 * (group commit), so concurrent sends share one fsync; each promise resolves only once its event is on disk:
 * every byte written (a short write is an error, not a success), then fdatasync. After a failure nothing more
 * is written, and the lines of the failed batch are cut off again when no one else wrote after them.
 *
 * A batch costs one trip to the thread pool, the sync: its bytes (a few hundred) go to the file with one
 * write on this thread, which a page cache takes in microseconds, instead of a stat, a write and a sync each
 * waiting for a thread.
 */
export class JournalWriter {
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private failure: Error | undefined;

  private constructor(
    private readonly handle: FileHandle,
    private readonly durable: boolean,
    private readonly root: string,
  ) {}

  static async open(root: string, options: { durable?: boolean } = {}): Promise<JournalWriter> {
    const path = join(root, JOURNAL_FILE);
    let handle: FileHandle;
    try {
      const folder = stateFolder(root);
      const created = !existsSync(path);
      handle = await openToAppend(path, 0o600, { readBack: true });
      // Make the new file's name durable too, not only its contents.
      if (created) syncFolder(folder);
      return new JournalWriter(handle, options.durable ?? true, root);
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw fileError(error, JOURNAL_FILE, "write", "nothing was sent");
    }
  }

  append(event: JournalEvent): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ line: `${serializeEvent(event)}\n`, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  /** Appends several events in one write and one sync; resolves once all of them are on disk. */
  appendAll(events: readonly JournalEvent[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (events.length === 0) return Promise.resolve();
    const written = events.map(
      (event) =>
        new Promise<void>((resolve, reject) => {
          this.queue.push({ line: `${serializeEvent(event)}\n`, resolve, reject });
        }),
    );
    this.flushing ??= this.flush();
    return Promise.all(written).then(() => {});
  }

  /** Why the journal stopped taking events, if it did. */
  get failed(): Error | undefined {
    return this.failure;
  }

  private async flush(): Promise<void> {
    // Appends made in the same turn of the event loop join the first batch.
    await Promise.resolve();
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      let lines = "";
      for (const pending of batch) lines += pending.line;
      const data = Buffer.from(lines);
      const progress = { written: 0 };
      try {
        if (this.failure) throw this.failure;
        writeAtEnd(this.handle.fd, data, progress);
        if (this.durable) await this.handle.datasync();
        for (const pending of batch) pending.resolve();
      } catch (error) {
        if (!this.failure) {
          this.cutOff(progress.written, data);
          this.failure =
            error instanceof UserError
              ? error
              : cannotWrite(error, "Nothing more was handed over after this", this.root);
        }
        for (const pending of batch) pending.reject(this.failure);
      }
    }
    this.flushing = undefined;
  }

  /**
   * A batch that did not reach the disk whole was never acted on: its letters were not handed over. Cut its
   * `written` bytes off again so the journal ends where it truly stands, but only when the file ends with
   * exactly them (no other process appended after them); otherwise what is left is a torn line, which the
   * next run reads as "maybe sent".
   */
  private cutOff(written: number, data: Buffer): void {
    if (written === 0) return;
    try {
      const descriptor = this.handle.fd;
      const size = fstatSync(descriptor).size;
      if (size < written) return;
      const found = Buffer.alloc(written);
      readSync(descriptor, found, 0, written, size - written);
      if (!found.equals(data.subarray(0, written))) return;
      ftruncateSync(descriptor, size - written);
      fdatasyncSync(descriptor);
    } catch {}
  }

  async close(): Promise<void> {
    await this.flushing;
    await this.handle.close();
  }
}
