// The journal's events and the state derived from them. The journal is the only record: what was attempted,
// what the server answered, what the user resolved. State is computed from it, never stored twice, and the
// computation does not depend on line order, so two people's journals merged by git give the same answer.

import { deriveIntake, type Intake } from "./intake.js";
import { withFields } from "./objects.js";

export const JOURNAL_VERSION = 1;

export type TransportKind = "smtp" | "outbox";

interface EventBase {
  v: number;
  /** Unique id of this event. */
  id: string;
  /** ISO time the event was recorded. */
  at: string;
  campaign: string;
  recipient: string;
}

export interface AttemptEvent extends EventBase {
  type: "attempt";
  message_id: string;
  transport: TransportKind;
  to: string[];
  cc: string[];
  subject: string;
  /** 1 for the first try of this message, 2 for its first retry, … */
  try: number;
  /** Which letter of the campaign: absent for the appeal itself, "followup-1", "followup-2", … */
  stage?: string;
  /** The Message-IDs this letter answers (a follow-up is threaded under the appeal). */
  in_reply_to?: string;
  /** The send run that made this attempt (its lock's token): tells a letter in flight from one left uncertain. */
  run?: string;
  /** Rebuilt from a line cut off while it was written: the file in .outreach/ that keeps the cut-off text. */
  torn?: string;
}

export interface SentEvent extends EventBase {
  type: "sent";
  attempt: string;
  message_id: string;
  response: string;
  accepted: string[];
  rejected: { address: string; response: string }[];
  /** The id the receiving server gave the message, when its answer names one. */
  server_message_id?: string;
}

export type FailureKind = "transient" | "permanent" | "auth";

export interface FailedEvent extends EventBase {
  type: "failed";
  attempt: string;
  message_id: string;
  kind: FailureKind;
  code?: number;
  response: string;
  /**
   * The user stopped the run (Ctrl-C) before the server took the message: it was not sent, and nothing
   * failed. Older versions, which do not know the field, read it as a transient failure.
   */
  interrupted?: true;
}

/** The message may or may not have been delivered: the connection was lost after the data was sent. */
export interface UncertainEvent extends EventBase {
  type: "uncertain";
  attempt: string;
  message_id: string;
  reason: string;
}

/** The user's decision about an uncertain send. */
export interface ResolvedEvent extends EventBase {
  type: "resolved";
  message_id: string;
  outcome: "sent" | "not-sent";
  note?: string;
}

