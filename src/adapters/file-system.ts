// The one translation of file-system failures into sentences a person can act on, and the two ways of
// opening a file that never hang on something that is not a regular file (a FIFO, a socket, a device).
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
  readlinkSync,
  readSync,
  type Stats,
  statSync,
  unlinkSync,
} from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { EXIT, UserError } from "../errors.js";

export type FileAction = "read" | "write" | "open";

export interface FileFailure {
  /** Completes a sentence that starts with the path: "outreach.yaml is a folder where a file should be". */
  reason: string;
  hint?: string;
  /**
   * The same failure as a clause after a sentence that names the file and what outreach was doing:
   * "cannot write to the journal .outreach/journal.jsonl: the disk that holds it is full".
   */
  cause: string;
  /** What to do about it, without "then run this again": "free some space on that disk". */
  advice: string;
}

/** A write that reached the file only in part, without an error from the system. */
export class ShortWriteError extends Error {
  readonly code = "ESHORT";
  constructor(
    readonly written: number,
    readonly wanted: number,
  ) {
    super(`only ${written} of ${wanted} bytes reached the file`);
  }
}

/** True for an error raised by the file system (it carries an errno code and the operation that failed). */
export function isFileSystemError(error: unknown): error is NodeJS.ErrnoException {
  const candidate = error as NodeJS.ErrnoException | undefined;
  return (
    candidate instanceof Error &&
    typeof candidate.code === "string" &&
    /^E[A-Z0-9]+$/.test(candidate.code) &&
    (typeof candidate.path === "string" ||
      candidate instanceof ShortWriteError ||
      candidate.code === NOT_REGULAR ||
      candidate.code === LINK_IN_PLACE)
  );
}

/**
 * What went wrong with the file, said so that it follows the file's name (reason, hint), or a sentence that
 * names the file and what outreach was doing (cause, advice). The one table of errno codes in words.
 */
export function describeFileFailure(error: unknown, action: FileAction): FileFailure {
  const { reason, hint, cause } = failureWords(error, action);
  return {
    reason,
    ...(hint ? { hint } : {}),
    cause: cause ?? /^cannot be \w+: (.*)$/.exec(reason)?.[1] ?? `it ${reason}`,
    advice: (hint ?? "check the disk and the folder").replace(/,? then run this again$/, ""),
  };
}

function failureWords(error: unknown, action: FileAction): { reason: string; hint?: string; cause?: string } {
  if (error instanceof ShortWriteError) {
    return {
      reason: `cannot be written: ${error.message}, so the disk that holds it is probably full`,
      hint: "free some space on that disk, then run this again",
    };
  }
  const failure = error as NodeJS.ErrnoException & { kind?: string; target?: string };
  const verb = action === "read" ? "read" : action === "open" ? "opened" : "written";
  const permissions =
    "check its permissions and owner (ls -l), or run outreach as the user who owns the campaign folder";
  switch (failure.code) {
    case NOT_REGULAR:
    case "ENXIO":
      return {
        reason: `is ${failure.kind ?? kindAt(failure.path) ?? "a socket or a pipe"}, not an ordinary file`,
        hint:
          action === "write"
            ? "remove it or name another file (outreach writes only ordinary files, never into pipes, sockets or devices)"
            : "replace it with an ordinary file (outreach never reads from pipes, sockets or devices)",
      };
    case LINK_IN_PLACE:
      return {
        reason: `is a link${failure.target ? ` to ${failure.target}` : ""}, and outreach does not write through links`,
        hint: "remove the link, or name another file",
      };
    case "EISDIR":
      return {
        reason: "is a folder where a file should be",
        hint: "remove or rename that folder, or give the path of a file",
      };
    case "ENOTDIR":
      return {
        reason: "cannot be reached: part of its path is a file where a folder should be",
        hint: "remove or rename that file",
      };
    case "ENOENT": {
      const target = failure.path ? linkTarget(failure.path) : undefined;
      if (target !== undefined) {
        return {
          reason: `is a link to ${target}, which does not exist`,
          hint: "remove the link, or make it point at something inside the campaign folder",
        };
      }
      // Writing a file creates it: what is missing is the folder it goes in.
      if (action === "write") {
        return {
          reason: "cannot be written: the folder it goes in does not exist",
          hint: "create that folder first, or give another path",
        };
      }
      return { reason: "does not exist", hint: "check the path" };
    }
    case "ELOOP":
      return { reason: "is a link that leads back to itself (a loop of links)", hint: "remove the link" };
    case "EACCES":
    case "EPERM":
      return { reason: `cannot be ${verb}: permission denied`, hint: permissions };
    case "EROFS":
      return {
        reason: "cannot be written: it is on a read-only file system",
        cause: "the file system that holds it is read-only",
        hint: "copy the campaign folder somewhere it can be written, or mount that disk read-write",
      };
    case "ENOSPC":
    case "EDQUOT":
      return {
        reason: `cannot be written: the disk is full${failure.code === "EDQUOT" ? " (your quota is used up)" : ""}`,
        cause:
          failure.code === "EDQUOT"
            ? "your disk quota is used up"
            : "the disk that holds it is full (no space left on the device)",
        hint: "free some space on that disk, then run this again",
      };
    case "EFBIG":
      return {
        reason:
          "cannot be written: it would grow past the largest file size allowed here (a file-size limit, ulimit -f)",
        hint: "raise the limit or free some space, then run this again",
      };
    case "EMFILE":
    case "ENFILE":
      return {
        reason: "cannot be opened: too many files are open",
        hint: "close other programs, or raise the limit (ulimit -n), then run this again",
      };
    case "EIO":
      return { reason: `cannot be ${verb}: the disk reported an input/output error`, hint: "check the disk" };
    case "ENAMETOOLONG":
      return {
        reason: "has a name too long for the file system",
        hint: "use a shorter name or a shorter path",
      };
    case "EBUSY":
    case "ETXTBSY":
      return { reason: "is in use by another program", hint: "close that program, then run this again" };
    case "EEXIST":
      // mkdir's EEXIST: something that is not a folder is in the way.
      return failure.syscall === "mkdir"
        ? { reason: "is a file where a folder should be", hint: "move that file away, or give another path" }
        : { reason: "already exists", hint: "move it out of the way, then run this again" };
    default:
      return { reason: `cannot be ${verb} (${failure.code ?? failure.message})` };
  }
}

