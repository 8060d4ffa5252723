// The folder cache knows a file by the digest of its bytes (readTextBytes), never decoding it: that digest
// must be the digest of the text readTextFile gives whenever it gives one, and a file it refuses must have
// bytes that are no accepted text's. Compared over seeded random files of the bytes that matter (byte-order
// marks, NUL, UTF-16 marks, broken and whole UTF-8 sequences) and a few written out.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { contentDigest } from "../src/adapters/folder-cache.js";
import { readTextBytes, readTextFile } from "../src/adapters/text-file.js";
import { seededRandom, tempFolder } from "./support.js";

const PIECES = [
  [0xef, 0xbb, 0xbf], // a byte-order mark
  [0xff, 0xfe],
  [0xfe, 0xff],
  [0x00],
  [0xc3, 0xa9], // é
  [0xe2, 0x82, 0xac], // €
  [0xf0, 0x9f, 0x98, 0x80], // an emoji
  [0xc3], // a sequence cut short
  [0x80],
  [0xed, 0xa0, 0x80], // a surrogate, not UTF-8
  [0x0a],
  [0x0d, 0x0a],
  [...Buffer.from("- id: a\n  name: x\n")],
];

function randomFile(random: () => number): Buffer {
  const bytes: number[] = [];
  const length = Math.floor(random() * 8);
  for (let index = 0; index < length; index++) {
    bytes.push(...(PIECES[Math.floor(random() * PIECES.length)] as number[]));
  }
  return Buffer.from(bytes);
}

/** Whether `bytes` are the UTF-8 of some text readTextFile could accept (no NUL, valid UTF-8). */
function couldBeAcceptedText(bytes: Uint8Array): boolean {
  if (bytes.includes(0)) return false;
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    return Buffer.from(text).equals(bytes);
  } catch {
    return false;
  }
}

describe("readTextBytes", () => {
  it("gives the digest of readTextFile's text, and for a refused file bytes no accepted text has", () => {
    const folder = tempFolder();
    const { next: random } = seededRandom(4064);
    const files = [
      Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0x41]),
      Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0x41]),
      Buffer.from(""),
      Buffer.from("plain text\n"),
      ...Array.from({ length: 2000 }, () => randomFile(random)),
    ];
    let accepted = 0;
    files.forEach((bytes, index) => {
      const path = join(folder, `file-${index}.yaml`);
      writeFileSync(path, bytes);
      const read = readTextFile(path, `file-${index}.yaml`);
      const raw = readTextBytes(path);
      expect(raw).toBeDefined();
      if (read.ok) {
        accepted++;
        expect(contentDigest(raw as Uint8Array)).toBe(contentDigest(read.text));
      } else {
        expect(couldBeAcceptedText(raw as Uint8Array)).toBe(false);
      }
    });
    expect(accepted).toBeGreaterThan(100);
    expect(accepted).toBeLessThan(files.length - 100);
  });

  it("read into one buffer, file after file, gives each file's own bytes, shorter or longer than the last", () => {
    const folder = tempFolder();
    const { next: random } = seededRandom(20);
    const shared = Buffer.alloc(64, 0x7a);
    // Sizes around the buffer's: a file that fits leaves earlier files' bytes after its own, one that does
    // not gets a buffer of its own.
    const sizes = [
      0,
      1,
      63,
      64,
      65,
      3,
      200,
      64,
      2,
      ...Array.from({ length: 200 }, () => Math.floor(random() * 130)),
    ];
    sizes.forEach((size, index) => {
      const bytes = Buffer.from(Array.from({ length: size }, () => 0x61 + Math.floor(random() * 26)));
      if (index % 7 === 3 && size >= 3) bytes.set([0xef, 0xbb, 0xbf]); // a byte-order mark, skipped
      const path = join(folder, `file-${index}.yaml`);
      writeFileSync(path, bytes);
      const into = readTextBytes(path, shared);
      expect(Buffer.from(into as Uint8Array).equals(Buffer.from(readTextBytes(path) as Uint8Array))).toBe(
        true,
      );
    });
  });

  it("gives nothing for a file it cannot read, a folder or one over the size limit", () => {
    const folder = tempFolder();
    mkdirSync(join(folder, "a-folder.yaml"));
    expect(readTextBytes(join(folder, "missing.yaml"))).toBeUndefined();
    expect(readTextBytes(join(folder, "a-folder.yaml"))).toBeUndefined();
    const big = join(folder, "big.yaml");
    writeFileSync(big, Buffer.alloc(16 * 1024 * 1024 + 1, 0x61));
    expect(readTextBytes(big)).toBeUndefined();
    expect(readTextFile(big, "big.yaml").ok).toBe(false);
  });
});