/** What advocates record about an answer (PRODUCT.md's list; "no reply" is derived, never logged). */
export const OUTCOMES = [
  "acknowledged",
  "forwarded",
  "clarification-requested",
  "meeting",
  "action-taken",
  "public-statement",
  "declined",
  "auto-reply",
  "bounced",
  "closed",
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const OUTCOME_DESCRIPTIONS: Record<Outcome, string> = {
  acknowledged: "they confirmed receipt",
  forwarded: "forwarded or referred to another office",
  "clarification-requested": "they asked for more information",
  meeting: "they offered or held a meeting",
  "action-taken": "they acted, privately",
  "public-statement": "they spoke publicly",
  declined: "declined, or not in their mandate",
  "auto-reply": "an automatic reply (still waiting for a real one)",
  bounced: "the letter bounced (the address does not work)",
  closed: "nothing more to do for this contact",
};

export const CHANNELS = ["email", "letter", "phone", "meeting", "web-form", "fax", "other"] as const;
export type Channel = (typeof CHANNELS)[number];

/** A response from a recipient, logged by the user. */
export interface ResponseEvent extends EventBase {
  type: "response";
  outcome: Outcome;
  /** The day the answer came, YYYY-MM-DD. */
  date: string;
  channel: Channel;
  /** Who answered. */
  from?: string;
  note?: string;
  /** The reply's own Message-ID, when it was read from a saved email. */
  message_id?: string;
  /** Our Message-ID it answers, when its headers name one. */
  in_reply_to?: string;
  subject?: string;
}

/** A letter delivered by hand: through a web form, by post or fax, in person. */
export interface DeliveredEvent extends EventBase {
  type: "delivered";
  channel: Channel;
  date: string;
  stage?: string;
  note?: string;
}

/**
 * A message `outreach inbox` took in from the mailbox, kept as evidence (`eml`, under .outreach/). `campaign`
 * and `recipient` are empty when no letter claims it (the holding pen); `match` says how sure the link is.
 */
export interface ReceivedEvent extends EventBase {
  type: "received";
  message_id: string;
  kind: "answer" | "auto-reply" | "bounce" | "unreadable";
  match: "reply" | "probable" | "unmatched";
  /** Our letter it answers, when its headers name one. */
  in_reply_to?: string;
  stage?: string;
  from?: string;
  /** YYYY-MM-DD, as the sender wrote it. */
  date?: string;
  subject?: string;
  folder?: string;
  /** The raw message, relative to the campaign folder. */
  eml?: string;
  /** For a bounce: the addresses that failed, with their status. */
  failures?: { address: string; status: string; action: "failed" | "delayed" }[];
  note?: string;
}

/** A person's decision about a received message: it comes from this recipient, or from no one we wrote to. */
export interface TriagedEvent extends EventBase {
  type: "triaged";
  message_id: string;
  action: "assign" | "dismiss";
}

export type JournalEvent =
  | AttemptEvent
  | SentEvent
  | FailedEvent
  | UncertainEvent
  | ResolvedEvent
  | ResponseEvent
  | DeliveredEvent
  | ReceivedEvent
  | TriagedEvent;
export const EVENT_TYPES: readonly JournalEvent["type"][] = [
  "attempt",
  "sent",
  "failed",
  "uncertain",
  "resolved",
  "response",
  "delivered",
  "received",
  "triaged",
];

export const APPEAL = "appeal";

/**
 * One state per campaign, recipient and stage, whatever carried the letter: sent (by SMTP, or delivered by
 * hand and logged), uncertain, in flight (an attempt of the send running now), in the outbox (written there
 * and not sent since), failed, or not sent.
 */
export type DeliveryStatus = "sent" | "uncertain" | "in-flight" | "in-outbox" | "failed" | "not-sent";

/** One time a letter reached (or was recorded as reaching) its recipient. */
export interface SentCopy {
  at: string;
  /** "email", or the channel of a letter delivered by hand. */
  channel: Channel;
  /** Delivered by the user and logged, not sent by outreach. */
  byHand: boolean;
  messageId?: string;
  addresses: string[];
}

export interface Delivery {
  status: DeliveryStatus;
  /** The transport of the letter that was sent, or of the latest attempt; "smtp" for one delivered by hand. */
  transport: TransportKind;
  /** "appeal", or "followup-1", "followup-2", … */
  stage: string;
  campaign: string;
  recipient: string;
  /** The message that was sent, or the latest attempted. Absent for a letter delivered by hand. */
  messageId?: string;
  sentAt?: string;
  /** The letter was delivered by hand (and logged), and not sent by email. */
  byHand?: DeliveredEvent;
  /** When it was last written to the outbox (status "in-outbox"). */
  writtenAt?: string;
  attempts: number;
  failure?: { kind: FailureKind; code?: number; response: string; at: string; transport: TransportKind };
  /** Why it is uncertain: the attempt had no outcome (the run was killed), or the connection dropped after data. */
  uncertainReason?: string;
  uncertainMessageIds: string[];
  /** Addresses this delivery reached or may have reached by email. */
  addresses: string[];
  /** Addresses of the letter while it sits in the outbox. */
  written: string[];
  /** Addresses a server refused while accepting the letter for others, and that no later try reached. */
  refused: string[];
  /** The same, each with the server's latest words about it ("452 4.2.2 Mailbox full"). */
  refusals: { address: string; response: string }[];
  /** The subject of the message that was sent (or of the latest attempt). */
  subject?: string;
  /** Every time this letter reached the recipient; two that overlap mean they got it twice. */
  copies: SentCopy[];
}

export function deliveryKey(campaign: string, recipient: string, stage: string = APPEAL): string {
  return `${campaign}\u0000${recipient}\u0000${stage}`;
}

export function recipientKey(campaign: string, recipient: string): string {
  return `${campaign}\u0000${recipient}`;
}

export interface JournalState {
  deliveries: Map<string, Delivery>;
  /** Logged responses per campaign and recipient (recipientKey), oldest first. */
  responses: Map<string, ResponseEvent[]>;
  /** Letters delivered by hand per campaign and recipient (recipientKey), oldest first. */
  handDeliveries: Map<string, DeliveredEvent[]>;
  /** Per campaign: address → recipient id that reached (or may have reached) it; built on demand. */
  reached: Map<string, Map<string, string>>;
  /** What `inbox` took in and what people decided about it: the review queue and the holding pen. */
  intake: Intake;
}

export interface DeriveOptions {
  /** The run id of a send that is running now: its attempts without an answer yet are in flight, not uncertain. */
  running?: string;
}

/** An event's place in time: when it was recorded, and its id. */
export interface Recorded {
  at: string;
  id: string;
}

/** Whether `a` was recorded after `b`; the event id breaks a tie, so the answer never depends on line order. */
export function later(a: Recorded, b: Recorded): boolean {
  return a.at > b.at || (a.at === b.at && a.id > b.id);
}

function rank(outcome: SentEvent | FailedEvent | UncertainEvent): number {
  return outcome.type === "uncertain" ? 0 : 1;
}

/**
 * The journal's events sorted by what they are about. Gathering is a fold over the events in any order (the
 * same event twice counts once); the state is derived from what was gathered. deriveState gathers a whole
 * journal; a snapshot (journal-snapshot.ts) only what it has not settled, and the events appended since.
 */
export interface GatheredEvents {
  attemptsByKey: Map<string, AttemptEvent[]>;
  outcomes: Map<string, SentEvent | FailedEvent | UncertainEvent>;
  resolutions: Map<string, ResolvedEvent>;
  responses: Map<string, ResponseEvent[]>;
  handDeliveries: Map<string, DeliveredEvent[]>;
  handByKey: Map<string, DeliveredEvent[]>;
  received: ReceivedEvent[];
  triaged: TriagedEvent[];
}

export function gatherEvents(events: Iterable<JournalEvent>): GatheredEvents {
  const gathered: GatheredEvents = {
    attemptsByKey: new Map(),
    outcomes: new Map(),
    resolutions: new Map(),
    responses: new Map(),
    handDeliveries: new Map(),
    handByKey: new Map(),
    received: [],
    triaged: [],
  };
  const { attemptsByKey, outcomes, resolutions, responses, handDeliveries, handByKey, received, triaged } =
    gathered;
  // The same event twice (a rebase or cherry-pick can copy lines) counts once. Most lists per recipient are
  // short, and looking through them costs less than remembering every id of a long journal; a list that
  // grows long (thousands of retries to one recipient) gets a set of its ids, so it never turns quadratic.
  const idsOfLongList = new Map<JournalEvent[], Set<string>>();
  const collect = <T extends JournalEvent>(map: Map<string, T[]>, key: string, event: T) => {
    const list = map.get(key);
    if (!list) {
      map.set(key, [event]);
    } else if (list.length < LONG_LIST) {
      if (!list.some((other) => other.id === event.id)) list.push(event);
    } else {
      let ids = idsOfLongList.get(list);
      if (!ids) {
        ids = new Set(list.map((other) => other.id));
        idsOfLongList.set(list, ids);
      }
      if (!ids.has(event.id)) {
        ids.add(event.id);
        list.push(event);
      }
    }
  };
  for (const event of events) {
    switch (event.type) {
      case "response":
        collectResponse(responses, event);
        break;
      case "received":
        received.push(event);
        break;
      case "triaged":
        triaged.push(event);
        break;
      case "delivered":
        collect(handDeliveries, recipientKey(event.campaign, event.recipient), event);
        collect(handByKey, deliveryKey(event.campaign, event.recipient, event.stage), event);
        break;
      case "attempt":
        collect(attemptsByKey, deliveryKey(event.campaign, event.recipient, event.stage), event);
        break;
      case "sent":
      case "failed":
      case "uncertain": {
        const previous = outcomes.get(event.attempt);
        // A definite answer wins over an uncertain one, whatever the line order; between two of a kind
        // (only possible after a bad merge), the later one, and the event id settles a tie.
        if (
          !previous ||
          rank(event) > rank(previous) ||
          (rank(event) === rank(previous) && later(event, previous))
        ) {
          outcomes.set(event.attempt, event);
        }
        break;
      }
      case "resolved": {
        const previous = resolutions.get(event.message_id);
        if (!previous || later(event, previous)) resolutions.set(event.message_id, event);
        break;
      }
    }
  }
  return gathered;
}

/**
 * One letter's attempts, oldest first: those already folded into its state (settled: their part can no
 * longer change), and the open ones from the first that has no definite answer yet, to fold on each read.
 */
export interface LetterAttempts {
  settled?: { fold: LetterFold; last: Recorded };
  open: AttemptEvent[];
}

type AttemptOutcome = SentEvent | FailedEvent | UncertainEvent;
type Outcomes = ReadonlyMap<string, AttemptOutcome>;
/** Told of each attempt as it is folded into its letter's settled state, with its answer. */
export type OnSettled = (attempt: AttemptEvent, outcome: AttemptOutcome | undefined) => void;
type Resolutions = ReadonlyMap<string, ResolvedEvent>;

/** The user's decision about an attempt's message, if any (most journals hold none: no lookup then). */
function decisionAbout(attempt: AttemptEvent, resolutions: Resolutions): ResolvedEvent | undefined {
  return resolutions.size === 0 ? undefined : resolutions.get(attempt.message_id);
}

/**
 * Whether an attempt's part in its letter waits for an event to come: it has neither a definite answer nor
 * the user's decision. Another answer or decision for a settled attempt can only come from a damaged or
 * merged journal; a snapshot reads the whole journal again when one does.
 */
function isOpen(outcome: AttemptOutcome | undefined, decision: ResolvedEvent | undefined): boolean {
  return decision === undefined && (outcome === undefined || outcome.type === "uncertain");
}

export const byOrder = (a: Recorded, b: Recorded) => (later(a, b) ? 1 : later(b, a) ? -1 : 0);

/** Each letter's attempts, oldest first, with those before the first open one folded. */
export function lettersOf(gathered: GatheredEvents, onSettled?: OnSettled): Map<string, LetterAttempts> {
  const letters = new Map<string, LetterAttempts>();
  for (const [key, attempts] of gathered.attemptsByKey) {
    attempts.sort(byOrder);
    const letter: LetterAttempts = { open: attempts };
    settleLetter(letter, gathered.outcomes, gathered.resolutions, onSettled);
    letters.set(key, letter);
  }
  return letters;
}

/** Folds a letter's open attempts into its settled state, oldest first, up to the first one still open. */
export function settleLetter(
  letter: LetterAttempts,
  outcomes: Outcomes,
  resolutions: Resolutions,
  onSettled?: OnSettled,
): void {
  let count = 0;
  while (count < letter.open.length) {
    const attempt = letter.open[count] as AttemptEvent;
    // Its answer and decision are looked up once, for both the question and the fold.
    const outcome = outcomes.get(attempt.id);
    const decision = decisionAbout(attempt, resolutions);
    if (isOpen(outcome, decision)) break;
    letter.settled ??= { fold: startLetter(attempt), last: attempt };
    foldAttempt(letter.settled.fold, attempt, outcome, decision);
    letter.settled.last = { at: attempt.at, id: attempt.id };
    onSettled?.(attempt, outcome);
    count++;
  }
  if (count > 0) letter.open = letter.open.slice(count);
}

export function deriveState(events: readonly JournalEvent[], options: DeriveOptions = {}): JournalState {
  const gathered = gatherEvents(events);
  return stateOf(gathered, lettersOf(gathered), options);
}

/** The state from what was gathered and each letter's attempts (a letter with no attempt has hand deliveries). */
export function stateOf(
  gathered: GatheredEvents,
  letters: ReadonlyMap<string, LetterAttempts>,
  options: DeriveOptions = {},
): JournalState {
  const { outcomes, resolutions, responses, handDeliveries, handByKey } = gathered;
  const deliveries = new Map<string, Delivery>();
  for (const [key, letter] of letters) {
    let fold = letter.settled?.fold;
    if (letter.open.length > 0) {
      // The open attempts are folded into a copy: the settled state is kept as it is, for a snapshot.
      fold = fold ? structuredClone(fold) : startLetter(letter.open[0] as AttemptEvent);
      for (const attempt of letter.open) {
        foldAttempt(fold, attempt, outcomes.get(attempt.id), decisionAbout(attempt, resolutions), options);
      }
    }
    if (!fold) continue;
    deliveries.set(key, finishLetter(fold, sortedHanded(handByKey.get(key))));
  }
  for (const [key, handed] of handByKey) {
    if (deliveries.has(key)) continue;
    const sorted = sortedHanded(handed);
    deliveries.set(key, finishLetter(startLetter(sorted[0] as DeliveredEvent), sorted));
  }
  // Oldest first by the day it happened, then by when it was recorded: the same order after any merge.
  const byDate = (a: ResponseEvent | DeliveredEvent, b: ResponseEvent | DeliveredEvent) =>
    a.date < b.date ? -1 : a.date > b.date ? 1 : a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : 1;
  for (const list of responses.values()) list.sort(byDate);
  for (const list of handDeliveries.values()) list.sort(byDate);
  return {
    deliveries,
    responses,
    handDeliveries,
    reached: new Map(),
    intake: deriveIntake(gathered.received, gathered.triaged, responses),
  };
}

function sortedHanded(handed: DeliveredEvent[] | undefined): DeliveredEvent[] {
  if (!handed) return [];
  return handed.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : later(a, b) ? 1 : -1));
}

