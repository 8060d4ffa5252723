// The review queue and the holding pen, derived from the journal: what `inbox` took in, what people decided
// about it (assigned, dismissed) and which answers already have a logged response. A message is one item
// however many folders or team members saw it: items are keyed by the message's Message-ID.
import {
  type JournalState,
  type ReceivedEvent,
  type ResponseEvent,
  recipientKey,
  type TriagedEvent,
} from "./journal.js";
import type { BounceFailure, Match, MessageKind } from "./replies.js";

export interface IntakeItem {
  messageId: string;
  /** The first record of this message (another clone's copy of it adds nothing). */
  received: ReceivedEvent;
  /** Whose message it is, by its headers, by a person's decision, or probably; empty when no one's. */
  campaign: string;
  recipient: string;
  match: "reply" | "probable" | "assigned" | "unmatched";
  /** A response about it is logged. */
  reviewed: boolean;
  dismissed: boolean;
}

export interface Intake {
  messages: Map<string, IntakeItem>;
  /** Answers waiting for a person's outcome, oldest first. */
  queue: IntakeItem[];
  /** Messages no letter claims, waiting to be assigned or dismissed, oldest first. */
  holdingPen: IntakeItem[];
  /** The queue per campaign and recipient (recipientKey): those are not chased. */
  pendingByRecipient: Map<string, IntakeItem[]>;
}

const CERTAINTY: Record<ReceivedEvent["match"], number> = { unmatched: 0, probable: 1, reply: 2 };

function earlier(a: { at: string; id: string }, b: { at: string; id: string }): boolean {
  return a.at < b.at || (a.at === b.at && a.id < b.id);
}

export function deriveIntake(
  received: readonly ReceivedEvent[],
  triaged: readonly TriagedEvent[],
  responses: ReadonlyMap<string, readonly ResponseEvent[]>,
): Intake {
  const first = new Map<string, ReceivedEvent>();
  for (const event of received) {
    const previous = first.get(event.message_id);
    // The surest record of a message wins (a clone that knew the letter): naming our letter over probably
    // ours over no one's; among equals, the earliest.
    const better =
      !previous ||
      CERTAINTY[event.match] > CERTAINTY[previous.match] ||
      (previous.match === event.match && earlier(event, previous));
    if (better) first.set(event.message_id, event);
  }
  const decision = new Map<string, TriagedEvent>();
  for (const event of triaged) {
    const previous = decision.get(event.message_id);
    if (!previous || earlier(previous, event)) decision.set(event.message_id, event);
  }
  const responded = new Set<string>();
  for (const list of responses.values()) {
    for (const response of list) if (response.message_id) responded.add(response.message_id);
  }
  const intake: Intake = { messages: new Map(), queue: [], holdingPen: [], pendingByRecipient: new Map() };
  for (const [messageId, event] of first) {
    const triage = decision.get(messageId);
    const assigned = triage?.action === "assign";
    const item: IntakeItem = {
      messageId,
      received: event,
      campaign: assigned ? triage.campaign : event.campaign,
      recipient: assigned ? triage.recipient : event.recipient,
      match: assigned ? "assigned" : event.match,
      reviewed: responded.has(messageId),
      dismissed: triage?.action === "dismiss",
    };
    intake.messages.set(messageId, item);
    if (item.dismissed || item.reviewed) continue;
    if (item.recipient === "") {
      intake.holdingPen.push(item);
      continue;
    }
    // An automatic reply matched to its letter is recorded by itself; one only probably theirs needs no one.
    // A bounce is recorded once it is certain whose letter it returns: by its headers, or by a person.
    const certain = item.match === "reply" || item.match === "assigned";
    const needsPerson =
      event.kind === "answer" ||
      event.kind === "unreadable" ||
      (event.kind === "bounce" && (!certain || (event.failures ?? []).length === 0)) ||
      (item.match === "assigned" && event.kind !== "bounce");
    if (!needsPerson) continue;
    intake.queue.push(item);
    const key = `${item.campaign}\u0000${item.recipient}`;
    const list = intake.pendingByRecipient.get(key);
    if (list) list.push(item);
    else intake.pendingByRecipient.set(key, [item]);
  }
  const byDate = (a: IntakeItem, b: IntakeItem) =>
    (a.received.date ?? "").localeCompare(b.received.date ?? "") ||
    a.received.at.localeCompare(b.received.at) ||
    a.messageId.localeCompare(b.messageId);
  intake.queue.sort(byDate);
  intake.holdingPen.sort(byDate);
  return intake;
}

