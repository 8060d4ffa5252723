// Writes that must land whole: a short write (a full disk, a signal) is carried on, never taken for done.
import { closeSync, openSync, writeSync } from "node:fs";

/** Writes all of `buffer` to the open file, or throws. */
export function writeWhole(descriptor: number, buffer: Buffer): void {
  for (let offset = 0; offset < buffer.length; ) {
    const written = writeSync(descriptor, buffer, offset, buffer.length - offset);
    if (written <= 0) throw Object.assign(new Error("nothing could be written"), { code: "EIO" });
    offset += written;
  }
}

/** Creates (or replaces) the file with these pieces, one after the other, without joining them in memory. */
export function writePieces(path: string, pieces: readonly Buffer[]): void {
  const descriptor = openSync(path, "w", 0o666);
  try {
    for (const piece of pieces) writeWhole(descriptor, piece);
  } finally {
    closeSync(descriptor);
  }
}
