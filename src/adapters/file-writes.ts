// Writes that must land whole: a short write (a full disk, a signal) is carried on, never taken for done;
// and files that appear whole or not at all (written aside, made durable, then renamed into place).
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { unlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
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

/**
 * Puts each file in place whole: every text is first written beside its file and flushed to disk; only when
 * all are written are they renamed over (or into) their places. A failure while writing leaves every file
 * as it was and removes what was written aside; the error is thrown for the caller to name the file.
 * Like openToCreateSync, refuses (before anything is written) a link, a folder, a FIFO, a socket or a device
 * in any file's place: renaming over a link would replace it, not write where it leads.
 */
export function replaceFilesWhole(files: readonly { path: string; text: string }[]): void {
  for (const { path } of files) refuseToReplace(path);
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
