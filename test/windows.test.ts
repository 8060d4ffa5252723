// Answer windows per kind of body: the rules on the pure core (which window applies, how working days count),
// then end to end through the built CLI over a real SMTP server: who is overdue on which day, who is never
// chased, what `followup` sends, the .ics read back by a real iCalendar parser, and bad values located.
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Campaign, Recipient } from "../src/core/schema.js";
import { addDays, answerWindow } from "../src/core/windows.js";
import { type Sink, startSink } from "./smtp-sink.js";
import { campaignFolder, run, STARTER, tempFolder } from "./support.js";

describe("the window rules", () => {
  const campaign = {
    followup: {
      after_days: 14,
      max: 2,
      working_days: false,
      by_type: { un: { after_days: 30 }, icrc: { max: 0 } },
    },
  } as unknown as Campaign;
  const recipient = (type: string, followup?: Recipient["followup"]) =>
    ({ id: "x", type, ...(followup ? { followup } : {}) }) as Recipient;

  it("a recipient's own window, over its type's, over the campaign's; each key on its own", () => {
    expect(answerWindow(campaign, recipient("ngo"))).toMatchObject({
      afterDays: 14,
      max: 2,
      source: "campaign",
    });
    expect(answerWindow(campaign, recipient("un"))).toMatchObject({
      afterDays: 30,
      max: 2,
      source: "type un",
    });
    expect(answerWindow(campaign, recipient("icrc"))).toMatchObject({ afterDays: 14, max: 0 });
    expect(answerWindow(campaign, recipient("un", { after_days: 7 }))).toMatchObject({
      afterDays: 7,
      max: 2,
      source: "recipient",
    });
  });

  it("working days skip Saturdays and Sundays; a letter sent at a weekend counts from Monday", () => {
    // 2026-02-06 is a Friday.
    expect(addDays("2026-02-06", 1)).toBe("2026-02-07");
    expect(addDays("2026-02-06", 1, true)).toBe("2026-02-09");
    expect(addDays("2026-02-06", 5, true)).toBe("2026-02-13");
    expect(addDays("2026-02-02", 5, true)).toBe("2026-02-09");
    expect(addDays("2026-02-02", 14, true)).toBe("2026-02-20");
    expect(addDays("2026-02-07", 1, true)).toBe("2026-02-09");
    expect(addDays("2026-02-08", 5, true)).toBe("2026-02-13");
    expect(addDays("2026-02-04", 20, true)).toBe("2026-03-04");
  });
});

const EMBASSY = "embassy-example";
const ICRC = "icrc-example";
const UN = "un-special-rapporteur";
const NGO = "example-ngo";
/** A Monday. */
const SENT_AT = "2026-02-02T09:00:00Z";

const starterConfig = readFileSync(join(STARTER, "outreach.yaml"), "utf8");
const WINDOWS = `    followup:
      after_days: 14
      max: 2
      template: followup
      by_type:
        un: { after_days: 30 }
        embassy: { after_days: 5 }
        icrc: { max: 0 }
`;
function config(windows = WINDOWS): string {
  return starterConfig
    .replace("types: [un, ngo]", "types: [un, ngo, embassy, icrc]")
    .replace(/ {4}followup:\n(?: {6}.*\n)+/, windows);
}
const MORE_RECIPIENTS = `- id: ${EMBASSY}
  organisation: Embassy of Exampleland
  type: embassy
  salutation: "Your Excellency,"
  contacts:
    - email: ambassador@embassy.example.org
  custom:
    mandate: your country's voice
- id: ${ICRC}
  organisation: ICRC Example Delegation
  type: icrc
  salutation: "Dear Head of Delegation,"
  contacts:
    - email: delegation@icrc.example.org
  custom:
    mandate: your humanitarian mandate
`;

let server: Sink;
let sent: string;
beforeAll(async () => {
  server = await startSink();
  sent = campaignFolder({ "outreach.yaml": config(), "recipients/more.yaml": MORE_RECIPIENTS });
  const result = await cli(sent, SENT_AT, ["send", "--yes"]);
  if (result.exitCode !== 0) throw new Error(`the shared send failed:\n${result.stderr}`);
});
afterAll(() => server.close());

function cli(folder: string, now: string, args: string[]) {
  return run(args, { cwd: folder, env: { OUTREACH_NOW: now, OUTREACH_SMTP_URL: server.url } });
}
function copyOfSent(): string {
  const folder = tempFolder();
  cpSync(sent, folder, { recursive: true });
  return folder;
}
async function outstanding(folder: string, now: string) {
  const result = await cli(folder, now, ["outstanding", "--json"]);
  expect(result.exitCode, result.stderr).toBe(0);
  const rows = JSON.parse(result.stdout) as {
    id: string;
    overdue: boolean;
    not_chased: boolean;
    next_followup_due: string | null;
  }[];
  return new Map(rows.map((row) => [row.id, row]));
}

