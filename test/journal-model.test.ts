// The journal model on its own (pure, no I/O): one state per letter whatever carried it, duplicates, letters
// in flight, validation of events, and cut-off attempts read as "maybe sent".
import { describe, expect, it } from "vitest";
import {
  type AttemptEvent,
  deriveState,
  eventProblem,
  getDelivery,
  type JournalEvent,
  recoverTornAttempt,
  sentTwice,
  serializeEvent,
} from "../src/core/journal.js";

const base = (id: string, at: string) => ({
  v: 1,
  id,
  at: `2026-02-01T10:00:${at}.000Z`,
  campaign: "c",
  recipient: "r",
});

function attempt(id: string, at: string, extra: Partial<AttemptEvent> = {}): AttemptEvent {
  return {
    ...base(id, at),
    type: "attempt",
    message_id: `<${id}@x>`,
    transport: "smtp",
    to: ["r@example.org"],
    cc: [],
    subject: "s",
    try: 1,
    ...extra,
  };
}

function sent(
  of: AttemptEvent,
  at: string,
  accepted = [...of.to, ...of.cc],
  rejected: string[] = [],
): JournalEvent {
  return {
    ...base(`${of.id}-sent`, at),
    type: "sent",
    attempt: of.id,
    message_id: of.message_id,
    response: "250",
    accepted,
    rejected: rejected.map((address) => ({ address, response: "550" })),
  };
}

function failed(of: AttemptEvent, at: string, kind: "transient" | "permanent" = "transient"): JournalEvent {
  return {
    ...base(`${of.id}-failed`, at),
    type: "failed",
    attempt: of.id,
    message_id: of.message_id,
    kind,
    response: "421",
  };
}

describe("one delivery state per letter", () => {
  it("sent by SMTP stays sent after a later outbox write (the old bug's journal)", () => {
    const smtp = attempt("a", "01");
    const outbox = attempt("b", "05", { transport: "outbox" });
    const state = deriveState([smtp, sent(smtp, "02"), outbox, sent(outbox, "06")]);
    expect(getDelivery(state, "c", "r")).toMatchObject({
      status: "sent",
      transport: "smtp",
      messageId: "<a@x>",
    });
  });

  it("in the outbox until a later SMTP failure; a later outbox write puts it back in the outbox", () => {
    const outbox = attempt("a", "01", { transport: "outbox" });
    const smtp = attempt("b", "03");
    const events = [outbox, sent(outbox, "02")];
    expect(getDelivery(deriveState(events), "c", "r")?.status).toBe("in-outbox");
    expect(getDelivery(deriveState([...events, smtp, failed(smtp, "04")]), "c", "r")?.status).toBe("failed");
    const again = attempt("d", "05", { transport: "outbox" });
    const rewritten = [...events, smtp, failed(smtp, "04"), again, sent(again, "06")];
    expect(getDelivery(deriveState(rewritten), "c", "r")?.status).toBe("in-outbox");
  });

  it("a hand delivery is the letter's state too, and with an email for the same stage it is twice", () => {
    const hand: JournalEvent = {
      ...base("h", "01"),
      type: "delivered",
      channel: "web-form",
      date: "2026-02-01",
    };
    const alone = getDelivery(deriveState([hand]), "c", "r");
    expect(alone).toMatchObject({ status: "sent", byHand: { channel: "web-form" } });
    expect(alone && sentTwice(alone)).toBe(false);
    const smtp = attempt("a", "02");
    const both = getDelivery(deriveState([hand, smtp, sent(smtp, "03")]), "c", "r");
    expect(both && sentTwice(both)).toBe(true);
  });

  it("a resend to only the refused address is not twice; two emails to one address are", () => {
    const first = attempt("a", "01", { cc: ["cc@example.org"] });
    const resend = attempt("b", "05", { to: ["cc@example.org"], cc: [] });
    const partial = getDelivery(
      deriveState([
        first,
        sent(first, "02", ["r@example.org"], ["cc@example.org"]),
        resend,
        sent(resend, "06"),
      ]),
      "c",
      "r",
    );
    expect(partial && sentTwice(partial)).toBe(false);
    const other = attempt("c", "07");
    const twice = getDelivery(deriveState([first, sent(first, "02"), other, sent(other, "08")]), "c", "r");
    expect(twice && sentTwice(twice)).toBe(true);
  });

  it("one email naming an address twice is once; two emails to it, written in other cases, are twice", () => {
    const first = attempt("a", "01", { to: ["R@example.org"], cc: ["r@EXAMPLE.org"] });
    const once = getDelivery(
      deriveState([first, sent(first, "02", ["R@example.org", "r@EXAMPLE.org"])]),
      "c",
      "r",
    );
    expect(once && sentTwice(once)).toBe(false);
    const other = attempt("b", "03", { to: ["r@Example.ORG"] });
    const twice = getDelivery(
      deriveState([first, sent(first, "02", ["R@example.org"]), other, sent(other, "04", ["r@Example.ORG"])]),
      "c",
      "r",
    );
    expect(twice && sentTwice(twice)).toBe(true);
  });

  it("a long list of attempts: copied lines count once, and two emails to one address are found far apart", () => {
    const events: JournalEvent[] = [];
    for (let index = 0; index < 40; index++) {
      const each = attempt(`a${String(index).padStart(2, "0")}`, "01", { to: [`r${index}@example.org`] });
      events.push(each, sent(each, "02"));
    }
    const copied = [...events, ...events.slice(0, 10)];
    const apart = getDelivery(deriveState(copied), "c", "r");
    expect(apart?.copies).toHaveLength(40);
    expect(apart && sentTwice(apart)).toBe(false);
    const again = attempt("b", "03", { to: ["R0@Example.org"] });
    const twice = getDelivery(deriveState([...copied, again, sent(again, "04")]), "c", "r");
    expect(twice && sentTwice(twice)).toBe(true);
  });

  it("an attempt of the running send without an answer is in flight; one of another run is uncertain", () => {
    const mine = attempt("a", "01", { run: "run-1" });
    expect(getDelivery(deriveState([mine], { running: "run-1" }), "c", "r")?.status).toBe("in-flight");
    expect(getDelivery(deriveState([mine], { running: "run-2" }), "c", "r")?.status).toBe("uncertain");
    expect(getDelivery(deriveState([mine]), "c", "r")?.status).toBe("uncertain");
  });
});

