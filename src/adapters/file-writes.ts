// Writes that must land whole: a short write (a full disk, a signal) is carried on, never taken for done;
// and files that appear whole or not at all (written aside, made durable, then renamed into place).
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { openToCreateSync } from "./file-system.js";

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

/**
 * Puts each file in place whole: every text is first written beside its file and flushed to disk; only when
 * all are written are they renamed over (or into) their places. A failure while writing leaves every file
 * as it was and removes what was written aside; the error is thrown for the caller to name the file.
 */
export function replaceFilesWhole(files: readonly { path: string; text: string }[]): void {
  const aside = files.map(({ path }) =>
    join(dirname(path), `.${path.split(/[\\/]/).at(-1)}.${process.pid}.tmp`),
  );
  let writing = 0;
  try {
    files.forEach(({ text }, index) => {
      writing = index;
      const descriptor = openSync(aside[index] as string, "wx", 0o666);
      try {
        writeWhole(descriptor, Buffer.from(text));
        fsyncSync(descriptor);
      } finally {
        closeSync(descriptor);
      }
    });
  } catch (error) {
    for (const path of aside) rmSync(path, { force: true });
    // Named by the file it was for, not by the name it had aside.
    if (error instanceof Error && "path" in error) Object.assign(error, { path: files[writing]?.path });
    throw error;
  }
  files.forEach(({ path }, index) => {
    renameSync(aside[index] as string, path);
  });
  for (const folder of new Set(files.map(({ path }) => dirname(path)))) {
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