/** The file-system error as the project's user-facing error, naming the path as the user knows it. */
export function fileError(
  error: unknown,
  shown: string,
  action: FileAction,
  consequence?: string,
): UserError {
  if (error instanceof UserError) return error;
  const { reason, hint } = describeFileFailure(error, action);
  return new UserError(`${shown} ${reason}${consequence ? `; ${consequence}` : ""}`, {
    exitCode: EXIT.failed,
    ...(hint ? { hint } : {}),
  });
}

const NOT_REGULAR = "EFTYPE";
/** A link where outreach is about to create or replace a file. */
const LINK_IN_PLACE = "ESYMLINK";

function kindOf(stat: Stats): string {
  if (stat.isFIFO()) return "a named pipe (FIFO)";
  if (stat.isSocket()) return "a socket";
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
  return "not an ordinary file";
}

/** What is at `path` when it is not an ordinary file (for an error that does not say). */
function kindAt(path: string | undefined): string | undefined {
  try {
    return path === undefined ? undefined : kindOf(statSync(path));
  } catch {
    return undefined;
  }
}

function refuseIrregular(stat: Stats, path: string): void {
  if (stat.isFile()) return;
  if (stat.isDirectory()) throw Object.assign(new Error(`EISDIR: ${path}`), { code: "EISDIR", path });
  throw Object.assign(new Error(`${NOT_REGULAR}: ${path}`), { code: NOT_REGULAR, path, kind: kindOf(stat) });
}

function linkTarget(path: string): string | undefined {
  try {
    return lstatSync(path).isSymbolicLink() ? readlinkSync(path) : undefined;
  } catch {
    return undefined;
  }
}

// O_NONBLOCK makes opening a FIFO return at once instead of waiting for a writer; on a regular file it
// changes nothing. What was opened is then checked to be a regular file before a byte is read.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);
const APPEND_FLAGS =
  constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (constants.O_NONBLOCK ?? 0);

/** The open file and its size, once it proved to be a regular file (else closed, and refused). */
function regularOnly(descriptor: number, path: string): { descriptor: number; size: number } {
  try {
    const stat = fstatSync(descriptor);
    refuseIrregular(stat, path);
    return { descriptor, size: stat.size };
  } catch (error) {
    closeSync(descriptor);
    throw error;
  }
}

/** Opens a file to read, refusing anything but a regular file in its place. */
export function openToReadSync(path: string): number {
  return regularOnly(openSync(path, READ_FLAGS), path).descriptor;
}

/**
 * The file's bytes, read as readFileSync reads them (up to the size it had when opened), with the size
 * already known: readFileSync(descriptor) would ask the file system for it a second time, and ten thousand
 * recipient files make that a cost of its own. A file that says it is empty is read to its end (as
 * readFileSync does: some files tell no size), and one over 2 GB is refused by readFileSync itself.
 */
function readOpened(descriptor: number, size: number, into?: Buffer): Buffer {
  if (size === 0 || size > 2 ** 31 - 1) return readFileSync(descriptor);
  const buffer =
    into !== undefined && into.length >= size ? into.subarray(0, size) : Buffer.allocUnsafe(size);
  let read = 0;
  while (read < size) {
    const bytes = readSync(descriptor, buffer, read, size - read, null);
    if (bytes === 0) break;
    read += bytes;
  }
  return read < size ? buffer.subarray(0, read) : buffer;
}

/**
 * Reads a regular file whole, unless it is larger than `maxBytes`. Throws the file system's error (for
 * fileError) when it cannot, including for a folder, a FIFO, a socket or a device in its place. With `into`,
 * a file that fits is read into it (the bytes given are a part of it, good until it is used again).
 */
