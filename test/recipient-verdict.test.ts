// parseRecipient and isValidRecipient (field by field, each field part by part down to its texts,
// remembering the output for a text it has seen), against the recipient schema itself: the same verdict on
// every value, and for a valid one the same output, key for key and in the same order, asked in any order
// and again, so that a remembered output never lets a bad recipient through, refuses a good one, or gives
// one a value the schema would not.
import { describe, expect, it } from "vitest";
import { isValidRecipient, parseRecipient, recipientSchema } from "../src/core/schema.js";

const BASE: Record<string, unknown> = {
  id: "mission-no",
  organisation: "Permanent Mission of Norway",
  type: "embassy",
  country: "NO",
  tags: ["osce", "vienna"],
  language: "en",
  salutation: "Your Excellency,",
  contacts: [{ name: "Person", role: "Ambassador", email: "a@no.example.org" }],
  provenance: { source: "missions.csv", verified_on: "2012-07-20" },
  custom: { mandate: "the mandate" },
};

const { tags: _tags, custom: _custom, ...BASE_WITHOUT_LISTS } = BASE;

// Each field with values the schema takes and values it refuses, of every kind a row or a file could give.
const VALUES: Record<string, unknown[]> = {
  id: [
    "mission-no",
    "Mission NO",
    "",
    "a\nb",
    7,
    "a.b-c_d",
    "-x",
    "x".repeat(64),
    "x".repeat(65),
    "mission-no\n",
    "missiön",
    undefined,
  ],
  organisation: [
    "  Mission  ",
    { en: " Mission ", fr: "Mission" },
    "x".repeat(2000),
    "x".repeat(2001),

    "Mission",
    "",
    "   ",
    "\u00a0Mission\ufeff",
    " x".repeat(1001),
    "Mission\u2028",
    "Mission\u202e",
    "two\nlines",
    { en: "Mission", fr: "Mission" },
    { xx1: "Mission" },
    {},
    ["Mission"],
    1,
  ],
  type: ["embassy", "Embassy", "", "un body", undefined],
  country: [" NO ", "NO", "no", "Norway", "UK", false, undefined],
  tags: [
    [],
    ["osce"],
    ["OSCE"],
    ["a b"],
    "osce",
    [1],
    ["osce", undefined],
    [["osce"]],
    Object.assign(new Array(2), { 1: "osce" }),
    undefined,
  ],
  language: ["en", "pt-BR", "english", "", undefined],
  salutation: ["Hi", "", "a\nb", { en: "Hi", fr: "Bonjour" }, { en: "" }, undefined],
  honorific: ["H.E.", "", undefined, { en: "H.E." }, { fr: "S.E.", en: "H.E." }],
  complimentary_close: ["Yours sincerely,", { en: "Yours,", ru: "С уважением," }, undefined],
  city: [" Vienna", "Vienna", "", undefined],
  address_block: [["Street 1", "Vienna"], [], ["a\nb"], "Street", { en: ["Street"] }, undefined],
  contacts: [
    [{ name: "", email: "a@no.example.org" }],
    [{ name: "two\nlines", email: "a@no.example.org" }],
    [{ name: "Person", email: "a@no.example.org" }, null],
    [{ role: "Ambassador" }],
    [{ email: undefined }],
    { email: "a@no.example.org" },
    [[{ email: "a@no.example.org" }]],
    [{ email: "a@no.example.org" }],
    [{ email: "not an address" }],
    [{ email: " a@no.example.org" }],
    [{ email: "A.B+c@No.Example.ORG" }],
    [{ email: "a..b@no.example.org" }],
    [{ email: "a@b" }],
    [{ email: "a@no.example.org\n" }],
    [{ email: "Name <a@no.example.org>" }],
    [{ name: " Person ", role: "\tAmbassador", email: "a@no.example.org" }],
    [{ email: "a@no.example.org", cc: true }],
    [{ email: "a@no.example.org" }, { email: "b@no.example.org", cc: true }],
    [{ email: "a@no.example.org", cc: "true" }],
    [{ email: "a@no.example.org", phone: "1" }],
    [{ email: "a@no.example.org", phone: undefined }],
    [{ email: "a@no.example.org", name: undefined, role: "Ambassador" }],
    [{ email: "a@no.example.org" }, { email: "b@no.example.org" }, { email: "c@no.example.org", cc: false }],
    [{ email: "a@no.example.org" }, "b@no.example.org"],
    [{ email: "a@no.example.org", cc: 1 }],
    [{ email: "a".repeat(250) + "@x.org" }],
    [Object.assign(Object.create(null), { email: "a@no.example.org" })],
    [
      new (class Contact {
        email = "a@no.example.org";
      })(),
    ],
    [JSON.parse('{"email": "a@no.example.org", "__proto__": {"cc": true}}')],
    [],
    undefined,
  ],
  channels: [
    { web_form: "https://example.org/form" },
    { web_form: "example.org" },
    { fax: "1" },
    { post: [] },
    { post: ["Street 1"] },
    { post: ["Street 1", ""] },
    { web_form: "https://example.org/form", fax: undefined },
    { fax: "1", mail: undefined },
    {},
    undefined,
  ],
  website: ["https://example.org", "example.org", "", undefined],
  provenance: [
    { source: "missions.csv", verified_on: "2012-07-20" },
    { source: "missions.csv", verified_on: "2012-13-40" },
    { source: "missions.csv", verified_on: "20 July 2012" },
    { source: "a\nb" },
    { source: "missions.csv", checked: "yes" },
    undefined,
  ],
  custom: [
    { mandate: "the mandate" },
    { "1st": "x" },
    { mandate: 1 },
    { mandate: ["a", "b"] },
    { mandate: { a: 1 } },
    { mandate: { a: "x\u0000" } },
    { mandate: "x\u0000" },
    { mandate: "two\nlines" },
    { mandate: null, other: [1, "a", { b: false }] },
    { mandate: undefined },
    { _ok: "a", ok2: "b" },
    { "bad key": "x" },
    { mandate: "m".repeat(100_001) },
    Object.assign(Object.create(null), { mandate: "the mandate" }),
    JSON.parse('{"__proto__": "x"}'),
    new Map([["mandate", "x"]]),
    ["the mandate"],
    {},
    undefined,
  ],
  followup: [{ after_days: 7 }, { after_days: 0 }, { max: 0, working_days: true }, {}, undefined],
  attachments: [["annex.pdf"], [" annex.pdf "], [], [""], undefined],
  notes: ["n".repeat(100_000), "n".repeat(100_001), "note", "two\nlines", 1, undefined],
  unknown_field: [undefined, "x"],
};

