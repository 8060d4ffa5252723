import { cpSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import PostalMime from "postal-mime";
import { describe, expect, it } from "vitest";
import { processIO } from "../src/adapters/terminal.js";
import { openLetterPlan } from "../src/commands/context.js";
import { formatAddress, formatLetter } from "../src/commands/preview.js";
import {
  type Address,
  type Envelope,
  type Letter,
  letterHeads,
  renderHead,
  renderLetter,
} from "../src/core/letters.js";
import { pickCampaign } from "../src/core/plan.js";
import { otherChannelHint } from "../src/core/recipients.js";
import { campaignFolder, REPO, run, STARTER, seededRandom, snapshot, tempFolder } from "./support.js";

/** formatLetter as it was written before it was written out for speed: [name, value] pairs, measured and joined. */
function formatLetterReference(letter: Letter): string {
  const { recipient, message } = letter;
  const headers: [string, string][] = [];
  if (message) {
    headers.push(["From", formatAddress(message.from)]);
    if (message.replyTo) headers.push(["Reply-To", formatAddress(message.replyTo)]);
    headers.push(["To", message.to.map(formatAddress).join(", ")]);
    if (message.cc.length > 0) headers.push(["Cc", message.cc.map(formatAddress).join(", ")]);
  } else {
    headers.push(["To", `(no email: deliver by ${otherChannelHint(recipient)})`]);
  }
  headers.push(["Subject", letter.subject]);
  headers.push(["Language", `${letter.language} (${letter.templates.join(", ")})`]);
  const size = (bytes: number) =>
    bytes < 1000
      ? `${bytes} B`
      : bytes < 1_000_000
        ? `${(bytes / 1000).toFixed(1)} kB`
        : `${(bytes / 1_000_000).toFixed(1)} MB`;
  for (const attachment of message?.attachments ?? []) {
    headers.push(["Attachment", `${attachment.file} (${size(attachment.size)})`]);
  }
  const width = Math.max(...headers.map(([name]) => name.length)) + 2;
  const head = headers.map(([name, value]) => `${`${name}:`.padEnd(width)}${value}`).join("\n");
  return `${head}\n\n${letter.text.trimEnd()}\n`;
}

function randomLetter(random: ReturnType<typeof seededRandom>): Letter {
  const { next, pick, chance } = random;
  const words = ["Dear", "Ana", "Łódź", "—", "über", "committee", "名前", " ", "\n", "\t", "😀", "x"];
  const text = () => Array.from({ length: Math.floor(next() * 12) }, () => pick(words)).join("");
  const addressOf = (): Address =>
    chance(0.5) ? { name: text() || "N", address: "a@b.example.org" } : { address: "c@d.example.org" };
  const list = (most: number) => Array.from({ length: Math.floor(next() * (most + 1)) }, addressOf);
  const channels = pick([
    undefined,
    { web_form: "https://x.example.org/form" },
    { post: ["1 Street", "Town"] },
    { fax: "+1 555" },
    { phone: "+1 556" },
  ]);
  const sizes = [0, 999, 1000, 54_321, 999_949, 1_000_000, 12_345_678];
  const letter = {
    recipient: { id: "r1", ...(channels ? { channels } : {}) },
    subject: text(),
    language: pick(["en", "ru", "fr-CA"]),
    templates: Array.from({ length: 1 + Math.floor(next() * 2) }, () => `templates/${text()}.hbs`),
    text: `${text()}${pick(["", "\n", "  \n\n", "\t"])}`,
  } as unknown as Letter;
  if (chance(0.8)) {
    letter.message = {
      from: addressOf(),
      ...(chance(0.3) ? { replyTo: addressOf() } : {}),
      to: list(3),
      cc: list(2),
      attachments: Array.from({ length: chance(0.5) ? 0 : 1 + Math.floor(next() * 3) }, () => ({
        file: `attachments/${text()}.pdf`,
        size: pick(sizes),
      })),
    } as unknown as Letter["message"];
  }
  return letter;
}

describe("formatLetter", () => {
  it("gives what the reference (headers as measured pairs) gives, over 2,000 seeded random letters", () => {
    const random = seededRandom(29);
    for (let index = 0; index < 2000; index++) {
      const letter = randomLetter(random);
      expect(formatLetter(letter)).toBe(formatLetterReference(letter));
    }
  });
});

describe("preview", () => {
  it("writes .eml files a mail client reads back with the same subject, addresses, body and attachment", async () => {
    const folder = campaignFolder();
    const result = await run(["preview", "--out", "letters"], { cwd: folder });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain("Wrote 3 letters to letters/");
    const files = readdirSync(join(folder, "letters")).sort();
    expect(files).toEqual([
      "example-ngo.eml",
      "example-ngo.txt",
      "example-web-form-only.txt",
      "un-special-rapporteur.eml",
      "un-special-rapporteur.txt",
    ]);
    const email = await PostalMime.parse(readFileSync(join(folder, "letters", "example-ngo.eml")));
    expect(email.subject).toBe("Appel : Example Human Rights Association, agissez maintenant");
    expect(email.from).toEqual({ name: "Your Name or Organisation", address: "you@example.org" });
    expect(email.to).toEqual([{ name: "Jeanne Exemple", address: "director@ngo.example.net" }]);
    expect(email.cc).toEqual([{ name: "", address: "press@ngo.example.net" }]);
    expect(email.text).toContain("Nous vous écrivons au sujet de la situation");
    expect(email.attachments.map((attachment) => attachment.filename)).toEqual(["appeal-summary.txt"]);
    expect(email.headers.find((header) => header.key === "content-language")?.value).toBe("fr");
    const text = readFileSync(join(folder, "letters", "example-ngo.txt"), "utf8");
    expect(text).toContain("Subject:    Appel : Example Human Rights Association, agissez maintenant");
    expect(text.trimEnd().endsWith(email.text?.trimEnd() ?? "missing")).toBe(true);
  });

  it("prints only the letters asked for, and --json gives their fields", async () => {
    const folder = campaignFolder();
    const result = await run(["preview", "example-ngo", "--json"], { cwd: folder });
    expect(result.exitCode).toBe(0);
    const letters = JSON.parse(result.stdout);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      id: "example-ngo",
      campaign: "first-appeal",
      language: "fr",
      templates: ["templates/letter.fr.txt.hbs"],
      to: [{ name: "Jeanne Exemple", address: "director@ngo.example.net" }],
      cc: [{ address: "press@ngo.example.net" }],
      attachments: ["attachments/appeal-summary.txt"],
    });
    expect(letters[0].text).toContain("15 janvier 2026");
  });

  it("refuses an unknown id with a suggestion, and an id the campaign does not select, with exit 2", async () => {
    const folder = campaignFolder({
      "outreach.yaml": readFileSync(join(campaignFolder(), "outreach.yaml"), "utf8").replace(
        "types: [un, ngo]",
        "types: [un]",
      ),
    });
    const unknown = await run(["preview", "exmple-ngo"], { cwd: folder });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('no recipient with the id "exmple-ngo"');
    expect(unknown.stderr).toContain('did you mean "example-ngo"?');
    expect(unknown.stdout).toBe("");
    const unselected = await run(["preview", "example-ngo"], { cwd: folder });
    expect(unselected.exitCode).toBe(2);
    expect(unselected.stderr).toContain(
      '"example-ngo" is not among the recipients that campaign first-appeal selects',
    );
  });

  it("asks which campaign when there are several, and uses the one named with -c", async () => {
    const starter = readFileSync(join(campaignFolder(), "outreach.yaml"), "utf8");
    const second = `  - id: second\n    subject: "Second letter"\n    template: letter\n    date: 2026-02-01\n`;
    const folder = campaignFolder({ "outreach.yaml": `${starter}${second}` });
    const ambiguous = await run(["preview"], { cwd: folder });
    expect(ambiguous.exitCode).toBe(2);
    expect(ambiguous.stderr).toContain("outreach.yaml has 2 campaigns; say which one with -c");
    const chosen = await run(["preview", "-c", "second", "example-web-form-only"], { cwd: folder });
    expect(chosen.exitCode).toBe(0);
    expect(chosen.stdout).toContain("Subject:  Second letter");
    const typo = await run(["preview", "-c", "secnd"], { cwd: folder });
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr).toContain('did you mean "second"?');
  });

  it("picks the paragraph for the recipient's type and language, falling back to the default", async () => {
    const folder = campaignFolder({
      "templates/partials/context/ngo.hbs": "NGO paragraph in English.\n",
      "templates/partials/context/ngo.fr.hbs": "Paragraphe pour les ONG.\n",
    });
    const result = await run(["preview", "--json"], { cwd: folder });
    const byId = Object.fromEntries(
      JSON.parse(result.stdout).map((letter: { id: string }) => [letter.id, letter]),
    );
    expect(byId["un-special-rapporteur"].text).toContain("International Covenant");
    expect(byId["example-ngo"].text).toContain("Paragraphe pour les ONG.");
    expect(byId["example-web-form-only"].text).toContain("NGO paragraph in English.");
  });

  it("escapes the HTML part but not the plain text", async () => {
    const folder = campaignFolder({
      "templates/letter.html.hbs": "<p>{{recipient.salutation}}</p><p>{{recipient.organisation}}</p>\n",
      "recipients/example.yaml": readFileSync(
        join(campaignFolder(), "recipients/example.yaml"),
        "utf8",
      ).replace("organisation: Example Human Rights Association", 'organisation: "Rights <Watch> & Co"'),
    });
    const result = await run(["preview", "example-ngo", "example-web-form-only", "--json"], { cwd: folder });
    expect(result.exitCode).toBe(0);
    const [ngo, webForm] = JSON.parse(result.stdout);
    expect(ngo.subject).toBe("Appel : Rights <Watch> & Co, agissez maintenant");
    expect(ngo.html).toBeNull(); // the French letter has no HTML variant
    expect(webForm.html).toContain("<p>Dear Ombudsman,</p>");
    const english = await run(["preview", "un-special-rapporteur", "--json"], { cwd: folder });
    expect(JSON.parse(english.stdout)[0].html).toContain(
      "<p>UN Special Rapporteur on an example mandate</p>",
    );
  });
});