/**
 * One answer is one response, however many team members logged it (their journals merged by git): two
 * responses about the same reply's Message-ID count once, the later decision winning.
 */
const LONG_LIST = 16;

function collectResponse(responses: Map<string, ResponseEvent[]>, event: ResponseEvent): void {
  const key = recipientKey(event.campaign, event.recipient);
  const list = responses.get(key);
  if (!list) {
    responses.set(key, [event]);
    return;
  }
  const same = list.findIndex(
    (other) =>
      other.id === event.id || (event.message_id !== undefined && other.message_id === event.message_id),
  );
  if (same === -1) list.push(event);
  else if (later(event, list[same] as ResponseEvent)) list[same] = event;
}

const NO_OUTCOME = "the run stopped after handing the letter over and before recording the server's answer";
const TORN_REASON =
  "its record in the journal was cut off while it was written (a full disk, or the machine stopped), so it may have been handed over";

/** A letter's state after its attempts so far, oldest first: what carries from one attempt to the next. */
export interface LetterFold {
  delivery: Delivery;
  refusals: Map<string, { address: string; response: string }>;
  latestFailure?: FailedEvent;
  failedTransport: TransportKind;
  latestWrite?: Recorded;
  sentByEmail: boolean;
  inFlight: boolean;
}

/** The state of a letter before any attempt, from its first attempt (or hand delivery). */
export function startLetter(first: AttemptEvent | DeliveredEvent): LetterFold {
  return {
    delivery: {
      status: "not-sent",
      transport: first.type === "attempt" ? first.transport : "smtp",
      stage: first.stage ?? APPEAL,
      campaign: first.campaign,
      recipient: first.recipient,
      attempts: 0,
      uncertainMessageIds: [],
      addresses: [],
      written: [],
      refused: [],
      refusals: [],
      copies: [],
    },
    refusals: new Map(),
    failedTransport: "smtp",
    sentByEmail: false,
    inFlight: false,
  };
}

