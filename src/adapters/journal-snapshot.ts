// .outreach/cache/journal-state.json: the state derived from the journal, kept so that a command that only
// reports (status, outstanding, export, report, calendar) need not parse and derive a long journal again when
// it has not changed. It is a cache, never the truth: it is used only for the very bytes it was made from
// (their length and a SHA-256 of all of them, which costs a tenth of parsing them), by the very code that
// made it, and only when its own text is whole. When the journal has grown by whole lines since and its first
// bytes are still those, the events appended are applied to it (and it is kept for the longer journal);
// anything else, and the journal is read in full. Writing it never fails a command: a full disk or a
// read-only folder only means the next run reads the journal again.
import { createHash } from "node:crypto";
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import type { DeriveOptions, JournalEvent, JournalState } from "../core/journal.js";
import {
  applyAppended,
  deriveWithSnapshot,
  type JournalSnapshot,
  snapshotFromBytes,
  snapshotPieces,
  stateFromSnapshot,
} from "../core/journal-snapshot.js";
import { readRegularFile } from "./file-system.js";
import { replaceFileWhole } from "./file-writes.js";
import {
  JOURNAL_FILE,
  type JournalContents,
  parseJournal,
  readJournalHashed,
  STATE_FOLDER,
} from "./journal-file.js";

export const SNAPSHOT_FILE = join(STATE_FOLDER, "cache", "journal-state.json");
// Bump when this file's layout changes; a change to the code that derives the state is caught by `code`.
// 3: the body is a line per letter after a line of the rest (snapshotPieces).
const FORMAT = 3;

interface Header {
  format: number;
  /** A hash of the code that derives the state and reads this file: another version's snapshot is not used. */
  code: string;
  /** The journal's length in bytes, and a SHA-256 of all of them. */
  length: number;
  journal: string;
  /** A SHA-256 of the snapshot's own body (the line after this header): a damaged file is not used. */
  body: string;
}

/**
 * The journal's derived state: from the snapshot when it holds this very journal, or this journal's first
 * bytes with whole events after them (those are applied to it); else from the whole journal.
 */
export function trackedJournal(
  root: string,
  options: DeriveOptions = {},
): { state: JournalState; torn?: JournalContents["torn"] } {
  const kept = fromSnapshot(root, options);
  if (kept) return { state: kept };
  const read = readJournalHashed(root);
  const journal = read?.contents;
  const { state, snapshot } = deriveWithSnapshot(journal?.events ?? [], options);
  // A cut-off last line is rebuilt in memory only: the state is not that of the bytes on disk.
  if (read && read.length > 0 && !journal?.torn) saveSnapshot(root, read.length, read.digest, snapshot);
  return { state, ...(journal?.torn ? { torn: journal.torn } : {}) };
}

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("base64url");

let codeHash: string | undefined;
/** The code whose answer the snapshot keeps: the reading, the derivation, the snapshot's form, this file. */
function codeIdentity(): string {
  if (codeHash === undefined) {
    // Run from the sources (tsx) the files are .ts, built they are .js.
    const extension = import.meta.url.endsWith(".ts") ? "ts" : "js";
    const hash = createHash("sha256").update(String(FORMAT));
    for (const file of [
      "../core/journal",
      "../core/intake",
      "../core/journal-snapshot",
      "./journal-snapshot",
      "./journal-file", // which lines count as events
    ]) {
      hash.update(readFileSync(new URL(`${file}.${extension}`, import.meta.url)));
    }
    codeHash = hash.digest("base64url");
  }
  return codeHash;
}

function fromSnapshot(root: string, options: DeriveOptions): JournalState | undefined {
  try {
    const file = readRegularFile(join(root, SNAPSHOT_FILE));
    const split = file.indexOf(0x0a);
    if (split === -1) return undefined;
    const header = JSON.parse(file.toString("utf8", 0, split)) as Header;
    if (header.format !== FORMAT || header.code !== codeIdentity()) return undefined;
    if (header.body !== sha256(file.subarray(split + 1))) return undefined;
    const journal = journalSince(root, header.length, header.journal);
    if (!journal) return undefined;
    const snapshot = snapshotFromBytes(file.subarray(split + 1));
    if (journal.appended.length === 0) return stateFromSnapshot(snapshot, options);
    const events = appendedEvents(journal.appended);
    const carried = events && applyAppended(snapshot, events);
    if (!carried) return undefined;
    saveSnapshot(root, journal.length, journal.digest, carried);
    return stateFromSnapshot(carried, options);
  } catch {
    return undefined; // no snapshot, or one that cannot be read: the journal is read instead
  }
}

/**
 * When the journal's first `length` bytes are those whose SHA-256 is `digest`: the bytes after them, and the
 * whole journal's length and SHA-256. Undefined when they are not, or when those bytes do not end a line.
 */
function journalSince(
  root: string,
  length: number,
  digest: string,
): { appended: Buffer; length: number; digest: string } | undefined {
  const descriptor = openSync(join(root, JOURNAL_FILE), "r");
  try {
    const stat = fstatSync(descriptor);
    if (!stat.isFile() || stat.size < length) return undefined;
    const hash = createHash("sha256");
    const chunk = Buffer.allocUnsafe(1 << 20);
    let position = 0;
    let last = -1;
    while (position < length) {
      const read = readSync(descriptor, chunk, 0, Math.min(chunk.length, length - position), position);
      if (read === 0) return undefined; // cut shorter while it was read
      hash.update(chunk.subarray(0, read));
      position += read;
      last = chunk[read - 1] as number;
    }
    const whole = hash.copy();
    if (hash.digest("base64url") !== digest) return undefined;
    if (stat.size === length) return { appended: Buffer.alloc(0), length, digest };
    if (last !== 0x0a) return undefined;
    const appended = Buffer.allocUnsafe(stat.size - length);
    let filled = 0;
    while (filled < appended.length) {
      const read = readSync(descriptor, appended, filled, appended.length - filled, length + filled);
      if (read === 0) return undefined;
      filled += read;
    }
    return { appended, length: stat.size, digest: whole.update(appended).digest("base64url") };
  } finally {
    closeSync(descriptor);
  }
}

/** The appended lines' events, or undefined when they end in a cut-off line or one is damaged (read whole). */
function appendedEvents(appended: Buffer): JournalEvent[] | undefined {
  try {
    const journal = parseJournal(appended);
    return journal.torn ? undefined : journal.events;
  } catch {
    return undefined; // the whole read names the damaged line by its number in the journal
  }
}

function saveSnapshot(root: string, length: number, digest: string, snapshot: JournalSnapshot): void {
  try {
    // The pieces hashed are the pieces written (a string as UTF-8 both times), never joined into one text.
    const pieces = snapshotPieces(snapshot);
    const hash = createHash("sha256");
    for (const piece of pieces) hash.update(piece);
    const header: Header = {
      format: FORMAT,
      code: codeIdentity(),
      length,
      journal: digest,
      body: hash.digest("base64url"),
    };
    mkdirSync(join(root, STATE_FOLDER, "cache"), { recursive: true, mode: 0o700 });
    replaceFileWhole(join(root, SNAPSHOT_FILE), [`${JSON.stringify(header)}\n`, ...pieces], { mode: 0o600 });
  } catch {
    // Only time is lost: the next run reads the journal in full (replaceFileWhole leaves no half draft).
  }
}