describe("check", () => {
  it("passes on the bundled Khorog example and renders all 35 letters", async () => {
    const result = await run(["check", "--json"], { cwd: REPO });
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.ok).toBe(true);
    expect(report.errors).toBe(0);
    expect(report.campaigns).toEqual([
      { id: "khorog-2012", selected: 35, letters: 35, email: 34, other_channels: 1 },
    ]);
  });

  it("warns when a language has no template variant, and names who gets the default letter", async () => {
    const folder = campaignFolder({
      "recipients/example.yaml": readFileSync(
        join(campaignFolder(), "recipients/example.yaml"),
        "utf8",
      ).replace("  language: fr ", "  language: de "),
    });
    const result = await run(["check"], { cwd: folder });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(
      'no "de" variant of "letter"; example-ngo gets the default-language letter',
    );
    expect(result.stdout).toContain("→ add templates/letter.de.txt.hbs");
  });

  it("sees an edit to a recipient file even though the file was cached", async () => {
    const folder = campaignFolder();
    expect((await run(["check"], { cwd: folder })).exitCode).toBe(0);
    expect(Object.keys(snapshot(folder))).toContain(".outreach/cache/folder.json");
    const path = join(folder, "recipients/example.yaml");
    const original = readFileSync(path, "utf8");
    writeFileSync(path, original.replace("director@ngo.example.net", "director@ngo"));
    utimesSync(path, new Date(), new Date(Date.now() + 5_000));
    const result = await run(["check"], { cwd: folder });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      "recipients/example.yaml:35:14  [1].contacts[0].email: must be one email address",
    );
  });

  it("points at the line in outreach.yaml even when the folder was read from the cache", async () => {
    const config = readFileSync(join(campaignFolder(), "outreach.yaml"), "utf8").replace(
      "      # ids: [some-id]",
      "      ids: [example-web-form-only]",
    );
    const folder = campaignFolder({
      "outreach.yaml": config,
      "recipients/ombudsman.yaml": readFileSync(join(campaignFolder(), "recipients/example.yaml"), "utf8")
        .split("\n- id: ")
        .filter((part) => part.startsWith("example-web-form-only"))
        .map((part) => `- id: ${part}`)
        .join(""),
      "recipients/example.yaml": readFileSync(
        join(campaignFolder(), "recipients/example.yaml"),
        "utf8",
      ).replace(/\n- id: example-web-form-only[\s\S]*$/, "\n"),
    });
    expect((await run(["check"], { cwd: folder })).exitCode).toBe(0);
    writeFileSync(join(folder, "recipients/ombudsman.yaml"), "");
    const emptied = await run(["check"], { cwd: folder });
    expect(emptied.exitCode).toBe(1);
    rmSync(join(folder, "recipients/ombudsman.yaml"));
    const result = await run(["check"], { cwd: folder });
    expect(result.exitCode).toBe(1);
    const line = config.split("\n").findIndex((text) => text.includes("ids: [example-web-form-only]")) + 1;
    expect(result.stdout).toContain(
      `outreach.yaml:${line}:13  campaigns[0].select.ids[0]: no recipient has the id "example-web-form-only"`,
    );
  });

  it("dates a recipient's staleness by the latest letter it gets, when one campaign selects everyone and another a few", async () => {
    const starter = readFileSync(join(STARTER, "outreach.yaml"), "utf8");
    // The starter's campaign selects all three recipients; a second one writes to one of them.
    const second = (date: string) =>
      `campaigns:\n  - id: second-appeal\n    subject: "Again: {{recipient.organisation}}"\n    template: letter\n    date: ${date}\n    select:\n      ids: [un-special-rapporteur]\n`;
    const stale =
      '"un-special-rapporteur" was last verified on 2026-01-10, more than 365 days before the letter\'s date';
    const cases: [string, string, string | undefined][] = [
      ["2026-01-15", "2028-05-01", "2028-05-01"], // the few's letter is the later one
      ["2028-04-01", "2026-01-15", "2028-04-01"], // everyone's letter is the later one
      ["2026-01-15", "2026-02-01", undefined], // neither is a year past the check
    ];
    for (const [everyone, few, warned] of cases) {
      const folder = campaignFolder({
        "outreach.yaml": starter
          .replace("date: 2026-01-15", `date: ${everyone}`)
          .replace("campaigns:\n", second(few)),
        "recipients/example.yaml": readFileSync(join(STARTER, "recipients/example.yaml"), "utf8").replace(
          "  language: fr ",
          "  provenance: { verified_on: 2027-03-01 }\n  language: fr ",
        ),
      });
      const result = await run(["check"], { cwd: folder, env: { OUTREACH_NOW: "2028-06-01" } });
      expect(result.exitCode, result.stdout + result.stderr).toBe(0);
      if (warned) expect(result.stdout).toContain(`${stale} (${warned})`);
      else expect(result.stdout).not.toContain('un-special-rapporteur" was last verified');
      // example-ngo gets only everyone's letter, dated by it alone.
      expect(result.stdout.includes('"example-ngo" was last verified on 2027-03-01')).toBe(
        everyone === "2028-04-01",
      );
    }
  });

  it("warns about addresses last verified too long before the letter's date (today's, when undated)", async () => {
    const starter = readFileSync(join(STARTER, "outreach.yaml"), "utf8");
    const today = campaignFolder({
      "outreach.yaml": starter.replace("date: 2026-01-15", "date: 2028-06-01"),
    });
    const result = await run(["check"], { cwd: today, env: { OUTREACH_NOW: "2028-06-01" } });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(
      'recipients/example.yaml:21:18  [0].provenance.verified_on: "un-special-rapporteur" was last verified on 2026-01-10, more than 365 days ago',
    );
    const dated = campaignFolder({
      "outreach.yaml": starter.replace("date: 2026-01-15", "date: 2028-05-01"),
    });
    const later = await run(["check"], { cwd: dated, env: { OUTREACH_NOW: "2028-06-01" } });
    expect(later.stdout).toContain(
      '"un-special-rapporteur" was last verified on 2026-01-10, more than 365 days before the letter\'s date (2028-05-01)',
    );
  });

  it("a historical campaign does not warn about addresses that were current when its letter was dated", async () => {
    // The starter's letter is dated 2026-01-15, its addresses verified 2026-01-10: years later, still quiet.
    const folder = campaignFolder();
    for (const command of [["check"], ["status"], ["recipients"], ["send", "--dry-run"]]) {
      const result = await run(command, { cwd: folder, env: { OUTREACH_NOW: "2030-06-01" } });
      expect(result.exitCode).toBe(0);
      expect(`${result.stdout}${result.stderr}`).not.toContain("warning");
    }
  });
});

