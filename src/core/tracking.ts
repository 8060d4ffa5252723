// Where each recipient of a campaign stands after sending: not sent, uncertain, failed, waiting (and whether
// overdue), responded, bounced or closed; and when the next follow-up is due. Derived from the journal state.
import {
  APPEAL,
  type Channel,
  type Delivery,
  getDelivery,
  type JournalState,
  type Outcome,
  type ResponseEvent,
  recipientKey,
} from "./journal.js";
import type { RecipientEntry } from "./recipients.js";
import type { Campaign } from "./schema.js";

export type TrackingStatus =
  | "not-sent"
  | "uncertain"
  | "failed"
  | "waiting"
  | "responded"
  | "bounced"
  | "closed";

export interface SentLetter {
  stage: string;
  /** ISO time it went out (for a letter delivered by hand: that day, at noon UTC). */
  at: string;
  channel: Channel;
  messageId?: string;
  subject?: string;
}

export interface Tracking {
  campaign: string;
  entry: RecipientEntry;
  status: TrackingStatus;
  /** The appeal as it went out, and every follow-up after it, oldest first. */
  letters: SentLetter[];
  appeal?: SentLetter;
  followupsSent: number;
  responses: ResponseEvent[];
  /** The latest real answer (auto-replies do not count). */
  latest?: ResponseEvent;
  /** Whole days since the appeal went out, while waiting. */
  daysWaiting?: number;
  /** Waiting longer than the follow-up interval since the last letter. */
  overdue: boolean;
  /** YYYY-MM-DD the next follow-up is due, or undefined when none will be (answered, or the maximum sent). */
  nextFollowupDue?: string;
  /** A follow-up is due now and can go by email, threaded under the last letter. */
  followupDue: boolean;
  failure?: Delivery["failure"];
  uncertainReason?: string;
}

const DAY = 86_400_000;

export function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function addDays(iso: string, days: number): string {
  return dayOf(new Date(Date.parse(iso) + days * DAY));
}

function sentLetter(delivery: Delivery | undefined): SentLetter | undefined {
  if (delivery?.status !== "sent" || !delivery.sentAt) return undefined;
  return {
    stage: delivery.stage,
    at: delivery.sentAt,
    channel: "email",
    ...(delivery.messageId ? { messageId: delivery.messageId } : {}),
    ...(delivery.subject ? { subject: delivery.subject } : {}),
  };
}

export function trackRecipient(
  state: JournalState,
  campaign: Campaign,
  entry: RecipientEntry,
  now: Date,
): Tracking {
  const id = entry.recipient.id;
  const key = recipientKey(campaign.id, id);
  const appealDelivery = getDelivery(state, "smtp", campaign.id, id);
  const byHand = state.handDeliveries.get(key) ?? [];
  const letters: SentLetter[] = [];
  const appealByEmail = sentLetter(appealDelivery);
  const appealByHand = byHand.find((event) => (event.stage ?? APPEAL) === APPEAL);
  const appeal =
    appealByEmail ??
    (appealByHand
      ? { stage: APPEAL, at: `${appealByHand.date}T12:00:00.000Z`, channel: appealByHand.channel }
      : undefined);
  if (appeal) letters.push(appeal);
  for (let number = 1; ; number++) {
    const stage = `followup-${number}`;
    const byEmail = sentLetter(getDelivery(state, "smtp", campaign.id, id, stage));
    const handed = byHand.find((event) => event.stage === stage);
    const followup =
      byEmail ??
      (handed ? { stage, at: `${handed.date}T12:00:00.000Z`, channel: handed.channel } : undefined);
    if (!followup) break;
    letters.push(followup);
  }
  const responses = state.responses.get(key) ?? [];
  const real = responses.filter((response) => response.outcome !== "auto-reply");
  const latest = real.at(-1);
  const tracking: Tracking = {
    campaign: campaign.id,
    entry,
    status: "not-sent",
    letters,
    ...(appeal ? { appeal } : {}),
    followupsSent: Math.max(0, letters.length - 1),
    responses,
    ...(latest ? { latest } : {}),
    overdue: false,
    followupDue: false,
  };
  // An answer settles the matter, even for a letter that went by a way outreach did not see.
  if (latest) {
    tracking.status = outcomeStatus(latest.outcome);
    return tracking;
  }
  if (!appeal) {
    if (appealDelivery?.status === "uncertain") {
      tracking.status = "uncertain";
      if (appealDelivery.uncertainReason) tracking.uncertainReason = appealDelivery.uncertainReason;
    } else if (appealDelivery?.status === "failed") {
      tracking.status = "failed";
      if (appealDelivery.failure) tracking.failure = appealDelivery.failure;
    }
    return tracking;
  }
  tracking.status = "waiting";
  const last = letters.at(-1) as SentLetter;
  tracking.daysWaiting = Math.max(0, Math.floor((now.getTime() - Date.parse(appeal.at)) / DAY));
  const sinceLast = (now.getTime() - Date.parse(last.at)) / DAY;
  tracking.overdue = sinceLast >= campaign.followup.after_days;
  if (tracking.followupsSent < campaign.followup.max) {
    tracking.nextFollowupDue = addDays(last.at, campaign.followup.after_days);
    tracking.followupDue = tracking.overdue;
  }
  return tracking;
}

function outcomeStatus(outcome: Outcome): TrackingStatus {
  if (outcome === "closed") return "closed";
  if (outcome === "bounced") return "bounced";
  return "responded";
}

export function trackCampaign(
  state: JournalState,
  campaign: Campaign,
  entries: readonly RecipientEntry[],
  now: Date,
): Tracking[] {
  return entries.map((entry) => trackRecipient(state, campaign, entry, now));
}

/** Waiting recipients, those waiting longest first. */
export function outstanding(trackings: readonly Tracking[]): Tracking[] {
  return trackings
    .filter((tracking) => tracking.status === "waiting")
    .sort(
      (a, b) =>
        (b.daysWaiting ?? 0) - (a.daysWaiting ?? 0) ||
        a.entry.recipient.id.localeCompare(b.entry.recipient.id),
    );
}
