// The state derived from a journal, in a form that can be kept between runs and carried forward: a cache of
// deriveState's answer for one exact journal text, never a record of its own (the adapter checks it against
// the journal first). What it keeps: each letter's attempts folded as far as they are settled (answered or
// decided), the attempts after the first open one and the answers they may still get, every decision, and
// the events the rest of the state is derived from (answers, hand deliveries, what inbox took in, review
// decisions), which are few beside the attempts and their outcomes. Events appended to that journal are
// applied to it, unless one could change a settled attempt: then the journal is read whole again.

import {
  type AttemptEvent,
  type DeliveredEvent,
  type DeriveOptions,
  deliveryKey,
  type FailedEvent,
  gatherEvents,
  type JournalEvent,
  type JournalState,
  type LetterAttempts,
  type LetterFold,
  later,
  lettersOf,
  type ReceivedEvent,
  type ResolvedEvent,
  type ResponseEvent,
  type SentEvent,
  settleLetter,
  stateOf,
  type TriagedEvent,
  type UncertainEvent,
} from "./journal.js";
import { withFields } from "./objects.js";

type Outcome = SentEvent | FailedEvent | UncertainEvent;
type Other = ResponseEvent | DeliveredEvent | ReceivedEvent | TriagedEvent;

export interface JournalSnapshot {
  /** How many events the journal held. */
  events: number;
  /** Every letter with an attempt, in the order deriveState gives them. */
  letters: [key: string, letter: LetterAttempts][];
  /** The outcomes not folded: of open attempts, or of attempts the journal does not hold (yet). */
  outcomes: Outcome[];
  /** Every resolved event, in the journal's order (a retry may carry a message id decided before). */
  resolutions: ResolvedEvent[];
  /** The journal's responses, hand deliveries, received and triaged events, in the journal's order. */
  others: Other[];
  /**
   * Fingerprints of the settled attempts' ids, and of the message ids of settled attempts not sent: an
   * appended event naming one may change a settled attempt. Sorted 53-bit numbers (base64, 8 bytes each);
   * two ids can share one, which only means a whole read.
   */
  settledAttempts: string;
  settledMessages: string;
}

/** The state of a journal's events with no send running, and the snapshot of it. */
export function deriveWithSnapshot(
  events: readonly JournalEvent[],
  options: DeriveOptions = {},
): { state: JournalState; snapshot: JournalSnapshot } {
  const gathered = gatherEvents(events);
  const attemptPrints: number[] = [];
  const messagePrints: number[] = [];
  const letters = lettersOf(gathered, (attempt, outcome) => {
    attemptPrints.push(fingerprint(attempt.id));
    if (outcome?.type !== "sent") messagePrints.push(fingerprint(attempt.message_id));
  });
  const settled = sortedPrints(attemptPrints);
  const open = openIds(letters.values());
  const outcomes: Outcome[] = [];
  const resolutions: ResolvedEvent[] = [];
  const others: Other[] = [];
  for (const event of events) {
    switch (event.type) {
      case "sent":
      case "failed":
      case "uncertain":
        // An outcome whose attempt shares a settled one's fingerprint can go: were that attempt ever appended,
        // its fingerprint would send the reader to the whole journal.
        if (open.has(event.attempt) || !hasPrint(settled, fingerprint(event.attempt))) outcomes.push(event);
        break;
      case "resolved":
        resolutions.push(event);
        break;
      case "attempt":
        break;
      default:
        others.push(event);
    }
  }
  const state = stateOf(gathered, letters, options);
  const snapshot: JournalSnapshot = {
    events: events.length,
    letters: [...letters],
    outcomes,
    resolutions,
    others,
    settledAttempts: printsText(settled),
    settledMessages: printsText(sortedPrints(messagePrints)),
  };
  return { state, snapshot };
}

/** The state deriveState gives for the snapshot's journal. */
export function stateFromSnapshot(snapshot: JournalSnapshot, options: DeriveOptions = {}): JournalState {
  const gathered = gatherEvents(eventsKept(snapshot));
  return stateOf(gathered, new Map(snapshot.letters), options);
}

function* eventsKept(snapshot: JournalSnapshot): Iterable<JournalEvent> {
  yield* snapshot.others;
  yield* snapshot.outcomes;
  yield* snapshot.resolutions;
}

/**
 * The snapshot of the journal with `appended` after it, or undefined when one of those events could change
 * what the snapshot settled (an answer or decision about a settled attempt, an attempt older than a settled
 * one of its letter, the same attempt again): the whole journal must be read then.
 */
