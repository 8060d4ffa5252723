// The spool that holds preview's output until every letter proved valid: records come back whole and in
// order, from memory or from its file, and the file leaves no name behind.
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Spool } from "../src/adapters/spool.js";
import { campaignFolder, run, tempFolder, unBodies } from "./support.js";

function record(index: number, length: number): string {
  return `${index}:`.padEnd(length, String.fromCharCode(97 + (index % 26)));
}

describe("Spool", () => {
  it("gives back a few small records as added, in pieces or not, with nothing on disk", () => {
    const folder = tempFolder();
    const spool = new Spool(folder);
    spool.add(["one ", Buffer.from("piece")]);
    spool.add([]);
    spool.add(["é"]);
    expect([...spool.records()].map((buffer) => buffer.toString())).toEqual(["one piece", "", "é"]);
    spool.close();
    expect(readdirSync(folder)).toEqual([]);
  });

  it("gives back 12 MB of records, and one larger than its blocks, from a file that has no name", () => {
    const folder = tempFolder();
    const spool = new Spool(folder);
    const lengths = [...Array.from({ length: 3000 }, (_, index) => 1000 + (index % 7) * 1000), 3_000_000, 5];
    lengths.forEach((length, index) => {
      spool.add([record(index, length)]);
    });
    expect(readdirSync(folder)).toEqual([]);
    let index = 0;
    for (const buffer of spool.records()) {
      expect(buffer.length).toBe(lengths[index]);
      expect(buffer.toString() === record(index, lengths[index] as number)).toBe(true);
      index++;
    }
    expect(index).toBe(lengths.length);
    spool.close();
    expect(readdirSync(folder)).toEqual([]);
  });

  it("keeps its records in memory when its file cannot be made there, and gives them back whole", () => {
    const folder = tempFolder();
    writeFileSync(join(folder, "a-file"), "");
    // Under a regular file: no folder can be made, whoever runs the test (root included).
    const spool = new Spool(join(folder, "a-file", "state"));
    const lengths = Array.from({ length: 600 }, (_, index) => 1000 + (index % 5) * 1000);
    lengths.forEach((length, index) => {
      spool.add([record(index, length)]);
    });
    const back = [...spool.records()].map((buffer) => buffer.toString());
    expect(back).toEqual(lengths.map((length, index) => record(index, length)));
    spool.close();
    expect(readdirSync(folder)).toEqual(["a-file"]);
  });
});

describe("preview's spool", () => {
  it("is kept in the campaign folder, never in the system's temporary folder", async () => {
    // 400 letters (about 350 kB) are more than the spool holds in memory (256 kB), so it makes its file.
    const folder = campaignFolder({ "recipients/many.yaml": unBodies(400) });
    const usual = await run(["preview"], { cwd: folder });
    expect(usual.exitCode).toBe(0);
    expect(usual.stdout.length).toBeGreaterThan(1 << 18);
    const noTemporary = await run(["preview"], {
      cwd: folder,
      env: { TMPDIR: join(tempFolder(), "not-there"), TMP: "/not-there", TEMP: "/not-there" },
    });
    expect(noTemporary.stderr).toBe(usual.stderr);
    expect(noTemporary.exitCode).toBe(0);
    expect(noTemporary.stdout === usual.stdout).toBe(true);
    expect(readdirSync(join(folder, ".outreach")).filter((name) => name.startsWith("spool-"))).toEqual([]);
  });
});
