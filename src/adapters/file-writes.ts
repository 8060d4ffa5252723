// Writes that must land whole: a short write (a full disk, a signal) is carried on, never taken for done;
// and files that appear whole or not at all (written aside, made durable, then renamed into place).

import { createHash } from "node:crypto";
import {
  closeSync,
  constants,
  copyFileSync,
  fsyncSync,
  linkSync,
  openSync,
  renameSync,
  rmSync,
} from "node:fs";
import { basename, dirname, join, relative, sep } from "node:path";
import { refuseToReplace } from "./file-system.js";
import { type ProcessIdentity, thisProcess } from "./process-identity.js";
import { writeWhole } from "./write-whole.js";

export { writeWhole };

/**
 * Where a file is written before it is renamed into place (tmp), an old one is kept until the new one is
 * (old), and what a batch of renames is about to do (batch): beside it, hidden, named for the process.
 */
export function asidePath(path: string, kind: "tmp" | "old" | "batch" = "tmp", pid = process.pid): string {
  return join(dirname(path), `.${basename(path)}.${pid}.${kind}`);
}

/** The name of something asidePath made: the file it is for, the process and the kind; undefined for any other. */
export function asideName(
  name: string,
): { file: string; pid: number; kind: "tmp" | "old" | "batch" } | undefined {
  const match = /^\.(.+)\.(\d+)\.(tmp|old|batch)$/.exec(name);
  if (!match) return undefined;
  return { file: match[1] as string, pid: Number(match[2]), kind: match[3] as "tmp" | "old" | "batch" };
}

/** One file of a batch as its record names it: relative to the record's folder, with its new text's hash. */
export interface BatchEntry {
  path: string;
  replaces: boolean;
  sha256: string;
}

/** A batch's record: the process that writes it, and each of its files. */
export interface BatchRecord {
  process?: ProcessIdentity;
  files: BatchEntry[];
}

/** Pieces shorter than this are gathered in `staged` and written together. */
const STAGED_BYTES = 64 * 1024;
// One for every file, taken while a file is written: a piece made by a generator that itself writes a file
// (a writeAside inside another) gets a buffer of its own.
let spare: Buffer | undefined = Buffer.allocUnsafeSlow(STAGED_BYTES);

/**
 * Writes the pieces to a new file at `aside` (never an existing one), flushed to disk when `durable`. They
 * are taken one at a time (a generator may make each as it is asked for), and short ones are gathered into
 * one write: neither all the text nor a buffer a piece is ever held.
 */
function writeAside(aside: string, pieces: Iterable<Buffer | string>, mode: number, durable: boolean): void {
  const descriptor = openSync(aside, "wx", mode);
  const staged = spare ?? Buffer.allocUnsafeSlow(STAGED_BYTES);
  spare = undefined;
  try {
    let used = 0;
    for (const piece of pieces) {
      const length = typeof piece === "string" ? Buffer.byteLength(piece) : piece.length;
      if (used > 0 && used + length > STAGED_BYTES) {
        writeWhole(descriptor, staged.subarray(0, used));
        used = 0;
      }
      if (length > STAGED_BYTES) {
        writeWhole(descriptor, typeof piece === "string" ? Buffer.from(piece) : piece);
      } else {
        used += typeof piece === "string" ? staged.write(piece, used) : piece.copy(staged, used);
      }
    }
    if (used > 0) writeWhole(descriptor, staged.subarray(0, used));
    if (durable) fsyncSync(descriptor);
  } finally {
    spare = staged;
    closeSync(descriptor);
  }
}

/**
 * Puts one file in place whole: the pieces are written beside it and renamed over (or into) its place, so a
 * reader never opens half a file, and a failure (a full disk, a refused permission) leaves the file as it
 * was, with nothing left beside it; the error is thrown for the caller to name the file. `durable` flushes
 * the file to disk before the rename and its folder after it, so once this returns the file survives a power
 * cut under its name (a journal may then record it as written). Like openToCreateSync, refuses a link, a folder, a FIFO, a socket or a
 * device in the file's place, before anything is written.
 */
export function replaceFileWhole(
  path: string,
  pieces: Iterable<Buffer | string>,
  options: { mode?: number; durable?: boolean } = {},
): void {
  refuseToReplace(path);
  const aside = asidePath(path);
  try {
    rmSync(aside, { force: true }); // left by an earlier process that had this one's number
    writeAside(aside, pieces, options.mode ?? 0o666, options.durable ?? false);
    renameSync(aside, path);
    if (options.durable) syncFolders([dirname(path)]);
  } catch (error) {
    rmSync(aside, { force: true });
    // Named by the file it was for, not by the name it had aside (nor by nothing: a short write has no path).
    if (error instanceof Error) Object.assign(error, { path });
    throw error;
  }
}

