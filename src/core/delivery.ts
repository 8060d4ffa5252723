// A send run: which letters go, and the loop that hands each to the transport with the journal written
// first. The order for every letter is: attempt recorded (durably) → hand-off → outcome recorded (for SMTP
// the hand-off is the final "." of the data: the envelope and the data may go while the attempt syncs). A crash
// between the last two leaves an attempt without outcome, which later reads as "uncertain", never as
// "not sent", so nothing is sent twice. All I/O comes in through `DeliveryDeps`.
import {
  APPEAL,
  type AttemptEvent,
  type Delivery,
  type FailedEvent,
  getDelivery,
  JOURNAL_VERSION,
  type JournalEvent,
  type JournalState,
  reachedBy,
  type SentEvent,
  type TransportKind,
  type UncertainEvent,
} from "./journal.js";
import type { Envelope, Letter, MessageSpec } from "./letters.js";
import { withFields } from "./objects.js";
import { otherChannelHint } from "./recipients.js";
import type { Recipient } from "./schema.js";
import type { DeliveryResult, RawMessage, Transport } from "./transport.js";

/**
 * What planning and the loop need of a letter: whom it is for, which letter, and its addresses. A rendered
 * Letter is one; so is a LetterHead, which a send plans with and renders only when its turn comes.
 */
export interface Planned {
  recipient: Recipient;
  campaign: string;
  stage: string;
  message?: Envelope;
}

export type SkipReason =
  | "no-email"
  | "already-sent"
  | "already-in-outbox"
  | "in-outbox"
  | "uncertain"
  | "failed"
  | "address-reached"
  | "answered"
  | "limit";

export interface Skipped {
  /** The recipient's id. */
  recipient: string;
  reason: SkipReason;
  detail: string;
}

export interface SendPlan<T extends Planned = Letter> {
  toSend: T[];
  skipped: Skipped[];
}

/** Decides, from the journal, which letters this run sends. Pure. */
export function planSend<T extends Planned>(
  letters: readonly T[],
  state: JournalState,
  transport: TransportKind,
  options: { limit?: number; retryFailed?: boolean; includeOutbox?: boolean } = {},
): SendPlan<T> {
  const toSend: T[] = [];
  const skipped: Skipped[] = [];
  const claimed = new Map<string, string>();
  for (const letter of letters) {
    // Read once: a head makes its addresses each time they are asked for (see letterHeads).
    const { recipient, message } = letter;
    if (!message) {
      const via = otherChannelHint(recipient);
      skipped.push({ recipient: recipient.id, reason: "no-email", detail: `no email: deliver by ${via}` });
      continue;
    }
    // One state per letter, whatever carried it before: SMTP, the outbox, or the user by hand.
    const delivery = getDelivery(state, letter.campaign, recipient.id, letter.stage);
    // Sent, but a server refused some of its addresses: those (or their corrections) never got the letter.
    const missing =
      delivery?.status === "sent" && delivery.refused.length > 0 ? notReached(message, delivery) : [];
    if (missing.length > 0) {
      // A 4xx for an address is temporary: the next send tries it again by itself, as for a whole letter.
      const temporary = (delivery?.refusals ?? []).every(({ response }) => /^4\d\d/.test(response.trim()));
      if (!options.retryFailed && !temporary) {
        skipped.push({
          recipient: recipient.id,
          reason: "failed",
          detail: `partially delivered: it reached ${delivery?.addresses.join(", ")}, but the server refused ${delivery?.refusals.map((refusal) => `${refusal.address} (${refusal.response})`).join(", ")}, so ${missing.join(", ")} did not get the letter (fix the address, then send with --retry-failed: only the addresses that did not get it are written to; or close it: outreach log ${recipient.id} --outcome closed)`,
        });
        continue;
      }
      // An outbox file cannot be restricted to some of its addresses: sent from a mail client, it would
      // reach again everyone the letter already reached. Completing a letter takes SMTP.
      if (transport === "outbox") {
        skipped.push({
          recipient: recipient.id,
          reason: "failed",
          detail: `partially delivered: ${missing.join(", ")} did not get the letter; completing it needs SMTP (an outbox file would go again to ${delivery?.addresses.join(", ")}). Send it by SMTP, or deliver it to them yourself and close it: outreach log ${recipient.id} --outcome closed`,
        });
        continue;
      }
      // A completion written to the outbox by an earlier version may have been sent by hand from it.
      const inOutbox = missing.filter((address) =>
        delivery?.written.some((written) => written.toLowerCase() === address.toLowerCase()),
      );
      if (inOutbox.length > 0 && !options.includeOutbox) {
        skipped.push({
          recipient: recipient.id,
          reason: "in-outbox",
          detail: `the letter to ${inOutbox.join(", ")} was written to the outbox earlier: if you sent that file yourself, record it (outreach log ${recipient.id} --sent-by email); to send it now, add --include-outbox`,
        });
        continue;
      }
      if (options.limit !== undefined && toSend.length >= options.limit) {
        skipped.push({ recipient: recipient.id, reason: "limit", detail: `over --limit ${options.limit}` });
        continue;
      }
      toSend.push(withFields(letter, { message: withFields(message, { envelopeTo: missing }) }) as T);
      continue;
    }
    const skip = skipFor(delivery, transport, options);
    if (skip) {
      skipped.push({ recipient: recipient.id, ...skip });
      continue;
    }
    const addresses = [...message.to, ...message.cc].map((address) => address.address.toLowerCase());
    // A follow-up goes to the addresses its appeal went to; only appeals must not reach one address twice.
    const other =
      letter.stage !== APPEAL
        ? undefined
        : addresses
            .map((address) => ({
              address,
              by: reachedBy(state, letter.campaign, address) ?? claimed.get(address),
            }))
            .find((found) => found.by !== undefined && found.by !== recipient.id);
    if (other) {
      skipped.push({
        recipient: recipient.id,
        reason: "address-reached",
        detail: `${other.address} was already written to as "${other.by}" in this campaign`,
      });
      continue;
    }
    if (options.limit !== undefined && toSend.length >= options.limit) {
      skipped.push({ recipient: recipient.id, reason: "limit", detail: `over --limit ${options.limit}` });
      continue;
    }
    for (const address of addresses) claimed.set(address, recipient.id);
    toSend.push(letter);
  }
  return { toSend, skipped };
}

