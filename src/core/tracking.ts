// Where each recipient of a campaign stands after sending: not sent, uncertain, failed, waiting (and whether
// overdue), responded, bounced or closed; and when the next follow-up is due. Derived from the journal state.

import type { IntakeItem } from "./intake.js";
import {
  APPEAL,
  type Channel,
  type Delivery,
  getDelivery,
  type JournalState,
  type Outcome,
  type ResponseEvent,
  recipientKey,
  sentTwice,
} from "./journal.js";
import type { OriginalLetter } from "./letters.js";
import type { RecipientEntry } from "./recipients.js";
import type { Campaign } from "./schema.js";
import { type AnswerWindow, addDays, answerWindow } from "./windows.js";

/**
 * How a letter handed over without a recorded answer is named, the same in status, history and send: in
 * flight while the send that handed it over still runs, uncertain once it does not.
 */
export function inFlightWords(pid?: number): string {
  return `in flight (a send is running${pid === undefined ? "" : `, pid ${pid}`})`;
}
export const UNCERTAIN_WORDS = "uncertain, needs your decision";

export type TrackingStatus =
  | "not-sent"
  | "in-flight"
  | "uncertain"
  | "failed"
  | "waiting"
  /** Sent, but the server refused some of its addresses: those never got it (until completed or closed). */
  | "partial"
  /** An answer came in (matched, probable or assigned) and waits for a person's outcome. */
  | "to-review"
  | "responded"
  | "bounced"
  | "closed";

export interface SentLetter {
  stage: string;
  /** ISO time it went out (for a letter delivered by hand: that day, at noon UTC). */
  at: string;
  /** The calendar day it went out, where the user is (for a letter delivered by hand: the day logged). */
  day: string;
  channel: Channel;
  /** Delivered by the user (web form, post, their own mail client) and logged, not sent by outreach. */
  byHand: boolean;
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
  /** The earliest human answer (not an auto-reply, a bounce or a closing), and how many days after the appeal. */
  firstAnswer?: ResponseEvent;
  daysToFirstAnswer?: number;
  /** Answers taken in from the mailbox that wait for review: they hold back every follow-up. */
  pending: IntakeItem[];
  /** Whole days since the appeal went out, while waiting. */
  daysWaiting?: number;
  /** This body's answer window: its own, its type's (`followup.by_type`) or the campaign's. */
  window: AnswerWindow;
  /** Waiting longer than its answer window since the last letter (never for a body not chased, max 0). */
  overdue: boolean;
  /** The window's max is 0: this body is never chased (the ICRC works confidentially); not a failure. */
  notChased: boolean;
  /** YYYY-MM-DD the next follow-up is due, or undefined when none will be (answered, or the maximum sent). */
  nextFollowupDue?: string;
  /** A follow-up is due now and can go by email, threaded under the last letter. */
  followupDue: boolean;
  failure?: Delivery["failure"];
  uncertainReason?: string;
  /** The addresses the appeal reached (or may have reached), for a letter sent by email. */
  reached: string[];
  /** Addresses the server refused and no later try reached, with its words: the letter is partial. */
  notReached: { address: string; response: string }[];
  /** The latest follow-up attempt did not go through cleanly: it is uncertain, or it failed. */
  followupTrouble?: { stage: string; status: "uncertain" | "failed"; detail: string };
  /** A follow-up that the send running now has handed over, without an answer yet. */
  followupInFlight?: string;
  /** Letters of this campaign that reached the recipient more than once (the stages). */
  sentTwice: string[];
}

const DAY = 86_400_000;

/**
 * The latest calendar day anywhere on Earth at this moment (the day in UTC+14). A message's own Date is the
 * day where its sender is, which can be up to two days after this machine's day (UTC−12 against UTC+14):
 * only a day after this one is in the future for everyone.
 */
export function latestDayOnEarth(date: Date): string {
  return new Date(date.getTime() + 14 * 3_600_000).toISOString().slice(0, 10);
}

/** The calendar day of `date` where the user is (the machine's time zone), YYYY-MM-DD. */
export function localDay(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY);
}

/** An answer a person wrote: not an auto-reply, a bounce, or the user closing the contact. */
export function isHumanAnswer(outcome: Outcome): boolean {
  return outcome !== "auto-reply" && outcome !== "bounced" && outcome !== "closed";
}

function earliestHumanAnswer(responses: readonly ResponseEvent[]): ResponseEvent | undefined {
  let first: ResponseEvent | undefined;
  for (const response of responses) {
    if (isHumanAnswer(response.outcome) && (!first || response.date < first.date)) first = response;
  }
  return first;
}

