// The young generation held at its size for the commands that stream letters: in a process of its own (a V8
// flag is the whole process's), the same survivors that grow it under V8's own policy leave it as it was,
// a LetterWriter's thread started on the way too (a new V8 heap sets the factor back as it is set up).
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { REPO, tempFolder } from "./support.js";

const built = (name: string) => JSON.stringify(pathToFileURL(join(REPO, "dist", "adapters", name)).href);

/**
 * The young generation's size before and after 400,000 small objects that all survive, in bytes; with
 * `writer`, a LetterWriter writes a file into that folder first, and its thread is done before they are made.
 */
function youngGeneration(held: boolean, writer?: string): { before: number; after: number } {
  const script = `
    import { getHeapSpaceStatistics } from "node:v8";
    import { keepYoungGenerationSmall } from ${built("young-generation.js")};
    import { LetterWriter } from ${built("letter-writer.js")};
    const young = () => getHeapSpaceStatistics().find((space) => space.space_name === "new_space").space_size;
    if (${held}) keepYoungGenerationSmall();
    const before = young();
    const folder = ${JSON.stringify(writer ?? "")};
    if (folder) {
      const letters = new LetterWriter(folder, folder);
      letters.add("letter.txt", ["Dear Colleague,"], 15);
      await letters.close();
    }
    const kept = [];
    for (let i = 0; i < 400000; i++) kept.push({ i, text: "recipient " + i });
    process.stdout.write(JSON.stringify({ before, after: young(), kept: kept.length }));
  `;
  // A file, not --eval: a worker thread takes the process's flags, and --input-type is refused there.
  const file = join(tempFolder(), "young.mjs");
  writeFileSync(file, script);
  const output = execFileSync(process.execPath, [file], { encoding: "utf8" });
  return JSON.parse(output);
}

describe("keepYoungGenerationSmall", () => {
  it("keeps the young generation within twice its first size where V8 alone grows it eightfold", () => {
    const free = youngGeneration(false);
    const held = youngGeneration(true);
    expect(free.after).toBeGreaterThanOrEqual(8 * free.before);
    expect(held.after).toBeLessThanOrEqual(2 * held.before);
  });

  it("still holds after a LetterWriter's thread has started and written", () => {
    const folder = tempFolder();
    const free = youngGeneration(false, folder);
    expect(readFileSync(join(folder, "letter.txt"), "utf8")).toBe("Dear Colleague,");
    const held = youngGeneration(true, tempFolder());
    expect(free.after).toBeGreaterThanOrEqual(8 * free.before);
    expect(held.after).toBeLessThanOrEqual(2 * held.before);
  });
});