/** The letter's current addresses that no delivery has reached yet. */
function notReached(message: Envelope, delivery: Delivery): string[] {
  const reached = new Set(delivery.addresses.map((address) => address.toLowerCase()));
  return [...message.to, ...message.cc]
    .map((address) => address.address)
    .filter((address) => !reached.has(address.toLowerCase()));
}

function skipFor(
  delivery: Delivery | undefined,
  transport: TransportKind,
  options: { retryFailed?: boolean; includeOutbox?: boolean },
): Omit<Skipped, "recipient"> | undefined {
  if (!delivery) return undefined;
  const id = delivery.recipient;
  switch (delivery.status) {
    case "sent":
      return {
        reason: "already-sent",
        detail: delivery.byHand
          ? `already delivered by ${delivery.byHand.channel} on ${delivery.byHand.date} (logged by hand)`
          : `already sent on ${delivery.sentAt?.slice(0, 10)}`,
      };
    case "uncertain":
    case "in-flight":
      return {
        reason: "uncertain",
        detail: `uncertain: ${delivery.uncertainReason ?? "an attempt has no answer recorded"}; resolve it with "outreach resolve ${id} --sent" or "--not-sent"`,
      };
    case "in-outbox":
      if (transport === "outbox") {
        return {
          reason: "already-in-outbox",
          detail: `already written to the outbox on ${delivery.writtenAt?.slice(0, 10)}`,
        };
      }
      // The file in the outbox may have been sent by hand from it: SMTP waits for the user's decision.
      if (options.includeOutbox) return undefined;
      return {
        reason: "in-outbox",
        detail: `written to the outbox earlier: if you sent that file yourself, record it (outreach log ${id} --sent-by email${delivery.stage === APPEAL ? "" : " --followup"}); to send it now, add --include-outbox`,
      };
    case "failed":
      // A refusal by the server is about the address; a file the outbox could not write is not.
      if (
        delivery.failure?.kind === "permanent" &&
        delivery.failure.transport === "smtp" &&
        !options.retryFailed
      ) {
        return {
          reason: "failed",
          detail: `refused earlier: ${delivery.failure.response} (fix the address, then send with --retry-failed)`,
        };
      }
      return undefined;
    default:
      return undefined;
  }
}