/** Adds one attempt (later than all those folded before it), with its answer and the user's decision. */
export function foldAttempt(
  fold: LetterFold,
  attempt: AttemptEvent,
  outcome: SentEvent | FailedEvent | UncertainEvent | undefined,
  resolution: ResolvedEvent | undefined,
  options: DeriveOptions = {},
): void {
  const { delivery } = fold;
  delivery.attempts++;
  if (!fold.sentByEmail) {
    delivery.messageId = attempt.message_id;
    delivery.subject = attempt.subject;
    delivery.transport = attempt.transport;
  }
  const settledSent = outcome?.type === "sent" || resolution?.outcome === "sent";
  if (settledSent && attempt.transport === "outbox") {
    // Written to the outbox: a file for the user to send, not a letter sent.
    const write = outcome ?? resolution ?? attempt;
    fold.latestWrite = { at: write.at, id: write.id };
    delivery.writtenAt = write.at;
    delivery.written.push(...(outcome?.type === "sent" ? outcome.accepted : [...attempt.to, ...attempt.cc]));
  } else if (settledSent) {
    const at = outcome?.type === "sent" ? outcome.at : (resolution?.at ?? attempt.at);
    const addresses = outcome?.type === "sent" ? outcome.accepted : [...attempt.to, ...attempt.cc];
    if (!fold.sentByEmail) {
      fold.sentByEmail = true;
      delivery.sentAt = at;
      delivery.messageId = attempt.message_id;
      delivery.subject = attempt.subject;
      delivery.transport = attempt.transport;
    }
    delivery.copies.push({ at, channel: "email", byHand: false, messageId: attempt.message_id, addresses });
    delivery.addresses.push(...addresses);
    if (outcome?.type === "sent") {
      for (const rejection of outcome.rejected) fold.refusals.set(rejection.address.toLowerCase(), rejection);
    }
  } else if ((outcome === undefined || outcome.type === "uncertain") && resolution === undefined) {
    delivery.addresses.push(...attempt.to, ...attempt.cc);
    if (outcome === undefined && options.running !== undefined && attempt.run === options.running) {
      fold.inFlight = true;
      return;
    }
    delivery.uncertainMessageIds.push(attempt.message_id);
    delivery.uncertainReason =
      outcome?.type === "uncertain" ? outcome.reason : attempt.torn ? TORN_REASON : NO_OUTCOME;
  } else if (
    outcome?.type === "failed" &&
    outcome.interrupted !== true &&
    (!fold.latestFailure || later(outcome, fold.latestFailure))
  ) {
    fold.latestFailure = outcome;
    fold.failedTransport = attempt.transport;
  }
}

