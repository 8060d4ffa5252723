// The state derived from a journal, in a form that can be kept between runs: a cache of deriveState's answer
// for one exact journal text, never a record of its own (the adapter checks it against the journal first).
// What it keeps: each letter's delivery, and the events the rest of the state is derived from (answers, hand
// deliveries, what inbox took in, review decisions), which are few beside the attempts and their outcomes.

import {
  type DeliveredEvent,
  type Delivery,
  type DeriveOptions,
  deriveState,
  type JournalEvent,
  type JournalState,
  type ReceivedEvent,
  type ResponseEvent,
  type TriagedEvent,
} from "./journal.js";

export interface JournalSnapshot {
  /** How many events the journal held. */
  events: number;
  /** Every delivery as deriveState gives it with no send running, in its order. */
  deliveries: [key: string, delivery: Delivery][];
  /** The journal's responses, hand deliveries, received and triaged events, in the journal's order. */
  others: (ResponseEvent | DeliveredEvent | ReceivedEvent | TriagedEvent)[];
}

/** The snapshot of a journal's events and of the state deriveState gave for them with no send running. */
export function snapshotOf(events: readonly JournalEvent[], state: JournalState): JournalSnapshot {
  const others: JournalSnapshot["others"] = [];
  for (const event of events) {
    if (
      event.type === "response" ||
      event.type === "delivered" ||
      event.type === "received" ||
      event.type === "triaged"
    ) {
      others.push(event);
    }
  }
  return { events: events.length, deliveries: [...state.deliveries], others };
}

/**
 * The state deriveState would give for the snapshot's journal, or undefined when the snapshot cannot tell:
 * while a send runs, a letter handed over without an answer is in flight rather than uncertain, and the
 * snapshot no longer holds the attempts that would say which.
 */
export function stateFromSnapshot(
  snapshot: JournalSnapshot,
  options: DeriveOptions = {},
): JournalState | undefined {
  if (
    options.running !== undefined &&
    snapshot.deliveries.some(([, delivery]) => delivery.uncertainMessageIds.length > 0)
  ) {
    return undefined;
  }
  // Answers, hand deliveries and the intake come from their own events alone, so deriving them from those
  // events gives what the whole journal gives; the deliveries are the ones derived from the whole journal.
  const rest = deriveState(snapshot.others, options);
  return { ...rest, deliveries: new Map(snapshot.deliveries) };
}