/** What became of one letter; `letter` is the planned item (for a send, its head: no text is kept). */
export type LetterOutcome<T extends Planned = Letter> =
  | {
      status: "sent";
      letter: T;
      response: string;
      accepted: string[];
      rejected: { address: string; response: string }[];
    }
  | {
      status: "failed";
      letter: T;
      kind: "transient" | "permanent" | "auth";
      response: string;
      code?: number;
    }
  | { status: "uncertain"; letter: T; reason: string };

interface LoopDeps<T extends Planned> {
  transport: Transport;
  /**
   * Appends durably; rejects when the journal cannot be written. Absent for test sends, which record nothing.
   * Events reach the disk in the order they were appended, and once one append fails every later one fails
   * too (the JournalWriter's group commit): the loop relies on both to queue an outcome without waiting for
   * it, since the next hand-off waits for its own attempt, which is queued after the outcome.
   */
  journal?: { append(event: JournalEvent): Promise<void> };
  compose(spec: MessageSpec, envelope: { messageId: string; date: Date }): Promise<RawMessage>;
  /** Keeps a copy of a sent message. */
  keepCopy?(letter: T, raw: RawMessage, messageId: string): void;
  newMessageId(): string;
  newEventId(): string;
  /** This run's id, written on its attempts, so that `status` can tell letters in flight from uncertain ones. */
  run?: string;
  now(): Date;
  sleep(ms: number): Promise<void>;
  /** True once the user asked to stop: no new letters start. */
  stopRequested(): boolean;
  onOutcome(outcome: LetterOutcome<T>, done: number, total: number): void;
  /** The letter is in the server's hands (`held` true) until it answers (`held` false), for each try. */
  onServer?(letter: T, held: boolean): void;
  /** A temporary failure, tried again after `delayMs`; `letter` is undefined while connecting. */
  onRetry?(letter: T | undefined, response: string, delayMs: number): void;
  onWarning?(message: string): void;
}

/**
 * `render` makes a planned item's letter when its turn comes (each connection renders only the letter it
 * starts, and the letter can be collected once its outcome is recorded); items that are letters already
 * need none.
 */
export type DeliveryDeps<T extends Planned = Letter> = LoopDeps<T> &
  (T extends Letter ? { render?(item: T): Letter } : { render(item: T): Letter });

export interface DeliveryOptions {
  /** Minimum time between the starts of two SMTP transactions (a rate limit); 0 for none. */
  intervalMs: number;
  retries: number;
  retryDelayMs: number;
  /** Rewrites each letter's message before composing, e.g. for a test send to oneself. */
  rewrite?(spec: MessageSpec): MessageSpec;
  /** A test send: the transport keeps it apart (the outbox writes it to a test/ folder). */
  test?: boolean;
}

export interface DeliveryReport<T extends Planned = Letter> {
  outcomes: LetterOutcome<T>[];
  /** Letters not started because the run stopped (Ctrl-C, or a failure that would hit every letter). */
  notStarted: T[];
  /** Why the run stopped early, if it did for a reason other than the user's request. */
  aborted?: string;
  interrupted: boolean;
}

class Abort extends Error {}

