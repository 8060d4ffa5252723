// What `outreach report` shows of a campaign: its figures (the same as `status --json`), the data of its charts
// and a row per recipient, all taken from the tracking. With `redact`, nothing that names or reaches a person
// is kept: no contact names or addresses, no notes, no senders of answers, no server words (they quote
// addresses), no subjects.
import type { CampaignStatus } from "./campaign-figures.js";
import { stageName } from "./campaign-figures.js";
import type { Outcome } from "./journal.js";
import { localDay, type Tracking } from "./tracking.js";

export interface ReportAnswer {
  date: string;
  outcome: Outcome;
  note?: string;
  from?: string;
}

export interface ReportRow {
  organisation: string;
  type: string;
  /** A short state for a person ("answered", "overdue", …) and the kind it belongs to, for its colour. */
  state: string;
  tone: "good" | "waiting" | "late" | "bad" | "quiet";
  daysWaiting: number | null;
  lastEvent: { day: string; text: string } | null;
  nextFollowup: string;
  /** The contacts' names and addresses (empty when redacted). */
  contacts: string[];
  answers: ReportAnswer[];
}

/** What each recipient's bar segment in "outcomes by kind of body" is called, in the order they stack. */
export const OUTCOME_LABELS = [
  "public statement",
  "action taken",
  "meeting",
  "forwarded",
  "clarification requested",
  "acknowledged",
  "declined",
  "to review",
  "no answer yet",
  "no answer, overdue",
  "bounced",
  "closed",
] as const;
export type OutcomeLabel = (typeof OUTCOME_LABELS)[number];

export interface CampaignReport {
  campaign: string;
  figures: CampaignStatus;
  /** The day the first appeal went out, and the report's day. */
  firstSent: string | null;
  today: string;
  redacted: boolean;
  rows: ReportRow[];
  /** Per day with a first answer: how many came that day, and how many recipients had answered by then. */
  answersOverTime: { day: string; answers: number; total: number }[];
  outcomesByType: { type: string; outcome: OutcomeLabel; recipients: number }[];
  /** How many recipients of each kind first answered after how many days. */
  daysByType: { type: string; days: number; recipients: number }[];
  medianByType: { type: string; median: number }[];
}

/** Names in a person's order (a collator: localeCompare per pair is slow for 10,000 rows). */
const byText = new Intl.Collator("en").compare;

function outcomeWords(outcome: Outcome): string {
  return outcome.replace(/-/g, " ");
}

/** Where a recipient sent the appeal stands, as one segment of its body type's bar. */
export function outcomeLabel(tracking: Tracking): OutcomeLabel | undefined {
  if (!tracking.appeal) return undefined;
  if (tracking.status === "to-review") return "to review";
  if (tracking.latest) return outcomeWords(tracking.latest.outcome) as OutcomeLabel;
  return tracking.overdue ? "no answer, overdue" : "no answer yet";
}

function stateOf(tracking: Tracking): Pick<ReportRow, "state" | "tone"> {
  switch (tracking.status) {
    case "responded":
      return { state: `answered: ${outcomeWords(tracking.latest?.outcome ?? "acknowledged")}`, tone: "good" };
    case "to-review":
      return { state: "answered, to review", tone: "good" };
    case "waiting":
      // A body never chased (its window's max is 0, like the ICRC's) is waiting by choice, not late.
      if (tracking.notChased) return { state: "waiting, not chased", tone: "waiting" };
      return tracking.overdue ? { state: "overdue", tone: "late" } : { state: "waiting", tone: "waiting" };
    case "partial":
      return { state: "partly delivered", tone: "bad" };
    case "bounced":
      return { state: "bounced", tone: "bad" };
    case "failed":
      return { state: "not delivered", tone: "bad" };
    case "uncertain":
      return { state: "uncertain", tone: "bad" };
    case "in-flight":
      return { state: "being sent", tone: "waiting" };
    case "closed":
      return { state: "closed", tone: "quiet" };
    case "not-sent":
      return tracking.entry.recipient.contacts.length === 0
        ? { state: "needs another channel", tone: "quiet" }
        : { state: "not sent", tone: "quiet" };
  }
}

function lastEvent(tracking: Tracking, redact: boolean): ReportRow["lastEvent"] {
  const events: { day: string; text: string }[] = [];
  for (const letter of tracking.letters) {
    const how = letter.byHand ? ` (${letter.channel.replace("-", " ")})` : "";
    events.push({ day: letter.day, text: `${stageName(letter.stage)} sent${how}` });
  }
  for (const response of tracking.responses) {
    const text = response.outcome === "auto-reply" ? "automatic reply" : outcomeWords(response.outcome);
    events.push({ day: response.date, text });
  }
  for (const item of tracking.pending) {
    events.push({ day: item.received.date ?? item.received.at.slice(0, 10), text: "answer received" });
  }
  if (tracking.failure) {
    const words = redact ? "" : `: ${tracking.failure.response}`;
    events.push({ day: localDay(new Date(tracking.failure.at)), text: `not delivered${words}` });
  }
  let latest: { day: string; text: string } | null = null;
  for (const event of events) if (!latest || event.day >= latest.day) latest = event;
  return latest;
}

