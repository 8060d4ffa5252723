// The figures of one campaign, counted from its recipients' tracking: what went out, what came back, who is
// overdue, by body type. `status` prints them, `status --json` and `report` show them: one computation.
import { APPEAL, getDelivery, type JournalState, type Outcome } from "./journal.js";
import type { Campaign } from "./schema.js";
import type { Tracking } from "./tracking.js";

export interface Counts {
  selected: number;
  sent: number;
  responded: number;
  waiting: number;
  overdue: number;
  /** Waiting, but their window's max is 0: never chased, by choice (not overdue, not a failure). */
  not_chased: number;
  /** Recipients sent the appeal who wrote back themselves (auto-replies, bounces and closings do not count). */
  answered: number;
  /** The median of their days from the appeal to their first answer; null before any answer. */
  median_days_to_answer: number | null;
}

export interface CampaignStatus extends Counts {
  campaign: string;
  /** Of the letters sent, those that went by email and by hand. */
  sent_by_email: number;
  sent_by_hand: number;
  /** Letters sent that reached every address and did not bounce. */
  delivered: number;
  failed: number;
  uncertain: number;
  not_sent: number;
  /** Recipients without email whose letter has not been recorded as delivered by hand. */
  other_channel: number;
  in_outbox: number;
  bounced: number;
  closed: number;
  /** Answers taken in from the mailbox that wait for an outcome (outreach review). */
  to_review: number;
  /** Messages no letter claims, in every campaign's mailbox (the same number in each row). */
  holding_pen: number;
  /** Responded (including closed) as a share of letters sent, 0 to 1. */
  response_rate: number;
  /** Answered (by a person) as a share of letters sent, 0 to 1. */
  answer_rate: number;
  outcomes: Partial<Record<Outcome, number>>;
  by_type: Record<string, Counts>;
  uncertain_ids: string[];
  failed_ids: string[];
  /** Sent, but the server refused some addresses, which never got the letter. */
  partial: number;
  partial_ids: string[];
  /** Per partial letter: who got it and who did not, with the server's words. */
  partial_details: { id: string; reached: string[]; not_reached: { address: string; response: string }[] }[];
  /** Handed over by the send running now (pid `running_pid`), without an answer yet: not uncertain. */
  in_flight: number;
  in_flight_ids: string[];
  running_pid: number | null;
  /** Recipients who got the same letter more than once, e.g. "un-special-rapporteur (appeal)". */
  sent_twice_ids: string[];
}

function emptyCounts(): Counts {
  return {
    selected: 0,
    sent: 0,
    responded: 0,
    waiting: 0,
    overdue: 0,
    not_chased: 0,
    answered: 0,
    median_days_to_answer: null,
  };
}

/** The middle value (the mean of the two middle ones for an even count), or null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Days from the appeal to the first answer, for those sent the appeal who answered. */
export function daysToAnswer(trackings: readonly Tracking[]): number[] {
  const days: number[] = [];
  for (const tracking of trackings) {
    if (tracking.appeal && tracking.daysToFirstAnswer !== undefined) days.push(tracking.daysToFirstAnswer);
  }
  return days;
}

function count(into: Counts, tracking: Tracking): void {
  into.selected++;
  if (tracking.appeal) into.sent++;
  // Answers to letters outreach knows went out; one logged with --force for a letter never sent is not a rate.
  if (tracking.appeal && (tracking.status === "responded" || tracking.status === "closed")) into.responded++;
  if (tracking.appeal && tracking.firstAnswer) into.answered++;
  if (tracking.status === "waiting" || tracking.status === "partial") into.waiting++;
  if (tracking.overdue) into.overdue++;
  if (tracking.notChased) into.not_chased++;
}

export function stageName(stage: string): string {
  return stage === APPEAL ? "appeal" : stage.replace("followup-", "follow-up ");
}

