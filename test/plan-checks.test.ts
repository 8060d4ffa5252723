// The plan made for the commands that show no warnings (status, outstanding, export…) against the full plan,
// over seeded random folders: the same selections and the same errors, in the same order. And the cross-file
// check of ids and addresses against the way it was written first (every address's field kept beside it).
import { describe, expect, it } from "vitest";
import { loadCampaignFolder } from "../src/adapters/campaign-folder.js";
import { planCampaigns } from "../src/core/plan.js";
import type { Problem } from "../src/core/problems.js";
import {
  crossCheckRecipients,
  describeLocation,
  fieldPosition,
  type RecipientEntry,
  where,
} from "../src/core/recipients.js";
import type { Campaign, Config } from "../src/core/schema.js";
import { campaignFolder } from "./support.js";

/** The check as first written: each address kept with its entry and its field. */
function referenceCrossCheck(entries: readonly RecipientEntry[]): Problem[] {
  const problems: Problem[] = [];
  const byId = new Map<string, RecipientEntry>();
  const byEmail = new Map<string, { entry: RecipientEntry; field: string }>();
  for (const entry of entries) {
    const { recipient } = entry;
    const first = byId.get(recipient.id);
    if (first) {
      problems.push({
        severity: "error",
        ...where(entry, "id"),
        message: `the id "${recipient.id}" is already used at ${describeLocation(first, "id")}`,
        hint: "give each recipient its own id",
      });
    } else {
      byId.set(recipient.id, entry);
    }
    recipient.contacts.forEach((contact, index) => {
      const field = `contacts[${index}].email`;
      const key = contact.email.toLowerCase();
      const seen = byEmail.get(key);
      if (seen && seen.entry !== entry) {
        problems.push({
          severity: "error",
          ...where(entry, field),
          message: `${contact.email} is also the address of "${seen.entry.recipient.id}" (${describeLocation(seen.entry, seen.field)})`,
          hint: "one address must belong to one recipient, or it would get the letter twice; merge the two or remove one address",
        });
      } else if (seen) {
        problems.push({
          severity: "error",
          ...where(entry, field),
          message: `${contact.email} is listed twice for this recipient`,
          hint: "remove the second contact",
        });
      } else {
        byEmail.set(key, { entry, field });
      }
    });
  }
  return problems;
}

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES = ["un", "eu", "ngo", "embassy", "osce"];
const TAGS = ["a", "b", "c", "d"];
const COUNTRIES = ["NO", "FR", "TJ", "DE"];

function randomEntries(next: () => number): RecipientEntry[] {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
  const count = 1 + Math.floor(next() * 30);
  return Array.from({ length: count }, (_, index) => {
    const id = `r${Math.floor(next() * count * 1.2)}`;
    const contacts = Array.from({ length: Math.floor(next() * 3) }, (_, contact) => {
      const email = `p${Math.floor(next() * count)}@x${contact}.example.org`;
      return { name: `P ${contact}`, email: next() < 0.2 ? email.toUpperCase() : email, cc: false };
    });
    const verified = next() < 0.5 ? { provenance: { verified_on: pick(["2001-01-01", "2026-11-30"]) } } : {};
    const country = next() < 0.7 ? { country: pick(COUNTRIES) } : {};
    const at: Record<string, number> = { id: fieldPosition(index * 10 + 1, 7) };
    contacts.forEach((_, contact) => {
      if (next() < 0.8) at[`contacts[${contact}].email`] = fieldPosition(index * 10 + 2 + contact, 14);
    });
    return {
      recipient: {
        id,
        organisation: `Org ${index}`,
        type: pick(TYPES),
        tags: TAGS.filter(() => next() < 0.3),
        contacts,
        ...country,
        ...verified,
      },
      file: `recipients/part-${Math.floor(index / 10)}.yaml`,
      line: index * 10 + 1,
      ...(next() < 0.7 ? { index: index % 10 } : {}),
      at,
    } as unknown as RecipientEntry;
  });
}

function randomSelect(next: () => number, known: string[]): Campaign["select"] {
  const some = (values: string[]) => values.filter(() => next() < 0.3);
  const criteria = () => ({
    ...(next() < 0.5 ? { types: some([...TYPES, "tpyo"]) } : {}),
    ...(next() < 0.5 ? { tags: some([...TAGS, "zz"]) } : {}),
    ...(next() < 0.3 ? { countries: some([...COUNTRIES, "IS"]) } : {}),
    ...(next() < 0.3 ? { ids: some([...known.slice(0, 3), "nobody"]) } : {}),
  });
  if (next() < 0.3) return undefined;
  return { ...criteria(), ...(next() < 0.4 ? { exclude: criteria() } : {}) } as Campaign["select"];
}

describe("the plan without its warnings", () => {
  const folder = loadCampaignFolder(campaignFolder());
  const config = folder.config as Config;

  it("selects and errs as the full plan does, over seeded random folders", () => {
    const now = new Date("2026-12-04T12:00:00Z");
    const seen = { errors: 0, warnings: 0, emails: 0 };
    for (let seed = 1; seed <= 300; seed++) {
      const next = random(seed);
      const recipients = randomEntries(next);
      const ids = recipients.map((entry) => entry.recipient.id);
      const campaigns = Array.from({ length: 1 + Math.floor(next() * 3) }, (_, index) => {
        const base = config.campaigns[0] as Campaign;
        const byType = next() < 0.5 ? { by_type: { un: { after_days: 30 }, nope: { max: 0 } } } : {};
        return {
          ...base,
          id: `c${index}`,
          ...(next() < 0.5 ? { date: "2012-07-25" } : {}),
          select: randomSelect(next, ids),
          followup: { ...base.followup, ...byType },
        } as Campaign;
      });
      const contents = { ...folder, recipients, config: { ...config, campaigns } };
      const full = planCampaigns(contents, now);
      const lean = planCampaigns(contents, now, undefined, { warnings: false });
      const errors = (problems: Problem[]) => problems.filter((problem) => problem.severity === "error");
      expect(lean.problems.filter((problem) => problem.severity === "warning")).toEqual(
        folder.problems.filter((problem) => problem.severity === "warning"),
      );
      expect(errors(lean.problems), `seed ${seed}`).toEqual(errors(full.problems));
      expect(lean.campaigns.map(({ selected }) => selected)).toEqual(
        full.campaigns.map(({ selected }) => selected),
      );
      expect(crossCheckRecipients(recipients), `seed ${seed}`).toEqual(referenceCrossCheck(recipients));
      seen.errors += errors(full.problems).length;
      seen.warnings += full.problems.length - errors(full.problems).length;
      seen.emails += errors(full.problems).filter((problem) => problem.message.includes("@")).length;
    }
    // The inputs reach every kind of problem: errors (ids, addresses) and the warnings left out.
    expect(Math.min(seen.errors, seen.warnings, seen.emails)).toBeGreaterThan(100);
  });

  it("cross-checks the bundled example's recipients as the reference does", () => {
    const doubled = [...folder.recipients, ...folder.recipients.slice(0, 5)];
    expect(crossCheckRecipients(doubled)).toEqual(referenceCrossCheck(doubled));
    expect(crossCheckRecipients(doubled).length).toBeGreaterThan(0);
  });
});
