// A compiled template is set up once and kept (setUpOnce in engine.ts): every letter one engine renders
// after another must come out as it does from an engine that renders nothing else (a template's first call
// is set up in full), text or error. Compared over seeded random contexts for templates that use each
// helper, partials, a paragraph by type, each/with/if/unless/lookup, HTML escaping and missing fields.
import { describe, expect, it } from "vitest";
import { LetterEngine } from "../src/core/engine.js";
import { addTemplateFile, emptyLibrary, type TemplateSource } from "../src/core/letter.js";
import { seededRandom } from "./support.js";

const FILES: Record<string, string> = {
  "partials/sign.hbs": '{{sender.name}} ({{default recipient.honorific "no title"}})',
  "partials/context/ngo.hbs": "NGO {{recipient.organisation}}",
  "partials/context/default.hbs": "Default {{upper recipient.organisation}}",
  "letter.txt.hbs":
    '{{date campaign.date}} {{date campaign.date "short"}}\n{{recipient.salutation}}\n' +
    "{{#each recipient.tags}}[{{this}}]{{/each}} {{#if recipient.city}}in {{recipient.city}}{{else}}nowhere{{/if}}\n" +
    '{{#with recipient.custom}}{{lookup this "topic"}}{{/with}} {{#unless recipient.tags}}untagged{{/unless}}\n' +
    '{{join recipient.tags}} {{country recipient.country}}\n{{> (paragraph "context")}}\n{{> sign}}\n',
  "letter.html.hbs":
    "<p>{{recipient.organisation}}</p>{{#each recipient.tags}}<i>{{this}}</i>{{/each}}{{> sign}}",
};

function engineWith(): { engine: LetterEngine; text: TemplateSource; html: TemplateSource } {
  const library = emptyLibrary();
  for (const [name, text] of Object.entries(FILES)) {
    addTemplateFile(library, name, { file: `templates/${name}`, text });
  }
  const engine = new LetterEngine(library);
  const letter = engine.variant("letter", "en");
  if (!letter?.text || !letter.html) throw new Error("no letter");
  return { engine, text: letter.text, html: letter.html };
}

function randomContext(random: ReturnType<typeof seededRandom>): Record<string, unknown> {
  const recipient: Record<string, unknown> = {
    organisation: random.pick(["Mission <A> & B", "Ministry", 'Office "C"']),
    type: random.pick(["ngo", "embassy", "un"]),
    salutation: random.pick(["Dear Colleague,", "Excellency,"]),
    tags: random.pick([[], ["a"], ["a", "b<c>"]]),
    custom: random.pick([{ topic: "the topic" }, {}, { topic: 7 }]),
    country: random.pick(["NO", "FR", "RU"]),
  };
  if (random.chance(0.5)) recipient.city = "Vienna";
  if (random.chance(0.3)) recipient.honorific = "H.E.";
  if (random.chance(0.1)) delete recipient.salutation; // a strict template's error
  return {
    recipient,
    sender: { name: "Sender" },
    campaign: { id: "c", ...(random.chance(0.9) ? { date: random.pick(["2012-07-25", "2013-01-02"]) } : {}) },
    language: random.pick(["en", "fr", "ru"]),
  };
}

function outcome(render: () => string): string {
  try {
    return `ok ${render()}`;
  } catch (error) {
    return `error ${(error as Error).message}`;
  }
}

describe("a template set up once", () => {
  it("renders every letter after the first as an engine that renders it alone", () => {
    const random = seededRandom(11);
    const shared = engineWith();
    const outcomes = new Set<string>();
    for (let index = 0; index < 300; index++) {
      const context = randomContext(random);
      for (const html of [false, true]) {
        const kept = outcome(() => shared.engine.render(html ? shared.html : shared.text, html, context));
        const alone = engineWith();
        const fresh = outcome(() => alone.engine.render(html ? alone.html : alone.text, html, context));
        expect(kept).toBe(fresh);
        outcomes.add(kept.startsWith("ok") ? `ok ${html ? "html" : "text"}` : "error");
      }
    }
    expect([...outcomes].sort()).toEqual(["error", "ok html", "ok text"]);
  });
});