/** The letter's state from its folded attempts and its hand deliveries (sorted); the fold is left as it was. */
export function finishLetter(fold: LetterFold, handed: readonly DeliveredEvent[]): Delivery {
  const { latestFailure, latestWrite, sentByEmail } = fold;
  // The fold's lists are shared, never changed here: a fold is not folded further once finished.
  const delivery: Delivery = { ...fold.delivery };
  if (handed.length > 0) delivery.copies = [...delivery.copies];
  for (const event of handed) {
    delivery.copies.push({
      at: `${event.date}T12:00:00.000Z`,
      channel: event.channel,
      byHand: true,
      addresses: [],
    });
  }
  if (!sentByEmail && handed[0]) {
    delivery.byHand = handed[0];
    delivery.sentAt = `${handed[0].date}T12:00:00.000Z`;
    delete delivery.messageId;
  }
  if (sentByEmail || handed.length > 0) delivery.status = "sent";
  else if (delivery.uncertainMessageIds.length > 0) delivery.status = "uncertain";
  else if (fold.inFlight) delivery.status = "in-flight";
  else if (latestWrite && (!latestFailure || later(latestWrite, latestFailure)))
    delivery.status = "in-outbox";
  else if (latestFailure) delivery.status = "failed";
  if (latestFailure) {
    delivery.failure = {
      kind: latestFailure.kind,
      ...(latestFailure.code === undefined ? {} : { code: latestFailure.code }),
      response: latestFailure.response,
      at: latestFailure.at,
      transport: fold.failedTransport,
    };
  }
  if (delivery.status === "sent" || delivery.status === "uncertain")
    delivery.uncertainMessageIds = [...delivery.uncertainMessageIds].sort();
  if (fold.refusals.size > 0) {
    const reached = new Set(delivery.addresses.map((address) => address.toLowerCase()));
    delivery.refusals = [...fold.refusals.values()].filter(
      ({ address }) => !reached.has(address.toLowerCase()),
    );
  } else {
    delivery.refusals = [];
  }
  delivery.refused = delivery.refusals.map(({ address }) => address);
  return delivery;
}

