// Output held back until it may go out (preview prints or writes nothing before every letter proved valid):
// kept in memory while it is small, then in a temporary file of its own in the campaign's state folder
// (outreach writes nowhere outside the campaign folder), so that the letters are rendered once and a long
// list is never all in memory.
import { closeSync, mkdirSync, openSync, readSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { writeWhole } from "./file-writes.js";

/**
 * What is held in memory before it goes to the file, the first time and each time after: a hundred letters
 * or so. Text held longer than a moment is promoted to the old heap and stays there, as garbage, until a
 * full collection (8 MB held cost 15 MB of peak memory at 10,000 letters, and 1 MB between writes 8 MB).
 */
const IN_MEMORY = 1 << 18;
/** Reads from the file go in pieces of at least this size, not one system call per record. */
const BLOCK = 1 << 20;

/**
 * Records (a batch of text, a file's bytes) added one after the other, and given back, each whole, in the
 * same order. The file is removed from its folder as soon as it is made (on a system that allows it), so
 * nothing is left behind, even by a process that is killed; `close` lets it go.
 *
 * Text stays text until it goes to the file, and the file is written and read through one block that is
 * used again and again: a buffer per piece or per block read would live outside the JavaScript heap, where
 * the collector looks late (printing 10,000 letters left 26 MB of them behind it).
 */
export class Spool {
  private readonly lengths: number[] = [];
  /** How many pieces each record has (while the records are all in memory). */
  private readonly counts: number[] = [];
  private held: (Buffer | string)[] = [];
  private heldBytes = 0;
  private file: { descriptor: number; path?: string; written: number } | undefined;
  private block: Buffer | undefined;
  /** The file could not be made (a read-only campaign folder): everything stays in memory, as it can. */
  private memoryOnly = false;

  /** `folder`: where the file goes, made if need be (the campaign's .outreach/). */
  constructor(private readonly folder: string) {}

  /** Adds one record, made of these pieces. */
  add(pieces: readonly (Buffer | string)[]): void {
    let length = 0;
    for (const piece of pieces) {
      const size = typeof piece === "string" ? Buffer.byteLength(piece) : piece.length;
      this.held.push(piece);
      this.heldBytes += size;
      length += size;
    }
    this.lengths.push(length);
    this.counts.push(pieces.length);
    if (this.heldBytes >= IN_MEMORY && !this.memoryOnly) this.spill();
  }

  /**
   * The records, in the order they were added, each as one buffer. A record read from the file is a view
   * of the spool's block: it holds until the next record is asked for (copy it to keep it longer).
   */
  *records(): Generator<Buffer> {
    if (!this.file) {
      let next = 0;
      for (const count of this.counts) {
        const pieces = this.held.slice(next, next + count);
        next += count;
        const buffers = pieces.map((piece) => (typeof piece === "string" ? Buffer.from(piece) : piece));
        yield buffers.length === 1 ? (buffers[0] as Buffer) : Buffer.concat(buffers);
      }
      return;
    }
    this.spill();
    const { descriptor, written } = this.file;
    let block = this.blockOf(BLOCK);
    let blockStart = 0; // the file offset of block[0]
    let blockEnd = 0; // the file offset just past what block holds
    let position = 0;
    for (const length of this.lengths) {
      if (position + length > blockEnd) {
        // The rest of this record and what follows it, up to a block.
        const size = Math.min(Math.max(length, BLOCK), written - position);
        block = this.blockOf(size);
        readWhole(descriptor, block.subarray(0, size), position);
        blockStart = position;
        blockEnd = position + size;
      }
      yield block.subarray(position - blockStart, position - blockStart + length);
      position += length;
    }
  }

  /** Lets the file go (and removes it, where it could not be removed when made). */
  close(): void {
    this.block = undefined;
    if (!this.file) return;
    closeSync(this.file.descriptor);
    if (this.file.path) unlinkSync(this.file.path);
    this.file = undefined;
  }

  /** The spool's one block, made larger when a record needs more. */
  private blockOf(size: number): Buffer {
    if (!this.block || this.block.length < size) this.block = Buffer.allocUnsafe(Math.max(size, BLOCK));
    return this.block;
  }

  private spill(): void {
    if (!this.file) {
      const path = join(
        this.folder,
        `spool-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
      );
      let descriptor: number;
      try {
        mkdirSync(this.folder, { recursive: true });
        descriptor = openSync(path, "wx+", 0o600);
      } catch {
        // A folder that cannot be written (read-only, not a folder): the records stay in memory.
        this.memoryOnly = true;
        return;
      }
      let removed = false;
      try {
        unlinkSync(path);
        removed = true;
      } catch {
        // Windows keeps the name of an open file: it goes in close.
      }
      this.file = { descriptor, ...(removed ? {} : { path }), written: 0 };
    }
    if (this.heldBytes === 0) return;
    const { descriptor } = this.file;
    const block = this.blockOf(BLOCK);
    let filled = 0;
    const flush = () => {
      writeWhole(descriptor, block.subarray(0, filled));
      filled = 0;
    };
    for (const piece of this.held) {
      const size = typeof piece === "string" ? Buffer.byteLength(piece) : piece.length;
      if (filled + size > block.length) flush();
      if (size > block.length) writeWhole(descriptor, typeof piece === "string" ? Buffer.from(piece) : piece);
      else filled += typeof piece === "string" ? block.write(piece, filled) : piece.copy(block, filled);
    }
    flush();
    this.file.written += this.heldBytes;
    this.held = [];
    this.heldBytes = 0;
  }
}

function readWhole(descriptor: number, buffer: Buffer, position: number): void {
  for (let offset = 0; offset < buffer.length; ) {
    const read = readSync(descriptor, buffer, offset, buffer.length - offset, position + offset);
    if (read <= 0) throw Object.assign(new Error("the spool file ended early"), { code: "EIO" });
    offset += read;
  }
}