/** A value written out exactly: keys in their order, a key that holds undefined, a hole in a list. */
function exactly(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => (inner === undefined ? "<undefined>" : inner));
}

/** Each field's values alone and in pairs, over a valid recipient. */
function recipientCases(): Record<string, unknown>[] {
  const cases: Record<string, unknown>[] = [];
  for (const [field, values] of Object.entries(VALUES)) {
    for (const value of values) {
      const recipient = { ...BASE };
      if (value === undefined) delete recipient[field];
      else recipient[field] = value;
      cases.push(recipient);
    }
  }
  // A field written but undefined is not a field left out.
  cases.push({ ...BASE, honorific: undefined, tags: undefined, custom: undefined });
  // Pairs of changes, so a remembered verdict on one field is asked beside another field's fault.
  const fields = Object.keys(VALUES);
  for (let index = 0; index < fields.length; index++) {
    const first = fields[index] as string;
    const second = fields[(index + 3) % fields.length] as string;
    for (const one of VALUES[first] ?? []) {
      for (const two of VALUES[second] ?? []) cases.push({ ...BASE, [first]: one, [second]: two });
    }
  }
  return cases;
}

describe("isValidRecipient and parseRecipient", () => {
  it("give the schema's verdict and output on every value of every field, asked in any order and again", () => {
    const cases = recipientCases();
    let valid = 0;
    for (const round of [cases, [...cases].reverse(), cases]) {
      for (const recipient of round) {
        const schema = recipientSchema.safeParse(recipient);
        if (schema.success) valid++;
        expect({ recipient, verdict: isValidRecipient(recipient) }).toEqual({
          recipient,
          verdict: schema.success,
        });
        const parsed = parseRecipient(recipient);
        expect({ recipient, output: exactly(parsed) }).toEqual({
          recipient,
          output: exactly(schema.success ? schema.data : undefined),
        });
      }
    }
    // Both verdicts are given many times: the comparison is not all one way.
    expect(valid).toBeGreaterThan(100);
    expect(cases.length * 3 - valid).toBeGreaterThan(100);
  });

  it("give the schema's output for a long list, past the texts they remember, and never share a value", () => {
    const recipients = Array.from({ length: 12_000 }, (_, index) => ({
      id: `r${index}`,
      organisation: ` Institution ${index}`,
      type: ["un", "osce", "eu"][index % 3],
      country: ["NO", " FR", "TJ"][index % 3],
      salutation: `Dear Colleague ${Math.floor(index / 2)},`,
      tags: [`t${index % 7}`],
      contacts: [{ name: `Person ${index}`, email: `p${index}@example.org` }],
      custom: { topic: `region ${index % 100}` },
    }));
    const outputs = recipients.map((recipient) => parseRecipient(recipient));
    recipients.forEach((recipient, index) => {
      const schema = recipientSchema.safeParse(recipient);
      expect(schema.success).toBe(true);
      expect(exactly(outputs[index])).toBe(exactly(schema.data));
    });
    // Each recipient has lists and mappings of its own: changing one changes no other.
    outputs[0]?.tags.push("changed");
    (outputs[0]?.custom as Record<string, unknown>).topic = "changed";
    expect(outputs[3]?.tags).toEqual(["t3"]);
    expect(outputs[100]?.custom).toEqual({ topic: "region 0" });
    expect(parseRecipient(recipients[7])?.tags).toEqual(["t0"]);
    // A default list or mapping is each recipient's own too.
    const [one, two] = [parseRecipient(BASE_WITHOUT_LISTS), parseRecipient(BASE_WITHOUT_LISTS)];
    one?.tags.push("changed");
    (one?.custom as Record<string, unknown>).changed = true;
    expect([two?.tags, two?.custom, two?.contacts[0]?.cc]).toEqual([[], {}, false]);
  });
});
