// The folder cache (.outreach/cache/folder.json) is read a piece at a time, one line per recipient file, so a
// large list never sits in memory twice (its text and its objects). What a reader of pieces can get wrong: a
// line longer than a piece, a character cut between two pieces, a file cut off. Each is checked on the real
// file the CLI wrote; an entry forged in the cache (its file's digest left as it was) proves the cache was
// the one read.
import { readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { campaignFolder, run } from "./support.js";

const CACHE = join(".outreach", "cache", "folder.json");

/** 5,000 bodies in one file: its cache line is about 1.8 MB, longer than the 1 MB the reader takes at once. */
function manyBodies(): string {
  const bodies = Array.from({ length: 5_000 }, (_, index) =>
    [
      `- id: body-${index}`,
      `  organisation: Постоянное представительство ${index}`,
      "  type: un",
      '  salutation: "Уважаемые коллеги,"',
      "  contacts:",
      `    - email: office${index}@body.example.org`,
    ].join("\n"),
  );
  return `${bodies.join("\n")}\n`;
}

async function organisations(folder: string): Promise<string[]> {
  const result = await run(["recipients", "--json"], { cwd: folder });
  expect(result.exitCode, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { organisation: string }[]).map((entry) => entry.organisation);
}

describe("the folder cache", () => {
  it("reads a recipient file's line longer than a piece, with every character whole", async () => {
    const folder = campaignFolder({ "recipients/many.yaml": manyBodies() });
    const uncached = await organisations(folder);
    expect(uncached).toContain("Постоянное представительство 4999");
    const path = join(folder, CACHE);
    const text = readFileSync(path, "utf8");
    expect(Math.max(...text.split("\n").map((line) => Buffer.byteLength(line)))).toBeGreaterThan(2 ** 20);
    // Forged far past the first piece: shown only if the cache, not the YAML, was read.
    writeFileSync(path, text.replace("представительство 4999", "представительство 4999 (из кэша)"));
    const cached = await organisations(folder);
    expect(cached).toEqual(uncached.map((name) => (name.endsWith(" 4999") ? `${name} (из кэша)` : name)));
  });

  it("is read again from the YAML, whole, when the cache was cut off anywhere", async () => {
    const folder = campaignFolder({ "recipients/many.yaml": manyBodies() });
    const uncached = await organisations(folder);
    const path = join(folder, CACHE);
    const text = readFileSync(path);
    const firstLine = text.indexOf(10);
    // In the first line, just after it, inside the long line, and short of the last newline's line.
    for (const length of [firstLine - 5, firstLine + 1, firstLine + 1_500_000, text.length - 3]) {
      // A forged entry in a line that is itself whole: the cut must make the whole cache go unused.
      writeFileSync(path, text.toString("utf8").replace("Example Human Rights Association", "Forged"));
      truncateSync(path, length);
      expect(await organisations(folder)).toEqual(uncached);
      // …and the run wrote it anew, whole: the next run reads it and gives the same.
      expect(readFileSync(path).at(-1)).toBe(10);
      expect(await organisations(folder)).toEqual(uncached);
    }
  });
});
