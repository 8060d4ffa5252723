// A snapshot carried forward over appended events gives what deriving the whole journal gives: journals of
// every kind of event (retries, outcomes in any order, decisions, duplicates, merges that bring older events,
// hand deliveries, what inbox took in) cut at every point, the second part applied to the first one's snapshot.
import { describe, expect, it } from "vitest";
import {
  CHANNELS,
  type DeriveOptions,
  deriveState,
  type JournalEvent,
  type JournalState,
  OUTCOMES,
} from "../src/core/journal.js";
import {
  applyAppended,
  deriveWithSnapshot,
  type JournalSnapshot,
  snapshotFromBytes,
  snapshotPieces,
  stateFromSnapshot,
} from "../src/core/journal-snapshot.js";
import { seededRandom } from "./support.js";

/**
 * A journal of `length` events of every kind about a few letters, in time order but for a few, answers
 * following their attempts closely; `rough`: many duplicates, older events and answers to any attempt.
 */
function journal(seed: number, length: number, rough = seed % 3 === 0): JournalEvent[] {
  const { next, pick, chance } = seededRandom(seed);
  const events: JournalEvent[] = [];
  const attempts: Extract<JournalEvent, { type: "attempt" }>[] = [];
  const received: Extract<JournalEvent, { type: "received" }>[] = [];
  const answered = new Set<string>();
  let clock = 0;
  let ids = 0;
  const base = (recipient = pick(["r0", "r1", "r2"])) => {
    // Mostly later than the one before; sometimes a tie, sometimes older (a merge brings a clone's events).
    clock += chance(rough ? 0.15 : 0.02) ? -Math.floor(next() * (rough ? 40 : 5)) : chance(0.1) ? 0 : 1;
    const second = String(Math.max(0, clock) % 60).padStart(2, "0");
    const minute = String(Math.floor(Math.max(0, clock) / 60) % 60).padStart(2, "0");
    return { v: 1, id: `e${ids++}`, at: `2026-02-01T10:${minute}:${second}.000Z`, campaign: "c", recipient };
  };
  while (events.length < length) {
    const roll = next();
    // An ordinary journal answers each attempt once, soon after it, and decides only about unanswered ones.
    const waiting = attempts.slice(-3).filter((attempt) => !answered.has(attempt.id));
    const earlier = rough ? (attempts.length > 0 ? pick(attempts) : undefined) : waiting.at(-1);
    if (chance(rough ? 0.04 : 0.005) && events.length > 0) {
      events.push(pick(events)); // the same line twice (a rebase, a cherry-pick)
    } else if (!earlier ? roll < 0.7 : roll < 0.3) {
      const retry = earlier && chance(0.3) ? earlier : undefined;
      const stage = retry?.stage ?? pick([undefined, undefined, "followup-1"]);
      const event = {
        ...base(retry?.recipient),
        type: "attempt" as const,
        message_id: retry?.message_id ?? `<m${ids}@x>`,
        transport: chance(0.2) ? ("outbox" as const) : ("smtp" as const),
        to: [pick(["a@x.org", "b@x.org"])],
        cc: chance(0.2) ? ["C@x.org"] : [],
        // Some not ASCII: a letter's line is kept as bytes, so where it starts is counted in bytes, not characters.
        subject: ids % 3 === 0 ? `Обращение № ${ids} — Хорог` : `s${ids}`,
        try: 1,
        ...(stage ? { stage } : {}),
        ...(chance(0.3) ? { run: "run-1" } : {}),
        ...(chance(0.05) ? { torn: ".outreach/kept.txt" } : {}),
      };
      attempts.push(event);
      events.push(event);
    } else if (earlier && roll < 0.62) {
      const common = { ...base(earlier.recipient), attempt: earlier.id, message_id: earlier.message_id };
      const kind = pick(["sent", "sent", "failed", "uncertain"]);
      if (kind !== "uncertain") answered.add(earlier.id);
      if (kind === "sent") {
        events.push({
          ...common,
          type: "sent",
          response: "250 ok",
          accepted: chance(0.8) ? earlier.to : [],
          rejected: chance(0.3)
            ? [{ address: pick(["a@x.org", "B@x.org", "c@x.org"]), response: "452 full" }]
            : [],
        });
      } else if (kind === "failed") {
        events.push({
          ...common,
          type: "failed",
          kind: pick(["transient", "permanent", "auth"] as const),
          response: `5${ids} no`,
          ...(chance(0.5) ? { code: 550 } : {}),
          ...(chance(0.2) ? { interrupted: true as const } : {}),
        });
      } else {
        events.push({ ...common, type: "uncertain", reason: `dropped ${ids}` });
      }
    } else if (earlier && roll < 0.7) {
      answered.add(earlier.id);
      events.push({
        ...base(earlier.recipient),
        type: "resolved",
        message_id: earlier.message_id,
        outcome: pick(["sent", "not-sent"] as const),
      });
    } else if (roll < 0.8) {
      events.push({
        ...base(),
        type: "response",
        outcome: pick(OUTCOMES),
        date: pick(["2026-02-03", "2026-02-04"]),
        channel: pick(CHANNELS),
        ...(chance(0.5) ? { message_id: pick(["<a1@y>", "<a2@y>", "<a3@y>"]) } : {}),
      });
    } else if (roll < 0.87) {
      const stage = pick([undefined, "followup-1"]);
      events.push({
        ...base(),
        type: "delivered",
        channel: pick(CHANNELS),
        date: pick(["2026-02-02", "2026-02-05"]),
        ...(stage ? { stage } : {}),
      });
    } else if (roll < 0.95 || received.length === 0) {
      const owned = chance(0.7);
      const event = {
        ...base(owned ? undefined : ""),
        ...(owned ? {} : { campaign: "" }),
        type: "received" as const,
        message_id: pick(["<a1@y>", "<a2@y>", "<a3@y>", "<a4@y>"]),
        kind: pick(["answer", "auto-reply", "bounce", "unreadable"] as const),
        match: owned ? pick(["reply", "probable"] as const) : ("unmatched" as const),
        date: "2026-02-03",
        ...(chance(0.3)
          ? { failures: [{ address: "a@x.org", status: "5.1.1", action: "failed" as const }] }
          : {}),
      };
      received.push(event);
      events.push(event);
    } else {
      events.push({
        ...base(),
        type: "triaged",
        message_id: pick(received).message_id,
        action: pick(["assign", "dismiss"] as const),
      });
    }
  }
  return events;
}

