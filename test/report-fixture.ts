// A campaign whose journal holds one of each story a report must tell: answered (with notes and senders),
// an auto-reply then silence (overdue), a public statement, a bounce, a failure, an answer waiting for review,
// a letter delivered through a web form and a body with no email at all. Text from the world is hostile on
// purpose (markup, quotes), and every person's name is a made-up word the test can look for.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { campaignFolder, STARTER } from "./support.js";

export const CAMPAIGN = "first-appeal";
export const HOSTILE = `Embassy of "Example" <script>alert('x')</script> & Co`;

/** Everything that names or reaches a person: none of it may appear in a redacted report. */
export const PRIVATE = [
  "Amara Contactname",
  "sr@un.example.org",
  "Dr Notename",
  "Lena Notename",
  "Jorge Salutename",
  "Pat Receivedname",
  "pat@icrc.example.org",
  "press@eu.example.org",
  "gone@ngo.example.net",
  "Spoke with",
  "Kim Fromname",
];

const recipients = `
- id: un-sr
  organisation: UN Special Rapporteur on human rights defenders
  type: un
  salutation: "Dear Special Rapporteur,"
  contacts:
    - { name: Amara Contactname, email: sr@un.example.org }
  custom: { mandate: your mandate }
- id: un-wg
  organisation: UN Working Group on Enforced Disappearances
  type: un
  salutation: "Dear Members of the Working Group,"
  contacts: [{ email: wg@un.example.org }]
  custom: { mandate: your mandate }
- id: osce-odihr
  organisation: OSCE Office for Democratic Institutions and Human Rights
  type: osce
  salutation: "Dear Director,"
  contacts: [{ email: office@odihr.example.org }]
  custom: { mandate: your mandate }
- id: eu-eeas
  organisation: European External Action Service
  type: eu
  salutation: "Dear High Representative,"
  contacts: [{ role: Press, email: press@eu.example.org }]
  custom: { mandate: your mandate }
- id: embassy-hostile
  organisation: '${HOSTILE.replace(/'/g, "''")}'
  type: embassy
  salutation: "Your Excellency,"
  contacts: [{ email: mission@embassy.example.com }]
  custom: { mandate: your mandate }
- id: embassy-bounced
  organisation: Embassy of Exampleland
  type: embassy
  salutation: "Dear Ambassador Jorge Salutename,"
  contacts: [{ email: old@embassy2.example.com }]
  custom: { mandate: your mandate }
- id: icrc
  organisation: International Committee of the Red Cross
  type: icrc
  salutation: "Dear President,"
  contacts: [{ email: delegation@icrc.example.org }]
  custom: { mandate: your mandate }
- id: ngo-declined
  organisation: Example Rights Watch
  type: ngo
  salutation: "Dear Director,"
  contacts: [{ email: info@watch.example.net }]
  custom: { mandate: your mandate }
- id: ngo-failed
  organisation: Example Defenders Network
  type: ngo
  salutation: "Dear friends,"
  contacts: [{ email: gone@ngo.example.net }]
  custom: { mandate: your mandate }
- id: ngo-web-form
  organisation: Example Ombudsman
  type: ngo
  salutation: "Dear Ombudsman,"
  channels: { web_form: "https://www.example.org/contact" }
  custom: { mandate: your mandate }
- id: ngo-post-only
  organisation: Example Commission by post
  type: ngo
  salutation: "Dear Commissioners,"
  channels: { post: ["1 Example Street", "Example City"] }
  custom: { mandate: your mandate }
`;

let sequence = 0;
/** A journal event of `campaign` for `recipient`, recorded at 09:00 UTC on `day`. */
export function journalEvent(
  campaign: string,
  recipient: string,
  day: string,
  fields: Record<string, unknown>,
) {
  sequence++;
  return { v: 1, id: `event-${sequence}`, at: `${day}T09:00:00Z`, campaign, recipient, ...fields };
}
const event = (recipient: string, day: string, fields: Record<string, unknown>) =>
  journalEvent(CAMPAIGN, recipient, day, fields);

