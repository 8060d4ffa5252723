// Writes that must land whole: a short write (a full disk, a signal) is carried on, never taken for done;
// and files that appear whole or not at all (written aside, made durable, then renamed into place).
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { unlink, writeFile } from "node:fs/promises";
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
function asidePath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
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
 * the file to disk before the rename. Like openToCreateSync, refuses a link, a folder, a FIFO, a socket or a
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
  } catch (error) {
    rmSync(aside, { force: true });
    // Named by the file it was for, not by the name it had aside (nor by nothing: a short write has no path).
    if (error instanceof Error) Object.assign(error, { path });
    throw error;
  }
}

/**
 * Puts each file in place whole: every text is first written beside its file and flushed to disk; only when
 * all are written are they renamed over (or into) their places. A failure while writing leaves every file
 * as it was and removes what was written aside; the error is thrown for the caller to name the file.
 * Like openToCreateSync, refuses (before anything is written) a link, a folder, a FIFO, a socket or a device
 * in any file's place: renaming over a link would replace it, not write where it leads.
 */
export function replaceFilesWhole(files: readonly { path: string; text: string }[]): void {
  for (const { path } of files) refuseToReplace(path);
  const aside = files.map(({ path }) => asidePath(path));
  let writing = 0;
  try {
    files.forEach(({ text }, index) => {
      writing = index;
      writeAside(aside[index] as string, [text], 0o666, true);
    });
  } catch (error) {
    for (const path of aside) rmSync(path, { force: true });
    // Named by the file it was for, not by the name it had aside (nor by nothing: a short write has no path).
    if (error instanceof Error) Object.assign(error, { path: files[writing]?.path });
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

/**
 * Many small files written at once, at most `limit` in flight (the thread pool does the waiting): for
 * preview --out, where one synchronous open and write per file costs more than composing the letter. As
 * openToCreateSync, a link, folder, FIFO or device in a file's place is refused; an existing file is removed
 * and created anew (exclusively: a link that appears meanwhile is not followed) rather than truncated, which
 * costs the file system less. The first failure stops further writes and is thrown, as `describe` makes it,
 * once those in flight have settled.
 */
export class ParallelWrites {
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly describe: (error: unknown, path: string) => unknown = (error) => error,
    private readonly limit = 16,
  ) {}

  /** Starts writing `path`; waits only while `limit` writes are in flight. */
  async write(path: string, data: string | readonly Buffer[]): Promise<void> {
    if (this.failure) return this.finish();
    const task: Promise<void> = replaceFile(path, data)
      .catch((error: unknown) => {
        this.failure ??= { error: this.describe(error, path) };
      })
      .finally(() => this.running.delete(task));
    this.running.add(task);
    if (this.running.size >= this.limit) await Promise.race(this.running);
    if (this.failure) return this.finish();
  }

  /** Waits for every write; throws the first failure. */
  async finish(): Promise<void> {
    await Promise.all(this.running);
    if (this.failure) throw this.failure.error;
  }
}

async function replaceFile(path: string, data: string | readonly Buffer[]): Promise<void> {
  refuseToReplace(path);
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
  await writeFile(path, data, { mode: 0o666, flag: "wx" });
}
