// The rules behind scripts and terminals, case by case and in milliseconds: where a prompt may be drawn, how
// a mistyped value is answered, how --type and --tag combine, and from which day an address counts as stale.
import { describe, expect, it } from "vitest";
import { promptStream } from "../src/adapters/terminal.js";
import type { RecipientEntry } from "../src/core/recipients.js";
import { recipientWarnings } from "../src/core/recipients.js";
import { filterRecipients } from "../src/core/selection.js";
import { parseChoice } from "../src/core/suggest.js";
import { UserError } from "../src/errors.js";

function entry(id: string, type: string, tags: string[], verifiedOn?: string): RecipientEntry {
  return {
    recipient: {
      id,
      organisation: id,
      type,
      tags,
      salutation: "Dear colleagues,",
      contacts: [{ email: `${id}@example.org`, cc: false }],
      ...(verifiedOn ? { provenance: { verified_on: verifiedOn } } : {}),
    } as unknown as RecipientEntry["recipient"],
    file: "recipients/a.yaml",
    line: 1,
    at: {},
  };
}

function usageError(action: () => unknown): UserError {
  try {
    action();
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error("expected a UserError");
}

describe("promptStream: a question is drawn where a person sees it, or not at all", () => {
  const tty = { isTTY: true, name: "tty" };
  const file = { isTTY: false, name: "file" };
  it.each([
    ["all terminals", tty, tty, tty, "tty-err"],
    ["stdout piped (send | tee log)", tty, file, tty, "tty-err"],
    ["stderr to a file (send 2>err.txt)", tty, tty, file, "tty-out"],
    ["both outputs to files", tty, file, file, undefined],
    ["stdin not a terminal", file, tty, tty, undefined],
  ])("%s", (_, stdin, stdout, stderr, expected) => {
    const streams = {
      stdin,
      stdout: { ...stdout, name: `${stdout.name}-out` },
      stderr: { ...stderr, name: `${stderr.name}-err` },
    };
    expect(promptStream(streams)?.name).toBe(expected);
  });
});

describe("parseChoice", () => {
  it("returns a known value, and refuses an unknown one as usage with the closest", () => {
    expect(parseChoice("csv", ["csv", "json"], "format", "--format")).toBe("csv");
    const error = usageError(() => parseChoice("jsn", ["csv", "json"], "format", "--format"));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('unknown format "jsn" (--format)');
    expect(error.hint).toBe('did you mean "json"? (one of: csv, json)');
  });
  it("lists the values without a guess when nothing is close", () => {
    expect(usageError(() => parseChoice("zzzzzz", ["csv", "json"], "format", "--format")).hint).toBe(
      "one of: csv, json",
    );
  });
});

describe("filterRecipients: OR within a flag, AND across flags, and no silent typo", () => {
  const folder = [entry("a", "un", ["geneva"]), entry("b", "ngo", ["geneva"]), entry("c", "ngo", ["london"])];
  const ids = (filters: { type?: string[]; tag?: string[] }) =>
    filterRecipients(folder, (e) => e, filters, folder).map((e) => e.recipient.id);
  it("combines", () => {
    expect(ids({})).toEqual(["a", "b", "c"]);
    expect(ids({ type: ["un", "ngo"] })).toEqual(["a", "b", "c"]);
    expect(ids({ tag: ["geneva", "london"] })).toEqual(["a", "b", "c"]);
    expect(ids({ type: ["ngo"], tag: ["geneva"] })).toEqual(["b"]);
    expect(ids({ type: ["un"], tag: ["london"] })).toEqual([]);
  });
  it("refuses a value no recipient in the folder has", () => {
    const error = usageError(() => ids({ type: ["ngoo"] }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('no recipient has the type "ngoo" (--type)');
    expect(error.hint).toContain('did you mean "ngo"?');
    expect(usageError(() => ids({ tag: ["genva"] })).hint).toContain('did you mean "geneva"?');
  });
});

describe("recipientWarnings: staleness counts back from the letter's date", () => {
  const now = new Date("2030-06-01T12:00:00Z");
  const old = [entry("a", "un", [], "2012-07-20")];
  it("from today when no campaign dates the letter", () => {
    const [warning] = recipientWarnings(old, now, 365);
    expect(warning?.message).toBe('"a" was last verified on 2012-07-20, more than 365 days ago');
  });
  it("from the campaign's date: quiet when the address was current then, and says so when it was not", () => {
    expect(recipientWarnings(old, now, 365, new Map([["a", new Date("2012-07-25T00:00:00Z")]]))).toEqual([]);
    const [warning] = recipientWarnings(old, now, 365, new Map([["a", new Date("2014-01-01T00:00:00Z")]]));
    expect(warning?.message).toBe(
      '"a" was last verified on 2012-07-20, more than 365 days before the letter\'s date (2014-01-01)',
    );
  });
});