/** What to record about one incoming message: the received record, and a response when it is certain. */
export interface Receipt {
  kind: ReceivedEvent["kind"];
  match: ReceivedEvent["match"];
  campaign: string;
  recipient: string;
  inReplyTo?: string;
  stage?: string;
  failures?: BounceFailure[];
  /** Recorded by itself: an automatic reply to a letter, or a bounce that leaves no working address. */
  outcome?: "auto-reply" | "bounced";
  note?: string;
}

/**
 * The rules for one message, once matched: an automatic reply or bounce that names its letter is recorded
 * by itself (a bounce as the recipient's outcome only when none of the letter's addresses is left);
 * everything else waits for a person.
 */
export function receive(
  kind: MessageKind,
  match: Match,
  failures: readonly BounceFailure[],
  letterAddresses: (campaign: string, recipient: string) => readonly string[],
  failedBefore: (campaign: string, recipient: string) => ReadonlySet<string>,
): Receipt {
  const owner =
    match.kind === "reply"
      ? { campaign: match.letter.campaign, recipient: match.letter.recipient }
      : match.kind === "probable"
        ? { campaign: match.campaign, recipient: match.recipient }
        : { campaign: "", recipient: "" };
  const receipt: Receipt = {
    kind,
    match: match.kind,
    ...owner,
    ...(match.kind === "reply" ? { inReplyTo: match.letter.messageId, stage: match.letter.stage } : {}),
    ...(kind === "bounce" ? { failures: [...failures] } : {}),
  };
  if (match.kind !== "reply") return receipt;
  if (kind === "auto-reply") receipt.outcome = "auto-reply";
  if (kind === "bounce") {
    const permanent = failures.filter((failure) => failure.action === "failed").map((f) => f.address);
    if (failures.length === 0) {
      receipt.note = "the report does not say which address failed";
    } else if (permanent.length === 0) {
      receipt.note = `delayed, not final: ${failures.map((f) => `${f.address} ${f.status}`).join(", ")}`;
    } else {
      const gone = new Set([
        ...failedBefore(owner.campaign, owner.recipient),
        ...permanent.map((address) => address.toLowerCase()),
      ]);
      const left = letterAddresses(owner.campaign, owner.recipient).filter(
        (address) => !gone.has(address.toLowerCase()),
      );
      if (left.length === 0) receipt.outcome = "bounced";
      else receipt.note = `${permanent.join(", ")} bounced; the letter still reached ${left.join(", ")}`;
    }
  }
  return receipt;
}

/** The addresses a recipient's letters of a campaign went to by email. */
export function letterAddresses(state: JournalState, campaign: string, recipient: string): string[] {
  const addresses = new Set<string>();
  for (const delivery of state.deliveries.values()) {
    if (delivery.transport === "smtp" && delivery.campaign === campaign && delivery.recipient === recipient) {
      for (const address of delivery.addresses) addresses.add(address.toLowerCase());
    }
  }
  return [...addresses];
}

/** Whether a message is a bounce certain to concern its recipient: it names our letter, or a person said so. */
function certainBounce(item: IntakeItem): boolean {
  return item.received.kind === "bounce" && (item.match === "reply" || item.match === "assigned");
}

/**
 * Addresses that bounces certain to be theirs (naming our letter, or assigned in review) reported failed for
 * good, per recipientKey: what `inbox` starts a run from, adding to it as it records bounces.
 */
export function failedAddresses(intake: Intake): Map<string, Set<string>> {
  const failed = new Map<string, Set<string>>();
  for (const item of intake.messages.values()) {
    if (certainBounce(item)) noteFailed(failed, item.campaign, item.recipient, item.received.failures ?? []);
  }
  return failed;
}

/** Adds a bounce's permanent failures to `failed` (keyed by recipientKey). */
export function noteFailed(
  failed: Map<string, Set<string>>,
  campaign: string,
  recipient: string,
  failures: readonly { address: string; action: string }[],
): void {
  const key = recipientKey(campaign, recipient);
  const set = failed.get(key) ?? new Set();
  for (const failure of failures) if (failure.action === "failed") set.add(failure.address.toLowerCase());
  failed.set(key, set);
}

/** Addresses of a recipient's letters that bounces already certain to be theirs reported failed for good. */
export function failedBefore(
  intake: Intake,
  campaign: string,
  recipient: string,
  except?: string,
): Set<string> {
  const failed = new Map<string, Set<string>>();
  for (const item of intake.messages.values()) {
    if (item.messageId === except || !certainBounce(item)) continue;
    if (item.campaign !== campaign || item.recipient !== recipient) continue;
    noteFailed(failed, campaign, recipient, item.received.failures ?? []);
  }
  return failed.get(recipientKey(campaign, recipient)) ?? new Set();
}