function sentLetter(delivery: Delivery | undefined): SentLetter | undefined {
  if (delivery?.status !== "sent" || !delivery.sentAt) return undefined;
  if (delivery.byHand) {
    return {
      stage: delivery.stage,
      at: delivery.sentAt,
      day: delivery.byHand.date,
      channel: delivery.byHand.channel,
      byHand: true,
    };
  }
  const letter: SentLetter = {
    stage: delivery.stage,
    at: delivery.sentAt,
    day: localDay(new Date(delivery.sentAt)),
    byHand: false,
    channel: "email",
  };
  if (delivery.messageId) letter.messageId = delivery.messageId;
  if (delivery.subject) letter.subject = delivery.subject;
  return letter;
}

export function trackRecipient(
  state: JournalState,
  campaign: Campaign,
  entry: RecipientEntry,
  now: Date,
): Tracking {
  return trackOne(new TrackingRun(campaign, localDay(now), lookedUp(state, campaign.id)), entry);
}

/** What the journal holds about a recipient of one campaign, by the recipient's id. */
interface RecipientRecords {
  delivery(recipient: string, stage: string): Delivery | undefined;
  responses(recipient: string): ResponseEvent[] | undefined;
  pending(recipient: string): IntakeItem[] | undefined;
}

/** Each record looked up when asked for (for one recipient). */
function lookedUp(state: JournalState, campaignId: string): RecipientRecords {
  return {
    delivery: (recipient, stage) => getDelivery(state, campaignId, recipient, stage),
    responses: (recipient) => state.responses.get(recipientKey(campaignId, recipient)),
    pending: (recipient) => state.intake.pendingByRecipient.get(recipientKey(campaignId, recipient)),
  };
}

/**
 * The campaign's records gathered by recipient id once, for a run over many recipients: looking each one up
 * by its key (campaign, id and stage) builds and hashes a new string for every recipient and letter.
 */
function gathered(state: JournalState, campaignId: string): RecipientRecords {
  const deliveries = new Map<string, Delivery[]>();
  for (const delivery of state.deliveries.values()) {
    if (delivery.campaign !== campaignId) continue;
    const list = deliveries.get(delivery.recipient);
    if (list) list.push(delivery);
    else deliveries.set(delivery.recipient, [delivery]);
  }
  const responses = new Map<string, ResponseEvent[]>();
  for (const list of state.responses.values()) {
    const [first] = list;
    if (first?.campaign === campaignId) responses.set(first.recipient, list);
  }
  const pending = new Map<string, IntakeItem[]>();
  for (const list of state.intake.pendingByRecipient.values()) {
    const [first] = list;
    if (first?.campaign === campaignId) pending.set(first.recipient, list);
  }
  return {
    delivery(recipient, stage) {
      const list = deliveries.get(recipient);
      if (list) for (const delivery of list) if (delivery.stage === stage) return delivery;
      return undefined;
    },
    responses: (recipient) => responses.get(recipient),
    pending: (recipient) => pending.get(recipient),
  };
}

/**
 * What the recipients of one tracking run share: the campaign and its records, today where the user is, the
 * day sums (most letters went out on a few days) and the answer windows of recipients without their own
 * (one per body type), each worked out once.
 */
class TrackingRun {
  private readonly waited = new Map<string, number>();
  private readonly due = new Map<string, string>();
  private readonly windows = new Map<string, AnswerWindow>();
  constructor(
    readonly campaign: Campaign,
    readonly today: string,
    readonly records: RecipientRecords,
  ) {}

  /** Whole days from `day` to today. */
  daysSince(day: string): number {
    let days = this.waited.get(day);
    if (days === undefined) {
      days = daysBetween(day, this.today);
      this.waited.set(day, days);
    }
    return days;
  }

  /** addDays, remembered. */
  dueOn(day: string, window: AnswerWindow): string {
    const key = `${day} ${window.afterDays} ${window.workingDays}`;
    let due = this.due.get(key);
    if (due === undefined) {
      due = addDays(day, window.afterDays, window.workingDays);
      this.due.set(key, due);
    }
    return due;
  }

  /** answerWindow, shared by the recipients of a type that have no window of their own (never changed). */
  windowOf(recipient: RecipientEntry["recipient"]): AnswerWindow {
    if (recipient.followup) return answerWindow(this.campaign, recipient);
    let window = this.windows.get(recipient.type);
    if (window === undefined) {
      window = answerWindow(this.campaign, recipient);
      this.windows.set(recipient.type, window);
    }
    return window;
  }
}

/** trackRecipient within a run, which trackCampaign shares among all its recipients. */
function trackOne(run: TrackingRun, entry: RecipientEntry): Tracking {
  const history = letterHistory(run.records, entry.recipient.id);
  const tracking = trackingFacts(run, entry, history);
  settleStatus(tracking, history.appealDelivery, run);
  return tracking;
}

