// Bad input in YAML files (recipients/ and outreach.yaml): every problem is named by file, line and field
// with a hint, `check` exits 1, and nothing is written. Each test breaks one file of the starter campaign.
import { describe, it } from "vitest";
import {
  check,
  edited,
  expectPreviewRefused,
  expectProblem,
  expectRefused,
  lineOf,
  parseProblems,
  starterText,
} from "./bad-input-helpers.js";
import { campaignFolder, run } from "./support.js";

const EXAMPLE = "recipients/example.yaml";
const CONFIG = "outreach.yaml";
const example = starterText(EXAMPLE);
const config = starterText(CONFIG);

/** A valid recipient of type ngo that the starter campaign selects, for files added next to example.yaml. */
const extraRecipient = (id: string, email: string) => `id: ${id}
organisation: Added Organisation
type: ngo
salutation: "Dear colleagues,"
contacts:
  - email: ${email}
custom:
  mandate: your mandate
`;

describe.concurrent("check: malformed YAML", () => {
  it("names the line of an unclosed quote", async ({ expect }) => {
    const text = edited(
      EXAMPLE,
      'salutation: "Dear Special Rapporteur,"',
      'salutation: "Dear Special Rapporteur,',
    );
    const files = { [EXAMPLE]: text };
    const result = await check(campaignFolder(files));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${EXAMPLE}:${lineOf(text, 'salutation: "Dear Special')}`,
      message: /quote.*not closed|not closed.*quote/,
      hint: /close the quote/,
    });
    // A fresh copy, so that what check wrote cannot hide what preview writes.
    await expectPreviewRefused(expect, campaignFolder(files), {
      at: `${EXAMPLE}:${lineOf(text, 'salutation: "Dear Special')}`,
      message: /not closed/,
    });
  });

  it("names the line where an unclosed quote opens, even when it runs to the end of the file", async ({
    expect,
  }) => {
    const text = edited(EXAMPLE, 'salutation: "Dear Ombudsman,"', 'salutation: "Dear Ombudsman,');
    const result = await check(campaignFolder({ [EXAMPLE]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${EXAMPLE}:${lineOf(text, 'salutation: "Dear Ombudsman')}`,
      message: /not closed/,
      hint: /close the quote/,
    });
  });

  it("says a tab is used for indentation, at the tab's line, as one problem", async ({ expect }) => {
    const text = edited(EXAMPLE, /^ {2}type: un /m, "\ttype: un ");
    const result = await check(campaignFolder({ [EXAMPLE]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${EXAMPLE}:${lineOf(text, "\ttype: un")}`,
      message: /tab/i,
      hint: /spaces/,
    });
    const errors = result.problems.filter((problem) => problem.severity === "error");
    expect.soft(errors.length, `one tab, one problem:\n${result.stdout}`).toBe(1);
  });

  it("says a tab is used for indentation in a single-recipient file", async ({ expect }) => {
    const text = extraRecipient("tabbed", "tabbed@example.org").replace("contacts:\n  - ", "contacts:\n\t- ");
    const result = await check(campaignFolder({ "recipients/tabbed.yaml": text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `recipients/tabbed.yaml:${lineOf(text, "\t- email")}`,
      message: /tab/i,
      hint: /spaces/,
    });
  });

  it("names the line of a key indented too far, with a hint about indentation", async ({ expect }) => {
    const text = edited(EXAMPLE, /^ {2}country: CH/m, "   country: CH");
    const result = await check(campaignFolder({ [EXAMPLE]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${EXAMPLE}:${lineOf(text, "   country: CH")}`,
      hint: /indentation/,
    });
  });

  it("names the line of a key indented too little, with a hint about indentation (not about quotes)", async ({
    expect,
  }) => {
    const text = edited(EXAMPLE, /^ {2}country: CH/m, " country: CH");
    const result = await check(campaignFolder({ [EXAMPLE]: text }));
    expectRefused(expect, result);
    const problem = expectProblem(expect, result.stdout, {
      at: `${EXAMPLE}:${lineOf(text, " country: CH")}`,
      hint: /indent/,
    });
    expect.soft(problem?.hint ?? "", "a wrong hint sends the user looking for a quote").not.toMatch(/quote/);
  });

  it("names the line of a key written twice in one recipient", async ({ expect }) => {
    const text = edited(EXAMPLE, /^ {2}country: CH\n/m, "  country: CH\n  type: ngo\n");
    const result = await check(campaignFolder({ [EXAMPLE]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${EXAMPLE}:${lineOf(text, "  type: ngo", 1)}`,
      message: /same key|twice|duplicate/i,
      hint: /remove or rename/,
    });
  });

  it("refuses several YAML documents (---) in one file, at the separator's line", async ({ expect }) => {
    const text = `${example}---\n${extraRecipient("second-document", "second@example.org")}`;
    const result = await check(campaignFolder({ [EXAMPLE]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${EXAMPLE}:${lineOf(text, "---")}`,
      message: /several YAML documents/,
      hint: /one document in each file|one list/,
    });
  });

  it("refuses an empty recipient file, naming it", async ({ expect }) => {
    const result = await check(campaignFolder({ "recipients/new.yaml": "" }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: "recipients/new.yaml",
      message: /empty/,
      hint: /add content or delete/,
    });
  });

  it("refuses a recipient file that holds only comments, naming it", async ({ expect }) => {
    const result = await check(
      campaignFolder({ "recipients/new.yaml": "# The embassies, to be added\n# - id: embassy-x\n" }),
    );
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: "recipients/new.yaml",
      message: /empty|only comments|no recipient/,
      hint: /add|delete/,
    });
  });

  it("refuses a YAML alias bomb (billion laughs) without expanding it", async ({ expect }) => {
    const names = "abcdefghi";
    let text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    for (let level = 1; level < names.length; level++) {
      const name = names[level];
      text += `${name}: &${name} [${Array(9)
        .fill(`*${names[level - 1]}`)
        .join(",")}]\n`;
    }
    const files = { "recipients/bomb.yaml": text };
    const result = await check(campaignFolder(files));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      // The aliases start on line 2; any of their lines will do.
      at: /^recipients\/bomb\.yaml:[2-9]$/,
      message: /alias/,
      hint: /write the values out|alias/,
    });
    // A fresh copy, so that what check wrote cannot hide what preview writes.
    await expectPreviewRefused(expect, campaignFolder(files), {
      at: /^recipients\/bomb\.yaml/,
      message: /alias/,
    });
  });
});