/** An appeal that went out by SMTP on `day` to `to`: its attempt and the server's acceptance. */
export function appealSent(campaign: string, recipient: string, day: string, to: string) {
  const messageId = `<${recipient}-appeal@example.org>`;
  const attempt = journalEvent(campaign, recipient, day, {
    type: "attempt",
    message_id: messageId,
    transport: "smtp",
    to: [to],
    cc: [],
    subject: "Appeal: please act now",
    try: 1,
  });
  return [
    attempt,
    journalEvent(campaign, recipient, day, {
      type: "sent",
      attempt: attempt.id,
      message_id: messageId,
      response: "250 2.0.0 Ok: queued",
      accepted: [to],
      rejected: [],
    }),
  ];
}
const sent = (recipient: string, day: string, to: string) => appealSent(CAMPAIGN, recipient, day, to);

function response(recipient: string, date: string, outcome: string, extra: Record<string, unknown> = {}) {
  return event(recipient, date, { type: "response", outcome, date, channel: "email", ...extra });
}

function journal(): object[] {
  const failedAttempt = event("ngo-failed", "2026-01-05", {
    type: "attempt",
    message_id: "<ngo-failed-appeal@example.org>",
    transport: "smtp",
    to: ["gone@ngo.example.net"],
    cc: [],
    subject: "Appeal: please act now",
    try: 1,
  });
  return [
    ...sent("un-sr", "2026-01-05", "sr@un.example.org"),
    response("un-sr", "2026-01-08", "acknowledged", {
      from: "Amara Contactname <sr@un.example.org>",
      note: "Spoke with Dr Notename on the phone;\nthey will raise it in Geneva.",
    }),
    ...sent("un-wg", "2026-01-05", "wg@un.example.org"),
    response("un-wg", "2026-01-12", "forwarded", { from: "Kim Fromname" }),
    response("un-wg", "2026-01-20", "meeting", { note: "Meeting set for March <b>bold</b>" }),
    ...sent("osce-odihr", "2026-01-05", "office@odihr.example.org"),
    response("osce-odihr", "2026-01-05", "auto-reply"),
    ...sent("eu-eeas", "2026-01-10", "press@eu.example.org"),
    response("eu-eeas", "2026-01-25", "public-statement", {
      note: "Statement by spokesperson Lena Notename",
    }),
    ...sent("embassy-hostile", "2026-01-25", "mission@embassy.example.com"),
    ...sent("embassy-bounced", "2026-01-05", "old@embassy2.example.com"),
    response("embassy-bounced", "2026-01-06", "bounced"),
    ...sent("icrc", "2026-01-10", "delegation@icrc.example.org"),
    event("icrc", "2026-01-28", {
      type: "received",
      message_id: "<answer-1@icrc.example.org>",
      kind: "answer",
      match: "reply",
      in_reply_to: "<icrc-appeal@example.org>",
      from: "Pat Receivedname <pat@icrc.example.org>",
      date: "2026-01-28",
      subject: "Re: Appeal, for Pat Receivedname",
    }),
    ...sent("ngo-declined", "2026-01-10", "info@watch.example.net"),
    response("ngo-declined", "2026-01-15", "declined"),
    failedAttempt,
    event("ngo-failed", "2026-01-05", {
      type: "failed",
      attempt: failedAttempt.id,
      message_id: "<ngo-failed-appeal@example.org>",
      kind: "permanent",
      code: 550,
      response: "550 5.1.1 <gone@ngo.example.net>: Recipient address rejected",
    }),
    event("ngo-web-form", "2026-01-12", { type: "delivered", channel: "web-form", date: "2026-01-12" }),
  ];
}

/** The starter campaign, selecting every recipient above, with that journal. */
export function reportFolder(): string {
  const config = readFileSync(join(STARTER, "outreach.yaml"), "utf8").replace(
    /\n {4}select:\n {6}types: .*\n/,
    "\n",
  );
  return campaignFolder({
    "outreach.yaml": config,
    "recipients/example.yaml": recipients,
    ".outreach/journal.jsonl": `${journal()
      .map((line) => JSON.stringify(line))
      .join("\n")}\n`,
  });
}
