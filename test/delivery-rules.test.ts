// The rules of the delivery loop and of a partial delivery, case by case, on the pure core with a scripted
// transport: milliseconds each, no process, no server.
import { describe, expect, it } from "vitest";
import { type DeliveryDeps, deliverLetters, planSend } from "../src/core/delivery.js";
import { deriveState, getDelivery, type JournalEvent } from "../src/core/journal.js";
import type { Letter, MessageSpec } from "../src/core/letters.js";
import type { RecipientEntry } from "../src/core/recipients.js";
import type { Campaign, Recipient } from "../src/core/schema.js";
import { followupFor, trackRecipient } from "../src/core/tracking.js";
import type { DeliveryResult, OutgoingMessage } from "../src/core/transport.js";

const TO = "to@example.org";
const CC = "cc@example.org";

function letter(id: string): Letter {
  const recipient = {
    id,
    organisation: id,
    type: "ngo",
    tags: [],
    salutation: "Dear,",
    contacts: [
      { email: TO, cc: false },
      { email: CC, cc: true },
    ],
    custom: {},
  } as unknown as Recipient;
  return {
    entry: { recipient, file: "recipients/x.yaml", line: 1, at: {} },
    recipient,
    campaign: "c",
    language: "en",
    subject: "Appeal",
    text: "…",
    templates: [],
    stage: "appeal",
    message: {
      from: { address: "me@example.org" },
      to: [{ address: TO }],
      cc: [{ address: CC }],
      subject: "Appeal",
      text: "…",
      attachments: [],
      headers: {},
    },
  };
}

/** Runs the loop over `letters` with a transport that answers each try with the next scripted result. */
async function runLoop(
  letters: Letter[],
  answers: (message: OutgoingMessage, index: number) => DeliveryResult,
  extra: Partial<DeliveryDeps> = {},
) {
  const events: JournalEvent[] = [];
  const handed: OutgoingMessage[] = [];
  let counter = 0;
  const deps: DeliveryDeps = {
    transport: {
      kind: "smtp",
      description: "smtp://test",
      concurrency: 1,
      async deliver(message) {
        handed.push(message);
        return answers(message, handed.length - 1);
      },
      async close() {},
    },
    journal: { append: async (event) => void events.push(event) },
    compose: async () => [Buffer.from("message")],
    newMessageId: () => `<m${++counter}@example.org>`,
    newEventId: () => `e${String(++counter).padStart(4, "0")}`,
    now: () => new Date(Date.UTC(2026, 1, 1, 12, 0, counter)),
    sleep: async () => {},
    stopRequested: () => false,
    onOutcome: () => {},
    ...extra,
  };
  const report = await deliverLetters(letters, deps, { intervalMs: 0, retries: 2, retryDelayMs: 1 });
  return { report, events, handed };
}

const timeout: DeliveryResult = {
  status: "failed",
  kind: "transient",
  timedOut: true,
  response: "127.0.0.1:25 gave no answer to MAIL FROM, RCPT TO or DATA within 30 s",
};

describe("deliverLetters: what the progress line is told", () => {
  it("a letter is in the server's hands from each hand-over until the server answers, retries included", async () => {
    const held = new Set<string>();
    const seen: string[] = [];
    await runLoop(
      [letter("a"), letter("b")],
      (message, index) => {
        seen.push(`${message.recipient} held: ${held.has(message.recipient)}`);
        return index === 0
          ? timeout
          : { status: "sent", response: "250 ok", accepted: [TO, CC], rejected: [] };
      },
      {
        onServer: (item, isHeld) => (isHeld ? held.add(item.recipient.id) : held.delete(item.recipient.id)),
      },
    );
    expect(seen).toEqual(["a held: true", "a held: true", "b held: true"]);
    expect(held.size).toBe(0);
  });
});