/**
 * Puts each file in place whole, all or none: every text is first written beside its file and flushed to
 * disk; only when all are written are they renamed over (or into) their places, each file that is replaced
 * kept aside (a hard link, or a copy) until every rename is done. A failure while writing leaves every file
 * as it was; a failure while renaming puts back the files already renamed (the new ones removed, the
 * replaced ones restored). What was written aside is removed; the error is thrown for the caller to name
 * the file, with `path` the file it was for. Before the first rename, a record of the batch (beside the first
 * file, `.NAME.PID.batch`) is made durable, so that a process killed midway can be undone by the next one
 * (see interrupted-writes.ts); it is removed once every file is in place.
 * Like openToCreateSync, refuses (before anything is written) a link, a folder, a FIFO, a socket or a device
 * in any file's place: renaming over a link would replace it, not write where it leads.
 */
export function replaceFilesWhole(files: readonly { path: string; text: string }[]): void {
  if (files.length === 0) return;
  for (const { path } of files) refuseToReplace(path);
  const aside = files.map(({ path }) => asidePath(path));
  const record = asidePath((files[0] as { path: string }).path, "batch");
  const kept: (string | undefined)[] = [];
  let at = 0;
  let renamed = 0;
  try {
    for (; at < files.length; at++)
      writeAside(aside[at] as string, [(files[at] as { text: string }).text], 0o666, true);
    for (at = 0; at < files.length; at++) kept.push(keepOld((files[at] as { path: string }).path));
    at = 0;
    writeBatchRecord(record, files, kept);
    for (at = 0; at < files.length; at++, renamed++) {
      if (at > 0) pauseForTests();
      renameSync(aside[at] as string, (files[at] as { path: string }).path);
    }
  } catch (error) {
    // Renamed already: files[0 … renamed-1] (every old file was kept by then).
    for (let index = 0; index < renamed; index++)
      putBack((files[index] as { path: string }).path, kept[index]);
    for (const path of [...aside, ...kept, record]) if (path) rmSync(path, { force: true });
    // Named by the file it was for, not by the name it had aside (nor by nothing: a short write has no path).
    if (error instanceof Error) Object.assign(error, { path: files[at]?.path });
    throw error;
  }
  // Every file is in place: the batch is done once its record is gone (the old files are then only left over).
  rmSync(record, { force: true });
  for (const path of kept) if (path) rmSync(path, { force: true });
  syncFolders(files.map(({ path }) => dirname(path)));
}

/** What the renames are about to do, on disk (with every text aside) before the first of them. */
function writeBatchRecord(
  record: string,
  files: readonly { path: string; text: string }[],
  kept: readonly (string | undefined)[],
): void {
  const entries: BatchEntry[] = files.map(({ path, text }, index) => ({
    path: relative(dirname(record), path).split(sep).join("/"),
    replaces: kept[index] !== undefined,
    sha256: createHash("sha256").update(text).digest("hex"),
  }));
  // The process, by more than its pid: a later process given the same number is not taken for it.
  const batch: BatchRecord = { process: thisProcess(), files: entries };
  writeAside(record, [`${JSON.stringify(batch)}\n`], 0o666, true);
  syncFolders([...files.map(({ path }) => dirname(path)), dirname(record)]);
}

/**
 * OUTREACH_TEST_PAUSE_RENAMES=MS waits that long between two renames of a batch, so that a test can kill
 * the process midway (a rename takes microseconds); nothing else reads it.
 */
function pauseForTests(): void {
  const pause = Number(process.env.OUTREACH_TEST_PAUSE_RENAMES);
  if (pause > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause);
}

/** The file now at `path`, kept under another name until the new one is in place; none when there is none. */
function keepOld(path: string): string | undefined {
  const old = asidePath(path, "old");
  try {
    linkSync(path, old);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "EEXIST") throw error;
    // A file system without hard links: a copy does.
    copyFileSync(path, old, constants.COPYFILE_EXCL);
  }
  return old;
}

/** Undoes one rename: the old file back in its place, or the new one removed where there was none. */
function putBack(path: string, old: string | undefined): void {
  try {
    if (old) renameSync(old, path);
    else rmSync(path, { force: true });
  } catch {
    // Nothing more can be done here; the caller names the failure that started it.
  }
}

function syncFolders(folders: readonly string[]): void {
  for (const folder of new Set(folders)) {
    try {
      const descriptor = openSync(folder, "r");
      try {
        fsyncSync(descriptor);
      } finally {
        closeSync(descriptor);
      }
    } catch {
      // Some file systems cannot flush a folder; the files themselves are on disk.
    }
  }
}