/** True when the recipient got this letter more than once: two copies by hand, or two emails to one address. */
export function sentTwice(delivery: Delivery): boolean {
  const { copies } = delivery;
  if (copies.length < 2) return false;
  if (copies.some((copy) => copy.byHand)) return true;
  // One pass, not every pair: a recipient retried thousands of times must not cost millions of comparisons.
  // Each address remembers the copy that reached it first; one copy naming an address twice is one copy.
  const reachedBy = new Map<string, number>();
  for (let index = 0; index < copies.length; index++) {
    for (const address of (copies[index] as SentCopy).addresses) {
      const key = address.toLowerCase();
      const first = reachedBy.get(key);
      if (first === undefined) reachedBy.set(key, index);
      else if (first !== index) return true;
    }
  }
  return false;
}

export function getDelivery(
  state: JournalState,
  campaign: string,
  recipient: string,
  stage: string = APPEAL,
): Delivery | undefined {
  return state.deliveries.get(deliveryKey(campaign, recipient, stage));
}

/** The recipient id that already reached `address` in this campaign (by email, or a letter in the outbox). */
export function reachedBy(state: JournalState, campaign: string, address: string): string | undefined {
  let map = state.reached.get(campaign);
  if (!map) {
    map = new Map();
    for (const delivery of state.deliveries.values()) {
      if (delivery.campaign !== campaign) continue;
      for (const reachedAddress of [...delivery.addresses, ...delivery.written]) {
        const key = reachedAddress.toLowerCase();
        if (!map.has(key)) map.set(key, delivery.recipient);
      }
    }
    state.reached.set(campaign, map);
  }
  return map.get(address.toLowerCase());
}

type FieldRule =
  | "string"
  | "id"
  | "number"
  | "count"
  | "time"
  | "day"
  | "stage"
  | "strings"
  | "rejections"
  | "failures"
  | readonly string[];
type Rules = Record<string, readonly [rule: FieldRule, optional?: "optional"]>;

