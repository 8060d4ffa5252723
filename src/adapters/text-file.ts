// Reads a campaign file as text: refuses binary, oversized and non-UTF-8 files with a located problem.
import type { Problem } from "../core/problems.js";
import { describeFileFailure, readRegularFileWithin } from "./file-system.js";

export const MAX_FILE_BYTES = 16 * 1024 * 1024;

/** Reads a file as UTF-8 text, refusing binary, oversized and non-UTF-8 files with a located problem. */
export function readTextFile(
  absolutePath: string,
  file: string,
): { ok: true; text: string } | { ok: false; problems: Problem[] } {
  const fail = (message: string, hint?: string, line?: number): { ok: false; problems: Problem[] } => ({
    ok: false,
    problems: [{ severity: "error", file, line, message, hint }],
  });
  let buffer: Buffer;
  try {
    const read = readRegularFileWithin(absolutePath, MAX_FILE_BYTES);
    if (!read.ok) {
      return fail(
        `file is ${(read.size / 1024 / 1024).toFixed(1)} MB, over the ${MAX_FILE_BYTES / 1024 / 1024} MB limit`,
        "split it into several files",
      );
    }
    buffer = read.buffer;
  } catch (error) {
    const { reason, hint } = describeFileFailure(error, "read");
    return fail(reason, hint);
  }
  if ((buffer[0] === 0xff && buffer[1] === 0xfe) || (buffer[0] === 0xfe && buffer[1] === 0xff)) {
    return fail("file is UTF-16 text", "save it as UTF-8 (in most editors: Save As… → Encoding: UTF-8)");
  }
  const nul = buffer.indexOf(0);
  if (nul !== -1) {
    return fail(
      "file is binary, not text",
      "recipient, config and template files must be UTF-8 text",
      lineAt(buffer, nul),
    );
  }
  const start = buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
  try {
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true }).decode(buffer.subarray(start)) };
  } catch {
    return fail(
      "file is not UTF-8 text (perhaps Latin-1 or Windows-1252)",
      "save it as UTF-8 (in most editors: Save As… → Encoding: UTF-8)",
      lineAt(buffer, firstInvalidUtf8(buffer)),
    );
  }
}

/**
 * The bytes of the text readTextFile gives for the file, without decoding it: the byte-order marks it drops
 * (its own, then the decoder's) are skipped, and the rest of a valid UTF-8 text is its text's UTF-8 as is.
 * A file readTextFile refuses gives bytes too (or undefined when it cannot be read), but no text it accepts
 * has those bytes: a digest of them matches no digest of a valid text. For the cache, which needs only to
 * know that a file holds the very text it validated before. With `into`, a file that fits is read into it
 * (see readRegularFileWithin).
 */
export function readTextBytes(absolutePath: string, into?: Buffer): Uint8Array | undefined {
  let buffer: Buffer;
  try {
    const read = readRegularFileWithin(absolutePath, MAX_FILE_BYTES, into);
    if (!read.ok) return undefined;
    buffer = read.buffer;
  } catch {
    return undefined;
  }
  let start = 0;
  for (let mark = 0; mark < 2 && hasByteOrderMark(buffer, start); mark++) start += 3;
  return buffer.subarray(start);
}

function hasByteOrderMark(buffer: Buffer, at: number): boolean {
  return buffer[at] === 0xef && buffer[at + 1] === 0xbb && buffer[at + 2] === 0xbf;
}

function lineAt(buffer: Buffer, offset: number): number {
  let line = 1;
  for (let index = buffer.indexOf(10); index !== -1 && index < offset; index = buffer.indexOf(10, index + 1))
    line++;
  return line;
}

function firstInvalidUtf8(buffer: Buffer): number {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let low = 0;
  let high = buffer.length;
  // The longest valid prefix, found by bisection (a valid prefix may end mid-character, so allow 3 bytes).
  while (high - low > 4) {
    const middle = (low + high) >> 1;
    try {
      decoder.decode(buffer.subarray(0, middle), { stream: true });
      low = middle;
    } catch {
      high = middle;
    }
  }
  return low;
}
