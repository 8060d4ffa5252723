// Bad input in templates, attachments and paths: every problem is named by file and line (and, for a
// failure while rendering, by the recipient and where it is written), `check` exits 1 and nothing is written.
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "vitest";
import {
  check,
  edited,
  expectPreviewRefused,
  expectProblem,
  expectRefused,
  lineOf,
  nestedCampaign,
  parseProblems,
  starterText,
} from "./bad-input-helpers.js";
import { campaignFolder } from "./support.js";

const LETTER = "templates/letter.txt.hbs";
const CONFIG = "outreach.yaml";
const EXAMPLE = "recipients/example.yaml";
const example = starterText(EXAMPLE);
const letter = starterText(LETTER);
const PARAGRAPH = '{{> (paragraph "context")}}';
/** Where the first English recipient of the starter is written, as a problem names it. */
const RAPPORTEUR_AT = `${EXAMPLE}:${lineOf(example, "- id: un-special-rapporteur")}`;
const SECRET = "TOP SECRET: do not mail";

describe.concurrent("check: broken templates", () => {
  it("names the template line of an undefined variable, and the recipient (id, file:line) that hit it", async ({
    expect,
  }) => {
    const text = edited(LETTER, PARAGRAPH, `${PARAGRAPH}\n\nWe also write to {{recipient.custom.minister}}.`);
    const files = { [LETTER]: text };
    const result = await check(campaignFolder(files));
    expectRefused(expect, result);
    const problem = expectProblem(expect, result.stdout, {
      at: `${LETTER}:${lineOf(text, "{{recipient.custom.minister}}")}`,
      message: /uses \{\{recipient\.custom\.minister\}\}, which is not defined/,
      hint: /\{\{#if recipient\.custom\.minister\}\}|\{\{default recipient\.custom\.minister/,
    });
    expect.soft(problem?.message ?? "(no such error)").toContain(`"un-special-rapporteur", ${RAPPORTEUR_AT}`);
    // A fresh copy, so that what check wrote cannot hide what preview writes.
    await expectPreviewRefused(expect, campaignFolder(files), {
      at: `${LETTER}:${lineOf(text, "{{recipient.custom.minister}}")}`,
      message: /recipient\.custom\.minister.*not defined/,
    });
  });

  it("names the template and the line of an unclosed {{#if}}", async ({ expect }) => {
    const text = edited(LETTER, /\n\{\{\/if\}\}\n/, "\n");
    expect(text.startsWith("{{#if recipient.address_block}}")).toBe(true);
    const files = { [LETTER]: text };
    const result = await check(campaignFolder(files));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${LETTER}:${lineOf(text, "{{#if recipient.address_block}}")}`,
      message: /syntax error|not closed|\{\{\/if\}\}/,
      hint: /\{\{\/if\}\}|\{\{\/block\}\}/,
    });
    // A fresh copy, so that what check wrote cannot hide what preview writes.
    await expectPreviewRefused(expect, campaignFolder(files), {
      at: new RegExp(`^${LETTER}:\\d+$`),
      message: /syntax error|not closed/,
    });
  });

  it("names the template line of an unknown helper ({{shout …}}) and lists the helpers", async ({
    expect,
  }) => {
    const text = edited(
      LETTER,
      "{{recipient.salutation}}",
      "{{shout recipient.organisation}}\n\n{{recipient.salutation}}",
    );
    const files = { [LETTER]: text };
    const result = await check(campaignFolder(files));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${LETTER}:${lineOf(text, "{{shout")}`,
      message: /unknown helper "shout"/,
      hint: /helpers are: .*default/,
    });
    // A fresh copy, so that what check wrote cannot hide what preview writes.
    await expectPreviewRefused(expect, campaignFolder(files), {
      at: `${LETTER}:${lineOf(text, "{{shout")}`,
      message: /unknown helper "shout"/,
    });
  });

  it("names the line of a campaign whose template does not exist (template: nope) and the templates there are", async ({
    expect,
  }) => {
    const text = edited(CONFIG, /template: letter\b/, "template: nope");
    const result = await check(campaignFolder({ [CONFIG]: text }));
    expectRefused(expect, result);
    const problem = expectProblem(expect, result.stdout, {
      at: `${CONFIG}:${lineOf(text, "template: nope")}`,
      field: "campaigns[0].template",
      message: /no template "nope"/,
    });
    // With no close match, the hint should still point at the template that exists ("letter").
    expect.soft(problem?.hint ?? "(no hint)", "hint names the existing template").toMatch(/letter/);
  });

  it('hints "did you mean letter" for a mistyped template name (template: leter)', async ({ expect }) => {
    const text = edited(CONFIG, /template: letter\b/, "template: leter");
    const result = await check(campaignFolder({ [CONFIG]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${CONFIG}:${lineOf(text, "template: leter")}`,
      field: "campaigns[0].template",
      message: /no template "leter"/,
      hint: /did you mean "letter"\?/,
    });
  });

  it("names the template line of a missing partial ({{> nothere}})", async ({ expect }) => {
    const text = edited(LETTER, PARAGRAPH, `${PARAGRAPH}\n\n{{> nothere}}`);
    const result = await check(campaignFolder({ [LETTER]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${LETTER}:${lineOf(text, "{{> nothere}}")}`,
      message: /partial "nothere" does not exist/,
      hint: /templates\/partials\/nothere\.hbs/,
    });
  });

  it('names the template line of a paragraph with no default ({{> (paragraph "nothing")}})', async ({
    expect,
  }) => {
    const text = edited(LETTER, PARAGRAPH, '{{> (paragraph "nothing")}}');
    const result = await check(campaignFolder({ [LETTER]: text }));
    expectRefused(expect, result);
    const problem = expectProblem(expect, result.stdout, {
      at: `${LETTER}:${lineOf(text, '(paragraph "nothing")')}`,
      message: /no paragraph "nothing"/,
    });
    expect.soft(problem?.text ?? "(no such error)").toContain("templates/partials/nothing/default.hbs");
  });

  it("names the template line when a campaign without a date uses {{date campaign.date}} (extra case)", async ({
    expect,
  }) => {
    const text = edited(CONFIG, /^ {4}date: .*\n/m, "");
    const result = await check(campaignFolder({ [CONFIG]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${LETTER}:${lineOf(letter, "{{date campaign.date}}")}`,
      message: /date/,
    });
  });

  it("refuses a template that is not UTF-8 (Latin-1), at its line, without a misleading second error", async ({
    expect,
  }) => {
    const text = edited(LETTER, "We write to you", "Nous écrivons. We write to you");
    const result = await check(campaignFolder({ [LETTER]: Buffer.from(text, "latin1") }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${LETTER}:${lineOf(text, "écrivons")}`,
      message: /not UTF-8/,
      hint: /save it as UTF-8/,
    });
    // templates/letter.txt.hbs exists; "no template letter" would send the user looking for a missing file.
    expect.soft(result.stdout).not.toMatch(/no template "letter"/);
  });

  it("refuses a subject that renders with a line break (multi-line custom value), naming the subject line and the recipient", async ({
    expect,
  }) => {
    const config = edited(
      CONFIG,
      'en: "Appeal: {{recipient.organisation}}',
      'en: "Appeal: {{default recipient.custom.minister recipient.organisation}}',
    );
    const recipient = `id: newline-org
organisation: Ministry of Examples
type: un
salutation: "Dear Minister,"
contacts:
  - email: minister@example.org
custom:
  mandate: your mandate
  minister: |
    Minister of Foreign Affairs
    Bcc: victim@evil.example
`;
    const files = { [CONFIG]: config, "recipients/zz-newline.yaml": recipient };
    const result = await check(campaignFolder(files));
    expectRefused(expect, result);
    const problem = expectProblem(expect, result.stdout, {
      at: `${CONFIG}:${lineOf(config, 'en: "Appeal')}`,
      message: /subject contains a line break/,
      hint: /one line/,
    });
    expect.soft(problem?.field ?? "(no field)", "the subject's field").toMatch(/^campaigns\[0\]\.subject/);
    expect
      .soft(problem?.message ?? "(no such error)")
      .toContain('"newline-org", recipients/zz-newline.yaml:1');
    // A fresh copy, so that what check wrote cannot hide what preview writes.
    await expectPreviewRefused(expect, campaignFolder(files), {
      at: `${CONFIG}:${lineOf(config, 'en: "Appeal')}`,
      message: /subject contains a line break/,
    });
  });
});

describe.concurrent("check: paths that escape the campaign folder", () => {
  it("refuses a template name that leads outside templates/ (template: ../outside/letter)", async ({
    expect,
  }) => {
    const text = edited(CONFIG, /template: letter\b/, "template: ../outside/letter");
    const result = await check(campaignFolder({ [CONFIG]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${CONFIG}:${lineOf(text, "template: ../outside")}`,
      field: "campaigns[0].template",
      message: /template name under templates\//,
    });
  });

  it("refuses a partial that leads outside the folder ({{> ../../secret}}) and never reads it", async ({
    expect,
  }) => {
    const { parent, folder } = nestedCampaign();
    writeFileSync(join(parent, "secret.hbs"), SECRET);
    const text = edited(LETTER, PARAGRAPH, `${PARAGRAPH}\n\n{{> ../../secret}}`);
    writeFileSync(join(folder, LETTER), text);
    const result = await check(folder);
    expectRefused(expect, result);
    const problem = expectProblem(expect, result.stdout, {
      at: `${LETTER}:${lineOf(text, "{{> ../../secret}}")}`,
      message: /partial "\.\.\/\.\.\/secret"/,
    });
    expect
      .soft(problem?.hint ?? "", "the hint must not suggest a path outside partials/")
      .not.toContain("..");
    expect.soft(result.stdout).not.toContain(SECRET);
  });

  it("refuses the attachment ../secret.txt (outside the folder), at its line", async ({ expect }) => {
    const text = edited(
      CONFIG,
      "attachments: [attachments/appeal-summary.txt]",
      "attachments: [../secret.txt]",
    );
    const setup = () => {
      const { parent, folder } = nestedCampaign();
      writeFileSync(join(parent, "secret.txt"), SECRET);
      writeFileSync(join(folder, CONFIG), text);
      return folder;
    };
    const result = await check(setup());
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${CONFIG}:${lineOf(text, "../secret.txt")}`,
      field: "campaigns[0].attachments[0]",
      message: /"\.\.\/secret\.txt" leads outside the campaign folder/,
      hint: /copy|move|inside/,
    });
    // A fresh copy, so that what check wrote cannot hide what preview writes.
    const preview = await expectPreviewRefused(expect, setup(), {
      at: `${CONFIG}:${lineOf(text, "../secret.txt")}`,
      message: /outside the campaign folder/,
    });
    expect.soft(preview.stderr).not.toContain(SECRET);
  });

  it("refuses the attachment /etc/passwd (an absolute path), at its line", async ({ expect }) => {
    const text = edited(
      CONFIG,
      "attachments: [attachments/appeal-summary.txt]",
      "attachments: [/etc/passwd]",
    );
    const result = await check(campaignFolder({ [CONFIG]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${CONFIG}:${lineOf(text, "/etc/passwd")}`,
      field: "campaigns[0].attachments[0]",
      message: /"\/etc\/passwd" is an absolute path.*relative to the campaign folder/,
    });
    expect.soft(result.stdout).not.toContain("root:");
  });

  it("refuses an attachment that is a link to a file outside the folder", async ({ expect }) => {
    const { parent, folder } = nestedCampaign();
    writeFileSync(join(parent, "secret.txt"), SECRET);
    symlinkSync(join(parent, "secret.txt"), join(folder, "attachments", "annex.txt"));
    const text = edited(
      CONFIG,
      "attachments: [attachments/appeal-summary.txt]",
      "attachments: [attachments/annex.txt]",
    );
    writeFileSync(join(folder, CONFIG), text);
    const result = await check(folder);
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${CONFIG}:${lineOf(text, "attachments/annex.txt")}`,
      field: "campaigns[0].attachments[0]",
      message: /link to a file outside the campaign folder/,
    });
  });

  it("refuses a symlink in templates/ that points outside the folder, and never reads it", async ({
    expect,
  }) => {
    const setup = () => {
      const { parent, folder } = nestedCampaign();
      writeFileSync(join(parent, "secret.hbs"), SECRET);
      symlinkSync(join(parent, "secret.hbs"), join(folder, "templates", "partials", "context", "ngo.hbs"));
      return folder;
    };
    const result = await check(setup());
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: "templates/partials/context/ngo.hbs",
      message: /link to a file outside the campaign folder/,
      hint: /copy the file into the campaign folder/,
    });
    expect.soft(result.stdout).not.toContain(SECRET);
    // A fresh copy, so that what check wrote cannot hide what preview writes.
    const preview = await expectPreviewRefused(expect, setup(), {
      at: "templates/partials/context/ngo.hbs",
      message: /outside the campaign folder/,
    });
    expect.soft(preview.stderr).not.toContain(SECRET);
  });

  it("refuses a symlink in recipients/ that points outside the folder", async ({ expect }) => {
    const { parent, folder } = nestedCampaign();
    mkdirSync(join(parent, "shared"));
    writeFileSync(
      join(parent, "shared", "embassy.yaml"),
      "id: shared-embassy\norganisation: Shared Embassy\ntype: ngo\nsalutation: Excellency,\ncustom:\n  mandate: x\n",
    );
    symlinkSync(join(parent, "shared", "embassy.yaml"), join(folder, "recipients", "embassy.yaml"));
    const result = await check(folder);
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: "recipients/embassy.yaml",
      message: /link to a file outside the campaign folder/,
      hint: /copy the file into the campaign folder/,
    });
    expect.soft(result.stdout, "the linked recipient must not be selected").toMatch(/3 recipients selected/);
  });

  it("refuses a missing attachment, at its line, with a hint", async ({ expect }) => {
    const text = edited(
      CONFIG,
      "attachments: [attachments/appeal-summary.txt]",
      "attachments: [attachments/appeal-summary.txt, attachments/annex.pdf]",
    );
    const files = { [CONFIG]: text };
    const result = await check(campaignFolder(files));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${CONFIG}:${lineOf(text, "attachments/annex.pdf")}`,
      field: "campaigns[0].attachments[1]",
      message: /"attachments\/annex\.pdf" does not exist/,
      hint: /check the path/,
    });
    expect.soft(parseProblems(result.stdout).filter((p) => p.severity === "error").length).toBe(1);
    // A fresh copy, so that what check wrote cannot hide what preview writes.
    await expectPreviewRefused(expect, campaignFolder(files), {
      at: `${CONFIG}:${lineOf(text, "attachments/annex.pdf")}`,
      message: /does not exist/,
    });
  });
});

describe("a partial named by an expression", () => {
  it('a lookup that gives nothing ({{> (lookup recipient "intro")}}): the file, the line and the expression', async ({
    expect,
  }) => {
    const text = edited(LETTER, PARAGRAPH, `${PARAGRAPH}\n\n{{> (lookup recipient "intro")}}`);
    const result = await check(campaignFolder({ [LETTER]: text }));
    expectRefused(expect, result);
    const problem = expectProblem(expect, result.stdout, {
      at: `${LETTER}:${lineOf(text, "(lookup recipient")}`,
      message: /\{\{> \(lookup recipient "intro"\)\}\} names no partial/,
    });
    expect.soft(problem?.text ?? "").not.toContain('"undefined"');
  });
});
