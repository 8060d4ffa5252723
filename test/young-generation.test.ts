// The young generation held at its size for the commands that stream letters: in a process of its own (a V8
// flag is the whole process's), the same survivors that grow it under V8's own policy leave it as it was.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { REPO } from "./support.js";

const MODULE = pathToFileURL(join(REPO, "dist", "adapters", "young-generation.js")).href;

/** The young generation's size before and after 400,000 small objects that all survive, in bytes. */
function youngGeneration(held: boolean): { before: number; after: number } {
  const script = `
    import { getHeapSpaceStatistics } from "node:v8";
    import { keepYoungGenerationSmall } from ${JSON.stringify(MODULE)};
    const young = () => getHeapSpaceStatistics().find((space) => space.space_name === "new_space").space_size;
    if (${held}) keepYoungGenerationSmall();
    const before = young();
    const kept = [];
    for (let i = 0; i < 400000; i++) kept.push({ i, text: "recipient " + i });
    process.stdout.write(JSON.stringify({ before, after: young(), kept: kept.length }));
  `;
  const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  return JSON.parse(output);
}

describe("keepYoungGenerationSmall", () => {
  it("keeps the young generation within twice its first size where V8 alone grows it eightfold", () => {
    const free = youngGeneration(false);
    const held = youngGeneration(true);
    expect(free.after).toBeGreaterThanOrEqual(8 * free.before);
    expect(held.after).toBeLessThanOrEqual(2 * held.before);
  });
});