describe("windows per kind of body, end to end", () => {
  it("on day 20 the UN body (30 days) is not overdue and the embassy (5 days) is; the ICRC is not chased, not overdue", async () => {
    const rows = await outstanding(sent, "2026-02-22");
    expect(rows.get(UN)).toMatchObject({ overdue: false, next_followup_due: "2026-03-04" });
    expect(rows.get(EMBASSY)).toMatchObject({ overdue: true, next_followup_due: "2026-02-07" });
    expect(rows.get(NGO)).toMatchObject({ overdue: true, next_followup_due: "2026-02-16" });
    expect(rows.get(ICRC)).toMatchObject({ overdue: false, not_chased: true, next_followup_due: null });

    const table = await cli(sent, "2026-02-22", ["outstanding"]);
    expect(table.stdout).toMatch(new RegExp(`${ICRC} .* not chased`));
    const status = await cli(sent, "2026-02-22", ["status", "--json"]);
    expect(JSON.parse(status.stdout)[0]).toMatchObject({
      overdue: 2,
      not_chased: 1,
      by_type: { un: { overdue: 0 }, embassy: { overdue: 1 }, icrc: { overdue: 0, not_chased: 1 } },
    });
  });

  it("working_days: true skips the weekend: the embassy's five days end on Monday, not Saturday", async () => {
    const folder = copyOfSent();
    const calendarDays = await outstanding(folder, "2026-02-08");
    expect(calendarDays.get(EMBASSY)).toMatchObject({ overdue: true, next_followup_due: "2026-02-07" });
    writeFileSync(
      join(folder, "outreach.yaml"),
      config(WINDOWS.replace("embassy: { after_days: 5 }", "embassy: { after_days: 5, working_days: true }")),
    );
    const workingDays = await outstanding(folder, "2026-02-08");
    expect(workingDays.get(EMBASSY)).toMatchObject({ overdue: false, next_followup_due: "2026-02-09" });
    expect(workingDays.get(NGO)).toMatchObject({ next_followup_due: "2026-02-16" });
  });

  it("followup chases the overdue embassy and NGO, never the ICRC (max 0) nor the UN body still in its window", async () => {
    const folder = copyOfSent();
    const before = server.received.length;
    const result = await cli(folder, "2026-02-22", ["followup", "--yes"]);
    expect(result.exitCode, result.stderr).toBe(0);
    const to = server.received.slice(before).flatMap((message) => message.to);
    expect(to.sort()).toEqual([
      "ambassador@embassy.example.org",
      "director@ngo.example.net",
      "press@ngo.example.net",
    ]);
    expect(result.stderr).toContain(`Not chased (followup max 0, by choice): ${ICRC}`);
    // A month later the UN body is due, and the ICRC still is not.
    const later = await cli(folder, "2026-03-05", ["followup", "--dry-run", "--json"]);
    const wouldSend = JSON.parse(later.stdout).would_send.map((letter: { id: string }) => letter.id);
    expect(wouldSend).toContain(UN);
    expect(wouldSend).not.toContain(ICRC);
  });

  it("calendar -o writes one all-day event per due follow-up, read back by Python's icalendar, with stable UIDs and no addresses", async () => {
    const folder = copyOfSent();
    const written = await cli(folder, "2026-02-22", ["calendar", "-o", "due.ics"]);
    expect(written.exitCode, written.stderr).toBe(0);
    expect(written.stderr).toContain("Wrote 3 follow-ups to due.ics");
    const events = await readCalendar(join(folder, "due.ics"));
    const rows = await outstanding(folder, "2026-02-22");
    const due = [...rows.values()].filter((row) => row.next_followup_due !== null);
    expect(events).toHaveLength(due.length);
    expect(new Map(events.map((event) => [event.uid, event.start]))).toEqual(
      new Map(due.map((row) => [`first-appeal.${row.id}.followup-1@outreach`, row.next_followup_due])),
    );
    for (const event of events) {
      expect(event.allDay).toBe(true);
      expect(event.summary).toMatch(/^Follow-up 1: /);
    }
    expect(events.find((event) => event.uid.includes(EMBASSY))?.summary).toBe(
      "Follow-up 1: Embassy of Exampleland",
    );
    const text = readFileSync(join(folder, "due.ics"), "utf8");
    expect(text).not.toContain("@embassy.example.org");
    expect(text).not.toContain(ICRC);

    // The same state gives the same file; --with-addresses adds the contacts.
    const again = await cli(folder, "2026-02-22", ["calendar"]);
    expect(again.stdout).toBe(text);
    const listed = JSON.parse((await cli(folder, "2026-02-22", ["calendar", "--json"])).stdout);
    expect(listed.map((entry: { uid: string }) => entry.uid).sort()).toEqual(
      events.map((event) => event.uid).sort(),
    );
    const withAddresses = await cli(folder, "2026-02-22", ["calendar", "--with-addresses"]);
    expect(withAddresses.stdout).toContain("ambassador@embassy.example.org");
  });

  it("calendar -o: a name with the characters iCalendar gives a meaning to, and past a folded line's length, reads back exactly", async () => {
    const folder = copyOfSent();
    const name =
      'Embassy; of, "Example\\land" END:VEVENT BEGIN:VALARM — Посольство Примерной Республики 日本';
    const more = join(folder, "recipients", "more.yaml");
    writeFileSync(
      more,
      readFileSync(more, "utf8").replace(
        "organisation: Embassy of Exampleland",
        `organisation: ${JSON.stringify(name)}`,
      ),
    );
    const written = await cli(folder, "2026-02-22", ["calendar", "-o", "due.ics"]);
    expect(written.exitCode, written.stderr).toBe(0);
    const events = await readCalendar(join(folder, "due.ics"));
    expect(events).toHaveLength(3);
    expect(events.find((event) => event.uid.includes(EMBASSY))?.summary).toBe(`Follow-up 1: ${name}`);
    const lines = readFileSync(join(folder, "due.ics"), "utf8").split("\r\n");
    expect(lines.filter((line) => Buffer.byteLength(line) > 75)).toEqual([]);
    expect(lines.filter((line) => line === "BEGIN:VALARM" || line === "END:VEVENT")).toHaveLength(3);
  });

  it("check locates bad window values at their line, and names a mistyped type with did you mean", async () => {
    const bad = config(`    followup:
      after_days: 14
      template: followup
      working_days: sometimes
      by_type:
        un: { after_days: 0 }
        icrc: { maxx: 0 }
        Embassy: { after_days: 3 }
`);
    const folder = campaignFolder({ "outreach.yaml": bad, "recipients/more.yaml": MORE_RECIPIENTS });
    const line = (text: string) => bad.split("\n").findIndex((row) => row.includes(text)) + 1;
    const result = await cli(folder, "2026-02-22", ["check"]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout + result.stderr).toContain(
      `outreach.yaml:${line("working_days: sometimes")}:21  campaigns[0].followup.working_days: must be true or false`,
    );
    expect(result.stdout + result.stderr).toMatch(
      new RegExp(
        `outreach.yaml:${line("un: { after_days: 0 }")}:\\d+  campaigns\\[0\\]\\.followup\\.by_type\\.un\\.after_days: must be at least 1`,
      ),
    );
    expect(result.stdout + result.stderr).toMatch(
      new RegExp(
        `outreach.yaml:${line("maxx")}:\\d+  .*by_type\\.icrc\\.maxx: unknown field "maxx"\\s+→ did you mean "max"\\?`,
      ),
    );

    expect(result.stdout + result.stderr).toMatch(
      new RegExp(
        `outreach.yaml:${line("Embassy:")}:\\d+  .*by_type\\.Embassy: the name "Embassy" must be lower-case letters`,
      ),
    );

    const typo = config(WINDOWS.replace("embassy: {", "embasy: {"));
    writeFileSync(join(folder, "outreach.yaml"), typo);
    const warned = await cli(folder, "2026-02-22", ["check"]);
    expect(warned.exitCode, warned.stdout + warned.stderr).toBe(0);
    expect(warned.stdout + warned.stderr).toMatch(
      new RegExp(
        `outreach.yaml:${typo.split("\n").findIndex((row) => row.includes("embasy")) + 1}:\\d+  campaigns\\[0\\]\\.followup\\.by_type\\.embasy: no recipient has the type "embasy"[^\\n]*\\n\\s+→ did you mean "embassy"\\?`,
      ),
    );
  });
});

interface CalendarEvent {
  uid: string;
  start: string;
  allDay: boolean;
  summary: string;
}

/** Debian's python3-icalendar, a parser written apart from the library that wrote the file. */
async function readCalendar(path: string): Promise<CalendarEvent[]> {
  const script = `
import json, sys, datetime, icalendar
calendar = icalendar.Calendar.from_ical(open(sys.argv[1], "rb").read())
events = []
for event in calendar.walk("VEVENT"):
    start = event.decoded("DTSTART")
    events.append({
        "uid": str(event["UID"]),
        "start": start.isoformat(),
        "allDay": isinstance(start, datetime.date) and not isinstance(start, datetime.datetime),
        "summary": str(event["SUMMARY"]),
    })
print(json.dumps(events))
`;
  const { stdout } = await execa("/usr/bin/python3", ["-c", script, path]);
  return JSON.parse(stdout) as CalendarEvent[];
}
