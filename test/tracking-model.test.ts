// trackCampaign gathers a campaign's journal records by recipient once; trackRecipient looks each one up
// by its key. Both must tell the same story of every recipient: journals of two campaigns that share
// recipient ids, with retries, follow-ups, answers, hand deliveries and messages waiting for review.
import { describe, expect, it } from "vitest";
import { deriveState, type JournalEvent } from "../src/core/journal.js";
import type { RecipientEntry } from "../src/core/recipients.js";
import type { Campaign } from "../src/core/schema.js";
import { trackCampaign, trackRecipient } from "../src/core/tracking.js";
import { seededRandom } from "./support.js";

const RECIPIENTS = ["r0", "r1", "r2", "r3", "r4", "r5"];
const STAGES = [undefined, undefined, "followup-1", "followup-2"];

function journal(seed: number, length: number): JournalEvent[] {
  const { pick, chance } = seededRandom(seed);
  const events: JournalEvent[] = [];
  for (let index = 0; events.length < length; index++) {
    const day = `2026-01-${String(1 + (index % 28)).padStart(2, "0")}`;
    const base = {
      v: 1,
      id: `e${index}`,
      at: `${day}T10:00:${String(index % 60).padStart(2, "0")}.000Z`,
      campaign: pick(["c", "d"]),
      recipient: pick(RECIPIENTS),
    };
    const roll = pick([0, 1, 2, 3, 4]);
    if (roll <= 2) {
      const stage = pick(STAGES);
      const to = [pick(["a@x.org", "A@x.org", "b@x.org"])];
      const message_id = `<m${index}@x>`;
      events.push({
        ...base,
        type: "attempt",
        message_id,
        transport: chance(0.1) ? "outbox" : "smtp",
        to,
        cc: [],
        subject: `s${index}`,
        try: 1,
        ...(stage ? { stage } : {}),
      });
      const outcome = { ...base, id: `o${index}`, attempt: base.id, message_id };
      const kind = pick(["sent", "sent", "sent", "failed", "uncertain", "none"]);
      if (kind === "sent") {
        const rejected = chance(0.2) ? [{ address: "c@x.org", response: "452 full" }] : [];
        events.push({ ...outcome, type: "sent", response: "250 ok", accepted: to, rejected });
      } else if (kind === "failed") {
        events.push({ ...outcome, type: "failed", kind: "permanent", response: "550 no" });
      } else if (kind === "uncertain") {
        events.push({ ...outcome, type: "uncertain", reason: "dropped" });
      }
    } else if (roll === 3) {
      const outcome = pick(["acknowledged", "auto-reply", "bounced", "closed", "meeting"] as const);
      events.push({ ...base, type: "response", outcome, date: day, channel: "email" });
    } else if (chance(0.5)) {
      const stage = pick(STAGES);
      events.push({
        ...base,
        type: "delivered",
        channel: "web-form",
        date: day,
        ...(stage ? { stage } : {}),
      });
    } else {
      const kind = pick(["answer", "auto-reply", "bounce"] as const);
      const match = pick(["reply", "probable"] as const);
      events.push({ ...base, type: "received", message_id: `<in${index}@y>`, kind, match, date: day });
    }
  }
  return events;
}

function campaign(id: string): Campaign {
  return {
    id,
    followup: { after_days: 7, max: 2, working_days: id === "d", by_type: { ngo: { after_days: 3 } } },
  } as unknown as Campaign;
}

function entries(): RecipientEntry[] {
  return RECIPIENTS.map((id, index) => ({
    recipient: {
      id,
      organisation: `Org ${id}`,
      type: ["un", "ngo", "eu"][index % 3],
      tags: [],
      contacts: [{ name: id, email: `${id}@x.org` }],
      ...(index === 4 ? { followup: { after_days: 1, max: 0 } } : {}),
    },
    file: "recipients/r.yaml",
    line: 1 + index,
    at: {},
  })) as unknown as RecipientEntry[];
}

describe("tracking a whole campaign", () => {
  it("tells each recipient's story as tracking that recipient alone does", () => {
    const now = new Date("2026-02-10T12:00:00Z");
    for (let seed = 1; seed <= 150; seed++) {
      const state = deriveState(journal(seed, 10 + (seed % 60)));
      for (const id of ["c", "d", "e"]) {
        const all = entries();
        const alone = all.map((entry) => trackRecipient(state, campaign(id), entry, now));
        expect(trackCampaign(state, campaign(id), all, now), `seed ${seed}, campaign ${id}`).toEqual(alone);
      }
    }
  });
});