export function readRegularFileWithin(
  path: string,
  maxBytes: number,
  into?: Buffer,
): { ok: true; buffer: Buffer } | { ok: false; size: number } {
  const { descriptor, size } = regularOnly(openSync(path, READ_FLAGS), path);
  try {
    if (size > maxBytes) return { ok: false, size };
    return { ok: true, buffer: readOpened(descriptor, size, into) };
  } finally {
    closeSync(descriptor);
  }
}

/** Reads a regular file whole; see readRegularFileWithin. */
export function readRegularFile(path: string): Buffer {
  const { descriptor, size } = regularOnly(openSync(path, READ_FLAGS), path);
  try {
    return readOpened(descriptor, size);
  } finally {
    closeSync(descriptor);
  }
}

/** The file's details, refusing a folder, a FIFO, a socket or a device where a file should be. */
export function statRegularFile(path: string): Stats {
  const stat = statSync(path);
  refuseIrregular(stat, path);
  return stat;
}

/** Opens a file to append to (creating it), refusing anything but a regular file in its place. */
export function openToAppendSync(path: string, mode = 0o600): number {
  return regularOnly(openSync(path, APPEND_FLAGS, mode), path).descriptor;
}

export async function openToAppend(
  path: string,
  mode = 0o600,
  options: { readBack?: boolean } = {},
): Promise<FileHandle> {
  // readBack: the journal reads its own last bytes back before it cuts a failed write off again.
  const flags = options.readBack ? (APPEND_FLAGS & ~constants.O_WRONLY) | constants.O_RDWR : APPEND_FLAGS;
  const handle = await open(path, flags, mode);
  try {
    refuseIrregular(await handle.stat(), path);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}

// O_NOFOLLOW: a link put where the file goes is never written through; O_NONBLOCK: a FIFO put there makes
// the open fail at once (ENXIO) instead of waiting for a reader.
const CREATE_FLAGS =
  constants.O_WRONLY |
  constants.O_CREAT |
  constants.O_TRUNC |
  (constants.O_NOFOLLOW ?? 0) |
  (constants.O_NONBLOCK ?? 0);

// As CREATE_FLAGS, but an existing file is neither made nor cut (the writer cuts it to its new length).
const OVERWRITE_FLAGS = constants.O_WRONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/**
 * Opens the file at `path` to write it anew from its start, without freeing it first: of many small files
 * rewritten with about the same length, the file system then frees and allocates nothing. The caller cuts
 * the file to the length it wrote. As openToCreateSync, refuses a link (wherever it leads), a folder, a FIFO,
 * a socket or a device in its place. A file that is not there is created exclusively (a link that appears
 * meanwhile is not followed); one with other names too (a hard link) is removed and created anew, so that
 * the other names keep their words.
 */
export function openToOverwriteSync(path: string, mode = 0o666): number {
  refuseToReplace(path);
  let descriptor: number;
  try {
    descriptor = openSync(path, OVERWRITE_FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP") {
      throw Object.assign(new Error(`${LINK_IN_PLACE}: ${path}`), { code: LINK_IN_PLACE, path });
    }
    if (code !== "ENOENT") throw error;
    return openSync(path, "wx", mode);
  }
  let alone: boolean;
  try {
    const stat = fstatSync(descriptor);
    refuseIrregular(stat, path);
    alone = stat.nlink <= 1;
  } catch (error) {
    closeSync(descriptor);
    throw error;
  }
  if (alone) return descriptor;
  closeSync(descriptor);
  unlinkSync(path);
  return openSync(path, "wx", mode);
}

/**
 * Refuses, for a file about to be created or replaced (by opening it, or by renaming a draft onto it), a
 * link in its place (wherever it leads), a folder, a FIFO, a socket or a device.
 */
export function refuseToReplace(path: string): void {
  let existing: Stats | undefined;
  try {
    existing = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  if (existing?.isSymbolicLink()) {
    throw Object.assign(new Error(`${LINK_IN_PLACE}: ${path}`), {
      code: LINK_IN_PLACE,
      path,
      target: linkTarget(path),
    });
  }
  if (existing) refuseIrregular(existing, path);
}

/**
 * Creates (or replaces) the file at `path` to write, the one way outreach creates a file. Refuses, before
 * anything is truncated, a link in its place (wherever it leads), a folder, a FIFO, a socket or a device.
 */
export function openToCreateSync(path: string, mode = 0o666): number {
  refuseToReplace(path);
  let descriptor: number;
  try {
    descriptor = openSync(path, CREATE_FLAGS, mode);
  } catch (error) {
    // A link that appeared between the look and the open.
    if ((error as NodeJS.ErrnoException).code === "ELOOP") {
      throw Object.assign(new Error(`${LINK_IN_PLACE}: ${path}`), { code: LINK_IN_PLACE, path });
    }
    throw error;
  }
  return regularOnly(descriptor, path).descriptor;
}
