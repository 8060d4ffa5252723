// Many small files into one folder (preview --out): one open, write and close per file, with no thread pool
// between (at 20,000 files its hand-offs cost more than the writes). The files of a new folder after the
// first few hundred go to a thread of their own in batches (LetterWriter), so that the system creates them
// while the next letters are composed.
import {
  closeSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
} from "node:fs";
import { basename, dirname, join, relative, sep } from "node:path";
import { openToOverwriteSync } from "./file-system.js";
import { writeWhole } from "./file-writes.js";
import { LetterWriter } from "./letter-writer.js";
import { isRunning } from "./process-identity.js";

/** Files of a new folder written on the main thread before the writer's thread is worth starting. */
const BEFORE_THREAD = 200;
/**
 * A file larger than this (a letter with its attachments) is written on the main thread from its own pieces:
 * copied into a batch, its attachments' shared parts would cost more than the thread saves, and memory.
 */
const LARGEST_FOR_THREAD = 64 * 1024;

/**
 * A folder of letters. When the folder is not there yet, every file is written into a hidden folder beside
 * it, which is renamed into its place by `finish`: the folder appears whole or not at all, and `abandon`
 * (on any failure, or bad input) removes the hidden one and the folders made on the way to it. When the
 * folder is there, each file is written in it: a link, folder, FIFO, socket or device in a file's place is
 * refused, an existing file is written over (openToOverwriteSync: not freed and made again, which at 20,000
 * files costs the file system twice the time) and cut to its new length; files of an earlier preview that
 * are not written again are left as they are.
 *
 * A failure is thrown with `path` set to the file's place in the folder (not the hidden name), for
 * fileError.
 */
export class LetterFolder {
  private readonly aside: string | undefined;
  /** The folders made on the way to a new one, outermost first: removed again by `abandon`. */
  private readonly made: string[] = [];
  private written = 0;
  private writer: LetterWriter | undefined;
  private interrupted: Error | undefined;

  constructor(readonly folder: string) {
    if (exists(folder)) {
      mkdirSync(folder, { recursive: true }); // a file in its place fails here, as it always did
      return;
    }
    const first = mkdirSync(dirname(folder), { recursive: true });
    if (first !== undefined) {
      let path = first;
      this.made.push(path);
      for (const part of relative(first, dirname(folder)).split(sep).filter(Boolean)) {
        path = join(path, part);
        this.made.push(path);
      }
    }
    if (first === undefined) removeLeftAside(folder);
    const aside = join(dirname(folder), `.${basename(folder)}.${process.pid}.tmp`);
    rmSync(aside, { recursive: true, force: true }); // left by an earlier process that had this one's number
    mkdirSync(aside);
    this.aside = aside;
  }

  /**
   * Stops the writing of a new folder (Ctrl-C): the next write, room or finish throws `reason`, and the
   * caller abandons the folder, so none of it is left. A folder that was there is written as before.
   */
  interrupt(reason: Error): void {
    if (this.aside !== undefined) this.interrupted ??= reason;
  }

  /** True when the folder was not there: it appears (in `finish`) only if nothing failed. */
  get isNew(): boolean {
    return this.aside !== undefined;
  }

  /**
   * Writes the file `name` (a plain name, no folder) with these pieces, which the caller may reuse once it
   * returns; in a new folder, maybe on the writer's thread, whose failures are thrown by a later call (write,
   * room or finish), with `path` set to the file's place.
   */
  write(name: string, pieces: readonly (Buffer | string)[]): void {
    if (this.interrupted) throw this.interrupted;
    if (this.aside !== undefined && (this.writer || ++this.written > BEFORE_THREAD)) {
      const size = sizeOf(pieces);
      if (size <= LARGEST_FOR_THREAD) {
        this.writer ??= new LetterWriter(this.aside, this.folder);
        this.writer.add(name, pieces, size);
        return;
      }
    }
    const place = join(this.folder, name);
    try {
      const descriptor =
        this.aside === undefined ? openToOverwriteSync(place) : openSync(join(this.aside, name), "wx", 0o666);
      try {
        let length = 0;
        for (const piece of pieces) {
          const buffer = typeof piece === "string" ? Buffer.from(piece) : piece;
          writeWhole(descriptor, buffer);
          length += buffer.length;
        }
        // What is left of a longer earlier file; in a new one, nothing.
        if (this.aside === undefined) ftruncateSync(descriptor, length);
      } finally {
        closeSync(descriptor);
      }
    } catch (error) {
      if (error instanceof Error) Object.assign(error, { path: place });
      throw error;
    }
  }

  /** Resolves when the writer's thread has room for more files; throws a failure of a file before. */
  async room(): Promise<void> {
    await this.writer?.room();
    if (this.interrupted) throw this.interrupted;
  }

  /** Puts a new folder in its place (one rename), once every file is written; nothing to do for a folder that was there. */
  async finish(): Promise<void> {
    if (this.aside === undefined) return;
    try {
      await this.writer?.close();
      if (this.interrupted) throw this.interrupted;
    } catch (error) {
      await this.abandon();
      throw error;
    }
    try {
      renameSync(this.aside, this.folder);
    } catch (error) {
      await this.abandon();
      if (error instanceof Error) Object.assign(error, { path: this.folder });
      throw error;
    }
  }

  /**
   * After a failure or bad input: removes the hidden folder of a new one, and the folders made on the way
   * to it that are still empty, so that nothing of it is left.
   */
  async abandon(): Promise<void> {
    if (this.aside === undefined) return;
    await this.writer?.stop();
    rmSync(this.aside, { recursive: true, force: true });
    for (const made of [...this.made].reverse()) {
      try {
        rmdirSync(made);
      } catch {
        return; // something else was put there meanwhile: it stays
      }
    }
  }
}

function sizeOf(pieces: readonly (Buffer | string)[]): number {
  let size = 0;
  for (const piece of pieces) size += typeof piece === "string" ? Buffer.byteLength(piece) : piece.length;
  return size;
}

/**
 * Removes the hidden folders an earlier preview of this folder left beside it when it was stopped at once
 * (killed, or the machine went down): `.NAME.PID.tmp`, of a process that no longer runs. A link of that
 * name, or anything that is not a folder, is left alone.
 */
function removeLeftAside(folder: string): void {
  const prefix = `.${basename(folder)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(folder));
  } catch {
    return; // the folder cannot be listed: what is in it stays, and creating the folder says why
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
    const pid = name.slice(prefix.length, -".tmp".length);
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid || isRunning({ pid: Number(pid) })) continue;
    const path = join(dirname(folder), name);
    if (lstatSync(path, { throwIfNoEntry: false })?.isDirectory())
      rmSync(path, { recursive: true, force: true });
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}