function nextFollowup(tracking: Tracking, today: string): string {
  if (tracking.status !== "waiting") return "";
  if (tracking.notChased) return "not chased";
  if (!tracking.nextFollowupDue) return "no more";
  return tracking.nextFollowupDue <= today
    ? `due since ${tracking.nextFollowupDue}`
    : tracking.nextFollowupDue;
}

export function reportRow(tracking: Tracking, today: string, redact: boolean): ReportRow {
  const { recipient } = tracking.entry;
  const contacts = redact
    ? []
    : recipient.contacts.map((contact) =>
        contact.name ? `${contact.name} <${contact.email}>` : contact.email,
      );
  const answers = [...tracking.responses]
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0))
    .map((response): ReportAnswer => {
      const answer: ReportAnswer = { date: response.date, outcome: response.outcome };
      if (!redact && response.note) answer.note = response.note;
      if (!redact && response.from) answer.from = response.from;
      return answer;
    });
  const waiting = tracking.status === "waiting" || tracking.status === "partial";
  return {
    organisation: recipient.organisation,
    type: recipient.type,
    ...stateOf(tracking),
    daysWaiting: waiting ? (tracking.daysWaiting ?? null) : null,
    lastEvent: lastEvent(tracking, redact),
    nextFollowup: nextFollowup(tracking, today),
    contacts,
    answers,
  };
}

function answersOverTime(trackings: readonly Tracking[]): CampaignReport["answersOverTime"] {
  const perDay = new Map<string, number>();
  for (const tracking of trackings) {
    if (!tracking.appeal || !tracking.firstAnswer) continue;
    perDay.set(tracking.firstAnswer.date, (perDay.get(tracking.firstAnswer.date) ?? 0) + 1);
  }
  let total = 0;
  return [...perDay.entries()]
    .sort(([a], [b]) => byText(a, b))
    .map(([day, answers]) => {
      total += answers;
      return { day, answers, total };
    });
}

function outcomesByType(trackings: readonly Tracking[]): CampaignReport["outcomesByType"] {
  const counts = new Map<string, Map<OutcomeLabel, number>>();
  for (const tracking of trackings) {
    const label = outcomeLabel(tracking);
    if (!label) continue;
    const type = tracking.entry.recipient.type;
    const perType = counts.get(type) ?? new Map<OutcomeLabel, number>();
    counts.set(type, perType);
    perType.set(label, (perType.get(label) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort(([a], [b]) => byText(a, b))
    .flatMap(([type, perType]) =>
      OUTCOME_LABELS.filter((outcome) => perType.has(outcome)).map((outcome) => ({
        type,
        outcome,
        recipients: perType.get(outcome) as number,
      })),
    );
}

function countDays(trackings: readonly Tracking[]): CampaignReport["daysByType"] {
  const counts = new Map<string, { type: string; days: number; recipients: number }>();
  for (const tracking of trackings) {
    if (!tracking.appeal || tracking.daysToFirstAnswer === undefined) continue;
    const type = tracking.entry.recipient.type;
    const key = `${type}\u0000${tracking.daysToFirstAnswer}`;
    const entry = counts.get(key);
    if (entry) entry.recipients++;
    else counts.set(key, { type, days: tracking.daysToFirstAnswer, recipients: 1 });
  }
  return [...counts.values()].sort((a, b) => byText(a.type, b.type) || a.days - b.days);
}

export function buildCampaignReport(
  figures: CampaignStatus,
  trackings: readonly Tracking[],
  now: Date,
  redact: boolean,
): CampaignReport {
  const today = localDay(now);
  let firstSent: string | null = null;
  for (const tracking of trackings) {
    const day = tracking.appeal?.day;
    if (day && (firstSent === null || day < firstSent)) firstSent = day;
  }
  const rows = [...trackings]
    .sort(
      (a, b) =>
        byText(a.entry.recipient.type, b.entry.recipient.type) ||
        byText(a.entry.recipient.organisation, b.entry.recipient.organisation),
    )
    .map((tracking) => reportRow(tracking, today, redact));
  const daysByType = countDays(trackings);
  const medianByType = Object.entries(figures.by_type)
    .flatMap(([type, counts]) =>
      counts.median_days_to_answer === null ? [] : [{ type, median: counts.median_days_to_answer }],
    )
    .sort((a, b) => byText(a.type, b.type));
  return {
    campaign: figures.campaign,
    figures,
    firstSent,
    today,
    redacted: redact,
    rows,
    answersOverTime: answersOverTime(trackings),
    outcomesByType: outcomesByType(trackings),
    daysByType,
    medianByType,
  };
}