/** The letters that reached one recipient, in the order they went, and the follow-up a next send would attempt. */
interface LetterHistory {
  appealDelivery: Delivery | undefined;
  letters: SentLetter[];
  /** The stages of the letters that went to an address twice. */
  sentTwiceStages: string[];
  /** The delivery of the first follow-up not sent: it says how an attempt at it went. */
  nextAttempt: Delivery | undefined;
}

function letterHistory(records: RecipientRecords, id: string): LetterHistory {
  const appealDelivery = records.delivery(id, APPEAL);
  const letters: SentLetter[] = [];
  const sentTwiceStages: string[] = [];
  const appeal = sentLetter(appealDelivery);
  if (appeal) letters.push(appeal);
  if (appealDelivery && sentTwice(appealDelivery)) sentTwiceStages.push(APPEAL);
  let nextAttempt: Delivery | undefined;
  for (let number = 1; appeal; number++) {
    const delivery = records.delivery(id, `followup-${number}`);
    const followup = sentLetter(delivery);
    if (!followup) {
      nextAttempt = delivery;
      break;
    }
    letters.push(followup);
    if (delivery && sentTwice(delivery)) sentTwiceStages.push(followup.stage);
  }
  return { appealDelivery, letters, sentTwiceStages, nextAttempt };
}

/** What the journal says of one recipient, before its status is decided ("not-sent", nothing due). */
function trackingFacts(run: TrackingRun, entry: RecipientEntry, history: LetterHistory): Tracking {
  const { appealDelivery, letters, nextAttempt } = history;
  const appeal = letters[0];
  const { id } = entry.recipient;
  // Which addresses a letter reached is known only for email; a letter also delivered by hand reached them all.
  const appealByEmail = appeal !== undefined && appealDelivery !== undefined && onlyByEmail(appealDelivery);
  const responses = run.records.responses(id) ?? [];
  // Built whole, then the facts that only some recipients have: no object spread per field.
  const tracking: Tracking = {
    campaign: run.campaign.id,
    entry,
    status: "not-sent",
    letters,
    followupsSent: Math.max(0, letters.length - 1),
    responses,
    pending: run.records.pending(id) ?? [],
    reached: appealByEmail ? distinct((appealDelivery as Delivery).addresses) : [],
    notReached: appealByEmail ? (appealDelivery as Delivery).refusals : [],
    sentTwice: history.sentTwiceStages,
    window: run.windowOf(entry.recipient),
    overdue: false,
    notChased: false,
    followupDue: false,
  };
  if (appeal) tracking.appeal = appeal;
  const latest = latestReal(responses);
  if (latest) tracking.latest = latest;
  const firstAnswer = earliestHumanAnswer(responses);
  if (firstAnswer) {
    tracking.firstAnswer = firstAnswer;
    if (appeal) tracking.daysToFirstAnswer = Math.max(0, daysBetween(appeal.day, firstAnswer.date));
  }
  if (nextAttempt) {
    const nextStage = `followup-${letters.length}`;
    const followupTrouble = troubleOf(nextAttempt, nextStage);
    if (followupTrouble) tracking.followupTrouble = followupTrouble;
    if (nextAttempt.status === "in-flight") tracking.followupInFlight = nextStage;
  }
  return tracking;
}

/** How the attempt at the next follow-up went wrong, if it did. */
function troubleOf(attempt: Delivery | undefined, stage: string): Tracking["followupTrouble"] {
  if (attempt?.status === "uncertain")
    return { stage, status: "uncertain", detail: attempt.uncertainReason ?? "" };
  if (attempt?.status === "failed")
    return { stage, status: "failed", detail: attempt.failure?.response ?? "" };
  return undefined;
}

/** Decides the status of a recipient from its facts, and what is due and when. */
function settleStatus(tracking: Tracking, appealDelivery: Delivery | undefined, run: TrackingRun): void {
  const { latest, appeal } = tracking;
  // An answer that waits for review is an answer: nobody is chased while one does.
  if (tracking.pending.length > 0 && latest?.outcome !== "closed") {
    tracking.status = "to-review";
    return;
  }
  // An answer settles the matter, even for a letter that went by a way outreach did not see.
  if (latest) {
    tracking.status = outcomeStatus(latest.outcome);
    return;
  }
  if (!appeal) {
    if (appealDelivery?.status === "in-flight") {
      tracking.status = "in-flight";
    } else if (appealDelivery?.status === "uncertain") {
      tracking.status = "uncertain";
      if (appealDelivery.uncertainReason) tracking.uncertainReason = appealDelivery.uncertainReason;
    } else if (appealDelivery?.status === "failed") {
      tracking.status = "failed";
      if (appealDelivery.failure) tracking.failure = appealDelivery.failure;
    }
    return;
  }
  // Whole calendar days where the user is: "due on the 15th" and "overdue" agree all day long.
  tracking.daysWaiting = Math.max(0, run.daysSince(appeal.day));
  // No follow-up for a letter some addressees never had: a "Re:" would answer a letter they never saw.
  if (tracking.notReached.length > 0) {
    tracking.status = "partial";
    return;
  }
  tracking.status = "waiting";
  const { window } = tracking;
  if (window.max === 0) {
    tracking.notChased = true;
    return;
  }
  const last = tracking.letters.at(-1) as SentLetter;
  const dueOn = run.dueOn(last.day, window);
  tracking.overdue = run.today >= dueOn;
  if (tracking.followupsSent < window.max) {
    tracking.nextFollowupDue = dueOn;
    tracking.followupDue = tracking.overdue;
  }
}

