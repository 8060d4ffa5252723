// Output held back until it may go out (preview prints or writes nothing before every letter proved valid):
// kept in memory while it is small, then in a temporary file of its own in the campaign's state folder
// (outreach writes nowhere outside the campaign folder), so that the letters are rendered once and a long
// list is never all in memory.
import { closeSync, mkdirSync, openSync, readSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { writeWhole } from "./file-writes.js";

/**
 * The block text is encoded into as it is added: what is held in memory before it goes to the file, the
 * first time and each time after (a hundred letters or so).
 */
const IN_MEMORY = 1 << 18;
/**
 * Reads from the file go in pieces of at least this size, not one system call per record: the size of the
 * block already there, which is read into, not a larger one made (a megabyte more at the peak of preview).
 */
const BLOCK = IN_MEMORY;
/** The most bytes UTF-8 takes for one UTF-16 code unit (a lone surrogate is written as U+FFFD). */
const MOST_BYTES_PER_UNIT = 3;

/**
 * Records (a batch of text, a file's bytes) added one after the other, and given back, each whole, in the
 * same order. The file is removed from its folder as soon as it is made (on a system that allows it), so
 * nothing is left behind, even by a process that is killed; `close` lets it go.
 *
 * Text is encoded as it is added, into one block that is used again and again, and the block goes to the
 * file each time it is full: no text is held (text held longer than a moment is promoted to the old heap and
 * stays there, as garbage, until a full collection), and no buffer is made per piece or per block (buffers
 * live outside the JavaScript heap, where the collector looks late).
 */
export class Spool {
  private readonly lengths: number[] = [];
  /** The bytes added since the block last went to the file (with no file yet: all of them). */
  private block: Buffer | undefined;
  private filled = 0;
  private file: { descriptor: number; path?: string; written: number } | undefined;
  /** The file could not be made (a read-only campaign folder): the full blocks stay in memory, in order. */
  private memory: Buffer[] | undefined;

  /** `folder`: where the file goes, made if need be (the campaign's .outreach/). */
  constructor(private readonly folder: string) {}

  /** Adds one record, made of these pieces. */
  add(pieces: readonly (Buffer | string)[]): void {
    let length = 0;
    for (const piece of pieces)
      length += typeof piece === "string" ? this.addText(piece) : this.addBytes(piece);
    this.lengths.push(length);
  }

  /**
   * The records, in the order they were added, each as one buffer. A record is a view of the spool's block
   * (or of the file's bytes read into it): it holds until the next record is asked for (copy it to keep it
   * longer).
   */
  *records(): Generator<Buffer> {
    if (this.memory) {
      yield* this.fromMemory([...this.memory, this.used()]);
      return;
    }
    if (!this.file) {
      const block = this.used();
      let position = 0;
      for (const length of this.lengths) {
        yield block.subarray(position, position + length);
        position += length;
      }
      return;
    }
    this.flush();
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
    this.memory = undefined;
    this.filled = 0;
    if (!this.file) return;
    closeSync(this.file.descriptor);
    if (this.file.path) unlinkSync(this.file.path);
    this.file = undefined;
  }

  /** Encodes `text` into the block (the block goes out first when the text might not fit). */
  private addText(text: string): number {
    const most = text.length * MOST_BYTES_PER_UNIT;
    if (most > IN_MEMORY) return this.addBytes(Buffer.from(text));
    if (this.filled + most > IN_MEMORY) this.flush();
    const written = this.blockOf(IN_MEMORY).write(text, this.filled);
    this.filled += written;
    return written;
  }

  private addBytes(bytes: Buffer): number {
    if (this.filled + bytes.length > IN_MEMORY) this.flush();
    if (bytes.length > IN_MEMORY) this.out(bytes, true);
    else this.filled += bytes.copy(this.blockOf(IN_MEMORY), this.filled);
    return bytes.length;
  }

  /** What the block holds. */
  private used(): Buffer {
    return this.block ? this.block.subarray(0, this.filled) : Buffer.alloc(0);
  }

  /** The block's bytes go to the file (made now if need be), or stay in memory where none can be made. */
  private flush(): void {
    if (this.filled === 0) return;
    const bytes = this.used();
    this.filled = 0;
    this.out(bytes, false);
  }

  /** `bytes` after everything before them; `own`: they are not the block, and need not be copied. */
  private out(bytes: Buffer, own: boolean): void {
    if (!this.file && !this.memory) this.open();
    if (this.file) {
      writeWhole(this.file.descriptor, bytes);
      this.file.written += bytes.length;
    } else if (this.memory) {
      this.memory.push(bytes);
      // The block stays with the records it holds; the next bytes go to a new one.
      if (!own) this.block = undefined;
    }
  }

  private open(): void {
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
      this.memory = [];
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

  /** The records from the blocks held in memory, one buffer each (a record across blocks is joined). */
  private *fromMemory(blocks: Buffer[]): Generator<Buffer> {
    let at = 0; // the block the next record starts in
    let offset = 0; // and where in it
    for (const length of this.lengths) {
      const parts: Buffer[] = [];
      let wanted = length;
      for (;;) {
        const block = blocks[at] as Buffer;
        const take = Math.min(wanted, block.length - offset);
        parts.push(block.subarray(offset, offset + take));
        offset += take;
        wanted -= take;
        if (wanted === 0 || at === blocks.length - 1) break;
        at++;
        offset = 0;
      }
      while (at < blocks.length - 1 && offset === (blocks[at] as Buffer).length) {
        at++;
        offset = 0;
      }
      yield parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    }
  }

  /** The spool's one block, made larger when a record needs more. */
  private blockOf(size: number): Buffer {
    if (!this.block || this.block.length < size) {
      const larger = Buffer.allocUnsafe(Math.max(size, IN_MEMORY));
      // Bytes still waiting in the block go with it.
      if (this.block && this.filled > 0) this.block.copy(larger, 0, 0, this.filled);
      this.block = larger;
    }
    return this.block;
  }
}

function readWhole(descriptor: number, buffer: Buffer, position: number): void {
  for (let offset = 0; offset < buffer.length; ) {
    const read = readSync(descriptor, buffer, offset, buffer.length - offset, position + offset);
    if (read <= 0) throw Object.assign(new Error("the spool file ended early"), { code: "EIO" });
    offset += read;
  }
}