export function applyAppended(
  snapshot: JournalSnapshot,
  appended: readonly JournalEvent[],
): JournalSnapshot | undefined {
  const settledAttempts = printsOf(snapshot.settledAttempts);
  const settledMessages = printsOf(snapshot.settledMessages);
  const letters = new Map(snapshot.letters);
  const changed = new Set<string>();
  const outcomes = [...snapshot.outcomes];
  const resolutions = [...snapshot.resolutions];
  const others = [...snapshot.others];
  for (const event of appended) {
    switch (event.type) {
      case "attempt": {
        if (hasPrint(settledAttempts, fingerprint(event.id))) return undefined;
        const key = deliveryKey(event.campaign, event.recipient, event.stage);
        const letter = letters.get(key);
        if (letter?.settled && !later(event, letter.settled.last)) return undefined;
        if (letter?.open.some((other) => other.id === event.id)) break; // the same attempt twice counts once
        letters.set(key, withFields(letter ?? {}, { open: [...(letter?.open ?? []), event] }));
        changed.add(key);
        break;
      }
      case "sent":
      case "failed":
      case "uncertain":
        if (hasPrint(settledAttempts, fingerprint(event.attempt))) return undefined;
        outcomes.push(event);
        break;
      case "resolved":
        if (hasPrint(settledMessages, fingerprint(event.message_id))) return undefined;
        resolutions.push(event);
        break;
      default:
        others.push(event);
    }
  }
  // Settle what the appended events settled, so that the next snapshot keeps them folded.
  const gathered = gatherEvents([...outcomes, ...resolutions]);
  const attemptPrints = [...settledAttempts];
  const messagePrints = [...settledMessages];
  for (const [key, letter] of letters) {
    if (letter.open.length === 0) continue;
    const open = changed.has(key) ? [...letter.open].sort(byTime) : letter.open;
    const copy: LetterAttempts = letter.settled
      ? { settled: structuredClone(letter.settled), open }
      : { open };
    settleLetter(copy, gathered.outcomes, gathered.resolutions, (attempt, outcome) => {
      attemptPrints.push(fingerprint(attempt.id));
      if (outcome?.type !== "sent") messagePrints.push(fingerprint(attempt.message_id));
    });
    letters.set(key, copy);
  }
  const settled = sortedPrints(attemptPrints);
  const open = openIds(letters.values());
  const carried: JournalSnapshot = {
    events: snapshot.events + appended.length,
    letters: [...letters],
    outcomes: outcomes.filter(
      (outcome) => open.has(outcome.attempt) || !hasPrint(settled, fingerprint(outcome.attempt)),
    ),
    resolutions,
    others,
    settledAttempts: printsText(settled),
    settledMessages: printsText(sortedPrints(messagePrints)),
  };
  const source = sources.get(snapshot);
  if (source) sources.set(carried, source);
  return carried;
}

const byTime = (a: AttemptEvent, b: AttemptEvent) => (later(a, b) ? 1 : later(b, a) ? -1 : 0);

function openIds(letters: Iterable<LetterAttempts>): Set<string> {
  const ids = new Set<string>();
  for (const letter of letters) for (const attempt of letter.open) ids.add(attempt.id);
  return ids;
}

/**
 * A 53-bit name for an id, shared by another only by chance: FNV-1a beside a second, differently mixed hash.
 * 32 bits were not enough: among a million events' 500,000 attempt ids, a thousand appended ones hit one of
 * them about one time in four, and each hit means a whole read.
 */
function fingerprint(text: string): number {
  let first = 0x811c9dc5;
  let second = 0x9747b28c;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    first = Math.imul(first ^ code, 0x01000193);
    second = Math.imul(second ^ code, 0x5bd1e995);
    second ^= second >>> 15;
  }
  return (second & 0x1fffff) * 0x100000000 + (first >>> 0);
}

function sortedPrints(prints: readonly number[] | Float64Array): Float64Array {
  return Float64Array.from(prints).sort();
}

function hasPrint(prints: Float64Array, print: number): boolean {
  let low = 0;
  let high = prints.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const value = prints[middle] as number;
    if (value === print) return true;
    if (value < print) low = middle + 1;
    else high = middle - 1;
  }
  return false;
}

function printsText(prints: Float64Array): string {
  return Buffer.from(prints.buffer, prints.byteOffset, prints.byteLength).toString("base64");
}

function printsOf(text: string): Float64Array {
  const bytes = Buffer.from(text, "base64");
  const prints = new Float64Array(bytes.length / 8);
  Buffer.from(prints.buffer).set(bytes);
  return prints;
}

/**
 * The snapshot as text, and back: a line of all it keeps but the letters, then a line of JSON per letter, so
 * that a letter read from a snapshot and not changed since is written again as the very bytes it was read
 * from (carried over a follow-up round, a snapshot rewrites the lines of the letters the round changed, not
 * all of them). Most of it is the letters' copies sent by email, so a settled letter's copies are kept as
 * [at, messageId, ...addresses], and its addresses (which are exactly theirs: only an open attempt adds
 * addresses without a copy) not at all; its refusals are a Map in memory.
 *
 * The text comes as pieces, to be written one after the other (UTF-8): lines made anew as strings, and each
 * run of letters that stand as they stood in the snapshot read as one view of the bytes read. So carrying a
 * snapshot forward never joins nor encodes its megabytes again.
 */