export async function deliverLetters<T extends Planned = Letter>(
  letters: readonly T[],
  deps: DeliveryDeps<T>,
  options: DeliveryOptions,
): Promise<DeliveryReport<T>> {
  // The type says `render` is there unless the items are letters themselves.
  const render =
    (deps as { render?: (item: T) => Letter }).render ?? ((item: T) => item as unknown as Letter);
  const outcomes: LetterOutcome<T>[] = [];
  const notStarted: T[] = [];
  let aborted: string | undefined;
  let next = 0;
  let nextSlot = 0;

  const waitForSlot = async () => {
    if (options.intervalMs <= 0) return;
    const now = deps.now().getTime();
    const slot = Math.max(now, nextSlot);
    nextSlot = slot + options.intervalMs;
    if (slot > now) await deps.sleep(slot - now);
  };
  const stopping = () => aborted !== undefined || deps.stopRequested();
  const base = (letter: T) => ({
    v: JOURNAL_VERSION,
    id: deps.newEventId(),
    at: deps.now().toISOString(),
    campaign: letter.campaign,
    recipient: letter.recipient.id,
  });
  const record = async (event: JournalEvent) => {
    if (!deps.journal) return;
    try {
      await deps.journal.append(event);
    } catch (error) {
      aborted = (error as Error).message;
      throw new Abort();
    }
  };

  // Set once the current letter was handed to the transport: if the journal then fails, it is uncertain.
  const handedOver = new Set<T>();

  // A server that goes silent stays silent: after as many timeouts in a row as one letter may have tries,
  // or one after the data (a whole long wait), nothing more is handed over this run.
  let timeoutsInARow = 0;
  const noteSilence = (result: DeliveryResult) => {
    if (result.status === "failed" && result.interrupted) return;
    if (!(result.status !== "sent" && result.timedOut)) {
      timeoutsInARow = 0;
      return;
    }
    timeoutsInARow++;
    if (result.status === "uncertain") {
      aborted ??= `${result.reason}; nothing more is handed over to a server that does not answer`;
    } else if (timeoutsInARow > options.retries) {
      aborted ??= `the server stopped answering (${timeoutsInARow} timeouts in a row, the last: ${result.response}); nothing more is handed over`;
    }
  };

  // `tracked.recorded` is the last outcome this letter's tries put in the journal, not yet on disk (see below).
  const sendOne = async (
    letter: T,
    tracked: { recorded: Promise<void> },
  ): Promise<LetterOutcome<T> | undefined> => {
    const messageId = deps.newMessageId();
    let spec: MessageSpec;
    let raw: RawMessage;
    try {
      // Rendered only now, and let go with `spec` and `raw` when this letter is done.
      const message = render(letter).message as MessageSpec;
      spec = options.rewrite ? options.rewrite(message) : message;
      raw = await deps.compose(spec, { messageId, date: deps.now() });
    } catch (error) {
      // Nothing was handed over, so nothing to record: e.g. an attachment that became unreadable after check.
      return {
        status: "failed",
        letter,
        kind: "permanent",
        response: `the message could not be composed: ${(error as Error).message}`,
      };
    }
    // Who each try writes to: at first every address (or, completing an earlier letter, the ones it did not
    // reach); after a server answered 4xx for some addresses while taking the letter for others, only those.
    let to = spec.envelopeTo ?? [...spec.to, ...spec.cc].map((address) => address.address);
    let completing = spec.envelopeTo !== undefined;
    const accepted: string[] = [];
    let refusedForGood: { address: string; response: string }[] = [];
    let refusedForNow: { address: string; response: string }[] = [];
    let result: DeliveryResult | undefined;
    for (let attemptNumber = 1; attemptNumber <= options.retries + 1; attemptNumber++) {
      if (attemptNumber > 1) {
        if (stopping()) break;
        const delay = options.retryDelayMs * 2 ** (attemptNumber - 2);
        const why = result?.status === "failed" ? result.response : (refusedForNow[0]?.response ?? "");
        deps.onRetry?.(letter, why, delay);
        await deps.sleep(delay);
        if (stopping()) break;
      }
      await waitForSlot();
      if (stopping()) {
        if (attemptNumber === 1) return undefined;
        break;
      }
      const attempt: AttemptEvent = withFields(base(letter), {
        type: "attempt",
        message_id: messageId,
        transport: deps.transport.kind,
        // Who this attempt really writes to: for a resend, only the addresses that did not get the letter.
        to: completing ? to : spec.to.map((address) => address.address),
        cc: completing ? [] : spec.cc.map((address) => address.address),
        subject: spec.subject,
        try: attemptNumber,
        ...(letter.stage === APPEAL ? {} : { stage: letter.stage }),
        ...(spec.inReplyTo ? { in_reply_to: spec.inReplyTo } : {}),
        ...(deps.run ? { run: deps.run } : {}),
      });
      // The attempt is on disk before the hand-off: before deliver() is called, or, for a transport that
      // waits for it itself, before its final step (the envelope and the data overlap the sync).
      const recorded = record(attempt);
      const overlap = deps.transport.awaitsRecord === true;
      // With the overlap it is awaited below, once the transport has handed over or given up.
      if (overlap) recorded.catch(() => {});
      else await recorded;
      deps.onServer?.(letter, true);
      result = await deps.transport.deliver({
        raw,
        envelope: { from: spec.from.address, to },
        messageId,
        campaign: letter.campaign,
        recipient: letter.recipient.id,
        stage: letter.stage,
        test: options.test ?? false,
        ...(overlap ? { recorded } : {}),
      });
      deps.onServer?.(letter, false);
      // The journal could not record the attempt: the transport gave the message up, never handed over.
      if (overlap) await recorded;
      handedOver.add(letter);
      noteSilence(result);
      // The outcome is queued without waiting for the disk. Whatever this connection hands over next (this
      // letter's next try, or the next letter) waits for its own attempt to be synced, which is queued after
      // the outcome: the outcome is on disk before anything more is handed over, and one sync serves both.
      tracked.recorded = recordOutcome(letter, attempt, result);
      tracked.recorded.catch(() => {}); // handled where the letter is settled
      if (result.status === "sent") {
        if (accepted.length === 0) keepCopy(letter, raw, messageId);
        accepted.push(...result.accepted);
        // A 4xx for one address is as temporary as for the whole letter: those addresses are tried again.
        const temporary = (rejection: { response: string }) => /^4\d\d/.test(rejection.response.trim());
        refusedForGood = [...refusedForGood, ...result.rejected.filter((rejection) => !temporary(rejection))];
        refusedForNow = result.rejected.filter(temporary);
        if (refusedForNow.length === 0) break;
        to = refusedForNow.map((rejection) => rejection.address);
        completing = true;
        continue;
      }
      if (result.status === "uncertain") return { status: "uncertain", letter, reason: result.reason };
      // Stopped by the user before the server took it: not sent, and tried again by the next run.
      if (result.interrupted && accepted.length === 0) return undefined;
      if (result.kind === "auth") {
        aborted = `the server refused the login: ${result.response}`;
        break;
      }
      if (result.kind === "permanent") {
        if (result.unreachable) aborted = result.response;
        break;
      }
    }
    if (accepted.length > 0) {
      // Delivered to some addresses: what the others last heard is why they still lack the letter.
      const failedTry = result?.status === "failed" ? result.response : undefined;
      const stillRefused = failedTry
        ? refusedForNow.map(({ address }) => ({ address, response: failedTry }))
        : refusedForNow;
      return {
        status: "sent",
        letter,
        response: result?.status === "sent" ? result.response : accepted.join(", "),
        accepted,
        rejected: [...refusedForGood, ...stillRefused],
      };
    }
    if (result?.status !== "failed") return undefined;
    if (result.unreachable && result.kind === "transient") {
      aborted = `the server cannot be reached: ${result.response}`;
    }
    return {
      status: "failed",
      letter,
      kind: result.kind,
      response: result.response,
      ...(result.code === undefined ? {} : { code: result.code }),
    };
  };

  // Every outcome answers its attempt; once it is on disk, the letter is no longer in doubt.
  const recordOutcome = async (letter: T, attempt: AttemptEvent, result: DeliveryResult) => {
    // Assigned onto the fresh base, so that every outcome of a type shares its class (see objects.ts).
    const answer = <E extends object>(fields: E) =>
      Object.assign(base(letter), { attempt: attempt.id, message_id: attempt.message_id }, fields);
    if (result.status === "sent") {
      await record(
        answer({
          type: "sent" as const,
          response: result.response,
          accepted: result.accepted,
          rejected: result.rejected,
          ...(result.serverMessageId ? { server_message_id: result.serverMessageId } : {}),
        }) satisfies SentEvent,
      );
    } else if (result.status === "uncertain") {
      await record(answer({ type: "uncertain" as const, reason: result.reason }) satisfies UncertainEvent);
    } else {
      await record(
        answer({
          type: "failed" as const,
          kind: result.kind,
          ...(result.code === undefined ? {} : { code: result.code }),
          response: result.response,
          // Stopped before the hand-off: not sent, not failed (the state shows it as never tried).
          ...(result.interrupted ? { interrupted: true as const } : {}),
        }) satisfies FailedEvent,
      );
    }
    handedOver.delete(letter);
  };

  const keepCopy = (letter: T, raw: RawMessage, messageId: string) => {
    try {
      deps.keepCopy?.(letter, raw, messageId);
    } catch (error) {
      deps.onWarning?.(
        `the copy of the letter to ${letter.recipient.id} could not be kept: ${(error as Error).message}`,
      );
    }
  };

  // Once its outcome is on disk (or the journal failed under it), a letter is reported or set aside.
  const settle = async (
    letter: T,
    outcome: LetterOutcome<T> | undefined,
    failed: boolean,
    recorded: Promise<void>,
  ) => {
    let journalFailed = failed;
    try {
      await recorded;
    } catch (error) {
      if (!(error instanceof Abort)) throw error;
      journalFailed = true;
    }
    if (journalFailed) {
      if (!handedOver.has(letter)) {
        notStarted.push(letter);
        return;
      }
      outcome = {
        status: "uncertain",
        letter,
        reason: "it was handed to the server, but the journal could not record the answer",
      };
    }
    if (!outcome) {
      notStarted.push(letter);
      return;
    }
    outcomes.push(outcome);
    deps.onOutcome(outcome, outcomes.length, letters.length);
  };

  const worker = async () => {
    // This connection's letters are settled in its order, each while the next one is on its way.
    let reported: Promise<void> = Promise.resolve();
    try {
      while (next < letters.length) {
        const letter = letters[next++] as T;
        if (stopping()) {
          notStarted.push(letter);
          continue;
        }
        const tracked = { recorded: Promise.resolve() };
        let outcome: LetterOutcome<T> | undefined;
        let failed = false;
        try {
          outcome = await sendOne(letter, tracked);
        } catch (error) {
          if (!(error instanceof Abort)) throw error;
          failed = true;
        }
        reported = reported
          .then(() => settle(letter, outcome, failed, tracked.recorded))
          .catch((error: unknown) => {
            aborted ??= `an unexpected error: ${(error as Error).message}`;
            throw error;
          });
        reported.catch(() => {}); // awaited below
      }
    } finally {
      await reported;
    }
  };
  if (deps.transport.open && letters.length > 0) {
    const failure = await openTransport(deps, options);
    if (failure || deps.stopRequested()) {
      return {
        outcomes,
        notStarted: [...letters],
        ...(failure ? { aborted: failure } : {}),
        interrupted: deps.stopRequested(),
      };
    }
  }
  // Under a rate limit one connection is enough, and it keeps the spacing exact at the server.
  const parallel = options.intervalMs >= 100 ? 1 : deps.transport.concurrency;
  const workers = Math.max(1, Math.min(parallel, letters.length));
  // An unexpected error in one worker stops the others from starting letters, and every worker finishes
  // what it has in flight before the error is passed on: nothing is closed under a letter being sent.
  const settled = await Promise.allSettled(
    Array.from({ length: workers }, () =>
      worker().catch((error: unknown) => {
        aborted ??= `an unexpected error: ${(error as Error).message}`;
        throw error;
      }),
    ),
  );
  const failure = settled.find((result) => result.status === "rejected");
  if (failure) throw failure.reason;
  return {
    outcomes,
    notStarted,
    ...(aborted === undefined ? {} : { aborted }),
    interrupted: deps.stopRequested(),
  };
}

/** Opens the transport, retrying temporary failures; returns why it could not be opened. */
async function openTransport<T extends Planned>(
  deps: LoopDeps<T>,
  options: DeliveryOptions,
): Promise<string | undefined> {
  for (let attempt = 1; ; attempt++) {
    const failure = await deps.transport.open?.();
    if (!failure || failure.interrupted) return undefined;
    if (failure.kind === "auth") return `the server refused the login: ${failure.response}`;
    if (failure.kind === "permanent" || attempt > options.retries || deps.stopRequested()) {
      const what = failure.unreachable
        ? "the server cannot be reached"
        : failure.timedOut
          ? `the server does not answer (${attempt} tries)`
          : "the server cannot be used";
      return `${what}: ${failure.response}`;
    }
    const delay = options.retryDelayMs * 2 ** (attempt - 1);
    deps.onRetry?.(undefined, failure.response, delay);
    await deps.sleep(delay);
    if (deps.stopRequested()) return undefined;
  }
}
