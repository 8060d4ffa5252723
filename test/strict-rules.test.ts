// The pure rules behind strict input, case by case, in milliseconds: calendar days and moments, the
// template engine's own-field lookups and partial guard, and the YAML loader's alias bound.
import { describe, expect, it } from "vitest";
import { parseYaml } from "../src/adapters/yaml-file.js";
import { LetterEngine } from "../src/core/engine.js";
import { emptyLibrary, TemplateError, type TemplateSource } from "../src/core/letter.js";
import { dayProblem, instantProblem, showText } from "../src/core/text-rules.js";

describe("dayProblem", () => {
  it.each([
    ["2012-02-29", undefined],
    ["2000-02-29", undefined],
    ["2012-02-30", "2012-02-30 is not a day: February 2012 has 29 days"],
    ["1900-02-29", "1900-02-29 is not a day: February 1900 has 28 days"],
    ["2026-06-31", "2026-06-31 is not a day: June 2026 has 30 days"],
    ["2026-00-10", "2026-00-10 is not a day: there is no month 00"],
    ["2026-1-10", "must be a date written YYYY-MM-DD"],
  ])("%s → %s", (value, expected) => expect(dayProblem(value)).toBe(expected));
});

describe("instantProblem", () => {
  it.each([
    ["2012-08-15", undefined],
    ["2012-08-15T09:30:00Z", undefined],
    ["2012-08-15T09:30:00.123+02:00", undefined],
    ["2012-02-30T10:00:00Z", "2012-02-30 is not a day: February 2012 has 29 days"],
    ["2012-08-15T24:00", "2012-08-15T24:00 is not a time: hours go to 23, minutes and seconds to 59"],
    ["15 Aug 2012", "must be an ISO date or time such as 2012-08-15 or 2012-08-15T09:30:00Z"],
  ])("%s → %s", (value, expected) => expect(instantProblem(value)).toBe(expected));
});

it("showText writes line breaks and invisible characters as \\u{…}", () => {
  expect(showText("a\r\nb\u202ec")).toBe('"a\\u{D}\\u{A}b\\u{202E}c"');
});

function engineWith(partials: Record<string, string>, letter: string) {
  const library = emptyLibrary();
  for (const [name, text] of Object.entries(partials)) {
    library.partials.set(name, { file: `templates/partials/${name}.hbs`, text });
  }
  const source: TemplateSource = { file: "templates/letter.txt.hbs", text: letter };
  library.letters.set("letter", { text: new Map([["", source]]), html: new Map() });
  return { engine: new LetterEngine(library), source };
}

describe("LetterEngine", () => {
  const context = { recipient: { id: "x", type: "un", tags: ["a", "b"] }, language: "en" };

  it("reads own fields, and a missing one in a guard is just missing", () => {
    const { engine, source } = engineWith({}, "{{recipient.tags.length}}{{#if recipient.nope}}!{{/if}}");
    expect(engine.problems).toEqual([]);
    expect(engine.render(source, false, context)).toBe("2");
  });

  it("refuses an inherited name met while rendering, with its line", () => {
    const { engine, source } = engineWith({}, "Hello\n{{recipient.tags.join}}");
    expect(engine.problems).toEqual([]);
    expect(() => engine.render(source, false, context)).toThrowError(TemplateError);
    try {
      engine.render(source, false, context);
    } catch (error) {
      expect((error as TemplateError).line).toBe(2);
      expect((error as TemplateError).message).toMatch(/"join" is built into JavaScript/);
    }
  });

  it("reports a cycle of named partials once, when compiling, at the include that closes it", () => {
    const { engine } = engineWith({ a: "A {{> b}}", b: "B\n{{> a}}" }, "{{> a}}");
    expect(engine.problems).toHaveLength(1);
    expect(engine.problems[0]).toMatchObject({
      file: "templates/partials/b.hbs",
      line: 2,
      message: "partials include each other without end: a → b → a",
    });
  });

  it("stops a partial chosen while rendering that includes itself, naming the chain", () => {
    const { engine, source } = engineWith(
      { "legal/un": 'UN {{> (paragraph "legal")}}', "legal/default": "default" },
      '{{> (paragraph "legal")}}',
    );
    expect(engine.problems).toEqual([]);
    expect(() => engine.render(source, false, context)).toThrowError(
      'the partial "legal/un" includes itself: legal/un → legal/un',
    );
    expect(engine.render(source, false, { ...context, recipient: { id: "y", type: "ngo" } })).toBe("default");
  });
});

describe("parseYaml aliases", () => {
  it("accepts one anchor used a thousand times", () => {
    const text = `close: &close "Yours sincerely,"\nlist:\n${"  - *close\n".repeat(1000)}`;
    const result = parseYaml(text, "x.yaml");
    expect(result.ok).toBe(true);
  });

  it("refuses aliases that double forty times", () => {
    let text = 'a0: &a0 ["lol", "lol"]\n';
    for (let level = 1; level < 40; level++)
      text += `a${level}: &a${level} [*a${level - 1}, *a${level - 1}]\n`;
    const result = parseYaml(text, "x.yaml");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]?.message).toMatch(/alias bomb/);
  });
});
