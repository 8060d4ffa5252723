// The journal's events and the state derived from them. The journal is the only record: what was attempted,
// what the server answered, what the user resolved. State is computed from it, never stored twice, and the
// computation does not depend on line order, so two people's journals merged by git give the same answer.

import { deriveIntake, type Intake } from "./intake.js";

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

export type DeliveryStatus = "sent" | "uncertain" | "failed" | "not-sent";

export interface Delivery {
  status: DeliveryStatus;
  transport: TransportKind;
  /** "appeal", or "followup-1", "followup-2", … */
  stage: string;
  campaign: string;
  recipient: string;
  /** The message that was sent, or the latest attempted. */
  messageId?: string;
  sentAt?: string;
  attempts: number;
  failure?: { kind: FailureKind; code?: number; response: string; at: string };
  /** Why it is uncertain: the attempt had no outcome (the run was killed), or the connection dropped after data. */
  uncertainReason?: string;
  uncertainMessageIds: string[];
  /** Addresses this delivery reached or may have reached. */
  addresses: string[];
  /** Addresses a server refused while accepting the letter for others, and that no later try reached. */
  refused: string[];
  /** The same, each with the server's latest words about it ("452 4.2.2 Mailbox full"). */
  refusals: { address: string; response: string }[];
  /** The subject of the message that was sent (or of the latest attempt). */
  subject?: string;
}

export function deliveryKey(
  transport: TransportKind,
  campaign: string,
  recipient: string,
  stage: string = APPEAL,
): string {
  return `${transport}\u0000${campaign}\u0000${recipient}\u0000${stage}`;
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
  /** Per transport and campaign: address → recipient id that reached (or may have reached) it; built on demand. */
  reached: Map<string, Map<string, string>>;
  /** What `inbox` took in and what people decided about it: the review queue and the holding pen. */
  intake: Intake;
}

/** Whether `a` was recorded after `b`; the event id breaks a tie, so the answer never depends on line order. */
function later(a: JournalEvent, b: JournalEvent): boolean {
  return a.at > b.at || (a.at === b.at && a.id > b.id);
}

function rank(outcome: SentEvent | FailedEvent | UncertainEvent): number {
  return outcome.type === "uncertain" ? 0 : 1;
}

export function deriveState(events: readonly JournalEvent[]): JournalState {
  const attemptsByKey = new Map<string, AttemptEvent[]>();
  const outcomes = new Map<string, SentEvent | FailedEvent | UncertainEvent>();
  const resolutions = new Map<string, ResolvedEvent>();
  const responses = new Map<string, ResponseEvent[]>();
  const handDeliveries = new Map<string, DeliveredEvent[]>();
  const received: ReceivedEvent[] = [];
  const triaged: TriagedEvent[] = [];
  // The same event twice (a rebase or cherry-pick can copy lines) counts once. The lists per recipient are
  // short, so looking through them costs less than remembering every id of a long journal.
  const collect = <T extends JournalEvent>(map: Map<string, T[]>, key: string, event: T) => {
    const list = map.get(key);
    if (!list) map.set(key, [event]);
    else if (!list.some((other) => other.id === event.id)) list.push(event);
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
        break;
      case "attempt":
        collect(
          attemptsByKey,
          deliveryKey(event.transport, event.campaign, event.recipient, event.stage),
          event,
        );
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

  const deliveries = new Map<string, Delivery>();

  for (const [key, attempts] of attemptsByKey) {
    attempts.sort((a, b) => (later(a, b) ? 1 : later(b, a) ? -1 : 0));
    const first = attempts[0] as AttemptEvent;
    const delivery: Delivery = {
      status: "not-sent",
      transport: first.transport,
      stage: first.stage ?? APPEAL,
      campaign: first.campaign,
      recipient: first.recipient,
      attempts: attempts.length,
      uncertainMessageIds: [],
      addresses: [],
      refused: [],
      refusals: [],
    };
    const refusals = new Map<string, { address: string; response: string }>();
    let latestFailure: FailedEvent | undefined;
    for (const attempt of attempts) {
      const outcome = outcomes.get(attempt.id);
      const resolution = resolutions.get(attempt.message_id);
      if (delivery.status !== "sent") {
        delivery.messageId = attempt.message_id;
        delivery.subject = attempt.subject;
      }
      if (outcome?.type === "sent" || resolution?.outcome === "sent") {
        if (delivery.status !== "sent") {
          delivery.status = "sent";
          delivery.sentAt = outcome?.type === "sent" ? outcome.at : (resolution?.at ?? attempt.at);
          delivery.messageId = attempt.message_id;
          delivery.subject = attempt.subject;
        }
        const addresses = outcome?.type === "sent" ? outcome.accepted : [...attempt.to, ...attempt.cc];
        delivery.addresses.push(...addresses);
        if (outcome?.type === "sent") {
          for (const rejection of outcome.rejected) refusals.set(rejection.address.toLowerCase(), rejection);
        }
      } else if ((outcome === undefined || outcome.type === "uncertain") && resolution === undefined) {
        delivery.uncertainMessageIds.push(attempt.message_id);
        delivery.uncertainReason =
          outcome?.type === "uncertain"
            ? outcome.reason
            : "the run stopped after handing the letter over and before recording the server's answer";
        delivery.addresses.push(...attempt.to, ...attempt.cc);
      } else if (outcome?.type === "failed" && (!latestFailure || later(outcome, latestFailure))) {
        latestFailure = outcome;
      }
    }
    if (delivery.status !== "sent") {
      if (delivery.uncertainMessageIds.length > 0) delivery.status = "uncertain";
      else if (latestFailure) delivery.status = "failed";
    }
    if (latestFailure) {
      delivery.failure = {
        kind: latestFailure.kind,
        ...(latestFailure.code === undefined ? {} : { code: latestFailure.code }),
        response: latestFailure.response,
        at: latestFailure.at,
      };
    }
    if (delivery.status === "sent" || delivery.status === "uncertain") delivery.uncertainMessageIds.sort();
    const reached = new Set(delivery.addresses.map((address) => address.toLowerCase()));
    delivery.refusals = [...refusals.values()].filter(({ address }) => !reached.has(address.toLowerCase()));
    delivery.refused = delivery.refusals.map(({ address }) => address);
    deliveries.set(key, delivery);
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
    intake: deriveIntake(received, triaged, responses),
  };
}

/**
 * One answer is one response, however many team members logged it (their journals merged by git): two
 * responses about the same reply's Message-ID count once, the later decision winning.
 */
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

export function getDelivery(
  state: JournalState,
  transport: TransportKind,
  campaign: string,
  recipient: string,
  stage: string = APPEAL,
): Delivery | undefined {
  return state.deliveries.get(deliveryKey(transport, campaign, recipient, stage));
}

/** The recipient id that already reached `address` in this campaign over this transport, if any. */
export function reachedBy(
  state: JournalState,
  transport: TransportKind,
  campaign: string,
  address: string,
): string | undefined {
  const scope = `${transport}\u0000${campaign}`;
  let map = state.reached.get(scope);
  if (!map) {
    map = new Map();
    for (const delivery of state.deliveries.values()) {
      if (delivery.transport !== transport || delivery.campaign !== campaign) continue;
      for (const reachedAddress of delivery.addresses) {
        const key = reachedAddress.toLowerCase();
        if (!map.has(key)) map.set(key, delivery.recipient);
      }
    }
    state.reached.set(scope, map);
  }
  return map.get(address.toLowerCase());
}
