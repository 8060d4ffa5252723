// Real lists in the recipient files, through the built CLI on a copy of the starter campaign: fields per
// language, country codes, each recipient's own attachments, file-level defaults, JSON files, and problems
// that repeat over many recipients said once.
import { readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "vitest";
import { check, expectProblem, expectRefused, lineOf } from "./bad-input-helpers.js";
import { campaignFolder, run } from "./support.js";

const MISSIONS = "recipients/missions.yaml";

/** A file of OSCE missions with defaults: French and English salutations, one mission writing in Russian. */
const missions = `defaults:
  type: ngo
  tags: [osce-mission]
  custom: { mandate: your mandate as a participating State }
  salutation:
    en: "Your Excellency,"
    fr: "Excellence,"
  provenance:
    source: https://www.osce.org/participating-states
    verified_on: 2026-01-10
recipients:
  - id: mission-ad
    organisation: { en: Permanent Mission of Andorra, fr: Mission permanente d'Andorre }
    country: AD
    city: Vienna
    language: fr
    contacts: [{ email: ad@mission.example.org }]
  - id: mission-no
    organisation: Permanent Mission of Norway
    country: "NO"
    language: ru
    tags: [nordic]
    contacts: [{ email: no@mission.example.org }]
  - id: mission-ie
    organisation: Permanent Mission of Ireland
    country: IE
    contacts: [{ email: ie@mission.example.org }]
`;

describe.concurrent("fields per language", () => {
  it("gives each letter its language's salutation and organisation, warns who falls back, and lists one name", async ({
    expect,
  }) => {
    const folder = campaignFolder({ [MISSIONS]: missions });
    const checked = await run(["check"], { cwd: folder });
    expect.soft(checked.exitCode, checked.stdout).toBe(0);
    expect.soft(checked.stdout).toMatch(/no "ru" salutation for mission-no: its ru letter uses the en value/);
    expect.soft(checked.stdout.match(/no "ru" salutation/g)).toHaveLength(1);

    const preview = await run(["preview", "mission-ad", "mission-ie"], { cwd: folder });
    expect.soft(preview.exitCode, preview.stderr).toBe(0);
    expect
      .soft(preview.stdout)
      .toContain("Subject:    Appel : Mission permanente d'Andorre, agissez maintenant");
    expect.soft(preview.stdout).toMatch(/\nExcellence,\n/);
    expect.soft(preview.stdout).toContain("Subject:    Appeal: Permanent Mission of Ireland, please act now");
    expect.soft(preview.stdout).toMatch(/\nYour Excellency,\n/);
    // Everything that shows an organisation shows one name: the first written.
    expect.soft(preview.stdout).toContain("mission-ad · Permanent Mission of Andorra\n");
    const listed = await run(["recipients", "--json"], { cwd: folder });
    const andorra = JSON.parse(listed.stdout).find((row: { id: string }) => row.id === "mission-ad");
    expect.soft(andorra).toMatchObject({ organisation: "Permanent Mission of Andorra", country: "AD" });
    expect.soft(andorra.tags).toEqual(["osce-mission"]);
  });

  it("refuses a key that is not a language and a mapping with no language", async ({ expect }) => {
    const text = missions
      .replace("fr: Mission permanente d'Andorre", "french: Mission permanente d'Andorre")
      .replace("organisation: Permanent Mission of Ireland", "organisation: {}");
    const result = await check(campaignFolder({ [MISSIONS]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${MISSIONS}:${lineOf(text, "french:")}`,
      field: "recipients[0].organisation.french",
      message: /"french" is not a language code/,
    });
    expectProblem(expect, result.stdout, {
      at: `${MISSIONS}:${lineOf(text, "organisation: {}")}`,
      field: "recipients[2].organisation",
      message: /at least one language/,
    });
  });
});

describe.concurrent("countries", () => {
  it("suggests the code for a country's name, in English or a template's language", async ({ expect }) => {
    const text = missions
      .replace("country: AD", "country: Andorre")
      .replace('country: "NO"', "country: Norway");
    const result = await check(campaignFolder({ [MISSIONS]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${MISSIONS}:${lineOf(text, "country: Andorre")}`,
      field: "recipients[0].country",
      message: /"Andorre" is not a country code/,
      hint: /did you mean "AD"/,
    });
    expectProblem(expect, result.stdout, {
      at: `${MISSIONS}:${lineOf(text, "country: Norway")}`,
      hint: /did you mean "NO"/,
    });
  });

  it("says that YAML 1.1 reads a bare NO as false", async ({ expect }) => {
    const text = `%YAML 1.1\n---\n${missions.replace('country: "NO"', "country: NO")}`;
    const result = await check(campaignFolder({ [MISSIONS]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${MISSIONS}:${lineOf(text, "country: NO")}`,
      field: "recipients[1].country",
      message: /YAML reads NO as false/,
      hint: /put it in quotes: country: "NO"/,
    });
  });

  it("names the country in the letter's language, and filters and selects by country", async ({ expect }) => {
    const folder = campaignFolder({
      [MISSIONS]: missions,
      "templates/letter.fr.txt.hbs":
        "{{recipient.salutation}}\nÀ {{recipient.city}}, {{country recipient.country}}.\n",
    });
    const preview = await run(["preview", "mission-ad"], { cwd: folder });
    expect.soft(preview.stdout, preview.stderr).toContain("À Vienna, Andorre.");

    const listed = await run(["recipients", "--country", "ie", "--country", "AD", "--json"], { cwd: folder });
    expect
      .soft(JSON.parse(listed.stdout).map((row: { id: string }) => row.id))
      .toEqual(["mission-ad", "mission-ie"]);
    const named = await run(["recipients", "--country", "Norway"], { cwd: folder });
    expect.soft(named.exitCode).toBe(2);
    expect.soft(named.stderr).toMatch(/"Norway" is not a country code \(--country\)[\s\S]*did you mean NO\?/);
    const nobody = await run(["outstanding", "--country", "FR"], { cwd: folder });
    expect.soft(nobody.exitCode).toBe(2);
    expect.soft(nobody.stderr).toMatch(/no recipient has the country FR \(--country\)/);

    writeFileSync(
      join(folder, "outreach.yaml"),
      readFileSync(join(folder, "outreach.yaml"), "utf8").replace("types: [un, ngo]", "countries: [AD, IE]"),
    );
    const selected = await run(["recipients", "--json"], { cwd: folder });
    expect
      .soft(JSON.parse(selected.stdout).map((row: { id: string }) => row.id))
      .toEqual(["mission-ad", "mission-ie"]);
  });
});

describe.concurrent("each recipient's attachments", () => {
  const withTemplate = (folder: string) => {
    const config = join(folder, "outreach.yaml");
    writeFileSync(
      config,
      readFileSync(config, "utf8").replace(
        "attachments: [attachments/appeal-summary.txt]",
        'attachments: [attachments/appeal-summary.txt, "attachments/{{recipient.id}}.pdf"]',
      ),
    );
  };

  it("checks a templated path for every recipient, says who lacks a file, and attaches each one's own", async ({
    expect,
  }) => {
    const own = missions.replace(
      "    city: Vienna\n",
      "    city: Vienna\n    attachments: [attachments/annex-ad.txt]\n",
    );
    const folder = campaignFolder({ [MISSIONS]: own, "attachments/annex-ad.txt": "Annexe\n" });
    withTemplate(folder);
    const missing = await check(folder);
    expectRefused(expect, missing);
    // At the templated path's line and column: where the path itself is written.
    const config = readFileSync(join(folder, "outreach.yaml"), "utf8");
    const pathLine = lineOf(config, '{{recipient.id}}.pdf"]');
    const pathColumn = (config.split("\n")[pathLine - 1] ?? "").indexOf('"attachments/{{') + 1;
    const problem = expectProblem(expect, missing.stdout, {
      at: `outreach.yaml:${pathLine}`,
      field: "campaigns[0].attachments[1]",
      message:
        /the attachment "attachments\/[a-z-]+\.pdf" does not exist \(letter to "[a-z-]+", recipients\/[a-z.]+:\d+\), and the same for 5 other recipients: /,
    });
    expect.soft(problem?.column, problem?.text).toBe(pathColumn);

    const ids = [
      "un-special-rapporteur",
      "example-ngo",
      "example-web-form-only",
      "mission-ad",
      "mission-no",
      "mission-ie",
    ];
    for (const id of ids) writeFileSync(join(folder, "attachments", `${id}.pdf`), `%PDF ${id}`);
    const passed = await run(["check"], { cwd: folder });
    expect.soft(passed.exitCode, passed.stdout).toBe(0);
    const preview = await run(["preview", "mission-ad"], { cwd: folder });
    expect
      .soft(preview.stdout)
      .toMatch(
        /Attachment: attachments\/appeal-summary\.txt[^\n]*\nAttachment: attachments\/annex-ad\.txt[^\n]*\nAttachment: attachments\/mission-ad\.pdf/,
      );

    const sent = await run(["send", "--yes", "--outbox", "mission-ad"], { cwd: folder });
    expect.soft(sent.exitCode, sent.stderr).toBe(0);
    const eml = readFileSync(join(folder, "outbox", "first-appeal", "mission-ad.eml"), "utf8");
    for (const name of ["appeal-summary.txt", "annex-ad.txt", "mission-ad.pdf"])
      expect
        .soft(eml)
        .toMatch(new RegExp(`Content-Disposition: attachment; filename=${name.replace(".", "\\.")}`));

    // The cache holds the recipients, never the files: a file removed after a valid run is missed at once.
    rmSync(join(folder, "attachments", "mission-no.pdf"));
    const removed = await run(["check"], { cwd: folder });
    expect.soft(removed.exitCode).toBe(1);
    expect
      .soft(removed.stdout)
      .toMatch(/the attachment "attachments\/mission-no\.pdf" does not exist \(letter to "mission-no"/);
  });

  it("refuses a recipient's file outside the folder, through a link, or over the size limit", async ({
    expect,
  }) => {
    const own = missions
      .replace(
        "    city: Vienna\n",
        "    city: Vienna\n    attachments: [../secret.txt, attachments/link.pdf]\n",
      )
      .replace('    country: "NO"\n', '    country: "NO"\n    attachments: [attachments/big.pdf]\n');
    const folder = campaignFolder({ [MISSIONS]: own, "attachments/big.pdf": Buffer.alloc(200_000) });
    writeFileSync(join(folder, "..", "secret.txt"), "secret");
    symlinkSync(join(folder, "..", "secret.txt"), join(folder, "attachments", "link.pdf"));
    const config = join(folder, "outreach.yaml");
    writeFileSync(config, `${readFileSync(config, "utf8")}\ntransport:\n  max_message_size: 200kB\n`);
    const result = await check(folder);
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${MISSIONS}:${lineOf(own, "../secret.txt")}`,
      field: "recipients[0].attachments[0]",
      message: /"\.\.\/secret\.txt" leads outside the campaign folder/,
    });
    expectProblem(expect, result.stdout, {
      at: `${MISSIONS}:${lineOf(own, "../secret.txt")}`,
      field: "recipients[0].attachments[1]",
      message: /is a link to a file outside the campaign folder/,
    });
    expectProblem(expect, result.stdout, {
      at: `${MISSIONS}:${lineOf(own, "attachments/big.pdf")}`,
      field: "recipients[1].attachments[0]",
      message: /over the limit of 200 kB/,
    });
  });
});

describe.concurrent("file-level defaults and JSON files", () => {
  it("points at the defaults for a mistake there, once, and at the recipient for its own", async ({
    expect,
  }) => {
    const text = missions
      .replace("  type: ngo\n", "  type: Embassy\n")
      .replace("contacts: [{ email: no@mission.example.org }]", "contacts: [{ email: not-an-address }]");
    const result = await check(campaignFolder({ [MISSIONS]: text }));
    expectRefused(expect, result);
    const types = result.problems.filter((problem) => problem.field === "defaults.type");
    expect.soft(types, result.stdout).toHaveLength(1);
    expect.soft(types[0]?.at).toBe(`${MISSIONS}:${lineOf(text, "type: Embassy")}`);
    expectProblem(expect, result.stdout, {
      at: `${MISSIONS}:${lineOf(text, "not-an-address")}`,
      field: "recipients[1].contacts[0].email",
      message: /must be one email address/,
    });
  });

  it("refuses an id among the defaults and a key beside defaults and recipients", async ({ expect }) => {
    for (const [text, field, message] of [
      [
        missions.replace("  type: ngo\n", "  type: ngo\n  id: mission\n"),
        "defaults.id",
        /"id" cannot be a default/,
      ],
      [`${missions}campaign: first-appeal\n`, "campaign", /"campaign" is not a key of a file with defaults/],
    ] as const) {
      const result = await check(campaignFolder({ [MISSIONS]: text }));
      expectRefused(expect, result);
      expect
        .soft(result.problems.map((problem) => `${problem.field}: ${problem.message}`).join("\n"))
        .toMatch(new RegExp(`${field.replace(".", "\\.")}: ${message.source}`));
    }
  });

  it("reads a .json file, names any other file, and sees a change to the defaults after a valid run", async ({
    expect,
  }) => {
    const json = JSON.stringify(
      {
        defaults: { type: "ngo", custom: { mandate: "your mandate" } },
        recipients: [
          {
            id: "json-one",
            organisation: "From JSON",
            salutation: "Dear all,",
            contacts: [{ email: "one@json.example.org" }],
          },
        ],
      },
      null,
      "\t",
    );
    const folder = campaignFolder({ "recipients/more.json": json, "recipients/list.csv": "id,email\n" });
    const first = await run(["check"], { cwd: folder });
    expect.soft(first.exitCode, first.stdout).toBe(0);
    expect.soft(first.stdout).toContain("4 recipients selected");
    expect
      .soft(first.stdout)
      .toMatch(
        /warning recipients\/list\.csv {2}is not a \.yaml, \.yml or \.json file, so its recipients are not read/,
      );
    const cached = await run(["check"], { cwd: folder });
    expect.soft(cached.stdout).toMatch(/warning recipients\/list\.csv/);

    writeFileSync(join(folder, "recipients/more.json"), json.replace('"type": "ngo"', '"type": "NGO"'));
    const changed = await check(folder);
    expectRefused(expect, changed);
    expectProblem(expect, changed.stdout, { at: "recipients/more.json:3", field: "defaults.type" });
  });
});

describe.concurrent("problems at scale", () => {
  it("says the same mistake in many recipients of a file once, with the next lines and the count", async ({
    expect,
  }) => {
    let text = "";
    for (let index = 0; index < 12; index++)
      text += `- id: body-${index}\n  organisation: Body ${index}\n  type: ngo\n  salutation: "Dear all,"\n  custom: { mandate: m }\n  contacts: [{ email: "body ${index}@example.org" }]\n`;
    const result = await check(campaignFolder({ "recipients/bodies.yaml": text }));
    expectRefused(expect, result);
    const emails = result.problems.filter((problem) => /contacts\[0\]\.email/.test(problem.field ?? ""));
    expect.soft(emails, result.stdout).toHaveLength(1);
    expect.soft(emails[0]?.at).toBe(`recipients/bodies.yaml:${lineOf(text, "body 0@")}`);
    expect
      .soft(emails[0]?.message)
      .toMatch(
        new RegExp(
          `and 11 more recipients in this file, at lines ${lineOf(text, "body 1@")}, ${lineOf(text, "body 2@")}, ${lineOf(text, "body 3@")}, …\\)`,
        ),
      );
  });

  it("suggests the right shape for a wrong one", async ({ expect }) => {
    const text = missions
      .replace("contacts: [{ email: ie@mission.example.org }]", "contact: { email: ie@mission.example.org }")
      .replace("    city: Vienna\n", "    city: Vienna\n    web_form: https://example.org/form\n");
    const result = await check(campaignFolder({ [MISSIONS]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${MISSIONS}:${lineOf(text, "contact: {")}`,
      field: "recipients[2].contact",
      message: /unknown field "contact"/,
      hint: /did you mean "contacts", a list: contacts: \[\{ email: … \}\]/,
    });
    expectProblem(expect, result.stdout, {
      at: `${MISSIONS}:${lineOf(text, "web_form:")}`,
      hint: /"web_form" belongs under "channels": channels: \{ web_form: … \}/,
    });
  });
});