const TRANSPORTS = ["smtp", "outbox"] as const;
const BASE_RULES: Rules = {
  v: ["count"],
  id: ["id"],
  at: ["time"],
  campaign: ["id"],
  recipient: ["id"],
};
const EVENT_RULES: Record<JournalEvent["type"], Rules> = {
  attempt: {
    message_id: ["string"],
    transport: [TRANSPORTS],
    to: ["strings"],
    cc: ["strings"],
    subject: ["string"],
    try: ["count"],
    stage: ["stage", "optional"],
    in_reply_to: ["string", "optional"],
    run: ["string", "optional"],
    torn: ["string", "optional"],
  },
  sent: {
    attempt: ["string"],
    message_id: ["string"],
    response: ["string"],
    accepted: ["strings"],
    rejected: ["rejections"],
    server_message_id: ["string", "optional"],
  },
  failed: {
    attempt: ["string"],
    message_id: ["string"],
    kind: [["transient", "permanent", "auth"]],
    code: ["number", "optional"],
    response: ["string"],
  },
  uncertain: { attempt: ["string"], message_id: ["string"], reason: ["string"] },
  resolved: { message_id: ["string"], outcome: [["sent", "not-sent"]], note: ["string", "optional"] },
  response: {
    outcome: [OUTCOMES],
    date: ["day"],
    channel: [CHANNELS],
    from: ["string", "optional"],
    note: ["string", "optional"],
    message_id: ["string", "optional"],
    in_reply_to: ["string", "optional"],
    subject: ["string", "optional"],
  },
  delivered: {
    channel: [CHANNELS],
    date: ["day"],
    stage: ["stage", "optional"],
    note: ["string", "optional"],
  },
  // A message no letter claims (the holding pen) belongs to no campaign or recipient yet.
  received: {
    campaign: ["string"],
    recipient: ["string"],
    message_id: ["id"],
    kind: [["answer", "auto-reply", "bounce", "unreadable"]],
    match: [["reply", "probable", "unmatched"]],
    in_reply_to: ["string", "optional"],
    stage: ["stage", "optional"],
    from: ["string", "optional"],
    date: ["day", "optional"],
    subject: ["string", "optional"],
    folder: ["string", "optional"],
    eml: ["string", "optional"],
    failures: ["failures", "optional"],
    note: ["string", "optional"],
  },
  triaged: {
    campaign: ["string"],
    recipient: ["string"],
    message_id: ["id"],
    action: [["assign", "dismiss"]],
  },
};

const TIME = /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const STAGE = /^(appeal|followup-[1-9]\d*)$/;

/** A calendar day that exists: 2012-02-30 is refused, as Date would roll it into March. */
function realDay(text: string): boolean {
  // Arithmetic, not Date: this runs for every time and day of every journal line.
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const length =
    month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= length;
}

function fits(value: unknown, rule: FieldRule): boolean {
  switch (rule) {
    case "string":
      return typeof value === "string";
    case "id":
      return typeof value === "string" && value !== "";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "count":
      return typeof value === "number" && Number.isInteger(value) && value >= 1;
    case "time":
      return typeof value === "string" && TIME.test(value) && realDay(value);
    case "day":
      return typeof value === "string" && DAY.test(value) && realDay(value);
    case "stage":
      return typeof value === "string" && STAGE.test(value);
    case "strings":
      return Array.isArray(value) && value.every((item) => typeof item === "string");
    case "rejections":
      return (
        Array.isArray(value) &&
        value.every(
          (item) =>
            typeof item === "object" &&
            item !== null &&
            typeof item.address === "string" &&
            typeof item.response === "string",
        )
      );
    case "failures":
      return (
        Array.isArray(value) &&
        value.every(
          (item) =>
            typeof item === "object" &&
            item !== null &&
            typeof item.address === "string" &&
            typeof item.status === "string" &&
            (item.action === "failed" || item.action === "delayed"),
        )
      );
    default:
      return typeof value === "string" && rule.includes(value);
  }
}

function describeRule(rule: FieldRule): string {
  switch (rule) {
    case "string":
      return "a text";
    case "id":
      return "a text that is not empty";
    case "number":
      return "a number";
    case "count":
      return "a whole number of at least 1";
    case "time":
      return "a time written like 2026-02-01T09:00:00.000Z";
    case "day":
      return "a day written YYYY-MM-DD";
    case "stage":
      return "appeal, followup-1, followup-2, …";
    case "strings":
      return "a list of addresses";
    case "rejections":
      return "a list of { address, response }";
    case "failures":
      return "a list of { address, status, action: failed or delayed }";
    default:
      return `one of ${rule.join(", ")}`;
  }
}

/**
 * What is wrong with a parsed journal line, or undefined when it is a complete event of this version: every
 * field the state is derived from, of the right kind. Fields it does not know are left alone.
 */
export function eventProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "it is not a journal event";
  const event = value as Record<string, unknown>;
  const type = event.type;
  const rules = typeof type === "string" ? RULES_BY_TYPE.get(type) : undefined;
  if (!rules) {
    return typeof type === "string" ? `"${type}" is not a kind of journal event` : "it has no event type";
  }
  // Runs once per line of a journal that may hold a million: a plain loop over rules prepared once.
  for (let index = 0; index < rules.length; index++) {
    const { field, rule, optional } = rules[index] as FieldCheck;
    const fieldValue = event[field];
    if (fieldValue === undefined) {
      if (optional) continue;
      return `the ${type} event has no "${field}" (${describeRule(rule)})`;
    }
    if (!fits(fieldValue, rule)) return `the ${type} event's "${field}" is not ${describeRule(rule)}`;
  }
  return undefined;
}

