// Output held back until it may go out (preview prints or writes nothing before every letter proved valid):
// kept in memory while it is small, then in a temporary file of its own, so that the letters are rendered
// once and a long list is never all in memory.
import { closeSync, openSync, readSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeWhole } from "./file-writes.js";

/** What is kept in memory before the spool moves to a file. */
const IN_MEMORY = 8 << 20;
/** Writes to and reads from the file go in pieces of this size, not one system call per record. */
const BLOCK = 1 << 20;

/**
 * Records (a batch of text, a file's bytes) added one after the other, and given back, each whole, in the
 * same order. The file is removed from its folder as soon as it is made (on a system that allows it), so
 * nothing is left behind, even by a process that is killed; `close` lets it go.
 */
export class Spool {
  private readonly lengths: number[] = [];
  private held: Buffer[] = [];
  private heldBytes = 0;
  private file: { descriptor: number; path?: string; written: number } | undefined;

  constructor(private readonly folder: string = tmpdir()) {}

  /** Adds one record, made of these pieces. */
  add(pieces: readonly (Buffer | string)[]): void {
    let length = 0;
    for (const piece of pieces) {
      const buffer = typeof piece === "string" ? Buffer.from(piece) : piece;
      this.held.push(buffer);
      this.heldBytes += buffer.length;
      length += buffer.length;
    }
    this.lengths.push(length);
    if (this.heldBytes >= (this.file ? BLOCK : IN_MEMORY)) this.spill();
  }

  /** The records, in the order they were added, each as one buffer. */
  *records(): Generator<Buffer> {
    if (!this.file) {
      const all = Buffer.concat(this.held, this.heldBytes);
      let start = 0;
      for (const length of this.lengths) {
        yield all.subarray(start, start + length);
        start += length;
      }
      return;
    }
    this.spill();
    const { descriptor, written } = this.file;
    let block = Buffer.alloc(0);
    let blockStart = 0; // the file offset of block[0]
    let position = 0;
    for (const length of this.lengths) {
      if (position + length > blockStart + block.length) {
        // The rest of this record and what follows it, up to a block.
        const size = Math.min(Math.max(length, BLOCK), written - position);
        block = Buffer.allocUnsafe(size);
        readWhole(descriptor, block, position);
        blockStart = position;
      }
      yield block.subarray(position - blockStart, position - blockStart + length);
      position += length;
    }
  }

  /** Lets the file go (and removes it, where it could not be removed when made). */
  close(): void {
    if (!this.file) return;
    closeSync(this.file.descriptor);
    if (this.file.path) unlinkSync(this.file.path);
    this.file = undefined;
  }

  private spill(): void {
    if (!this.file) {
      const path = join(
        this.folder,
        `outreach-spool-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
      );
      const descriptor = openSync(path, "wx+", 0o600);
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
    writeWhole(this.file.descriptor, Buffer.concat(this.held, this.heldBytes));
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
