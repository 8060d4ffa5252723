// Many small files into one folder (preview --out), written synchronously: one open, write and close per
// file, with no thread pool between (at 20,000 files its hand-offs cost more than the writes).
import { closeSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, unlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { refuseToReplace } from "./file-system.js";
import { writeWhole } from "./file-writes.js";

/**
 * A folder of letters. When the folder is not there yet, every file is written into a hidden folder beside
 * it, which is renamed into its place by `finish`: the folder appears whole or not at all, and `abandon`
 * (on any failure) removes the hidden one. When the folder is there, each file is written in it as today:
 * a link, folder, FIFO, socket or device in a file's place is refused (refuseToReplace), an existing file is
 * removed and created anew exclusively (a link that appears meanwhile is not followed); files of an earlier
 * preview that are not written again are left as they are.
 *
 * A failure is thrown with `path` set to the file's place in the folder (not the hidden name), for
 * fileError.
 */
export class LetterFolder {
  private readonly aside: string | undefined;

  constructor(readonly folder: string) {
    if (exists(folder)) {
      mkdirSync(folder, { recursive: true }); // a file in its place fails here, as it always did
      return;
    }
    mkdirSync(dirname(folder), { recursive: true });
    const aside = join(dirname(folder), `.${basename(folder)}.${process.pid}.tmp`);
    rmSync(aside, { recursive: true, force: true }); // left by an earlier process that had this one's number
    mkdirSync(aside);
    this.aside = aside;
  }

  /** Writes the file `name` (a plain name, no folder) with these pieces. */
  write(name: string, pieces: readonly (Buffer | string)[]): void {
    const place = join(this.folder, name);
    try {
      if (this.aside === undefined) {
        refuseToReplace(place);
        unlinkIfThere(place);
      }
      const descriptor = openSync(join(this.aside ?? this.folder, name), "wx", 0o666);
      try {
        for (const piece of pieces)
          writeWhole(descriptor, typeof piece === "string" ? Buffer.from(piece) : piece);
      } finally {
        closeSync(descriptor);
      }
    } catch (error) {
      if (error instanceof Error) Object.assign(error, { path: place });
      throw error;
    }
  }

  /** Puts a new folder in its place (one rename); nothing to do for a folder that was there. */
  finish(): void {
    if (this.aside === undefined) return;
    try {
      renameSync(this.aside, this.folder);
    } catch (error) {
      this.abandon();
      if (error instanceof Error) Object.assign(error, { path: this.folder });
      throw error;
    }
  }

  /** After a failure: removes the hidden folder of a new one, so that nothing of it is left. */
  abandon(): void {
    if (this.aside !== undefined) rmSync(this.aside, { recursive: true, force: true });
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

function unlinkIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}