describe("deliverLetters: a server that goes silent", () => {
  it("stops the run after as many timeouts in a row as a letter has tries; the next letters are not started", async () => {
    const { report, handed } = await runLoop([letter("a"), letter("b"), letter("c")], () => timeout);
    expect(handed).toHaveLength(3);
    expect(report.aborted).toMatch(/stopped answering.*127\.0\.0\.1:25/);
    expect(report.notStarted.map((item) => item.recipient.id)).toEqual(["b", "c"]);
  });

  it("an answer between timeouts restarts the count: the next letter still gets all its tries", async () => {
    const { report, handed } = await runLoop([letter("a"), letter("b"), letter("c")], (_message, index) =>
      index === 2 ? { status: "failed", kind: "permanent", code: 550, response: "550 no" } : timeout,
    );
    // a: timeout, timeout, 550 (an answer); b: three timeouts in a row, then the run stops before c.
    expect(handed).toHaveLength(6);
    expect(report.outcomes.map((outcome) => [outcome.letter.recipient.id, outcome.status])).toEqual([
      ["a", "failed"],
      ["b", "failed"],
    ]);
    expect(report.notStarted.map((item) => item.recipient.id)).toEqual(["c"]);
  });

  it("one timeout after the data makes the letter uncertain and stops the run", async () => {
    const { report } = await runLoop([letter("a"), letter("b")], () => ({
      status: "uncertain",
      timedOut: true,
      reason: "the message was sent, but nobody answered",
    }));
    expect(report.outcomes.map((outcome) => outcome.status)).toEqual(["uncertain"]);
    expect(report.notStarted.map((item) => item.recipient.id)).toEqual(["b"]);
    expect(report.aborted).toMatch(/nothing more is handed over/);
  });

  it("a letter the user stopped before the server took it is recorded failed (transient) and counted as not started", async () => {
    const { report, events } = await runLoop([letter("a")], () => ({
      status: "failed",
      kind: "transient",
      interrupted: true,
      response: "not handed over",
    }));
    expect(report.outcomes).toEqual([]);
    expect(report.notStarted.map((item) => item.recipient.id)).toEqual(["a"]);
    expect(events.map((event) => event.type)).toEqual(["attempt", "failed"]);
  });
});

describe("a 4xx for some addresses", () => {
  const partly = (message: OutgoingMessage): DeliveryResult =>
    message.envelope.to.includes(CC)
      ? {
          status: "sent",
          response: "250 ok",
          accepted: [CC],
          rejected: [{ address: TO, response: "452 full" }],
        }
      : { status: "sent", response: "250 ok", accepted: [TO], rejected: [] };

  it("is tried again for those addresses only, with the same Message-ID, and the letter ends complete", async () => {
    const { report, handed, events } = await runLoop([letter("a")], partly);
    expect(handed.map((message) => message.envelope.to)).toEqual([[TO, CC], [TO]]);
    expect(new Set(handed.map((message) => message.messageId)).size).toBe(1);
    expect(report.outcomes[0]).toMatchObject({ status: "sent", accepted: [CC, TO], rejected: [] });
    const state = deriveState(events);
    expect([...state.deliveries.values()][0]).toMatchObject({ status: "sent", refused: [], refusals: [] });
  });

  it("still refused after every try: sent for the others, partial in tracking, no follow-up, and planned again without --retry-failed", async () => {
    const always = (): DeliveryResult => ({
      status: "sent",
      response: "250 ok",
      accepted: [CC],
      rejected: [{ address: TO, response: "452 full" }],
    });
    const target = letter("a");
    const { report, events, handed } = await runLoop([target], (message) =>
      message.envelope.to.includes(CC)
        ? always()
        : { status: "failed", kind: "transient", code: 452, response: "452 full" },
    );
    expect(handed).toHaveLength(3);
    expect(report.outcomes[0]).toMatchObject({ status: "sent", accepted: [CC], rejected: [{ address: TO }] });
    const state = deriveState(events);
    const tracking = trackRecipient(
      state,
      { id: "c", followup: { after_days: 1, max: 2 } } as unknown as Campaign,
      target.entry as RecipientEntry,
      new Date(Date.UTC(2026, 2, 1)),
    );
    expect(tracking.status).toBe("partial");
    expect(tracking.reached).toEqual([CC]);
    expect(tracking.notReached).toEqual([{ address: TO, response: "452 full" }]);
    expect(followupFor(tracking, true).kind).toBe("partial");
    const plan = planSend([target], state, "smtp");
    expect(plan.toSend.map((item) => item.message?.envelopeTo)).toEqual([[TO]]);
  });

  it("a 5xx for an address waits for --retry-failed", async () => {
    const target = letter("a");
    const { events } = await runLoop([target], () => ({
      status: "sent",
      response: "250 ok",
      accepted: [CC],
      rejected: [{ address: TO, response: "550 no such user" }],
    }));
    const state = deriveState(events);
    expect(planSend([target], state, "smtp").skipped).toEqual([
      expect.objectContaining({ reason: "failed", detail: expect.stringContaining("partially delivered") }),
    ]);
    expect(planSend([target], state, "smtp", { retryFailed: true }).toSend[0]?.message?.envelopeTo).toEqual([
      TO,
    ]);
  });
});