describe.concurrent("check: nesting thousands deep does not crash the process", () => {
  it("refuses flow nesting 10,000 deep ([[[[…) with a message, not a V8 abort", async ({ expect }) => {
    const text = `${extraRecipient("deep-flow", "deep-flow@example.org")}  deep: ${"[".repeat(10_000)}${"]".repeat(10_000)}\n`;
    const files = { "recipients/deep.yaml": text };
    const result = await check(campaignFolder(files));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `recipients/deep.yaml:${lineOf(text, "deep: [")}`,
      message: /nesting is too deep/,
    });
    // A fresh copy, so that what check wrote cannot hide what preview writes.
    await expectPreviewRefused(expect, campaignFolder(files), {
      at: `recipients/deep.yaml:${lineOf(text, "deep: [")}`,
      message: /nesting is too deep/,
    });
  });

  it("refuses 5,000 nested block sequences on one line (- - - …)", async ({ expect }) => {
    const text = `${"- ".repeat(5_000)}x\n`;
    const result = await check(campaignFolder({ "recipients/deep.yaml": text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, { at: "recipients/deep.yaml:1", message: /nesting is too deep/ });
  });

  it("refuses 3,000 nested block sequences, one indented - per line", async ({ expect }) => {
    const text = `${Array.from({ length: 3_000 }, (_, level) => `${"  ".repeat(level)}-`).join("\n")} x\n`;
    const result = await check(campaignFolder({ "recipients/deep.yaml": text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: /^recipients\/deep\.yaml:\d+$/,
      message: /nesting is too deep/,
    });
  });

  it("refuses 3,000 nested indented keys", async ({ expect }) => {
    const text = `${Array.from({ length: 3_000 }, (_, level) => `${" ".repeat(level)}k${level}:`).join("\n")} x\n`;
    const result = await check(campaignFolder({ "recipients/deep.yaml": text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: /^recipients\/deep\.yaml:\d+$/,
      message: /nesting is too deep/,
      hint: /nesting/,
    });
  });

  it("reads nesting just under the limits without crashing", async ({ expect }) => {
    let text = `${extraRecipient("deep-but-fine", "deep-but-fine@example.org")}  nested:\n`;
    for (let level = 2; level < 190; level++) text += `${"  ".repeat(level)}k${level}:\n`;
    text += `${"  ".repeat(190)}last: ${"[".repeat(60)}${"]".repeat(60)}\n`;
    const result = await check(campaignFolder({ "recipients/deep.yaml": text }));
    expect.soft(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect.soft(result.stdout).toContain("No errors");
  });
});

describe.concurrent("check: files that are not YAML text", () => {
  it("refuses a file over the size cap (16 MiB) before reading it", async ({ expect }) => {
    const line = `# ${"x".repeat(97)}\n`;
    const text = `${extraRecipient("big", "big@example.org")}${line.repeat(Math.ceil((16 * 1024 * 1024) / line.length) + 1)}`;
    const result = await check(campaignFolder({ "recipients/big.yaml": text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: "recipients/big.yaml",
      message: /over the 16 MB limit/,
      hint: /split it/,
    });
  });

  it("refuses a binary file (NUL bytes) named .yaml, at the line of the first NUL", async ({ expect }) => {
    const bytes = Buffer.concat([
      Buffer.from("id: scanned\norganisation: X\n"),
      Buffer.from([0, 1, 2, 0xff, 0]),
    ]);
    const result = await check(campaignFolder({ "recipients/scan.yaml": bytes }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: "recipients/scan.yaml:3",
      message: /binary/,
      hint: /UTF-8 text/,
    });
  });

  it("refuses Latin-1 text, at the line of the first non-UTF-8 byte", async ({ expect }) => {
    const text = extraRecipient("latin", "latin@example.org").replace(
      "Added Organisation",
      "Café des Droits",
    );
    const bytes = Buffer.from(text, "latin1");
    expect(bytes.includes(0xe9)).toBe(true);
    const result = await check(campaignFolder({ "recipients/latin.yaml": bytes }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `recipients/latin.yaml:${lineOf(text, "Café")}`,
      message: /not UTF-8.*Latin-1/,
      hint: /save it as UTF-8/,
    });
  });

  it("refuses UTF-16 text with a byte-order mark", async ({ expect }) => {
    const bytes = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from(extraRecipient("wide", "wide@example.org"), "utf16le"),
    ]);
    const files = { "recipients/wide.yaml": bytes };
    const result = await check(campaignFolder(files));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: "recipients/wide.yaml",
      message: /UTF-16/,
      hint: /save it as UTF-8/,
    });
    // A fresh copy, so that what check wrote cannot hide what preview writes.
    await expectPreviewRefused(expect, campaignFolder(files), {
      at: "recipients/wide.yaml",
      message: /UTF-16/,
    });
  });

  it("accepts UTF-8 files with a byte-order mark (recipients, outreach.yaml and a template)", async ({
    expect,
  }) => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const folder = campaignFolder({
      "recipients/bom.yaml": Buffer.concat([bom, Buffer.from(extraRecipient("with-bom", "bom@example.org"))]),
      [CONFIG]: Buffer.concat([bom, Buffer.from(config)]),
      "templates/letter.txt.hbs": Buffer.concat([bom, Buffer.from(starterText("templates/letter.txt.hbs"))]),
    });
    const checked = await run(["check"], { cwd: folder });
    expect.soft(checked.stdout).toContain("No errors");
    expect.soft(checked.stdout).toMatch(/4 recipients selected/);
    expect.soft(checked.exitCode).toBe(0);
    const previewed = await run(["preview", "with-bom"], { cwd: folder });
    expect.soft(previewed.exitCode, previewed.stderr).toBe(0);
    expect.soft(previewed.stdout).toContain("Dear colleagues,");
    expect.soft(previewed.stdout, "the BOM must not reach the letter").not.toContain("\uFEFF");
  });
});

