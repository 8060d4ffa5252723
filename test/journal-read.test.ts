// The journal read a megabyte at a time (for status and the other reporting commands) gives what reading it
// whole gives: the same events, the same cut-off last line, the same error naming the same damaged line,
// and its length and SHA-256, for lines that span pieces, long lines, blank lines and characters of any size.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  parseJournal,
  readJournal,
  readJournalBytes,
  readJournalHashed,
  repairJournal,
} from "../src/adapters/journal-file.js";
import { tempFolder } from "./support.js";

function event(index: number, note: string): string {
  return JSON.stringify({
    type: "response",
    v: 1,
    id: `e${index}`,
    at: "2026-02-01T10:00:00.000Z",
    campaign: "c",
    recipient: `r${index % 7}`,
    outcome: "acknowledged",
    date: "2026-02-01",
    channel: "email",
    note,
  });
}

/** Both readings of the same bytes: their answer, or the error each gives. */
function bothReadings(bytes: Buffer) {
  const folder = tempFolder();
  mkdirSync(join(folder, ".outreach"));
  writeFileSync(join(folder, ".outreach", "journal.jsonl"), bytes);
  const whole = (() => {
    try {
      const read = readJournalBytes(folder) as Buffer;
      const digest = createHash("sha256").update(read).digest("base64url");
      return { contents: parseJournal(read), length: read.length, digest };
    } catch (error) {
      return String(error);
    }
  })();
  const inPieces = (() => {
    try {
      return readJournalHashed(folder);
    } catch (error) {
      return String(error);
    }
  })();
  return { whole, inPieces };
}

const NOTES = ["", "é", "Хорог", "日本語", "🙂 emoji", "a".repeat(5_000)];

function lines(count: number, seed: number): string[] {
  return Array.from({ length: count }, (_, index) =>
    event(index, NOTES[(index + seed) % NOTES.length] ?? ""),
  );
}

describe("the journal read in pieces", () => {
  it("gives the events, length and digest of the whole journal, its lines crossing every piece", () => {
    // About 2.5 MB, so that lines (and characters of 2 to 4 bytes) fall across the 1 MB pieces.
    const body = lines(3_000, 1).join("\n");
    for (const ending of ["\n", "", "\n\n", "\n  \n", "\n   "]) {
      const { whole, inPieces } = bothReadings(Buffer.from(body + ending));
      expect(typeof whole).toBe("object");
      expect(inPieces).toEqual(whole);
    }
  });

  it("takes a line longer than a piece whole", () => {
    const long = event(1, "b".repeat(2_500_000));
    const { whole, inPieces } = bothReadings(Buffer.from(`${event(0, "")}\n${long}\n${event(2, "é")}\n`));
    expect(inPieces).toEqual(whole);
    expect(typeof whole === "object" && whole.contents.events.length).toBe(3);
  });

  it("finds the same cut-off last line, at the same line, after blank lines", () => {
    const text = `${lines(2_000, 2).join("\n")}\n\n${event(9, "x").slice(0, 40)}`;
    const { whole, inPieces } = bothReadings(Buffer.from(text));
    expect(typeof whole === "object" && whole.contents.torn?.line).toBe(2_002);
    expect(inPieces).toEqual(whole);
  });

  it("names the same damaged line, in the middle or last with its newline", () => {
    const all = lines(2_500, 3);
    for (const at of [0, 1_700, 2_499]) {
      const damaged = [...all];
      damaged[at] = at === 1_700 ? '{"type":"attempt"}' : "not json at all";
      const { whole, inPieces } = bothReadings(Buffer.from(`${damaged.join("\n")}\n`));
      expect(whole).toContain(`line ${at + 1}`);
      expect(inPieces).toBe(whole);
    }
  });

  it("reads an empty journal, and says there is none when there is no file", () => {
    const { whole, inPieces } = bothReadings(Buffer.alloc(0));
    expect(inPieces).toEqual(whole);
    expect(readJournalHashed(tempFolder())).toBeUndefined();
  });
});

describe("a cut-off last line after a byte that is not UTF-8", () => {
  it("is set aside at its first byte, so the journal reads whole again", async () => {
    const folder = tempFolder();
    mkdirSync(join(folder, ".outreach"));
    const path = join(folder, ".outreach", "journal.jsonl");
    // A note edited by hand in Latin-1 (one byte, 0xE9), then a send cut off while writing its attempt.
    const first = Buffer.concat([
      Buffer.from(event(0, "caf").slice(0, -2)),
      Buffer.from([0xe9]),
      Buffer.from('"}\n'),
    ]);
    const torn =
      '{"type":"attempt","campaign":"c","recipient":"r1","id":"t1","at":"2026-02-01T11:00:00.000Z"';
    writeFileSync(path, Buffer.concat([first, Buffer.from(torn)]));
    const contents = readJournal(folder);
    expect(contents.goodLength).toBe(first.length);
    await repairJournal(folder, contents);
    const repaired = readJournal(folder);
    expect(repaired.torn).toBeUndefined();
    expect(repaired.events.map((item) => item.type)).toEqual(["response", "attempt"]);
    expect(readFileSync(path).subarray(0, first.length).equals(first)).toBe(true);
  });
});
