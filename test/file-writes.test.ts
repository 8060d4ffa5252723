// replaceFileWhole writes pieces given one at a time (an array, or a generator making each as it is asked
// for), gathering short ones into one write: the file holds exactly their bytes in order, whatever their
// sizes around the gathering buffer's, and a piece that cannot be made leaves the old file as it was.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { replaceFileWhole } from "../src/adapters/file-writes.js";
import { seededRandom, tempFolder } from "./support.js";

const CHARACTERS = ["a", "\n", "é", "€", "😀", "Ж"];

/** Pieces of seeded sizes from none to 200 kB, strings (some characters of several bytes) and buffers. */
function randomPieces(seed: number): (Buffer | string)[] {
  const { next: random } = seededRandom(seed);
  const sizes = [0, 1, 65_535, 65_536, 65_537, 3, 200_000, 64_000, 2_000];
  for (let index = 0; index < 40; index++)
    sizes.push(Math.floor(random() * (random() < 0.2 ? 150_000 : 3_000)));
  return sizes.map((size, index) => {
    const text = Array.from(
      { length: size },
      () => CHARACTERS[Math.floor(random() * CHARACTERS.length)] as string,
    ).join("");
    return index % 3 === 0 ? Buffer.from(text) : text;
  });
}

const bytesOf = (pieces: (Buffer | string)[]) =>
  Buffer.concat(pieces.map((piece) => (typeof piece === "string" ? Buffer.from(piece) : piece)));

describe("replaceFileWhole", () => {
  it("writes exactly the pieces' bytes, in order, from an array or a generator", () => {
    const folder = tempFolder();
    for (const seed of [1, 2, 3]) {
      const pieces = randomPieces(seed);
      const path = join(folder, `file-${seed}.txt`);
      writeFileSync(path, "an older, longer text that must not be left at the end of the new one");
      replaceFileWhole(path, pieces, { mode: 0o600 });
      expect(readFileSync(path).equals(bytesOf(pieces))).toBe(true);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      function* oneByOne() {
        yield* pieces.slice().reverse();
      }
      replaceFileWhole(path, oneByOne());
      expect(readFileSync(path).equals(bytesOf(pieces.slice().reverse()))).toBe(true);
    }
    expect(readdirSync(folder).sort()).toEqual(["file-1.txt", "file-2.txt", "file-3.txt"]);
  });

  it("writes pieces that end at, just short of or just past the gathering buffer's end", () => {
    const folder = tempFolder();
    const cases: (Buffer | string)[][] = [
      ["a".repeat(65_530), "€€€"],
      ["a".repeat(65_530), Buffer.from("12345678")],
      ["a".repeat(65_535), "é"],
      ["a".repeat(65_536), "b"],
      ["a".repeat(65_537)],
      ["x", Buffer.alloc(65_540, 0x61), "y"],
      ["b", "a".repeat(65_535), "c"],
      ["a".repeat(65_534), "😀", "z"],
      [Buffer.alloc(65_536, 0x61), Buffer.alloc(1, 0x62), "€".repeat(21_845), "é"],
    ];
    cases.forEach((pieces, index) => {
      const path = join(folder, `edge-${index}.txt`);
      replaceFileWhole(path, pieces);
      expect(readFileSync(path).equals(bytesOf(pieces)), `case ${index}`).toBe(true);
    });
  });

  it("writes a file whose pieces are made by a generator that writes another file on the way", () => {
    const folder = tempFolder();
    const inner = join(folder, "inner.txt");
    function* writingAnother() {
      yield "outer: first ";
      replaceFileWhole(inner, ["the inner file's ", "own text"]);
      yield "outer: second";
    }
    replaceFileWhole(join(folder, "outer.txt"), writingAnother());
    expect(readFileSync(join(folder, "outer.txt"), "utf8")).toBe("outer: first outer: second");
    expect(readFileSync(inner, "utf8")).toBe("the inner file's own text");
  });

  it("leaves the old file as it was, and nothing beside it, when a piece cannot be made", () => {
    const folder = tempFolder();
    const path = join(folder, "cache.json");
    writeFileSync(path, "the old text\n");
    function* failing() {
      yield "x".repeat(100_000);
      yield "a line\n";
      throw new Error("a piece that cannot be made");
    }
    expect(() => replaceFileWhole(path, failing())).toThrow("a piece that cannot be made");
    expect(readFileSync(path, "utf8")).toBe("the old text\n");
    expect(readdirSync(folder)).toEqual(["cache.json"]);
  });
});
