// A write that must land whole, in a module of its own (node:fs only) for the letter writer's thread.
import { writeSync } from "node:fs";

/** Writes all of `buffer` to the open file, or throws: a short write (a full disk, a signal) is carried on. */
export function writeWhole(descriptor: number, buffer: Buffer): void {
  for (let offset = 0; offset < buffer.length; ) {
    const written = writeSync(descriptor, buffer, offset, buffer.length - offset);
    if (written <= 0) throw Object.assign(new Error("nothing could be written"), { code: "EIO" });
    offset += written;
  }
}
