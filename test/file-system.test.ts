// The one translation of file-system errors: every errno a disk can answer becomes a sentence with a hint,
// never the bare code. Fast: it imports the module and builds the errors Node would raise.
import { mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  describeFileFailure,
  fileError,
  isFileSystemError,
  ShortWriteError,
} from "../src/adapters/file-system.js";
import { UserError } from "../src/errors.js";

function nodeError(code: string, syscall: string, path = "/campaign/.outreach/journal.jsonl") {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path, errno: -1 });
}

describe("describeFileFailure", () => {
  it.each([
    ["EACCES", "open", /permission denied/],
    ["EPERM", "unlink", /permission denied/],
    ["EROFS", "open", /read-only file system/],
    ["ENOSPC", "write", /the disk is full/],
    ["EDQUOT", "write", /quota/],
    ["EFBIG", "write", /largest file size/],
    ["EISDIR", "read", /is a folder where a file should be/],
    ["ENOTDIR", "open", /part of its path is a file where a folder should be/],
    ["ELOOP", "open", /loop of links/],
    ["ENOENT", "open", /does not exist/],
    ["EMFILE", "open", /too many files are open/],
    ["ENFILE", "open", /too many files are open/],
    ["EIO", "read", /input\/output error/],
    ["ENAMETOOLONG", "open", /name too long/],
    ["EBUSY", "rename", /in use by another program/],
    ["ENXIO", "open", /not an ordinary file/],
    ["EEXIST", "mkdir", /is a file where a folder should be/],
  ])("%s (%s) is a sentence with a hint, not the code", (code, syscall, sentence) => {
    const { reason, hint } = describeFileFailure(
      nodeError(code, syscall),
      syscall === "read" ? "read" : "write",
    );
    expect(reason).toMatch(sentence);
    expect(reason).not.toContain(code);
    expect(hint).toBeTruthy();
  });

  it("the same table gives the clause for a sentence naming the file and what was being done", () => {
    const words = (error: unknown) => describeFileFailure(error, "write");
    expect(words(nodeError("ENOSPC", "write"))).toMatchObject({
      cause: "the disk that holds it is full (no space left on the device)",
      advice: "free some space on that disk",
    });
    expect(words(nodeError("EROFS", "unlink")).cause).toBe("the file system that holds it is read-only");
    expect(words(nodeError("EFBIG", "write")).cause).toMatch(/file-size limit/);
    expect(words(nodeError("EACCES", "open")).cause).toBe("permission denied");
    expect(words(nodeError("EISDIR", "open")).cause).toBe("it is a folder where a file should be");
    const short = words(new ShortWriteError(10, 50));
    expect(short.cause).toBe(
      "only 10 of 50 bytes reached the file, so the disk that holds it is probably full",
    );
    expect(short.advice).toBe("free some space on that disk");
    expect(isFileSystemError(new ShortWriteError(1, 2))).toBe(true);
  });

  it("a dangling link is named with where it leads", () => {
    const folder = mkdtempSync(join(tmpdir(), "outreach-unit-"));
    const link = join(folder, ".outreach");
    symlinkSync(join(folder, "gone"), link);
    expect(describeFileFailure(nodeError("ENOENT", "mkdir", link), "write").reason).toBe(
      `is a link to ${join(folder, "gone")}, which does not exist`,
    );
  });

  it("fileError is the project's UserError, naming the path as the user knows it, exit 1", () => {
    const error = fileError(
      nodeError("EROFS", "open"),
      ".outreach/journal.jsonl",
      "write",
      "nothing was sent",
    );
    expect(error).toBeInstanceOf(UserError);
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe(
      ".outreach/journal.jsonl cannot be written: it is on a read-only file system; nothing was sent",
    );
  });

  it("tells file-system errors from others (a refused connection is not one)", () => {
    expect(isFileSystemError(nodeError("EACCES", "open"))).toBe(true);
    expect(
      isFileSystemError(Object.assign(new Error("x"), { code: "ECONNREFUSED", syscall: "connect" })),
    ).toBe(false);
    expect(isFileSystemError(new Error("plain"))).toBe(false);
  });
});
