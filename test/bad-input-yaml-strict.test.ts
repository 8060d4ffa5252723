// YAML that the loader must read as the parser does, or refuse with a message that says what it is: aliases
// bounded by what they expand into, merge keys, tags, odd numbers, nesting hidden behind quotes; and a
// cache that never lets a changed file through unread.
import { execFileSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "vitest";
import {
  CRASH,
  check,
  edited,
  expectPreviewRefused,
  expectProblem,
  expectRefused,
  lineOf,
} from "./bad-input-helpers.js";
import { campaignFolder, run, snapshot } from "./support.js";

const EXAMPLE = "recipients/example.yaml";
const FILE = "recipients/more.yaml";

/** `count` valid ngo recipients the starter campaign selects; `close` is written into each. */
function recipients(count: number, close: (index: number) => string): string {
  let text = "";
  for (let index = 0; index < count; index++) {
    text += `- id: body-${index}
  organisation: Body ${index}
  type: ngo
  salutation: "Dear colleagues,"
  complimentary_close: ${close(index)}
  contacts:
    - email: body-${index}@example.org
  custom:
    mandate: your mandate
`;
  }
  return text;
}

const one = (fields: string) => `- id: odd
  organisation: Odd Body
  type: ngo
  salutation: "Dear colleagues,"
${fields}  contacts:
    - email: odd@example.org
`;

describe.concurrent("check: YAML aliases are bounded by what they expand into", () => {
  it("accepts 150 recipients sharing one &close anchor", async ({ expect }) => {
    const text = recipients(150, (index) => (index === 0 ? '&close "Yours sincerely,"' : "*close"));
    const result = await check(campaignFolder({ [FILE]: text }));
    expect.soft(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect.soft(result.stdout).toContain("No errors");
    expect.soft(result.stdout).toMatch(/15[0-9] recipients selected/);
  });

  it("still refuses an alias bomb that doubles at each level, at the line of an alias", async ({
    expect,
  }) => {
    let text = 'a0: &a0 ["lol", "lol"]\n';
    for (let level = 1; level < 40; level++)
      text += `a${level}: &a${level} [*a${level - 1}, *a${level - 1}]\n`;
    const files = { [FILE]: text };
    const result = await check(campaignFolder(files));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: /^recipients\/more\.yaml:\d+$/,
      message: /aliases .* expand into more than 20,000,000 characters.*alias bomb/,
      hint: /write the values out/,
    });
    await expectPreviewRefused(expect, campaignFolder(files), {
      at: /^recipients\/more\.yaml:\d+$/,
      message: /alias bomb/,
    });
  });

  it("names an alias with no anchor, with its field", async ({ expect }) => {
    const text = one("  complimentary_close: *nope\n");
    const result = await check(campaignFolder({ [FILE]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${FILE}:${lineOf(text, "*nope")}`,
      field: "[0].complimentary_close",
      message: /the alias \*nope refers to no anchor/,
      hint: /&nope/,
    });
    expect.soft(result.stdout).not.toMatch(/too many aliases/);
  });

  it("names an alias used inside the value it names", async ({ expect }) => {
    const text = one("  tags: &loop [a, *loop]\n");
    const result = await check(campaignFolder({ [FILE]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${FILE}:${lineOf(text, "*loop")}`,
      message: /the alias \*loop is used inside the value it names/,
    });
  });
});

describe.concurrent("check: merge keys, tags and numbers YAML reads specially", () => {
  it("says what a <<: merge key is, at its line and field", async ({ expect }) => {
    const text = `${one("  custom: &shared\n    mandate: your mandate\n")}${one("  custom:\n    <<: *shared\n").replace("id: odd", "id: odd-two").replace("odd@", "odd-two@")}`;
    const result = await check(campaignFolder({ [FILE]: text }));
    expectRefused(expect, result);
    const problem = expectProblem(expect, result.stdout, {
      at: `${FILE}:${lineOf(text, "<<:")}`,
      message: /merge key \("<<:"\).*is not read here/,
      hint: /write the fields out/,
    });
    expect.soft(problem?.text ?? "").toContain("[1].custom.<<:");
    expect.soft(result.stdout).not.toMatch(/did you mean "id"/);
  });

  it("says what !!binary is, at its line and field", async ({ expect }) => {
    const text = one("  honorific: !!binary aGVsbG8=\n");
    const result = await check(campaignFolder({ [FILE]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${FILE}:${lineOf(text, "!!binary")}`,
      field: "[0].honorific",
      message: /the tag !!binary marks base64-encoded bytes/,
      hint: /attachments/,
    });
  });

  it("says what a !foo tag is, at its line and field", async ({ expect }) => {
    const text = one("  honorific: !foo Director\n");
    const result = await check(campaignFolder({ [FILE]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${FILE}:${lineOf(text, "!foo")}`,
      field: "[0].honorific",
      message: /the tag !foo gives the value a special type/,
      hint: /remove "!foo"/,
    });
  });

  for (const written of ["1e1", "0x10", "0o12", "+5", ".inf"]) {
    it(`refuses a count written ${written} in outreach.yaml`, async ({ expect }) => {
      const config = edited("outreach.yaml", /after_days: 14/, `after_days: ${written}`);
      const result = await check(campaignFolder({ "outreach.yaml": config }));
      expectRefused(expect, result);
      expectProblem(expect, result.stdout, {
        at: `outreach.yaml:${lineOf(config, `after_days: ${written}`)}`,
        field: "campaigns[0].followup.after_days",
        message: new RegExp(`${written.replace(/[.+]/g, "\\$&")} is read as the number`),
        hint: /plain digits/,
      });
    });
  }
});

describe.concurrent("check: nesting cannot hide behind quotes, comments or block text", () => {
  const cases: [string, string][] = [
    ['a quoted " #" before 800 levels', `  honorific: " #" ${"[".repeat(800)}${"]".repeat(800)}\n`],
    [
      'a quoted " #" before 100,000 levels',
      `  honorific: " #" ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`,
    ],
    [
      "a quote with escaped quotes and a #",
      `  honorific: "\\" #\\"" ${"{a: ".repeat(50_000)}${"}".repeat(50_000)}\n`,
    ],
    ["a single-quoted ' #'", `  honorific: ' #' ${"[".repeat(20_000)}${"]".repeat(20_000)}\n`],
    [
      "block text holding a lone quote",
      `  notes: |\n    "\n  honorific: ${"[".repeat(20_000)}${"]".repeat(20_000)}\n`,
    ],
  ];
  for (const [name, fields] of cases) {
    it(`refuses deep nesting after ${name}, at its line`, async ({ expect }) => {
      const text = one(fields);
      const result = await check(campaignFolder({ [FILE]: text }));
      expectRefused(expect, result);
      expectProblem(expect, result.stdout, {
        at: `${FILE}:${lineOf(text, fields.includes("[[[") ? "[[[" : "{a: {a:")}`,
        message: /nesting is too deep/,
      });
      expect.soft(result.stdout + result.stderr).not.toMatch(CRASH);
    });
  }

  it("reads brackets and # inside quotes and block text as text", async ({ expect }) => {
    const text = one(
      `  honorific: "[[[[ # {{{{"\n  notes: |\n    ${"[".repeat(100)} # "\n  custom:\n    mandate: m\n`,
    );
    const result = await check(campaignFolder({ [FILE]: text }));
    expect.soft(result.exitCode, result.stdout + result.stderr).toBe(0);
  });
});

describe("the folder cache never lets an unvalidated byte through", () => {
  it("a file changed under the same size and modification time (touch -r) is read again", async ({
    expect,
  }) => {
    const folder = campaignFolder();
    const first = await run(["check"], { cwd: folder });
    expect(first.exitCode, first.stdout + first.stderr).toBe(0);
    const path = join(folder, EXAMPLE);
    const reference = join(folder, "reference.txt");
    execFileSync("cp", ["-p", path, reference]);
    const before = statSync(path);
    const text = readFileSync(path, "utf8");
    // Same length, still YAML, no longer an address.
    const broken = text.replace("urgent-appeals@un.example.org", "urgent-appeals.un.example.org");
    expect(broken.length).toBe(text.length);
    writeFileSync(path, broken);
    execFileSync("touch", ["-r", reference, path]);
    expect(statSync(path).mtimeMs).toBe(before.mtimeMs);

    const result = await check(folder);
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${EXAMPLE}:${lineOf(broken, "urgent-appeals.un.example.org")}`,
      field: "[0].contacts[0].email",
      message: /must be one email address/,
    });
    const files = snapshot(folder);
    const sent = await run(["send", "--yes"], { cwd: folder });
    expect.soft(sent.exitCode, sent.stdout + sent.stderr).toBe(1);
    expect.soft(sent.stderr).toMatch(/must be one email address/);
    expect.soft(snapshot(folder), "send wrote nothing").toEqual(files);
  });
});