export function snapshotPieces(snapshot: JournalSnapshot): (Buffer | string)[] {
  const { letters, ...rest } = snapshot;
  const pieces: (Buffer | string)[] = [JSON.stringify(rest)];
  const source = sources.get(snapshot);
  // Which line each letter read from the bytes came from: looked up only here, when a snapshot is written.
  const lineOf = new Map(source?.letters.map(([, letter], index) => [letter, index]));
  // The run of the source's lines being carried: from line `first` to line `next - 1`.
  let first = -1;
  let next = -1;
  const endRun = () => {
    if (source === undefined || first === -1) return;
    pieces.push("\n", source.bytes.subarray(source.bounds[2 * first], source.bounds[2 * (next - 1) + 1]));
    first = -1;
  };
  for (const [key, letter] of letters) {
    const index = lineOf.get(letter);
    if (source !== undefined && index !== undefined && source.letters[index]?.[0] === key) {
      // Consecutive lines of the source are one piece: the newline between them is among its bytes.
      if (first !== -1 && index === next) {
        next++;
        continue;
      }
      endRun();
      first = index;
      next = index + 1;
    } else {
      endRun();
      pieces.push("\n", letterLine(key, letter));
    }
  }
  endRun();
  return pieces;
}

/**
 * A snapshot snapshotFromBytes made (or applyAppended carried from one): the bytes, the letters as read from
 * them, in their order, and where each one's line starts and ends among the bytes. Nothing changes such a
 * letter in place (applyAppended and stateOf fold into copies of it), so its line stays its exact bytes. One
 * record per snapshot, not an entry and a string per letter: reading a snapshot allocates no more than it
 * keeps.
 */
interface Source {
  bytes: Buffer;
  letters: JournalSnapshot["letters"];
  bounds: Int32Array;
}
const sources = new WeakMap<JournalSnapshot, Source>();

function letterLine(key: string, letter: LetterAttempts): string {
  if (!letter.settled) return JSON.stringify([key, letter]);
  const { fold } = letter.settled;
  const copies = fold.delivery.copies.map((copy) => [copy.at, copy.messageId, ...copy.addresses]);
  // Every field keeps its place, so that the state read back has its fields in the same order.
  const delivery = withFields(fold.delivery, { addresses: 0, copies });
  const kept = withFields(fold, { delivery, refusals: [...fold.refusals] });
  return JSON.stringify([key, withFields(letter, { settled: withFields(letter.settled, { fold: kept }) })]);
}

type KeptCopy = [at: string, messageId: string, ...addresses: string[]];

/** The snapshot written as UTF-8 bytes (its pieces, one after the other), read back. */
export function snapshotFromBytes(bytes: Buffer): JournalSnapshot {
  let end = bytes.indexOf(0x0a);
  const rest = JSON.parse(bytes.toString("utf8", 0, end === -1 ? bytes.length : end)) as Omit<
    JournalSnapshot,
    "letters"
  >;
  const letters: JournalSnapshot["letters"] = [];
  const bounds: number[] = [];
  while (end !== -1) {
    const start = end + 1;
    end = bytes.indexOf(0x0a, start);
    const stop = end === -1 ? bytes.length : end;
    // The line is [key, letter]: that very array is the entry.
    const entry = JSON.parse(bytes.toString("utf8", start, stop)) as [string, LetterAttempts];
    readLetter(entry[1]);
    letters.push(entry);
    bounds.push(start, stop);
  }
  const snapshot = withFields(rest, { letters });
  sources.set(snapshot, { bytes, letters: [...letters], bounds: Int32Array.from(bounds) });
  return snapshot;
}

/** A letter as letterLine keeps it, back to what it was: its copies, its addresses, its refusals' Map. */
function readLetter(letter: LetterAttempts): void {
  if (!letter.settled) return;
  const fold = letter.settled.fold as Omit<LetterFold, "refusals"> & { refusals: unknown };
  fold.refusals = new Map(fold.refusals as [string, { address: string; response: string }][]);
  const { delivery } = fold;
  const addresses: string[] = [];
  delivery.copies = (delivery.copies as unknown as KeptCopy[]).map((kept) => {
    const copyAddresses = kept.slice(2) as string[];
    for (const address of copyAddresses) addresses.push(address);
    return { at: kept[0], channel: "email", byHand: false, messageId: kept[1], addresses: copyAddresses };
  });
  delivery.addresses = addresses;
}
