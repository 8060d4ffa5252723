// The figures the report and `status --json` share, and what the report keeps of a recipient, on their own
// (pure, no I/O): who counts as answered, days to a first answer and their median, and what --redact drops.
import { describe, expect, it } from "vitest";
import { campaignFigures, median } from "../src/core/campaign-figures.js";
import { deriveState, type JournalEvent } from "../src/core/journal.js";
import type { RecipientEntry } from "../src/core/recipients.js";
import { buildCampaignReport } from "../src/core/report.js";
import type { Campaign } from "../src/core/schema.js";
import { trackCampaign } from "../src/core/tracking.js";
import { appealSent, journalEvent } from "./report-fixture.js";

const campaign = { id: "c", followup: { after_days: 14, max: 2 } } as unknown as Campaign;
const NOW = new Date("2026-02-01T12:00:00Z");

function entry(id: string, type: string, email?: string): RecipientEntry {
  const contacts = email ? [{ name: `Person ${id}`, email }] : [];
  return {
    recipient: { id, organisation: `Org ${id}`, type, contacts },
    file: "r.yaml",
    line: 1,
    at: {},
  } as never;
}

const event = (recipient: string, day: string, fields: Record<string, unknown>) =>
  journalEvent("c", recipient, day, fields) as JournalEvent;
const sent = (recipient: string, day: string) =>
  appealSent("c", recipient, day, `${recipient}@example.org`) as JournalEvent[];
function answer(recipient: string, date: string, outcome: string, extra: Record<string, unknown> = {}) {
  return event(recipient, date, { type: "response", outcome, date, channel: "email", ...extra });
}

const entries = [entry("a", "un", "a@example.org"), entry("b", "un", "b@example.org")];
entries.push(entry("c", "ngo", "c@example.org"), entry("d", "ngo", "d@example.org"), entry("e", "eu"));
const events = [
  ...sent("a", "2026-01-05"),
  answer("a", "2026-01-05", "auto-reply"),
  answer("a", "2026-01-09", "acknowledged", { note: "call Ms Secret", from: "Ms Secret <s@example.org>" }),
  answer("a", "2026-01-20", "closed"),
  ...sent("b", "2026-01-05"),
  answer("b", "2026-01-06", "auto-reply"),
  ...sent("c", "2026-01-10"),
  answer("c", "2026-01-11", "bounced"),
  ...sent("d", "2026-01-10"),
  answer("d", "2026-01-12", "meeting"),
];
const state = deriveState(events);
const trackings = trackCampaign(state, campaign, entries, NOW);

describe("the figures status --json and the report share", () => {
  it("takes the middle value, or the mean of the two middle ones", () => {
    expect(median([])).toBeNull();
    expect(median([7])).toBe(7);
    expect(median([8, 1, 5, 2])).toBe(3.5);
  });

  it("counts from the appeal to the first answer a person wrote: not the auto-reply, not the closing", () => {
    const [a, b, c] = trackings;
    expect(a?.firstAnswer?.outcome).toBe("acknowledged");
    expect(a?.daysToFirstAnswer).toBe(4);
    expect(a?.status).toBe("closed");
    expect(b?.firstAnswer).toBeUndefined();
    expect(c?.firstAnswer).toBeUndefined();
  });

  it("answered counts people who wrote back; delivered leaves out bounces; medians per kind of body", () => {
    const figures = campaignFigures(state, campaign, trackings, null);
    expect(figures).toMatchObject({
      selected: 5,
      sent: 4,
      answered: 2,
      delivered: 3,
      bounced: 1,
      overdue: 1,
    });
    expect(figures.answer_rate).toBe(0.5);
    expect(figures.median_days_to_answer).toBe(3);
    expect(figures.by_type.un?.median_days_to_answer).toBe(4);
    expect(figures.by_type.ngo?.median_days_to_answer).toBe(2);
    expect(figures.by_type.eu?.median_days_to_answer).toBeNull();
  });
});

describe("the report's model", () => {
  const figures = campaignFigures(state, campaign, trackings, null);

  it("stacks each recipient written to under their latest outcome or their silence", () => {
    const report = buildCampaignReport(figures, trackings, NOW, false);
    expect(report.outcomesByType).toEqual([
      { type: "ngo", outcome: "meeting", recipients: 1 },
      { type: "ngo", outcome: "bounced", recipients: 1 },
      { type: "un", outcome: "no answer, overdue", recipients: 1 },
      { type: "un", outcome: "closed", recipients: 1 },
    ]);
    expect(report.answersOverTime).toEqual([
      { day: "2026-01-09", answers: 1, total: 1 },
      { day: "2026-01-12", answers: 1, total: 2 },
    ]);
    expect(report.firstSent).toBe("2026-01-05");
  });

  it("keeps names, addresses, notes and senders in the working copy and drops them all with redact", () => {
    const working = buildCampaignReport(figures, trackings, NOW, false).rows.find(
      (row) => row.organisation === "Org a",
    );
    expect(working?.contacts).toEqual(["Person a <a@example.org>"]);
    expect(working?.answers.find((item) => item.outcome === "acknowledged")).toMatchObject({
      note: "call Ms Secret",
      from: "Ms Secret <s@example.org>",
    });
    const shared = buildCampaignReport(figures, trackings, NOW, true);
    expect(JSON.stringify(shared.rows)).not.toMatch(/Secret|Person|@example\.org/);
    expect(shared.rows.find((row) => row.organisation === "Org a")?.answers).toHaveLength(3);
  });
});

describe("a body never chased (its window's max is 0)", () => {
  it("is waiting by choice in the figures and the report's table: not overdue, no follow-up", () => {
    const windows = {
      id: "c",
      followup: { after_days: 14, max: 2, by_type: { un: { max: 0 } } },
    } as unknown as Campaign;
    const tracked = trackCampaign(state, windows, entries, NOW);
    const figures = campaignFigures(state, windows, tracked, null);
    // b (un) has only an auto-reply after four weeks: waiting, past 14 days, but never chased.
    expect(figures.by_type.un).toMatchObject({ waiting: 1, overdue: 0, not_chased: 1 });
    const row = buildCampaignReport(figures, tracked, NOW, false).rows.find(
      (item) => item.organisation === "Org b",
    );
    expect(row).toMatchObject({ state: "waiting, not chased", nextFollowup: "not chased" });
  });
});