describe("recipients", () => {
  it("lists the selected recipients with channels, and filters by type", async () => {
    const folder = campaignFolder();
    const table = await run(["recipients"], { cwd: folder });
    expect(table.exitCode).toBe(0);
    expect(table.stdout.split("\n")[0]).toMatch(/^ID\s+TYPE\s+LANG\s+COUNTRY\s+CHANNELS\s+ORGANISATION$/);
    expect(table.stdout).toMatch(/example-web-form-only\s+ngo\s+en\s+web form\s+Example Ombudsman/);
    const json = await run(["recipients", "--type", "ngo", "--json"], { cwd: folder });
    const rows = JSON.parse(json.stdout);
    expect(rows.map((row: { id: string }) => row.id)).toEqual(["example-ngo", "example-web-form-only"]);
    expect(rows[0]).toMatchObject({
      to: ["director@ngo.example.net"],
      cc: ["press@ngo.example.net"],
      language: "fr",
      file: "recipients/example.yaml",
    });
  });
});

describe("letter heads", () => {
  /** The bundled example in a folder of its own, with reply_to set or not. */
  function example(replyTo: boolean): string {
    const folder = tempFolder();
    for (const part of ["outreach.yaml", "recipients", "templates", "attachments"]) {
      cpSync(join(REPO, part), join(folder, part), { recursive: true });
    }
    const config = join(folder, "outreach.yaml");
    if (replyTo) writeFileSync(config, readFileSync(config, "utf8").replace("# reply_to:", "reply_to:"));
    return folder;
  }

  it.each([false, true])(
    "have the very addresses of their rendered letters, made again from the contacts (reply_to: %s)",
    async (replyTo) => {
      // A send plans on heads, which keep no copy of the addresses: they are made when asked for.
      const { plan, engine } = await openLetterPlan({ dir: example(replyTo) }, processIO());
      const { prepared, selected } = pickCampaign(plan, undefined);
      const { heads, problems } = letterHeads(engine, prepared, selected);
      expect(problems.filter((problem) => problem.severity === "error")).toEqual([]);
      expect(heads.length).toBe(selected.length);
      const envelope = (message: Envelope | undefined) =>
        message && {
          from: message.from,
          ...(message.replyTo ? { replyTo: message.replyTo } : {}),
          to: message.to,
          cc: message.cc,
        };
      for (const head of heads) {
        const letter = renderLetter(engine, prepared, head.entry);
        expect(envelope(head.message)).toEqual(envelope(letter.message));
        expect(head.subject).toBe(letter.subject);
        expect(renderHead(engine, prepared, head)).toEqual(letter);
      }
      expect(heads.some((head) => head.message === undefined)).toBe(true);
      expect(heads.some((head) => (head.message?.cc.length ?? 0) > 0)).toBe(true);
      expect(
        heads.every(
          (head) => (head.message?.replyTo !== undefined) === (replyTo && head.message !== undefined),
        ),
      ).toBe(true);
    },
  );

  it("send --dry-run lists each letter with the addresses and subject its rendered letter has", async () => {
    const folder = example(false);
    const dry = await run(["send", "--dry-run", "--json"], { cwd: folder });
    expect(dry.exitCode).toBe(0);
    const preview = await run(["preview", "--json"], { cwd: folder });
    const letters = JSON.parse(preview.stdout) as {
      id: string;
      to: Address[];
      cc: Address[];
      subject: string;
    }[];
    const listed = (
      JSON.parse(dry.stdout) as { would_send: { id: string; to: string[]; cc: string[]; subject: string }[] }
    ).would_send;
    const withEmail = letters.filter((letter) => letter.to.length > 0);
    expect(listed).toEqual(
      withEmail.map((letter) =>
        expect.objectContaining({
          id: letter.id,
          to: letter.to.map(formatAddress),
          cc: letter.cc.map(formatAddress),
          subject: letter.subject,
        }),
      ),
    );
  });
});
