// What the file system said, as a sentence a user can act on: a full disk, a read-only folder, a file-size
// limit. Every write a promise rests on (the journal, the lock) reports its failure through these words.

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

const REASONS: Record<string, string> = {
  ENOSPC: "the disk that holds it is full (no space left on the device)",
  EDQUOT: "your disk quota is used up",
  EFBIG: "it has reached the largest file size this process may write (a file-size limit, ulimit -f)",
  EROFS: "the file system that holds it is read-only",
  EACCES: "permission was refused",
  EPERM: "the operation is not permitted",
  EIO: "the disk reported an input/output error",
  EISDIR: "a folder is in its place",
  ENOTDIR: "a file is where a folder should be",
  ENOENT: "it does not exist",
  ELOOP: "it is a link that leads nowhere (or to itself)",
  EMFILE: "too many files are open",
};

/** Why a file operation failed, in words: "the disk that holds it is full (no space left on the device)". */
export function diskReason(error: unknown): string {
  if (error instanceof ShortWriteError) {
    return `${error.message}, so the disk that holds it is probably full`;
  }
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code && REASONS[code]) return REASONS[code];
  return code ? `${code}: ${(error as Error).message}` : String((error as Error)?.message ?? error);
}

/** What to do about it. */
export function diskAdvice(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (error instanceof ShortWriteError || code === "ENOSPC" || code === "EDQUOT")
    return "free some space on that disk";
  if (code === "EFBIG") return "raise the file-size limit (ulimit -f) or run from another shell";
  if (code === "EROFS" || code === "EACCES" || code === "EPERM")
    return "make the campaign folder and its .outreach/ writable";
  return "check the disk and the folder";
}