/** The latest response that is not an auto-reply. */
function latestReal(responses: readonly ResponseEvent[]): ResponseEvent | undefined {
  for (let index = responses.length - 1; index >= 0; index--) {
    const response = responses[index] as ResponseEvent;
    if (response.outcome !== "auto-reply") return response;
  }
  return undefined;
}

/** Every copy of the letter went by email (and there is one): none was delivered by hand. */
function onlyByEmail(delivery: Delivery): boolean {
  if (delivery.copies.length === 0) return false;
  for (const copy of delivery.copies) if (copy.byHand) return false;
  return true;
}

/** The addresses once each, in their order. */
function distinct(addresses: readonly string[]): string[] {
  if (addresses.length > 16) return [...new Set(addresses)];
  // A few (the usual case): each against those kept before it, without a Set.
  const kept: string[] = [];
  for (const address of addresses) if (!kept.includes(address)) kept.push(address);
  return kept;
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
  const run = new TrackingRun(campaign, localDay(now), gathered(state, campaign.id));
  return entries.map((entry) => trackOne(run, entry));
}

/** Waiting recipients (and those whose letter reached only some addresses), those waiting longest first. */
export function outstanding(trackings: readonly Tracking[]): Tracking[] {
  return trackings
    .filter((tracking) => tracking.status === "waiting" || tracking.status === "partial")
    .sort(
      (a, b) =>
        (b.daysWaiting ?? 0) - (a.daysWaiting ?? 0) ||
        a.entry.recipient.id.localeCompare(b.entry.recipient.id),
    );
}

/** What `followup` should do for one recipient. */
export type FollowupDecision =
  | { kind: "due"; number: number; original: OriginalLetter }
  /** The appeal reached only some of its addresses: complete it (or close it) before any follow-up. */
  | { kind: "partial"; notReached: Tracking["notReached"] }
  /** Due, but a letter of the thread went by hand: no Message-ID to answer, so the user follows up by hand. */
  | { kind: "by-hand"; channel: Channel }
  | { kind: "later"; on: string }
  /** Every follow-up its window allows went (`max`). */
  | { kind: "done"; max: number }
  /** Its window's max is 0: this body is never chased. */
  | { kind: "not-chased"; source: string }
  /** Not chased because they answered, or probably did: `reason` says so in a sentence. */
  | { kind: "held"; reason: string }
  | { kind: "none" };

export function followupFor(tracking: Tracking, hasEmail: boolean): FollowupDecision {
  if (tracking.status === "to-review") {
    const [first] = tracking.pending;
    const what =
      first?.match === "probable"
        ? `a message probably from them (${first.received.from ?? "unknown sender"}, ${first.received.date ?? "undated"})`
        : `an answer (${first?.received.from ?? "unknown sender"}, ${first?.received.date ?? "undated"})`;
    return {
      kind: "held",
      reason: `${what} waits for review: outreach review`,
    };
  }
  if (tracking.status === "responded" && tracking.latest) {
    return {
      kind: "held",
      reason: `they answered (${tracking.latest.outcome}, ${tracking.latest.date})`,
    };
  }
  if (tracking.status === "partial") return { kind: "partial", notReached: tracking.notReached };
  if (tracking.status !== "waiting") return { kind: "none" };
  if (tracking.notChased) return { kind: "not-chased", source: tracking.window.source };
  if (!tracking.nextFollowupDue) return { kind: "done", max: tracking.window.max };
  if (!tracking.followupDue) return { kind: "later", on: tracking.nextFollowupDue };
  const handed = tracking.letters.find((letter) => letter.byHand || !letter.messageId);
  if (handed || !hasEmail) return { kind: "by-hand", channel: handed?.channel ?? "email" };
  const appeal = tracking.appeal as SentLetter;
  return {
    kind: "due",
    number: tracking.followupsSent + 1,
    original: {
      date: appeal.day,
      subject: appeal.subject ?? "",
      messageIds: tracking.letters.map((letter) => letter.messageId as string),
    },
  };
}