describe("deliverLetters: each letter rendered when its turn comes", () => {
  const sent = (): DeliveryResult => ({
    status: "sent",
    response: "250 ok",
    accepted: [TO, CC],
    rejected: [],
  });

  it("renders a letter just before it is composed, not all of them first, and its outcome keeps the planned item", async () => {
    const steps: string[] = [];
    const planned = [letter("a"), letter("b")];
    const { report } = await runLoop(
      planned,
      (message) => {
        steps.push(`hand over ${message.recipient}`);
        return sent();
      },
      {
        render: (item) => {
          steps.push(`render ${item.recipient.id}`);
          return {
            ...item,
            message: { ...(item.message as MessageSpec), text: `rendered for ${item.recipient.id}` },
          };
        },
        compose: async (spec) => [Buffer.from(spec.text)],
      },
    );
    expect(steps).toEqual(["render a", "hand over a", "render b", "hand over b"]);
    expect(report.outcomes.map((outcome) => outcome.letter)).toEqual(planned);
    expect(report.outcomes[0]?.letter).toBe(planned[0]);
  });

  it("a letter that cannot be rendered mid-run is not handed over and nothing is recorded for it; the others go", async () => {
    const { report, handed, events } = await runLoop([letter("a"), letter("b"), letter("c")], sent, {
      render: (item) => {
        if (item.recipient.id === "b") throw new Error("the template failed");
        return item;
      },
    });
    expect(handed.map((message) => message.recipient)).toEqual(["a", "c"]);
    expect(report.outcomes.map((outcome) => [outcome.letter.recipient.id, outcome.status])).toEqual([
      ["a", "sent"],
      ["b", "failed"],
      ["c", "sent"],
    ]);
    expect(report.outcomes[1]).toMatchObject({
      kind: "permanent",
      response: expect.stringContaining("the template failed"),
    });
    // Planned again by the next run: the journal has no attempt of b, so no delivery.
    expect(getDelivery(deriveState(events), "c", "b", "appeal")).toBeUndefined();
    expect(getDelivery(deriveState(events), "c", "a", "appeal")?.status).toBe("sent");
  });
});