interface FieldCheck {
  field: string;
  rule: FieldRule;
  optional: boolean;
}
// A kind of event may loosen a base field (a message in the holding pen has no recipient yet).
const RULES_BY_TYPE: ReadonlyMap<string, readonly FieldCheck[]> = new Map(
  EVENT_TYPES.map((type) => [
    type,
    Object.entries(withFields(BASE_RULES, EVENT_RULES[type])).map(([field, [rule, optional]]) => ({
      field,
      rule,
      optional: optional === "optional",
    })),
  ]),
);

/**
 * The order in which the journal writes an event's fields: what identifies the letter comes first, then the
 * rest in the event's own order. The same text as JSON.stringify({ ...head, ...event }), built by copying
 * the remaining keys: spreading the event over a head that already has some of its keys cost about 12 µs
 * and 4 kB of garbage per event (measured on Node 20), against about 2 µs and 1 kB.
 */
export function serializeEvent(event: JournalEvent): string {
  const fields: Record<string, unknown> = {
    type: event.type,
    campaign: event.campaign,
    recipient: event.recipient,
  };
  if ("stage" in event && event.stage !== undefined) fields.stage = event.stage;
  const source = event as unknown as Record<string, unknown>;
  for (const key of Object.keys(source)) if (!(key in fields)) fields[key] = source[key];
  return JSON.stringify(fields);
}

/** The complete `"key": value` pairs at the top of a line that was cut off. */
function tornFields(text: string): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  const pair =
    /"([a-z_]+)":("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?=[,}])|\[(?:"(?:[^"\\]|\\.)*"(?:,"(?:[^"\\]|\\.)*")*)?\])/g;
  for (const match of text.matchAll(pair)) {
    const key = match[1] as string;
    if (key in fields) continue;
    try {
      fields[key] = JSON.parse(match[2] as string);
    } catch {}
  }
  return fields;
}

/** A short, stable name for a text, so a cut-off line gets the same id on every read. */
function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

/**
 * A last line cut off while it was written, when it holds the start of an attempt for a recipient that can be
 * named: rebuilt as an attempt without outcome, so the letter reads as "maybe sent" (uncertain), never as
 * nothing. A line cut before its type counts as an attempt too: the safe reading. Undefined otherwise.
 */
export function recoverTornAttempt(
  text: string,
  events: readonly JournalEvent[],
  keptIn: string,
): AttemptEvent | undefined {
  const fields = tornFields(text);
  const { type, campaign, recipient } = fields;
  if (type !== undefined && type !== "attempt") return undefined;
  if (typeof campaign !== "string" || typeof recipient !== "string") return undefined;
  const strings = (value: unknown) =>
    Array.isArray(value) && value.every((item) => typeof item === "string") ? (value as string[]) : [];
  const text_ = (value: unknown) => (typeof value === "string" ? value : undefined);
  const id = text_(fields.id) ?? `torn-${fingerprint(text)}`;
  const stage = text_(fields.stage) ?? tornStage(text, fields, events, campaign, recipient);
  const last = events.at(-1);
  const inReplyTo = text_(fields.in_reply_to);
  const run = text_(fields.run);
  return {
    v: JOURNAL_VERSION,
    id,
    at: text_(fields.at) ?? last?.at ?? "1970-01-01T00:00:00.000Z",
    campaign,
    recipient,
    type: "attempt",
    message_id: text_(fields.message_id) ?? `<${id}@outreach.invalid>`,
    transport: fields.transport === "outbox" ? "outbox" : "smtp",
    to: strings(fields.to),
    cc: strings(fields.cc),
    subject: text_(fields.subject) ?? "",
    try: typeof fields.try === "number" ? fields.try : 1,
    ...(stage === APPEAL ? {} : { stage }),
    ...(inReplyTo ? { in_reply_to: inReplyTo } : {}),
    ...(run ? { run } : {}),
    torn: keptIn,
  };
}

/**
 * The stage of a cut-off attempt that does not show it. This version writes the stage right after the
 * recipient, so a line that goes on past it without one is the appeal; otherwise (an older line, or one cut
 * just there), the first letter this recipient has not had yet, which is the only one a send would attempt.
 */
function tornStage(
  text: string,
  fields: Record<string, unknown>,
  events: readonly JournalEvent[],
  campaign: string,
  recipient: string,
): string {
  const writtenByThisVersion = text.startsWith('{"type":');
  const beyondRecipient = Object.keys(fields).some((key) => !["type", "campaign", "recipient"].includes(key));
  if (writtenByThisVersion && beyondRecipient) return APPEAL;
  const state = deriveState(events);
  for (let number = 0; ; number++) {
    const stage = number === 0 ? APPEAL : `followup-${number}`;
    if (getDelivery(state, campaign, recipient, stage)?.status !== "sent") return stage;
  }
}
