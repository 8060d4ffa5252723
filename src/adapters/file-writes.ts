// Writes that must land whole: a short write (a full disk, a signal) is carried on, never taken for done;
// and files that appear whole or not at all (written aside, made durable, then renamed into place).
import {
  closeSync,
  constants,
  copyFileSync,
  fsyncSync,
  linkSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { openToCreateSync, refuseToReplace } from "./file-system.js";

/** Writes all of `buffer` to the open file, or throws. */
export function writeWhole(descriptor: number, buffer: Buffer): void {
  for (let offset = 0; offset < buffer.length; ) {
    const written = writeSync(descriptor, buffer, offset, buffer.length - offset);
    if (written <= 0) throw Object.assign(new Error("nothing could be written"), { code: "EIO" });
    offset += written;
  }
}

/**
 * Creates (or replaces) the file with these pieces, one after the other, without joining them in memory.
 * Never writes through a link, and never waits on a FIFO, in the file's place (see openToCreateSync).
 */
export function writePieces(path: string, pieces: readonly (Buffer | string)[]): void {
  const descriptor = openToCreateSync(path);
  try {
    for (const piece of pieces)
      writeWhole(descriptor, typeof piece === "string" ? Buffer.from(piece) : piece);
  } finally {
    closeSync(descriptor);
  }
}

/** Where a file is written before it is renamed into place: beside it, hidden, named for this process. */
function asidePath(path: string, kind = "tmp"): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${kind}`);
}

/** Writes the pieces to a new file at `aside` (never an existing one), flushed to disk when `durable`. */
function writeAside(
  aside: string,
  pieces: readonly (Buffer | string)[],
  mode: number,
  durable: boolean,
): void {
  const descriptor = openSync(aside, "wx", mode);
  try {
    for (const piece of pieces)
      writeWhole(descriptor, typeof piece === "string" ? Buffer.from(piece) : piece);
    if (durable) fsyncSync(descriptor);
  } finally {
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
  pieces: readonly (Buffer | string)[],
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
 * the file, with `path` the file it was for.
 * Like openToCreateSync, refuses (before anything is written) a link, a folder, a FIFO, a socket or a device
 * in any file's place: renaming over a link would replace it, not write where it leads.
 */
export function replaceFilesWhole(files: readonly { path: string; text: string }[]): void {
  for (const { path } of files) refuseToReplace(path);
  const aside = files.map(({ path }) => asidePath(path));
  const kept: (string | undefined)[] = [];
  let at = 0;
  try {
    for (; at < files.length; at++)
      writeAside(aside[at] as string, [(files[at] as { text: string }).text], 0o666, true);
    for (at = 0; at < files.length; at++) kept.push(keepOld((files[at] as { path: string }).path));
    for (at = 0; at < files.length; at++)
      renameSync(aside[at] as string, (files[at] as { path: string }).path);
  } catch (error) {
    // Renamed already: files[0 … at-1] when the renames had begun (every old file was kept by then).
    const renamed = kept.length === files.length ? at : 0;
    for (let index = 0; index < renamed; index++)
      putBack((files[index] as { path: string }).path, kept[index]);
    for (const path of [...aside, ...kept]) if (path) rmSync(path, { force: true });
    // Named by the file it was for, not by the name it had aside (nor by nothing: a short write has no path).
    if (error instanceof Error) Object.assign(error, { path: files[at]?.path });
    throw error;
  }
  for (const path of kept) if (path) rmSync(path, { force: true });
  syncFolders(files.map(({ path }) => dirname(path)));
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
