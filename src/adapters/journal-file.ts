// The journal on disk: .outreach/journal.jsonl, one JSON event per line, appended and fsynced before the
// command reports anything. A torn last line (a crash mid-write) is set aside; damage elsewhere stops the run.
import { randomUUID } from "node:crypto";
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  writeFileSync,
} from "node:fs";
import { type FileHandle, open, truncate } from "node:fs/promises";
import { join } from "node:path";
import { EVENT_TYPES, JOURNAL_VERSION, type JournalEvent } from "../core/journal.js";
import { UserError } from "../errors.js";
import { fileError, openToAppend, openToReadSync, readRegularFile } from "./file-system.js";

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
  /** The last line was cut off by a crash: its text and line number. */
  torn?: { line: number; text: string };
  /** The file ends without a newline after a complete event. */
  missingNewline: boolean;
  /** Length in bytes of the part of the file that holds complete lines. */
  goodLength: number;
}

function parseEvent(text: string): JournalEvent | undefined {
  try {
    const event = JSON.parse(text) as Partial<JournalEvent>;
    if (
      typeof event !== "object" ||
      event === null ||
      typeof event.v !== "number" ||
      typeof event.id !== "string" ||
      typeof event.at !== "string" ||
      !EVENT_TYPES.includes(event.type as JournalEvent["type"])
    ) {
      return undefined;
    }
    return event as JournalEvent;
  } catch {
    return undefined;
  }
}

export function readJournal(root: string): JournalContents {
  const path = join(root, JOURNAL_FILE);
  let buffer: Buffer;
  try {
    buffer = readRegularFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" && !existsSync(path))
      return { events: [], missingNewline: false, goodLength: 0 };
    throw fileError(error, JOURNAL_FILE, "read");
  }
  const text = buffer.toString("utf8");
  const events: JournalEvent[] = [];
  let start = 0;
  let lineNumber = 0;
  while (start < text.length) {
    const end = text.indexOf("\n", start);
    const line = end === -1 ? text.slice(start) : text.slice(start, end);
    lineNumber++;
    const isLast = end === -1 || end === text.length - 1;
    if (line.trim() !== "") {
      const event = parseEvent(line);
      if (!event) {
        if (end === -1) {
          return {
            events,
            torn: { line: lineNumber, text: line },
            missingNewline: false,
            goodLength: Buffer.byteLength(text.slice(0, start)),
          };
        }
        throw new UserError(`${JOURNAL_FILE} is damaged at line ${lineNumber}: it is not a journal event`, {
          hint: `nothing was done. Look at that line (git can show how it changed: git log -p ${JOURNAL_FILE}); fix or remove it, then run the command again`,
        });
      }
      if (event.v > JOURNAL_VERSION) {
        throw new UserError(`${JOURNAL_FILE} line ${lineNumber} was written by a newer version of outreach`, {
          hint: "update outreach (npm install) and run the command again",
        });
      }
      events.push(event);
    }
    if (end === -1) {
      return { events, missingNewline: true, goodLength: buffer.length };
    }
    start = end + 1;
    if (isLast) break;
  }
  return { events, missingNewline: false, goodLength: buffer.length };
}

/**
 * Before appending: sets a torn last line aside in .outreach/ (reported to the user) and cuts it off, so
 * new events start on a line of their own. Returns the path where the torn text was kept.
 */
export async function repairJournal(root: string, contents: JournalContents): Promise<string | undefined> {
  const path = join(root, JOURNAL_FILE);
  if (contents.torn) {
    const kept = join(STATE_FOLDER, `journal.torn-${new Date().toISOString().replace(/[:.]/g, "-")}.txt`);
    writeFileSync(join(root, kept), `${contents.torn.text}\n`, { mode: 0o600 });
    await truncate(path, contents.goodLength);
    return kept;
  }
  if (contents.missingNewline) {
    const handle = await open(path, "a");
    await handle.write("\n");
    await handle.datasync();
    await handle.close();
  }
  return undefined;
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
 * (group commit), so concurrent sends share one fsync; each promise resolves only once its event is on disk.
 */
export class JournalWriter {
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private failure: Error | undefined;

  private constructor(
    private readonly handle: FileHandle,
    private readonly durable: boolean,
  ) {}

  static async open(root: string, options: { durable?: boolean } = {}): Promise<JournalWriter> {
    const folder = stateFolder(root);
    const path = join(root, JOURNAL_FILE);
    const created = !existsSync(path);
    let handle: FileHandle;
    try {
      handle = await openToAppend(path);
    } catch (error) {
      throw fileError(error, JOURNAL_FILE, "write", "nothing was sent");
    }
    if (created) {
      // Make the new file's name durable too, not only its contents.
      const directory = openSync(folder, "r");
      try {
        fsyncSync(directory);
      } finally {
        closeSync(directory);
      }
    }
    return new JournalWriter(handle, options.durable ?? true);
  }

  append(event: JournalEvent): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ line: `${JSON.stringify(event)}\n`, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        if (this.failure) throw this.failure;
        await this.handle.write(batch.map((pending) => pending.line).join(""));
        if (this.durable) await this.handle.datasync();
        for (const pending of batch) pending.resolve();
      } catch (error) {
        this.failure ??= new UserError(
          `cannot write to the journal ${JOURNAL_FILE}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        );
        for (const pending of batch) pending.reject(this.failure);
      }
    }
    this.flushing = undefined;
  }

  async close(): Promise<void> {
    await this.flushing;
    await this.handle.close();
  }
}