describe("deliverLetters: an outcome is queued for the disk, and nothing more is handed over before it is there", () => {
  type Pending = { event: JournalEvent; resolve: () => void; reject: (error: Error) => void };

  /** A journal that commits in groups, in order, and fails for good from the batch holding `failOn`. */
  function groupJournal(failOn: (event: JournalEvent) => boolean) {
    let queue: Pending[] = [];
    let flushing = false;
    let failure: Error | undefined;
    const appended: JournalEvent[] = [];
    const synced = new Set<JournalEvent>();
    const flush = async () => {
      while (queue.length > 0) {
        const batch = queue;
        queue = [];
        await new Promise((resolve) => setTimeout(resolve, 1));
        try {
          if (failure) throw failure;
          if (batch.some((pending) => failOn(pending.event))) throw new Error("no space left on the device");
          for (const pending of batch) synced.add(pending.event);
          for (const pending of batch) pending.resolve();
        } catch (error) {
          failure ??= error as Error;
          for (const pending of batch) pending.reject(failure);
        }
      }
      flushing = false;
    };
    const append = (event: JournalEvent) => {
      if (failure) return Promise.reject(failure);
      appended.push(event);
      return new Promise<void>((resolve, reject) => {
        queue.push({ event, resolve, reject });
        if (!flushing) {
          flushing = true;
          void flush();
        }
      });
    };
    return { append, appended, synced, failed: () => failure !== undefined };
  }

  async function run(
    count: number,
    connections: number,
    failOn: (event: JournalEvent) => boolean = () => false,
    awaitsRecord = false,
  ) {
    const journal = groupJournal(failOn);
    const letters = Array.from({ length: count }, (_, index) => letter(`r${index}`));
    const handed: string[] = [];
    const unsynced: string[] = [];
    const reportedBeforeSynced: string[] = [];
    /** Letters whose deliver() began before their attempt was on disk, and those given up when it failed. */
    const early: string[] = [];
    const givenUp: string[] = [];
    let counter = 0;
    const report = await deliverLetters(
      letters,
      {
        transport: {
          kind: "smtp",
          description: "smtp://test",
          concurrency: connections,
          ...(awaitsRecord ? { awaitsRecord: true } : {}),
          async deliver(message) {
            if (awaitsRecord) {
              // As the SMTP lane: the envelope may go now; the hand-off waits for the attempt on disk.
              const attempt = journal.appended.findLast(
                (event) => event.type === "attempt" && event.recipient === message.recipient,
              );
              if (!(attempt && journal.synced.has(attempt))) early.push(message.recipient);
              try {
                await message.recorded;
              } catch {
                givenUp.push(message.recipient);
                return { status: "failed", kind: "transient", response: "not handed over" };
              }
            }
            // This letter's attempt is on disk, and so is every answer but those of the letters that other
            // connections have in hand (each connection queues its answer, and its next attempt waits behind it).
            const attempt = journal.appended.findLast(
              (event) => event.type === "attempt" && event.recipient === message.recipient,
            );
            if (!(attempt && journal.synced.has(attempt)))
              unsynced.push(`the attempt of ${message.recipient}`);
            const answers = journal.appended.filter(
              (event) => event.type !== "attempt" && !journal.synced.has(event),
            );
            if (answers.length > connections - 1)
              unsynced.push(`${answers.length} answers at ${message.recipient}`);
            if (journal.failed()) unsynced.push(`after the failure: ${message.recipient}`);
            handed.push(message.recipient);
            await new Promise((resolve) => setTimeout(resolve, Number(message.recipient.slice(1)) % 3));
            return { status: "sent", response: "250 ok", accepted: [TO, CC], rejected: [] };
          },
          async close() {},
        },
        journal: { append: journal.append },
        compose: async () => [Buffer.from("message")],
        newMessageId: () => `<m${++counter}@example.org>`,
        newEventId: () => `e${String(++counter).padStart(4, "0")}`,
        now: () => new Date(Date.UTC(2026, 1, 1, 12, 0, 0)),
        sleep: async () => {},
        stopRequested: () => false,
        onOutcome: (outcome) => {
          const answer = journal.appended.find(
            (event) => event.type !== "attempt" && event.recipient === outcome.letter.recipient.id,
          );
          if (outcome.status === "sent" && !(answer && journal.synced.has(answer)))
            reportedBeforeSynced.push(outcome.letter.recipient.id);
        },
      },
      { intervalMs: 0, retries: 0, retryDelayMs: 1 },
    );
    return { report, handed, unsynced, reportedBeforeSynced, journal, early, givenUp };
  }

  for (const connections of [1, 3]) {
    it(`${connections} connection(s), a transport that awaits the record: deliver() starts before the attempt is on disk, the hand-off waits for it`, async () => {
      const { report, handed, unsynced, reportedBeforeSynced, early } = await run(
        12,
        connections,
        undefined,
        true,
      );
      expect(handed).toHaveLength(12);
      expect(early).toHaveLength(12);
      expect(unsynced).toEqual([]);
      expect(reportedBeforeSynced).toEqual([]);
      expect(report.outcomes.map((outcome) => outcome.status)).toEqual(Array(12).fill("sent"));
    });

    it(`${connections} connection(s), a transport that awaits the record: an attempt the journal cannot record is given up, never handed over, and nothing more is`, async () => {
      const { report, handed, unsynced, givenUp } = await run(
        12,
        connections,
        (event) => event.type === "attempt" && event.recipient === "r4",
        true,
      );
      expect(givenUp).toContain("r4");
      expect(handed).not.toContain("r4");
      expect(unsynced).toEqual([]);
      expect(report.notStarted.map((left) => left.recipient.id)).toContain("r4");
      expect(report.aborted).toContain("no space left on the device");
      for (const left of report.notStarted) expect(handed).not.toContain(left.recipient.id);
      for (const outcome of report.outcomes) expect(outcome.status).not.toBe("failed");
    });
  }

  for (const connections of [1, 3]) {
    it(`${connections} connection(s): each hand-off waits for its attempt and its connection's last answer; a letter is reported once its answer is on disk`, async () => {
      const { report, handed, unsynced, reportedBeforeSynced } = await run(12, connections);
      expect(handed).toHaveLength(12);
      expect(unsynced).toEqual([]);
      expect(reportedBeforeSynced).toEqual([]);
      expect(report.outcomes.map((outcome) => outcome.status)).toEqual(Array(12).fill("sent"));
      expect(report.aborted).toBeUndefined();
    });

    it(`${connections} connection(s): the journal failing on a letter's answer makes it uncertain, and nothing more is handed over`, async () => {
      const { report, handed, unsynced, journal } = await run(
        12,
        connections,
        (event) => event.type === "sent" && event.recipient === "r4",
      );
      expect(unsynced).toEqual([]);
      const r4 = report.outcomes.find((outcome) => outcome.letter.recipient.id === "r4");
      expect(r4).toMatchObject({
        status: "uncertain",
        reason: expect.stringContaining("could not record the answer"),
      });
      expect(report.aborted).toContain("no space left on the device");
      // Every letter is accounted for once: reported (its answer on disk, or uncertain) or not started.
      const ids = [
        ...report.outcomes.map((o) => o.letter.recipient.id),
        ...report.notStarted.map((l) => l.recipient.id),
      ];
      expect(ids.sort()).toEqual(Array.from({ length: 12 }, (_, index) => `r${index}`).sort());
      for (const outcome of report.outcomes) {
        if (outcome.status === "sent") {
          const answer = journal.appended.find(
            (e) => e.type === "sent" && e.recipient === outcome.letter.recipient.id,
          );
          expect(answer && journal.synced.has(answer)).toBe(true);
        } else expect(outcome.status).toBe("uncertain");
      }
      expect(report.notStarted.length).toBeGreaterThan(0);
      for (const left of report.notStarted) expect(handed).not.toContain(left.recipient.id);
    });
  }
});