describe.concurrent("check: wrong values in a recipient", () => {
  it('says YAML reads id: 007 as a number and hints to quote it: id: "007"', async ({ expect }) => {
    const text = edited(EXAMPLE, "- id: un-special-rapporteur", "- id: 007");
    const result = await check(campaignFolder({ [EXAMPLE]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${EXAMPLE}:${lineOf(text, "- id: 007")}`,
      field: "[0].id",
      message: /YAML reads 007 as a number/,
      hint: /id: "007"/,
    });
  });

  it("says email: 42 is a number where an email address is expected", async ({ expect }) => {
    const text = edited(EXAMPLE, "email: urgent-appeals@un.example.org", "email: 42");
    const result = await check(campaignFolder({ [EXAMPLE]: text }));
    expectRefused(expect, result);
    const problem = expectProblem(expect, result.stdout, {
      at: `${EXAMPLE}:${lineOf(text, "email: 42")}`,
      field: "[0].contacts[0].email",
      message: /number/,
    });
    // Quoting 42 would still not make an address: the user must learn that an email address is expected.
    expect.soft(problem?.text ?? "", "say that an email address is expected").toMatch(/email address/);
  });

  it('hints "did you mean salutation" for the unknown key salutaton', async ({ expect }) => {
    const text = edited(EXAMPLE, 'salutation: "Madame, Monsieur,"', 'salutaton: "Madame, Monsieur,"');
    const result = await check(campaignFolder({ [EXAMPLE]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${EXAMPLE}:${lineOf(text, "salutaton:")}`,
      field: "[1].salutaton",
      message: /unknown field "salutaton"/,
      hint: /did you mean "salutation"\?/,
    });
  });

  it("lists the allowed keys for an unknown key that resembles none", async ({ expect }) => {
    const text = edited(EXAMPLE, /^ {2}country: CH\n/m, "  country: CH\n  favourite_colour: blue\n");
    const result = await check(campaignFolder({ [EXAMPLE]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${EXAMPLE}:${lineOf(text, "favourite_colour")}`,
      field: "[0].favourite_colour",
      message: /unknown field/,
      hint: /allowed here: .*salutation/,
    });
  });

  it("refuses a __proto__ key at its line", async ({ expect }) => {
    const text = edited(EXAMPLE, /^ {2}type: ngo\n/m, "  type: ngo\n  __proto__:\n    polluted: true\n");
    const result = await check(campaignFolder({ [EXAMPLE]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${EXAMPLE}:${lineOf(text, "__proto__")}`,
      message: /"__proto__" is not allowed/,
      hint: /rename/,
    });
  });

  it("names both files and lines when two files use the same id", async ({ expect }) => {
    const copy = extraRecipient("un-special-rapporteur", "copy@example.org");
    const result = await check(campaignFolder({ "recipients/zz-copy.yaml": copy }));
    expectRefused(expect, result);
    const problem = expectProblem(expect, result.stdout, {
      at: "recipients/zz-copy.yaml:1",
      field: "id",
      message: /the id "un-special-rapporteur" is already used/,
      hint: /its own id/,
    });
    expect
      .soft(problem?.message ?? "(no such error)")
      .toContain(`${EXAMPLE}:${lineOf(example, "- id: un-special-rapporteur")}`);
  });

  it("names both recipients when one email is listed under two ids (field path inside a list file)", async ({
    expect,
  }) => {
    const list = `- ${extraRecipient("first-added", "first-added@example.org").replace(/\n(?=.)/g, "\n  ")}- ${extraRecipient("second-added", "director@ngo.example.net").replace(/\n(?=.)/g, "\n  ")}`;
    const result = await check(campaignFolder({ "recipients/zz-more.yaml": list }));
    expectRefused(expect, result);
    const problem = expectProblem(expect, result.stdout, {
      at: `recipients/zz-more.yaml:${lineOf(list, "director@ngo.example.net")}`,
      field: "[1].contacts[0].email",
      message: /director@ngo\.example\.net is also the address of "example-ngo"/,
      hint: /one address must belong to one recipient/,
    });
    expect
      .soft(problem?.message ?? "(no such error)")
      .toContain(`${EXAMPLE}:${lineOf(example, "director@ngo.example.net")}`);
  });

  it("refuses the email a@b (no domain), at its line and field", async ({ expect }) => {
    const text = edited(EXAMPLE, "email: urgent-appeals@un.example.org", "email: a@b");
    const result = await check(campaignFolder({ [EXAMPLE]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${EXAMPLE}:${lineOf(text, "email: a@b")}`,
      field: "[0].contacts[0].email",
      message: /must be one email address, like name@example\.org/,
    });
  });

  it("refuses an email with a display name (Name <a@b.org>), at its line and field", async ({ expect }) => {
    const text = edited(EXAMPLE, "email: director@ngo.example.net", "email: Name <a@b.org>");
    const result = await check(campaignFolder({ [EXAMPLE]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${EXAMPLE}:${lineOf(text, "email: Name <a@b.org>")}`,
      field: "[1].contacts[0].email",
      message: /one email address.*no display name/,
    });
  });

  it("refuses a list of emails in one field (a@b.org, c@d.org), at its line and field", async ({
    expect,
  }) => {
    const text = edited(EXAMPLE, "email: press@ngo.example.net", "email: a@b.org, c@d.org");
    const result = await check(campaignFolder({ [EXAMPLE]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${EXAMPLE}:${lineOf(text, "email: a@b.org, c@d.org")}`,
      field: "[1].contacts[1].email",
      message: /one email address.*no list/,
    });
  });

  it("refuses CR/LF smuggled into salutation and organisation (header injection)", async ({ expect }) => {
    const text = edited(
      EXAMPLE,
      'salutation: "Dear Special Rapporteur,"',
      'salutation: "Dear\\r\\nBcc: x@evil.example"',
    ).replace(
      "organisation: Example Human Rights Association",
      'organisation: "Example\\r\\nBcc: x@evil.example"',
    );
    const files = { [EXAMPLE]: text };
    const result = await check(campaignFolder(files));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${EXAMPLE}:${lineOf(text, "salutation: ")}`,
      field: "[0].salutation",
      message: /must be one line of text, but contains a line break/,
    });
    expectProblem(expect, result.stdout, {
      at: `${EXAMPLE}:${lineOf(text, 'organisation: "Example')}`,
      field: "[1].organisation",
      message: /must be one line of text, but contains a line break/,
    });
    // A fresh copy, so that what check wrote cannot hide what preview writes.
    const preview = await expectPreviewRefused(expect, campaignFolder(files), {
      at: `${EXAMPLE}:${lineOf(text, "salutation: ")}`,
      field: "[0].salutation",
      message: /line break/,
    });
    expect.soft(preview.stderr).not.toContain("Bcc: x@evil.example\n");
  });

  it("refuses a control character in a one-line field", async ({ expect }) => {
    const text = edited(EXAMPLE, /^ {2}country: CH$/m, "  country: C\u0007H");
    const result = await check(campaignFolder({ [EXAMPLE]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${EXAMPLE}:${lineOf(text, "country: C")}`,
      field: "[0].country",
      message: /control character \(U\+0007\)/,
    });
  });

  it("refuses a bidi override (U+202E) in a contact's name", async ({ expect }) => {
    const text = edited(EXAMPLE, "name: Jeanne Exemple", "name: Jeanne \u202Eelpmexe");
    const result = await check(campaignFolder({ [EXAMPLE]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${EXAMPLE}:${lineOf(text, "name: Jeanne")}`,
      field: "[1].contacts[0].name",
      message: /text-direction control \(U\+202E\)/,
    });
  });
});

describe.concurrent("check: bad outreach.yaml", () => {
  it('hints "did you mean attachments" for an unknown key in a campaign', async ({ expect }) => {
    const text = edited(CONFIG, /^ {4}attachments:/m, "    attachmnts:");
    const result = await check(campaignFolder({ [CONFIG]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${CONFIG}:${lineOf(text, "attachmnts:")}`,
      field: "campaigns[0].attachmnts",
      message: /unknown field "attachmnts"/,
      hint: /did you mean "attachments"\?/,
    });
  });

  it("says the sender is required when it is missing", async ({ expect }) => {
    const text = edited(CONFIG, /^sender:\n(?: .*\n|\n)*/m, "");
    const files = { [CONFIG]: text };
    const result = await check(campaignFolder(files));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: /^outreach\.yaml(:\d+)?$/,
      field: "sender",
      message: /is required/,
      hint: /add "sender:"/,
    });
    // A fresh copy, so that what check wrote cannot hide what preview writes.
    await expectPreviewRefused(expect, campaignFolder(files), {
      at: /^outreach\.yaml(:\d+)?$/,
      field: "sender",
      message: /is required/,
    });
  });

  it('hints "did you mean" for an unknown id in select.ids', async ({ expect }) => {
    const text = edited(CONFIG, "# ids: [some-id]", "ids: [un-special-raporteur]");
    const result = await check(campaignFolder({ [CONFIG]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${CONFIG}:${lineOf(text, "ids: [un-special-raporteur]")}`,
      field: "campaigns[0].select.ids[0]",
      message: /no recipient has the id "un-special-raporteur"/,
      hint: /did you mean "un-special-rapporteur"\?/,
    });
  });

  it("refuses two campaigns with the same id, naming the second", async ({ expect }) => {
    const campaign = config.slice(config.indexOf("  - id: first-appeal"));
    const text = `${config.trimEnd()}\n${campaign}`;
    const result = await check(campaignFolder({ [CONFIG]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${CONFIG}:${lineOf(text, "- id: first-appeal", 2)}`,
      field: "campaigns[1].id",
      message: /"first-appeal" is already used by campaigns\[0\]/,
      hint: /its own id/,
    });
  });

  it("refuses a subject map without the default language", async ({ expect }) => {
    const text = edited(CONFIG, /^ +en: "Appeal.*\n/m, "");
    const result = await check(campaignFolder({ [CONFIG]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      // The subject: key, or its first entry.
      at: [`${CONFIG}:${lineOf(text, "subject:")}`, `${CONFIG}:${lineOf(text, "subject:") + 1}`],
      field: "campaigns[0].subject",
      message: /no entry for the default language "en"/,
      hint: /add "en: …" under subject/,
    });
  });

  it("refuses outreach.yaml that is not YAML text (Latin-1), at the line", async ({ expect }) => {
    const text = edited(CONFIG, "name: Your Name or Organisation", "name: Comité Khorog");
    const result = await check(campaignFolder({ [CONFIG]: Buffer.from(text, "latin1") }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${CONFIG}:${lineOf(text, "Comité")}`,
      message: /not UTF-8/,
      hint: /save it as UTF-8/,
    });
    expect.soft(parseProblems(result.stdout).filter((p) => p.severity === "error").length).toBe(1);
  });
});

describe("what the YAML library would say is said by outreach, located", () => {
  it("a key that is a list (? [a, b]: x): an error at its line, and no warning of the library's own on stderr", async ({
    expect,
  }) => {
    const text = `${starterText("outreach.yaml")}\n? [a, b]\n: x\n`;
    const result = await check(campaignFolder({ "outreach.yaml": text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `outreach.yaml:${lineOf(text, "? [a, b]")}`,
      message: /a key that is a list is not read here/,
    });
    expect(result.stderr).not.toMatch(/Warning|mapAsMap|stringified/);
  });
});
