// .outreach/cache/journal-state.json: the state derived from the journal, kept so that a command that only
// reports (status, outstanding, export, report, calendar) need not parse and derive a long journal again when
// it has not changed. It is a cache, never the truth: it is used only for the very bytes it was made from
// (their length and a SHA-256 of all of them, which costs a tenth of parsing them), by the very code that
// made it, and only when its own text is whole; anything else, and the journal is read in full. Writing it
// never fails a command: a full disk or a read-only folder only means the next run reads the journal again.
import { createHash } from "node:crypto";
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import { type DeriveOptions, deriveState, type JournalState } from "../core/journal.js";
import { type JournalSnapshot, snapshotOf, stateFromSnapshot } from "../core/journal-snapshot.js";
import { readRegularFile } from "./file-system.js";
import { replaceFileWhole } from "./file-writes.js";
import {
  JOURNAL_FILE,
  type JournalContents,
  parseJournal,
  readJournalBytes,
  STATE_FOLDER,
} from "./journal-file.js";

export const SNAPSHOT_FILE = join(STATE_FOLDER, "cache", "journal-state.json");
// Bump when this file's layout changes; a change to the code that derives the state is caught by `code`.
const FORMAT = 1;

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

/** The journal's derived state, from the snapshot when it holds this very journal, else from the journal. */
export function trackedJournal(
  root: string,
  options: DeriveOptions = {},
): { state: JournalState; torn?: JournalContents["torn"] } {
  const kept = fromSnapshot(root, options);
  if (kept) return { state: kept };
  const bytes = readJournalBytes(root);
  const journal = parseJournal(bytes ?? Buffer.alloc(0));
  const plain = deriveState(journal.events);
  // A cut-off last line is rebuilt in memory only: the state is not that of the bytes on disk.
  if (bytes && bytes.length > 0 && !journal.torn)
    saveSnapshot(root, bytes, snapshotOf(journal.events, plain));
  const state = options.running === undefined ? plain : deriveState(journal.events, options);
  return { state, ...(journal.torn ? { torn: journal.torn } : {}) };
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
    const text = readRegularFile(join(root, SNAPSHOT_FILE)).toString("utf8");
    const split = text.indexOf("\n");
    const header = JSON.parse(text.slice(0, split)) as Header;
    const body = text.slice(split + 1);
    if (split === -1 || header.format !== FORMAT || header.code !== codeIdentity()) return undefined;
    if (header.body !== sha256(body) || !journalIs(root, header.length, header.journal)) return undefined;
    return stateFromSnapshot(JSON.parse(body) as JournalSnapshot, options);
  } catch {
    return undefined; // no snapshot, or one that cannot be read: the journal is read instead
  }
}

/** Whether the journal is, byte for byte, `length` bytes whose SHA-256 is `digest`. */
function journalIs(root: string, length: number, digest: string): boolean {
  const descriptor = openSync(join(root, JOURNAL_FILE), "r");
  try {
    if (!fstatSync(descriptor).isFile() || fstatSync(descriptor).size !== length) return false;
    const hash = createHash("sha256");
    const chunk = Buffer.allocUnsafe(1 << 20);
    let position = 0;
    while (position < length) {
      const read = readSync(descriptor, chunk, 0, Math.min(chunk.length, length - position), position);
      if (read === 0) return false; // cut shorter while it was read
      hash.update(chunk.subarray(0, read));
      position += read;
    }
    return hash.digest("base64url") === digest;
  } finally {
    closeSync(descriptor);
  }
}

function saveSnapshot(root: string, journal: Buffer, snapshot: JournalSnapshot): void {
  try {
    const body = JSON.stringify(snapshot);
    const header: Header = {
      format: FORMAT,
      code: codeIdentity(),
      length: journal.length,
      journal: sha256(journal),
      body: sha256(body),
    };
    mkdirSync(join(root, STATE_FOLDER, "cache"), { recursive: true, mode: 0o700 });
    replaceFileWhole(join(root, SNAPSHOT_FILE), [`${JSON.stringify(header)}\n`, body], { mode: 0o600 });
  } catch {
    // Only time is lost: the next run reads the journal in full (replaceFileWhole leaves no half draft).
  }
}
