// Data for the bench: a campaign of generated recipients, and a journal of generated events.
import { createHash, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

// Fifty country codes the generated recipients are spread over.
const COUNTRIES = (
  "AD AL AM AT AZ BA BE BG BY CA CH CY CZ DE DK EE ES FI FR GB GE GR HR HU IE IS IT KG KZ LI LT LU LV MC " +
  "MD ME MK MN MT NL NO PL PT RO RS RU SE SI SK"
).split(" ");

const WORDS = (
  "the security operation in the city left residents without communication and the roads were closed " +
  "while families waited for news and the institutions that could act were asked to speak and to help"
).split(" ");

/** A campaign of `count` recipients in files of `perFile`, with a 400-word letter using 5 fields. */
export function generateCampaign(folder, count, perFile) {
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(join(folder, "recipients"), { recursive: true });
  mkdirSync(join(folder, "templates"), { recursive: true });
  writeFileSync(
    join(folder, "outreach.yaml"),
    [
      "sender: { name: Bench Sender, email: bench@example.org }",
      "transport: { connections: 4 }",
      "campaigns:",
      "  - id: bench",
      '    subject: "Appeal to {{recipient.organisation}}"',
      "    template: letter",
      "    date: 2012-07-25",
      "",
    ].join("\n"),
  );
  let body = "";
  for (let index = 0; index < 400; index++) {
    body += WORDS[index % WORDS.length] + (index % 15 === 14 ? "\n" : " ");
  }
  writeFileSync(
    join(folder, "templates", "letter.txt.hbs"),
    "{{date campaign.date}}\n\n{{recipient.salutation}}\n\n" +
      "We write to {{recipient.organisation}} in {{recipient.country}} about {{recipient.custom.topic}}.\n\n" +
      `${body}\n\n{{default recipient.complimentary_close "Yours sincerely,"}}\n{{sender.name}}\n`,
  );
  for (let file = 0; file * perFile < count; file++) {
    let yaml = "";
    for (let index = file * perFile; index < Math.min(count, (file + 1) * perFile); index++) {
      yaml +=
        `- id: r${index}\n  organisation: Institution number ${index}\n` +
        `  type: ${["un", "osce", "eu", "embassy"][index % 4]}\n` +
        `  country: ${COUNTRIES[index % COUNTRIES.length]}\n  salutation: "Dear Colleague ${index},"\n  tags: [t${index % 10}]\n` +
        `  contacts:\n    - name: Person ${index}\n      email: person${index}@r${index}.example.org\n` +
        `  custom:\n    topic: "the situation in region ${index % 7}"\n`;
    }
    writeFileSync(join(folder, "recipients", `part-${String(file).padStart(4, "0")}.yaml`), yaml);
  }
}

/** A journal of `events` events: sends to the first recipients, retries, and the rest as they would be. */
export function generateJournal(folder, campaign, recipients, events) {
  mkdirSync(join(folder, ".outreach"), { recursive: true });
  const lines = [];
  const start = Date.parse("2012-07-25T08:00:00Z");
  for (let index = 0; lines.length < events; index++) {
    const recipient = `r${index % recipients}`;
    const at = new Date(start + index * 1000).toISOString();
    const attempt = randomUUID();
    const messageId = `<${randomUUID()}@example.org>`;
    const base = { v: 1, at, campaign, recipient };
    lines.push(
      JSON.stringify({
        ...base,
        id: attempt,
        type: "attempt",
        message_id: messageId,
        transport: "smtp",
        to: [`person${index % recipients}@r${index % recipients}.example.org`],
        cc: [],
        subject: `Appeal to Institution number ${index % recipients}`,
        try: 1,
      }),
    );
    const outcome =
      index % 10 === 9
        ? { type: "failed", kind: "transient", code: 421, response: "421 4.7.0 Try again later" }
        : {
            type: "sent",
            response: "250 2.0.0 Ok: queued",
            accepted: [`person${index}@example.org`],
            rejected: [],
          };
    lines.push(JSON.stringify({ ...base, id: randomUUID(), attempt, message_id: messageId, ...outcome }));
  }
  writeFileSync(join(folder, ".outreach", "journal.jsonl"), `${lines.slice(0, events).join("\n")}\n`);
}

/**
 * The events a later run appends to that journal: a follow-up sent to each of the first `letters` recipients
 * (attempt and sent) and ten answers logged, as after a `followup` and a few `log`s. One line each.
 */
export function generateAppend(campaign, letters) {
  const lines = [];
  const start = Date.parse("2012-08-20T08:00:00Z");
  for (let index = 0; index < letters; index++) {
    const at = new Date(start + index * 1000).toISOString();
    const base = { v: 1, at, campaign, recipient: `r${index}` };
    const attempt = randomUUID();
    const messageId = `<${randomUUID()}@example.org>`;
    const address = `person${index}@r${index}.example.org`;
    lines.push(
      JSON.stringify({
        type: "attempt",
        ...base,
        stage: "followup-1",
        id: attempt,
        message_id: messageId,
        transport: "smtp",
        to: [address],
        cc: [],
        subject: `Re: Appeal to Institution number ${index}`,
        try: 1,
      }),
      JSON.stringify({
        type: "sent",
        ...base,
        id: randomUUID(),
        attempt,
        message_id: messageId,
        response: "250 2.0.0 Ok: queued",
        accepted: [address],
        rejected: [],
      }),
    );
  }
  for (let index = 0; index < 10; index++) {
    lines.push(
      JSON.stringify({
        type: "response",
        v: 1,
        id: randomUUID(),
        at: "2012-08-25T08:00:00.000Z",
        campaign,
        recipient: `r${letters + index}`,
        outcome: "acknowledged",
        date: "2012-08-24",
        channel: "email",
      }),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** The same recipients and letter for mailmerge: a CSV database, a Jinja template and a server config. */
export function generatePeerData(folder, count, smtpPort = 25) {
  mkdirSync(folder, { recursive: true });
  let csv = "email,organisation,country,salutation,topic\n";
  for (let index = 0; index < count; index++) {
    csv +=
      `person${index}@r${index}.example.org,Institution number ${index},${COUNTRIES[index % COUNTRIES.length]},` +
      `"Dear Colleague ${index},",the situation in region ${index % 7}\n`;
  }
  writeFileSync(join(folder, "database.csv"), csv);
  let body = "";
  for (let index = 0; index < 400; index++) {
    body += WORDS[index % WORDS.length] + (index % 15 === 14 ? "\n" : " ");
  }
  writeFileSync(
    join(folder, "template.txt"),
    "TO: {{email}}\nSUBJECT: Appeal to {{organisation}}\nFROM: Bench Sender <bench@example.org>\n\n" +
      "25 July 2012\n\n{{salutation}}\n\nWe write to {{organisation}} in {{country}} about {{topic}}.\n\n" +
      `${body}\n\nYours sincerely,\nBench Sender\n`,
  );
  writeFileSync(join(folder, "server.conf"), `[smtp_server]\nhost = 127.0.0.1\nport = ${smtpPort}\n`);
}

/** Runs `make` unless `folder` was made by the same `key` before (generating 100,000 recipients takes time). */
export function cached(folder, key, make) {
  const stamp = `${folder}.made`;
  // Made again when this generator changes, too.
  const made = `${key} ${createHash("sha256")
    .update(readFileSync(new URL(import.meta.url)))
    .digest("hex")}`;
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === made) return;
  make();
  writeFileSync(stamp, made);
}