/** The follow-up troubles, follow-ups in flight and letters sent twice of one recipient. */
function countLetters(row: CampaignStatus, tracking: Tracking): void {
  const { id } = tracking.entry.recipient;
  if (tracking.appeal) {
    if (tracking.appeal.byHand) row.sent_by_hand++;
    else row.sent_by_email++;
  }
  if (tracking.latest)
    row.outcomes[tracking.latest.outcome] = (row.outcomes[tracking.latest.outcome] ?? 0) + 1;
  if (tracking.followupTrouble && tracking.status === "waiting") {
    const label = `${id} (${stageName(tracking.followupTrouble.stage)})`;
    if (tracking.followupTrouble.status === "uncertain") {
      row.uncertain++;
      row.uncertain_ids.push(label);
    } else {
      row.failed++;
      row.failed_ids.push(label);
    }
  }
  for (const stage of tracking.sentTwice) row.sent_twice_ids.push(`${id} (${stageName(stage)})`);
  if (tracking.followupInFlight) {
    row.in_flight++;
    row.in_flight_ids.push(`${id} (${stageName(tracking.followupInFlight)})`);
  }
}

function countState(row: CampaignStatus, tracking: Tracking): void {
  const { recipient } = tracking.entry;
  if (tracking.appeal && tracking.status !== "bounced" && tracking.status !== "partial") row.delivered++;
  switch (tracking.status) {
    case "in-flight":
      row.in_flight++;
      row.in_flight_ids.push(recipient.id);
      break;
    case "failed":
      row.failed++;
      row.failed_ids.push(recipient.id);
      break;
    case "uncertain":
      row.uncertain++;
      row.uncertain_ids.push(recipient.id);
      break;
    case "partial":
      row.partial++;
      row.partial_ids.push(recipient.id);
      row.partial_details.push({
        id: recipient.id,
        reached: tracking.reached,
        not_reached: tracking.notReached,
      });
      break;
    case "bounced":
      row.bounced++;
      break;
    case "closed":
      row.closed++;
      break;
    case "not-sent":
      if (recipient.contacts.length === 0) row.other_channel++;
      else row.not_sent++;
      break;
  }
}

function emptyStatus(state: JournalState, campaign: Campaign, runningPid: number | null): CampaignStatus {
  return {
    campaign: campaign.id,
    ...emptyCounts(),
    sent_by_email: 0,
    sent_by_hand: 0,
    delivered: 0,
    failed: 0,
    uncertain: 0,
    not_sent: 0,
    other_channel: 0,
    in_outbox: 0,
    bounced: 0,
    closed: 0,
    to_review: state.intake.queue.filter((item) => item.campaign === campaign.id).length,
    holding_pen: state.intake.holdingPen.length,
    response_rate: 0,
    answer_rate: 0,
    outcomes: {},
    by_type: {},
    uncertain_ids: [],
    failed_ids: [],
    partial: 0,
    partial_ids: [],
    partial_details: [],
    in_flight: 0,
    in_flight_ids: [],
    running_pid: runningPid,
    sent_twice_ids: [],
  };
}

export function campaignFigures(
  state: JournalState,
  campaign: Campaign,
  trackings: readonly Tracking[],
  runningPid: number | null,
): CampaignStatus {
  const row = emptyStatus(state, campaign, runningPid);
  const byType = new Map<string, Tracking[]>();
  for (const tracking of trackings) {
    const { recipient } = tracking.entry;
    count(row, tracking);
    const counts = row.by_type[recipient.type] ?? emptyCounts();
    row.by_type[recipient.type] = counts;
    count(counts, tracking);
    const group = byType.get(recipient.type);
    if (group) group.push(tracking);
    else byType.set(recipient.type, [tracking]);
    // Written to the outbox and not sent since, by SMTP or by hand.
    if (!tracking.appeal && getDelivery(state, campaign.id, recipient.id)?.status === "in-outbox") {
      row.in_outbox++;
    }
    countLetters(row, tracking);
    countState(row, tracking);
  }
  row.median_days_to_answer = median(daysToAnswer(trackings));
  for (const [type, group] of byType) {
    (row.by_type[type] as Counts).median_days_to_answer = median(daysToAnswer(group));
  }
  row.response_rate = row.sent === 0 ? 0 : row.responded / row.sent;
  row.answer_rate = row.sent === 0 ? 0 : row.answered / row.sent;
  return row;
}
