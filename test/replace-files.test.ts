// replaceFilesWhole, how import puts its files in place: all of them or none. A rename that fails midway
// (the file system refusing the third of four) cannot be made to happen on demand, so the rename is made
// to fail here, on real files in a temp folder: the files already renamed are put back as they were.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { tempFolder } from "./support.js";

const failing = vi.hoisted(() => ({ renames: 0, failAt: -1 }));

vi.mock("node:fs", async (original) => {
  const fs = await original<typeof import("node:fs")>();
  const renameSync: typeof fs.renameSync = (from, to) => {
    // Only the renames of the new texts into place count (the putting back is let through).
    if (String(from).endsWith(".tmp") && failing.renames++ === failing.failAt) {
      throw Object.assign(new Error(`EIO: i/o error, rename '${String(from)}' -> '${String(to)}'`), {
        code: "EIO",
      });
    }
    return fs.renameSync(from, to);
  };
  return { ...fs, default: { ...fs, renameSync }, renameSync };
});

const { replaceFilesWhole } = await import("../src/adapters/file-writes.js");

afterEach(() => {
  failing.renames = 0;
  failing.failAt = -1;
});

function folderWith(files: Record<string, string>): string {
  const folder = tempFolder();
  for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);
  return folder;
}

function contents(folder: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(folder)
      .sort()
      .map((name) => [name, readFileSync(join(folder, name), "utf8")]),
  );
}

describe("replaceFilesWhole", () => {
  it("puts back every file already renamed when a later rename fails, and leaves nothing aside", () => {
    for (const failAt of [0, 1, 2, 3]) {
      const folder = folderWith({ "a.yaml": "old a\n", "c.yaml": "old c\n" });
      const before = contents(folder);
      failing.renames = 0;
      failing.failAt = failAt;
      const files = ["a.yaml", "b.yaml", "c.yaml", "d.yaml"].map((name) => ({
        path: join(folder, name),
        text: `new ${name}\n`,
      }));
      let thrown: unknown;
      try {
        replaceFilesWhole(files);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, `rename ${failAt}`).toMatchObject({ code: "EIO", path: files[failAt]?.path });
      expect(contents(folder), `rename ${failAt}`).toEqual(before);
    }
  });

  it("replaces and adds every file when nothing fails, keeping nothing of the old ones", () => {
    const folder = folderWith({ "a.yaml": "old a\n" });
    replaceFilesWhole([
      { path: join(folder, "a.yaml"), text: "new a\n" },
      { path: join(folder, "b.yaml"), text: "new b\n" },
    ]);
    expect(contents(folder)).toEqual({ "a.yaml": "new a\n", "b.yaml": "new b\n" });
  });
});