describe("eventProblem", () => {
  it("accepts complete events and names the first missing or wrong field", () => {
    const good = attempt("a", "01");
    expect(eventProblem(good)).toBeUndefined();
    const { to: _to, ...noTo } = good;
    expect(eventProblem(noTo)).toBe('the attempt event has no "to" (a list of addresses)');
    expect(eventProblem({ ...good, try: "1" })).toBe(
      'the attempt event\'s "try" is not a whole number of at least 1',
    );
    expect(eventProblem({ ...good, at: "yesterday" })).toBe(
      'the attempt event\'s "at" is not a time written like 2026-02-01T09:00:00.000Z',
    );
    expect(eventProblem({ ...good, at: "2026-02-30T10:00:00.000Z" })).toMatch(/"at" is not a time/);
    expect(eventProblem({ ...good, stage: "followup-x" })).toMatch(/"stage" is not appeal, followup-1/);
    const hand = { ...base("h", "01"), type: "delivered", channel: "letter", date: "2026-13-01" };
    expect(eventProblem(hand)).toBe('the delivered event\'s "date" is not a day written YYYY-MM-DD');
    expect(eventProblem({ ...good, type: "sent!" })).toBe('"sent!" is not a kind of journal event');
    expect(eventProblem([1])).toBe("it is not a journal event");
    expect(eventProblem({ ...good, extra: { future: true } })).toBeUndefined();
  });
});

describe("recoverTornAttempt", () => {
  it("rebuilds an attempt cut after its recipient, in the old order, as the first letter not yet sent", () => {
    const appeal = attempt("a", "01");
    const text = '{"v":1,"id":"t1","at":"2026-02-01T11:00:00.000Z","campaign":"c","recipient":"r","ty';
    const recovered = recoverTornAttempt(text, [appeal, sent(appeal, "02")], "kept.txt");
    expect(recovered).toMatchObject({ id: "t1", type: "attempt", stage: "followup-1", torn: "kept.txt" });
    expect(eventProblem(recovered)).toBeUndefined();
    const state = deriveState([appeal, sent(appeal, "02"), recovered as AttemptEvent]);
    expect(getDelivery(state, "c", "r", "followup-1")?.status).toBe("uncertain");
  });

  it("leaves alone a cut-off line of another type, or one that does not name its recipient", () => {
    expect(
      recoverTornAttempt('{"type":"response","campaign":"c","recipient":"r","out', [], "k"),
    ).toBeUndefined();
    expect(recoverTornAttempt('{"type":"attempt","campaign":"c","recip', [], "k")).toBeUndefined();
  });

  it("reads a line of this version cut past its recipient as the appeal, with the fields it holds", () => {
    const text =
      '{"type":"attempt","campaign":"c","recipient":"r","v":1,"id":"t2","at":"2026-02-01T11:00:00.000Z","message_id":"<m@x>","transport":"smtp","to":["r@example.org"],"cc":[],"subj';
    const recovered = recoverTornAttempt(text, [], "k");
    expect(recovered).toMatchObject({ id: "t2", message_id: "<m@x>", to: ["r@example.org"], subject: "" });
    expect(recovered?.stage).toBeUndefined();
  });
});

describe("serializeEvent", () => {
  it("writes what identifies the letter first, then the event's fields in its own order, as the spread form did", () => {
    const spread = (event: JournalEvent) => {
      const head: Record<string, unknown> = {
        type: event.type,
        campaign: event.campaign,
        recipient: event.recipient,
      };
      if ("stage" in event && event.stage !== undefined) head.stage = event.stage;
      return JSON.stringify({ ...head, ...event });
    };
    const first = attempt("a1", "01");
    const events: JournalEvent[] = [
      first,
      attempt("a2", "02", { stage: "followup-1", in_reply_to: "<a1@x>" }),
      { ...attempt("a3", "03"), stage: undefined } as unknown as JournalEvent,
      sent(first, "04", ["r@example.org"], ["cc@example.org"]),
      { type: "uncertain", ...base("u1", "05"), attempt: "a1", message_id: "<a1@x>", reason: "lost" },
    ];
    for (const event of events) expect(serializeEvent(event)).toBe(spread(event));
    expect(serializeEvent(first)).toMatch(
      /^\{"type":"attempt","campaign":"c","recipient":"r","v":1,"id":"a1",/,
    );
  });
});