/** Everything the state holds, in its order, as one text: equal texts mean the same state, byte for byte. */
function text(state: JournalState): string {
  const { intake } = state;
  return JSON.stringify({
    deliveries: [...state.deliveries],
    responses: [...state.responses],
    handDeliveries: [...state.handDeliveries],
    intake: {
      messages: [...intake.messages],
      queue: intake.queue,
      holdingPen: intake.holdingPen,
      pending: [...intake.pendingByRecipient],
    },
  });
}

/** The bytes a snapshot is written as: its pieces one after the other. */
const bytesOf = (snapshot: JournalSnapshot) =>
  Buffer.concat(
    snapshotPieces(snapshot).map((piece) => (typeof piece === "string" ? Buffer.from(piece) : piece)),
  );

/** Through the bytes it is kept as, as a later run reads them. */
const kept = (snapshot: JournalSnapshot) => snapshotFromBytes(bytesOf(snapshot));

const OPTIONS: DeriveOptions[] = [{}, { running: "run-1" }];

describe("a snapshot carried over appended events", () => {
  it("gives the whole journal's state, for journals of every kind of event cut anywhere", () => {
    const carried = { ordinary: 0, rough: 0 };
    const reread = { ordinary: 0, rough: 0 };
    for (let seed = 1; seed <= 60; seed++) {
      const kind = seed % 3 === 0 ? "rough" : "ordinary";
      const events = journal(seed, 40 + (seed % 5) * 20);
      for (let cut = 0; cut <= events.length; cut += 1 + (seed % 4)) {
        const { snapshot } = deriveWithSnapshot(events.slice(0, cut));
        const next = applyAppended(kept(snapshot), events.slice(cut));
        if (!next) {
          reread[kind]++;
          continue;
        }
        carried[kind]++;
        // The lines of letters read from the bytes and not changed are written again as they were read: the
        // same bytes as writing every letter afresh (a copy of the snapshot was not read from any bytes).
        expect(bytesOf(next).toString(), `seed ${seed}, cut ${cut}`).toBe(bytesOf({ ...next }).toString());
        for (const options of OPTIONS) {
          const expected = text(deriveState(events, options));
          expect(text(stateFromSnapshot(kept(next), options)), `seed ${seed}, cut ${cut}`).toBe(expected);
        }
      }
    }
    // Most cuts of an ordinary journal are carried, and some of a rough one: reading whole is the exception.
    expect(carried.ordinary).toBeGreaterThan(4 * reread.ordinary);
    expect(carried.rough).toBeGreaterThan(50);
  });

  it("gives the same state carried in several steps, each from the snapshot the one before kept", () => {
    for (let seed = 100; seed < 140; seed++) {
      const events = journal(seed, 90);
      let snapshot: JournalSnapshot | undefined = kept(deriveWithSnapshot(events.slice(0, 10)).snapshot);
      for (let cut = 10; cut < events.length && snapshot; cut += 8) {
        const upTo = Math.min(events.length, cut + 8);
        const next = applyAppended(snapshot, events.slice(cut, upTo));
        snapshot = next && kept(next);
        if (!snapshot) break;
        const expected = text(deriveState(events.slice(0, upTo)));
        expect(text(stateFromSnapshot(snapshot)), `seed ${seed}, up to ${upTo}`).toBe(expected);
      }
    }
  });

  it("gives the state of the events it was made from, with or without a send running", () => {
    for (let seed = 200; seed < 240; seed++) {
      const events = journal(seed, 80);
      for (const options of OPTIONS) {
        const { state, snapshot } = deriveWithSnapshot(events, options);
        const expected = text(deriveState(events, options));
        expect(text(state)).toBe(expected);
        expect(text(stateFromSnapshot(kept(snapshot), options))).toBe(expected);
      }
    }
  });
});
