// Holes in "strict" templates: names that are not the data's own fields (inherited, built into JavaScript)
// and partials that include themselves. Each is a located `check` error (file:line, message, chain of
// partials), exit 1, no crash, nothing written; preview refuses the same way.
import { describe, it } from "vitest";
import {
  CRASH,
  check,
  edited,
  expectPreviewRefused,
  expectProblem,
  expectRefused,
  lineOf,
  starterText,
} from "./bad-input-helpers.js";
import { campaignFolder } from "./support.js";

const LETTER = "templates/letter.txt.hbs";
const UN_PARAGRAPH = "templates/partials/context/un.hbs";
const PARAGRAPH = '{{> (paragraph "context")}}';
const unParagraph = starterText(UN_PARAGRAPH);

/** The starter letter with `line` added after the paragraph, and where it is. */
function letterWith(line: string): { text: string; at: string } {
  const text = edited(LETTER, PARAGRAPH, `${PARAGRAPH}\n\n${line}`);
  return { text, at: `${LETTER}:${lineOf(text, line)}` };
}

describe.concurrent("check: a template may use only the data's own fields", () => {
  const cases: [string, string, RegExp][] = [
    ["{{__proto__}}", "__proto__", /\{\{__proto__\}\}/],
    ["{{recipient.__proto__}}", "__proto__", /\{\{recipient\.__proto__\}\}/],
    ['{{lookup recipient "__proto__"}}', "__proto__", /lookup recipient "__proto__"/],
    ["{{#with __proto__}}x{{/with}}", "__proto__", /__proto__/],
    ["{{recipient.toString}}", "toString", /\{\{recipient\.toString\}\}/],
    ["{{recipient.constructor.name}}", "constructor", /recipient\.constructor/],
    ["{{#each recipient.constructor}}x{{/each}}", "constructor", /recipient\.constructor/],
    ["{{this.[valueOf]}}", "valueOf", /valueOf/],
    ["{{@root.hasOwnProperty}}", "hasOwnProperty", /@root\.hasOwnProperty/],
    ["{{sender.__defineGetter__}}", "__defineGetter__", /sender\.__defineGetter__/],
    // Inherited from a list or a text rather than from every object: found while rendering.
    ["{{recipient.tags.map}}", "map", /recipient\.tags\.map/],
    ["{{#if recipient.tags.map}}x{{/if}}", "map", /recipient\.tags\.map/],
    ["{{recipient.salutation.toUpperCase}}", "toUpperCase", /recipient\.salutation\.toUpperCase/],
  ];
  for (const [written, name, expression] of cases) {
    it(`refuses ${written} at its line`, async ({ expect }) => {
      const { text, at } = letterWith(written);
      const result = await check(campaignFolder({ [LETTER]: text }));
      expectRefused(expect, result);
      const problem = expectProblem(expect, result.stdout, {
        at,
        message: new RegExp(`"${name}" is built into JavaScript.*not a field`),
        hint: /only fields written in the recipient files and outreach\.yaml/,
      });
      expect.soft(problem?.message ?? "").toMatch(expression);
    });
  }

  it("refuses a built-in name that reaches lookup from the data", async ({ expect }) => {
    const { text, at } = letterWith("{{lookup recipient recipient.custom.key}}");
    const example = edited(
      "recipients/example.yaml",
      /custom:\n(\s+)mandate:/,
      'custom:\n$1key: "constructor"\n$1mandate:',
    );
    const result = await check(campaignFolder({ [LETTER]: text, "recipients/example.yaml": example }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, { at, message: /"constructor" is built into JavaScript/ });
  });

  it("refuses a recipient key that is a built-in name, at its line", async ({ expect }) => {
    const example = edited(
      "recipients/example.yaml",
      /custom:\n(\s+)mandate:/,
      "custom:\n$1toString: x\n$1mandate:",
    );
    const result = await check(campaignFolder({ "recipients/example.yaml": example }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `recipients/example.yaml:${lineOf(example, "toString: x")}`,
      message: /the key "toString" is not allowed/,
    });
  });

  it("still reads own fields: a list's length, a guard on a missing field, lookup of an own field", async ({
    expect,
  }) => {
    const { text } = letterWith(
      '{{recipient.tags.length}} {{#if recipient.honorific}}{{recipient.honorific}}{{/if}} {{lookup recipient "organisation"}}',
    );
    const result = await check(campaignFolder({ [LETTER]: text }));
    expect.soft(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect.soft(result.stdout).toContain("No errors");
  });

  it("preview refuses {{recipient.toString}} too, and writes nothing", async ({ expect }) => {
    const { text, at } = letterWith("{{recipient.toString}}");
    await expectPreviewRefused(expect, campaignFolder({ [LETTER]: text }), {
      at,
      message: /"toString" is built into JavaScript/,
    });
  });
});

describe.concurrent("check: partials that include themselves are located errors, never a crash", () => {
  it("a partial that includes itself: the include's line and the chain", async ({ expect }) => {
    const partial = `${unParagraph}{{> context/un}}\n`;
    const files = { [UN_PARAGRAPH]: partial };
    const result = await check(campaignFolder(files));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${UN_PARAGRAPH}:${lineOf(partial, "{{> context/un}}")}`,
      message: /the partial "context\/un" includes itself: context\/un → context\/un/,
      hint: /remove \{\{> context\/un\}\} here/,
    });
    // Reported once, for the partial, not once per letter that includes it.
    expect.soft(result.stdout).not.toMatch(/did not compile/);
    await expectPreviewRefused(expect, campaignFolder(files), {
      at: `${UN_PARAGRAPH}:${lineOf(partial, "{{> context/un}}")}`,
      message: /includes itself/,
    });
  });

  it("two partials that include each other: the chain a → b → a", async ({ expect }) => {
    const { text } = letterWith("{{> first}}");
    const second = "Second.\n{{> first}}\n";
    const files = {
      [LETTER]: text,
      "templates/partials/first.hbs": "First.\n{{> second}}\n",
      "templates/partials/second.hbs": second,
    };
    const result = await check(campaignFolder(files));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `templates/partials/second.hbs:${lineOf(second, "{{> first}}")}`,
      message: /partials include each other without end: first → second → first/,
    });
  });

  it("a paragraph partial that calls paragraph: found for the recipients it is chosen for", async ({
    expect,
  }) => {
    const partial = `${unParagraph}${PARAGRAPH}\n`;
    const files = { [UN_PARAGRAPH]: partial };
    const result = await check(campaignFolder(files));
    expectRefused(expect, result);
    const problem = expectProblem(expect, result.stdout, {
      at: `${UN_PARAGRAPH}:${lineOf(partial, PARAGRAPH)}`,
      message: /the partial "context\/un" includes itself: context\/un → context\/un/,
      hint: /remove \{\{> \(paragraph "context"\)\}\} here/,
    });
    expect.soft(problem?.message ?? "").toContain('letter to "un-special-rapporteur"');
    await expectPreviewRefused(expect, campaignFolder(files), {
      at: `${UN_PARAGRAPH}:${lineOf(partial, PARAGRAPH)}`,
      message: /includes itself/,
    });
  });

  it("a dynamic partial chosen from the data that leads back to itself", async ({ expect }) => {
    const { text } = letterWith('{{> (lookup recipient "type")}}');
    const loop = 'Again: {{> (lookup recipient "type")}}\n';
    const files = {
      [LETTER]: text,
      "templates/partials/un.hbs": loop,
      "templates/partials/ngo.hbs": "NGO.\n",
    };
    const result = await check(campaignFolder(files));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: "templates/partials/un.hbs:1",
      message: /the partial "un" includes itself: un → un/,
    });
  });

  it("an inline partial that includes itself", async ({ expect }) => {
    const line = '{{#*inline "loop"}}again {{> loop}}{{/inline}}{{> loop}}';
    const { text, at } = letterWith(line);
    const result = await check(campaignFolder({ [LETTER]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, { at, message: /the partial "loop" includes itself: loop → loop/ });
  });

  it("a partial block whose partial opens the same block again", async ({ expect }) => {
    const { text } = letterWith("{{#> frame}}inside{{/frame}}");
    const frame = "[{{#> frame}}{{> @partial-block}}{{/frame}}]\n";
    const result = await check(campaignFolder({ [LETTER]: text, "templates/partials/frame.hbs": frame }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: "templates/partials/frame.hbs:1",
      message: /the partial "frame" includes itself: frame → frame/,
    });
  });

  it("partials that each include the next ten times stop at a bound, not at the heap", async ({ expect }) => {
    const files: Record<string, string> = { [LETTER]: letterWith("{{> fan1}}").text };
    for (let level = 1; level < 9; level++) {
      files[`templates/partials/fan${level}.hbs`] = `${`{{> fan${level + 1}}}`.repeat(10)}\n`;
    }
    files["templates/partials/fan9.hbs"] = `${"x".repeat(1000)}\n`;
    const started = Date.now();
    const result = await check(campaignFolder(files));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: /^templates\/partials\/fan\d\.hbs:1$/,
      message: /grows past 5,000,000 characters|more than 100,000 times/,
    });
    expect.soft(Date.now() - started, "a bound, reached quickly").toBeLessThan(20_000);
  });

  it("blocks nested 3,000 deep in a template: a located error, not a stack overflow", async ({ expect }) => {
    const deep = `${"{{#if recipient.id}}".repeat(3000)}x${"{{/if}}".repeat(3000)}`;
    const { text, at } = letterWith(deep);
    const result = await check(campaignFolder({ [LETTER]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, { at, message: /blocks are nested more than 100 deep/ });
    expect.soft(result.stdout).not.toMatch(CRASH);
  });

  it("(…) nested 3,000 deep inside one {{…}}: a located error", async ({ expect }) => {
    const deep = `{{default ${"(default ".repeat(3000)}"x"${")".repeat(3000)}}}`;
    const { text, at } = letterWith(deep);
    const result = await check(campaignFolder({ [LETTER]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, { at, message: /nested more than 50 deep/ });
    expect.soft(result.stdout).not.toMatch(CRASH);
  });
});
