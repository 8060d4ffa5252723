// Text from the world that could disguise itself or drive a terminal: a bidirectional override (U+202E) or an
// escape sequence in a journal's notes and senders, in a key of a recipient file, a line break in a rate. Each
// is shown written out (\u{…}) or refused, never passed through.
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Campaign, Recipient } from "../src/core/schema.js";
import { answerWindow } from "../src/core/windows.js";
import { CAMPAIGN, journalEvent, reportFolder } from "./report-fixture.js";
import { campaignFolder, run, tempFolder } from "./support.js";

// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what is looked for
const HIDDEN = /[\u001b\u202e]/;

describe("text that hides or moves things", () => {
  it("report writes a sender's or a note's override and escape characters out", async () => {
    const folder = reportFolder();
    const answer = journalEvent(CAMPAIGN, "un-sr", "2026-01-20", {
      type: "response",
      outcome: "acknowledged",
      date: "2026-01-20",
      channel: "email",
      from: "Evil \u202Egro.elpmaxe@live <x@example.org>",
      note: "Call back \u001b[31msoon\u001b[0m\nthen \u202Ewrite",
    });
    appendFileSync(join(folder, ".outreach/journal.jsonl"), `${JSON.stringify(answer)}\n`);
    const path = join(tempFolder(), "report.html");
    const made = await run(["report", "-o", path], { cwd: folder });
    expect(made.exitCode).toBe(0);
    const html = readFileSync(path, "utf8");
    expect(html).not.toMatch(HIDDEN);
    expect(html).toContain("from Evil \\u{202E}gro.elpmaxe@live &lt;x@example.org&gt;");
    expect(html).toContain("Call back \\u{1B}[31msoon\\u{1B}[0m\nthen \\u{202E}write");
  });

  it("check names a key holding them without letting them reach the terminal", async () => {
    const folder = campaignFolder();
    const file = join(folder, "recipients/example.yaml");
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace("  country: CH\n", '  country: CH\n  "odd\\e[2J\\u202Ekey": 1\n'),
    );
    const checked = await run(["check"], { cwd: folder });
    expect(checked.exitCode).not.toBe(0);
    expect(checked.stdout).toContain('unknown field "odd\\u{1B}[2J\\u{202E}key"');
    expect(checked.stdout + checked.stderr).not.toMatch(HIDDEN);
  });

  it("a rate or a pause may not run over a line break", async () => {
    const folder = campaignFolder();
    const sent = await run(["send", "--dry-run", "--rate", "9\n/minute"], { cwd: folder });
    expect(sent.exitCode).toBe(2);
    expect(sent.stderr).toContain('not "9\\u{A}/minute"');
  });
});

describe("answer windows", () => {
  it("a fraction where a count of days is wanted is named as one", async () => {
    const folder = campaignFolder();
    const file = join(folder, "outreach.yaml");
    const config = readFileSync(file, "utf8").replace(
      /\n {6}# working_days: true.*\n/,
      "\n      by_type:\n        un: { after_days: 1.5, max: 0.5 }\n",
    );
    writeFileSync(file, config);
    const checked = await run(["check"], { cwd: folder });
    expect(checked.stdout).toContain("by_type.un.after_days: must be a whole number, not 1.5");
    expect(checked.stdout).toContain("by_type.un.max: must be a whole number, not 0.5");
  });

  it("a type named like an object's built-in property takes the campaign's window", () => {
    const campaign = {
      followup: { after_days: 14, max: 2, working_days: false, by_type: { un: { max: 0 } } },
    };
    for (const type of ["constructor", "toString", "hasOwnProperty"]) {
      const window = answerWindow(campaign as unknown as Campaign, { type } as Recipient);
      expect(window).toEqual({ afterDays: 14, max: 2, workingDays: false, source: "campaign" });
    }
  });
});
