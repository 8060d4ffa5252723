// The spool that holds preview's output until every letter proved valid: records come back whole and in
// order, from memory or from its file, and the file leaves no name behind.
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Spool } from "../src/adapters/spool.js";
import { tempFolder } from "./support.js";

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
});
