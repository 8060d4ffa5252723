// Bad values given on the command line or in the environment: days that do not exist, counts that are not
// plain digits, free text with line breaks or invisible characters. Each is refused before anything is
// done (exit 2, wrong usage), with the flag named, the value shown safely, and nothing written.
import { describe, type ExpectStatic, it } from "vitest";
import { CRASH } from "./bad-input-helpers.js";
import { campaignFolder, run, snapshot } from "./support.js";

/** Runs `args` in `folder` and checks the refusal: exit 2, the message, no crash, nothing written. */
async function expectUsageRefused(
  expect: ExpectStatic,
  folder: string,
  args: string[],
  message: RegExp,
  env: Record<string, string> = {},
): Promise<string> {
  const before = snapshot(folder);
  const result = await run(args, { cwd: folder, env });
  const output = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
  expect.soft(result.exitCode, output).toBe(2);
  expect.soft(result.stderr, output).toMatch(message);
  expect.soft(result.stderr, "no crash").not.toMatch(CRASH);
  expect
    .soft(result.stdout + result.stderr, "no raw line break or bidi control echoed")
    .not.toMatch(/\r|\u202e/);
  expect.soft(snapshot(folder), "nothing written").toEqual(before);
  return result.stderr;
}

/** A starter campaign whose appeal to un-special-rapporteur was recorded as delivered by hand. */
async function sentFolder(): Promise<string> {
  const folder = campaignFolder();
  const logged = await run(["log", "un-special-rapporteur", "--sent-by", "letter", "--date", "2026-01-20"], {
    cwd: folder,
  });
  if (logged.exitCode !== 0) throw new Error(logged.stderr);
  return folder;
}

describe.concurrent("dates that do not exist", () => {
  it("OUTREACH_NOW=2012-02-30 says the day does not exist", async ({ expect }) => {
    await expectUsageRefused(
      expect,
      campaignFolder(),
      ["status"],
      /OUTREACH_NOW 2012-02-30 is not a day: February 2012 has 29 days/,
      { OUTREACH_NOW: "2012-02-30" },
    );
  });

  it("OUTREACH_NOW with an impossible time, or not ISO at all, is refused", async ({ expect }) => {
    const folder = campaignFolder();
    await expectUsageRefused(expect, folder, ["status"], /2012-02-29T25:00 is not a time/, {
      OUTREACH_NOW: "2012-02-29T25:00",
    });
    await expectUsageRefused(expect, folder, ["status"], /must be an ISO date or time/, {
      OUTREACH_NOW: "next tuesday",
    });
  });

  it("log --date 2012-02-30 and 2011-02-29 say the day does not exist", async ({ expect }) => {
    const folder = await sentFolder();
    for (const [date, days] of [
      ["2012-02-30", "February 2012 has 29 days"],
      ["2011-02-29", "February 2011 has 28 days"],
      ["2026-04-31", "April 2026 has 30 days"],
      ["2026-13-01", "there is no month 13"],
    ]) {
      await expectUsageRefused(
        expect,
        folder,
        ["log", "un-special-rapporteur", "--outcome", "acknowledged", "--date", date as string],
        new RegExp(`--date ${date} is not a day: ${days}`),
      );
    }
  });

  it("a campaign date that does not exist is a located check error", async ({ expect }) => {
    const folder = campaignFolder();
    const { readFileSync, writeFileSync } = await import("node:fs");
    const path = `${folder}/outreach.yaml`;
    writeFileSync(path, readFileSync(path, "utf8").replace(/date: \d{4}-\d{2}-\d{2}/, "date: 2026-02-30"));
    const result = await run(["check"], { cwd: folder });
    expect.soft(result.exitCode).toBe(1);
    expect
      .soft(result.stdout)
      .toMatch(
        /error {3}outreach\.yaml:\d+:\d+ {2}campaigns\[0\]\.date: 2026-02-30 is not a day: February 2026 has 28 days/,
      );
  });
});

describe.concurrent("counts are plain digits", () => {
  for (const command of ["send", "followup"]) {
    for (const value of ["1e1", "0x10", " 5", "5.0", "-1", "0", "Infinity"]) {
      it(`${command} --limit ${JSON.stringify(value)} is refused`, async ({ expect }) => {
        await expectUsageRefused(
          expect,
          campaignFolder(),
          [command, "--yes", "--limit", value],
          /--limit must be a whole number of at least 1, written in digits/,
        );
      });
    }
  }
});

describe.concurrent("free text on the command line follows the one-line rules", () => {
  it("log --from with a line break (an injected Bcc:) is refused and not echoed", async ({ expect }) => {
    const folder = await sentFolder();
    await expectUsageRefused(
      expect,
      folder,
      ["log", "un-special-rapporteur", "--outcome", "acknowledged", "--from", "Evil\r\nBcc: x@example.org"],
      /--from contains a line break \(U\+000D\)/,
    );
  });

  for (const [name, character] of [
    ["U+202E (right-to-left override)", "\u202e"],
    ["U+2066 (left-to-right isolate)", "\u2066"],
    ["U+0007 (bell)", "\u0007"],
    ["U+001B (escape)", "\u001b"],
  ]) {
    it(`log --note with ${name} is refused`, async ({ expect }) => {
      const folder = await sentFolder();
      await expectUsageRefused(
        expect,
        folder,
        ["log", "un-special-rapporteur", "--outcome", "acknowledged", "--note", `ok${character}gpj.exe`],
        /--note contains (an invisible text-direction control|a control character)/,
      );
    });
  }

  it("log --from with U+202E, resolve --note with a control character, --to-self with a line break (shown escaped)", async ({
    expect,
  }) => {
    const folder = await sentFolder();
    await expectUsageRefused(
      expect,
      folder,
      ["log", "un-special-rapporteur", "--outcome", "acknowledged", "--from", "Ann\u202eeoD"],
      /--from contains an invisible text-direction control \(U\+202E\)/,
    );
    await expectUsageRefused(
      expect,
      folder,
      ["resolve", "un-special-rapporteur", "--sent", "--note", "a\u0008b"],
      /--note contains a control character/,
    );
    await expectUsageRefused(
      expect,
      folder,
      ["send", "--to-self", "me@example.org\r\nBcc: x@example.org", "--yes"],
      /--to-self needs one email address, not "me@example.org\\u\{D\}\\u\{A\}Bcc: x@example.org"/,
    );
  });

  it("an unknown --outcome with a line break is shown escaped", async ({ expect }) => {
    const folder = await sentFolder();
    const stderr = await expectUsageRefused(
      expect,
      folder,
      ["log", "un-special-rapporteur", "--outcome", "ack\r\nBcc: x"],
      /unknown outcome "ack\\u\{D\}\\u\{A\}Bcc: x"/,
    );
    expect.soft(stderr).not.toMatch(/\nBcc:/);
  });

  it("a note with ordinary line breaks is still recorded", async ({ expect }) => {
    const folder = await sentFolder();
    const result = await run(
      ["log", "un-special-rapporteur", "--outcome", "acknowledged", "--note", "first line\nsecond line"],
      { cwd: folder },
    );
    expect.soft(result.exitCode, result.stderr).toBe(0);
  });
});
