// Response tracking, end to end through the built CLI: send over a real SMTP server, log answers (by hand and
// from saved replies built by a real mail composer), list who is outstanding, follow up threaded under the
// appeal, and report the state (history, export, status). "Now" moves with OUTREACH_NOW per command.
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import MailComposer from "nodemailer/lib/mail-composer";
import PostalMime from "postal-mime";
import { describe, expect, it } from "vitest";
import { parse, type Sink, sinkPerTest, startSink } from "./smtp-sink.js";
import { campaignFolder, run, STARTER, tempFolder } from "./support.js";

const UN = "un-special-rapporteur";
const NGO = "example-ngo";
const WEB = "example-web-form-only";
const UN_ADDRESS = "urgent-appeals@un.example.org";
const NGO_ADDRESS = "director@ngo.example.net";
const NGO_CC = "press@ngo.example.net";
const OUR_ADDRESS = "you@example.org";
/** When the appeal goes out in every test. */
const SENT_AT = "2026-02-01T09:00:00Z";

const sink = sinkPerTest();

type Event = Record<string, unknown> & { type: string; recipient: string; stage?: string };

function journalPath(folder: string) {
  return join(folder, ".outreach", "journal.jsonl");
}
function journalBytes(folder: string): Buffer {
  return existsSync(journalPath(folder)) ? readFileSync(journalPath(folder)) : Buffer.alloc(0);
}
function journal(folder: string): Event[] {
  return journalBytes(folder)
    .toString("utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}
/** Our Message-ID for a recipient's appeal (or follow-up stage), as the journal's attempt event records it. */
function ourMessageId(folder: string, recipient: string, stage?: string): string {
  const attempt = journal(folder).find(
    (event) => event.type === "attempt" && event.recipient === recipient && event.stage === stage,
  );
  if (!attempt) throw new Error(`no attempt for ${recipient} ${stage ?? "appeal"} in the journal`);
  return attempt.message_id as string;
}

/** Runs the CLI in `folder` with "now" set, over SMTP to `server` when given. */
function cli(folder: string, now: string, args: string[], server?: Sink) {
  return run(args, {
    cwd: folder,
    env: { OUTREACH_NOW: now, ...(server ? { OUTREACH_SMTP_URL: server.url } : {}) },
  });
}
async function json<T = Record<string, unknown>[]>(folder: string, now: string, args: string[]): Promise<T> {
  const result = await cli(folder, now, args);
  expect(result.stderr).not.toContain("error");
  expect(result.exitCode).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** A starter campaign whose appeal went out over SMTP at SENT_AT; returns the folder and the sink. */
async function sentCampaign(files: Record<string, string | null> = {}, server?: Sink) {
  const smtp = server ?? (await sink());
  const folder = campaignFolder(files);
  const sent = await cli(folder, SENT_AT, ["send", "--yes"], smtp);
  return { folder, server: smtp, sent };
}

/** The starter's appeal sent once, then copied for each test that only needs "an appeal went out". */
let sentOnce: Promise<string> | undefined;
async function copyOfSentCampaign(): Promise<string> {
  sentOnce ??= (async () => {
    const server = await startSink();
    try {
      const { folder, sent } = await sentCampaign({}, server);
      if (sent.exitCode !== 0) throw new Error(`the shared send failed:\n${sent.stderr}`);
      return folder;
    } finally {
      await server.close();
    }
  })();
  const folder = tempFolder();
  cpSync(await sentOnce, folder, { recursive: true });
  return folder;
}

/** A reply as a mail client writes it, composed by nodemailer's MailComposer, saved to a temporary .eml. */
async function savedReply(options: ConstructorParameters<typeof MailComposer>[0]) {
  const raw = await new MailComposer(options).compile().build();
  const path = join(tempFolder("outreach-reply-"), "reply.eml");
  writeFileSync(path, raw);
  const parsed = await PostalMime.parse(raw);
  return { path, messageId: parsed.messageId };
}

const starterConfig = readFileSync(join(STARTER, "outreach.yaml"), "utf8");

describe("the response-tracking workflow", () => {
  it("send → log → outstanding → one threaded follow-up → nothing on a rerun → export and status agree", async () => {
    const server = await sink();
    const folder = campaignFolder();
    const sent = await cli(folder, SENT_AT, ["send", "--yes"], server);
    expect(sent.exitCode).toBe(0);
    expect(server.received.map((message) => message.to[0]).sort()).toEqual([NGO_ADDRESS, UN_ADDRESS]);
    const appealRaw = server.received.find((message) => message.to[0] === UN_ADDRESS);
    const appeal = await parse(appealRaw as NonNullable<typeof appealRaw>);
    const appealId = ourMessageId(folder, UN);
    expect(appeal.messageId).toBe(appealId);

    const logged = await cli(folder, "2026-02-06", [
      "log",
      NGO,
      "--outcome",
      "acknowledged",
      "--date",
      "2026-02-05",
      "--from",
      "Jeanne Exemple",
      "--note",
      "Reference 2026/17",
    ]);
    expect(logged.exitCode).toBe(0);
    expect(logged.stdout).toContain(`Recorded: ${NGO} acknowledged on 2026-02-05 by email`);
    const response = journal(folder).find((event) => event.type === "response");
    expect(response).toMatchObject({
      campaign: "first-appeal",
      recipient: NGO,
      outcome: "acknowledged",
      date: "2026-02-05",
      channel: "email",
      from: "Jeanne Exemple",
      note: "Reference 2026/17",
    });

    // Only the rapporteur is waiting; the web-form recipient is not, as no delivery of it was logged.
    const waiting = await json(folder, "2026-02-06", ["outstanding", "--json"]);
    expect(waiting).toEqual([
      {
        campaign: "first-appeal",
        id: UN,
        organisation: "UN Special Rapporteur on an example mandate",
        type: "un",
        channel: "email",
        sent_on: "2026-02-01",
        days_waiting: 5,
        overdue: false,
        followups_sent: 0,
        next_followup_due: "2026-02-15",
        not_chased: false,
        follow_up_problem: null,
        delivery: "complete",
        not_reached: [],
        state: "waiting",
      },
    ]);

    const chased = await cli(folder, "2026-02-20", ["followup", "--yes"], server);
    expect(chased.exitCode).toBe(0);
    expect(server.received).toHaveLength(3);
    const followupRaw = server.received[2] as NonNullable<(typeof server.received)[number]>;
    expect(followupRaw.to).toEqual([UN_ADDRESS]);
    const followup = await parse(followupRaw);
    expect(followup.subject).toBe(`Re: ${appeal.subject}`);
    expect(followup.inReplyTo).toBe(appealId);
    expect(followup.inReplyTo).toBe(appeal.messageId);
    expect(followup.references?.split(/\s+/)).toContain(appealId);
    expect(followup.messageId).toMatch(/^<.+@.+>$/);
    expect(followup.messageId).not.toBe(appealId);
    expect(followup.text).toContain(
      `On February 1, 2026 we wrote to you under the subject "${appeal.subject}"`,
    );
    expect(ourMessageId(folder, UN, "followup-1")).toBe(followup.messageId);

    const again = await cli(folder, "2026-02-20", ["followup", "--yes"], server);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain(`No follow-up is due yet. Next: ${UN} on 2026-03-06`);
    expect(again.stderr).toContain("Nothing to send.");
    expect(server.received).toHaveLength(3);

    const rows = await json(folder, "2026-02-20", ["export", "--format", "json"]);
    expect(rows.map((row) => row.id)).toEqual([UN, NGO, WEB]);
    expect(rows[0]).toMatchObject({
      status: "waiting",
      outcome: "",
      sent_on: "2026-02-01",
      sent_by: "email",
      days_waiting: 19,
      followups_sent: 1,
      next_followup_due: "2026-03-06",
      answers: 0,
    });
    expect(rows[1]).toMatchObject({
      status: "responded",
      outcome: "acknowledged",
      sent_on: "2026-02-01",
      followups_sent: 0,
      next_followup_due: "",
      answered_on: "2026-02-05",
      answered_by: "Jeanne Exemple",
      answers: 1,
      last_note: "Reference 2026/17",
      language: "fr",
    });
    expect(rows[2]).toMatchObject({
      status: "not-sent",
      outcome: "",
      sent_on: "",
      days_waiting: null,
      followups_sent: 0,
      next_followup_due: "",
      emails: "",
    });

    const csv = await cli(folder, "2026-02-20", ["export"]);
    expect(csv.exitCode).toBe(0);
    const lines = csv.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(
      "campaign,id,organisation,type,country,language,status,outcome,sent_on,sent_by,days_waiting,overdue," +
        "followups_sent,next_followup_due,answered_on,answers,answered_by,last_note,emails,delivered_to,not_delivered_to,not_chased",
    );
    expect(lines.slice(1).map((line) => line.split(",").slice(0, 2).join(","))).toEqual([
      `first-appeal,${UN}`,
      `first-appeal,${NGO}`,
      `first-appeal,${WEB}`,
    ]);
    expect(lines[1]).toContain(",waiting,");
    expect(lines[2]).toContain(",responded,acknowledged,");

    const written = await cli(folder, "2026-02-20", ["export", "-o", "state.json"]);
    expect(written.exitCode).toBe(0);
    expect(written.stderr).toContain("Wrote 3 rows to state.json");
    expect(JSON.parse(readFileSync(join(folder, "state.json"), "utf8"))).toEqual(rows);

    const [status] = await json(folder, "2026-02-20", ["status", "--json"]);
    expect(status).toMatchObject({
      campaign: "first-appeal",
      selected: 3,
      sent: 2,
      responded: 1,
      waiting: 1,
      overdue: 0,
      failed: 0,
      uncertain: 0,
      other_channel: 1,
      response_rate: 0.5,
      outcomes: { acknowledged: 1 },
      by_type: {
        un: { selected: 1, sent: 1, responded: 0, waiting: 1, overdue: 0 },
        ngo: { selected: 2, sent: 1, responded: 1, waiting: 0, overdue: 0 },
      },
    });
  });
});

describe("log --from-eml", () => {
  it("records a composed reply for the recipient it answers, with its date, sender and Message-ID", async () => {
    const folder = await copyOfSentCampaign();
    const ours = ourMessageId(folder, NGO);
    const appealSubject = journal(folder).find(
      (event) => event.type === "attempt" && event.recipient === NGO,
    )?.subject;
    const reply = await savedReply({
      from: { name: "Jeanne Exemple", address: NGO_ADDRESS },
      to: OUR_ADDRESS,
      subject: `Re: ${appealSubject}`,
      inReplyTo: ours,
      references: [ours],
      text: "Nous vous proposons une réunion le 12 février.",
      date: new Date("2026-02-04T15:30:00Z"),
    });
    expect(reply.messageId).toMatch(/^<.+>$/);

    const logged = await cli(folder, "2026-02-06", ["log", "--from-eml", reply.path, "--outcome", "meeting"]);
    expect(logged.stderr).toBe("");
    expect(logged.exitCode).toBe(0);
    expect(logged.stdout).toContain(`Recorded: ${NGO} meeting on 2026-02-04 by email`);
    expect(logged.stdout).toContain("answering our letter");
    const responses = journal(folder).filter((event) => event.type === "response");
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({
      campaign: "first-appeal",
      recipient: NGO,
      outcome: "meeting",
      date: "2026-02-04",
      channel: "email",
      from: `Jeanne Exemple <${NGO_ADDRESS}>`,
      message_id: reply.messageId,
      in_reply_to: ours,
      subject: `Re: ${appealSubject}`,
    });

    const history = await cli(folder, "2026-02-06", ["history", NGO]);
    expect(history.exitCode).toBe(0);
    expect(history.stdout).toContain(
      `2026-02-04  first-appeal  answer: meeting by email from Jeanne Exemple <${NGO_ADDRESS}>`,
    );
    const outstanding = await json(folder, "2026-02-06", ["outstanding", "--json"]);
    expect(outstanding.map((row) => row.id)).toEqual([UN]);
  });

  it("takes a reply dated tomorrow by the sender's clock (UTC+5 at 01:00, seen from UTC-5); refuses a day no time zone has reached", async () => {
    const folder = await copyOfSentCampaign();
    const ours = ourMessageId(folder, NGO);
    const replyDated = (date: string, id: string) => {
      const path = join(tempFolder("outreach-reply-"), "reply.eml");
      writeFileSync(
        path,
        [
          `From: ${NGO_ADDRESS}`,
          `To: ${OUR_ADDRESS}`,
          "Subject: Re: Appeal",
          `Date: ${date}`,
          `Message-ID: <${id}@ngo.example.net>`,
          `In-Reply-To: ${ours}`,
          "",
          "We will meet you.",
          "",
        ].join("\r\n"),
      );
      return path;
    };
    // 20:30 UTC: 15:30 on 2 February in New York, 01:30 on 3 February in Tashkent.
    const env = { OUTREACH_NOW: "2026-02-02T20:30:00Z", TZ: "America/New_York" };
    const ahead = replyDated("Tue, 03 Feb 2026 01:00:00 +0500", "ahead");
    const logged = await run(["log", "--from-eml", ahead, "--outcome", "meeting"], { cwd: folder, env });
    expect(logged.stderr).toBe("");
    expect(logged.stdout).toContain(`Recorded: ${NGO} meeting on 2026-02-03 by email`);

    const wrongClock = replyDated("Thu, 05 Feb 2026 09:00:00 +0000", "wrong-clock");
    const before = journal(folder).length;
    const refused = await run(["log", "--from-eml", wrongClock, "--outcome", "meeting"], {
      cwd: folder,
      env,
    });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain(
      "the reply is dated 2026-02-05, a day that has not begun in any time zone yet (here it is 2026-02-02; the latest time zone, UTC+14, is on 2026-02-03)",
    );
    expect(refused.stderr).toContain("--date YYYY-MM-DD");
    expect(journal(folder)).toHaveLength(before);
  });

  it("records an Auto-Submitted reply without --outcome as auto-reply, and keeps the recipient outstanding", async () => {
    const folder = await copyOfSentCampaign();
    const ours = ourMessageId(folder, UN);
    const reply = await savedReply({
      from: "noreply@un.example.org",
      to: OUR_ADDRESS,
      subject: "Automatic reply: your message was received",
      inReplyTo: ours,
      references: [ours],
      headers: { "Auto-Submitted": "auto-replied" },
      text: "This mailbox is not monitored during the session.",
      date: new Date("2026-02-01T09:05:00Z"),
    });
    const before = journalBytes(folder);

    const logged = await cli(folder, "2026-02-02", ["log", "--from-eml", reply.path]);
    expect(logged.exitCode).toBe(0);
    expect(logged.stdout).toContain(`Recorded: ${UN} auto-reply on 2026-02-01`);
    const events = journal(folder);
    expect(journalBytes(folder).subarray(0, before.length)).toEqual(before);
    expect(events).toHaveLength(before.toString().split("\n").filter(Boolean).length + 1);
    expect(events.at(-1)).toMatchObject({
      type: "response",
      recipient: UN,
      outcome: "auto-reply",
      from: "noreply@un.example.org",
      message_id: reply.messageId,
      in_reply_to: ours,
    });

    const outstanding = await json(folder, "2026-02-02", ["outstanding", "--json"]);
    expect(outstanding.map((row) => row.id).sort()).toEqual([NGO, UN]);
    const [status] = await json(folder, "2026-02-02", ["status", "--json"]);
    expect(status).toMatchObject({ responded: 0, waiting: 2, outcomes: {} });
  });

  it("exits 2 with a clear message for a reply that answers none of our letters and no id", async () => {
    const folder = await copyOfSentCampaign();
    const reply = await savedReply({
      from: "someone@elsewhere.example.com",
      to: OUR_ADDRESS,
      subject: "Re: something else",
      inReplyTo: "<not-ours@elsewhere.example.com>",
      references: ["<not-ours@elsewhere.example.com>"],
      text: "Thank you.",
      date: new Date("2026-02-01T10:00:00Z"),
    });
    const before = journalBytes(folder);
    const logged = await cli(folder, "2026-02-02", [
      "log",
      "--from-eml",
      reply.path,
      "--outcome",
      "acknowledged",
    ]);
    expect(logged.exitCode).toBe(2);
    expect(logged.stderr).toContain("does not answer any letter in the journal");
    expect(logged.stderr).toContain("outreach log ID --from-eml FILE");
    expect(journalBytes(folder)).toEqual(before);
  });
});

describe("log: bad input is refused clearly and leaves the journal as it was", () => {
  /** Runs `log …` on a sent campaign and checks the exit code, the message and the unchanged journal. */
  async function refused(args: string[], exitCode: number, now = "2026-02-01T12:00:00Z") {
    const folder = await copyOfSentCampaign();
    const before = journalBytes(folder);
    expect(before.length).toBeGreaterThan(0);
    const result = await cli(folder, now, args);
    expect(result.exitCode).toBe(exitCode);
    expect(result.stderr).toMatch(/^error: /m);
    expect(result.stdout).toBe("");
    expect(journalBytes(folder)).toEqual(before);
    return { folder, result };
  }

  it("an unknown recipient id: exit 2, with a did-you-mean", async () => {
    const { result } = await refused(["log", "un-special-rapoteur", "--outcome", "acknowledged"], 2);
    expect(result.stderr).toContain('no recipient with the id "un-special-rapoteur"');
    expect(result.stderr).toContain(`did you mean "${UN}"?`);
  });

  it("an unknown outcome: exit 2, listing the allowed outcomes", async () => {
    const { result } = await refused(["log", NGO, "--outcome", "thanked"], 2);
    expect(result.stderr).toContain('unknown outcome "thanked"');
    expect(result.stderr).toContain(
      "acknowledged, forwarded, clarification-requested, meeting, action-taken, public-statement, declined, auto-reply, bounced, closed",
    );
  });

  it("an unknown channel (for an answer or for --sent-by): exit 2, listing the channels", async () => {
    const { result } = await refused(["log", NGO, "--outcome", "acknowledged", "--channel", "pigeon"], 2);
    expect(result.stderr).toContain('unknown channel "pigeon"');
    expect(result.stderr).toContain("email, letter, phone, meeting, web-form, fax, other");
    const { result: sentBy } = await refused(["log", WEB, "--sent-by", "carrier-pigeon"], 2);
    expect(sentBy.stderr).toContain('unknown channel "carrier-pigeon"');
    expect(sentBy.stderr).toContain("web-form");
  });

  it("a malformed date (2026-13-01, 01/02/2026) or one in the future: exit 2", async () => {
    for (const [date, message] of [
      ["2026-13-01", "--date 2026-13-01 is not a day: there is no month 13"],
      ["01/02/2026", '--date must be a date written YYYY-MM-DD, not "01/02/2026"'],
      ["2026-02-30", "--date 2026-02-30 is not a day: February 2026 has 28 days"],
    ] as const) {
      const { result } = await refused(["log", NGO, "--outcome", "acknowledged", "--date", date], 2);
      expect(result.stderr).toContain(message);
    }
    const { result } = await refused(["log", NGO, "--outcome", "acknowledged", "--date", "2026-02-02"], 2);
    expect(result.stderr).toContain("2026-02-02 is in the future (today is 2026-02-01)");
  });

  it("an answer to a letter never sent: exit 1 with a hint naming --force and --sent-by; --force records it", async () => {
    const { folder, result } = await refused(["log", WEB, "--outcome", "acknowledged"], 1);
    expect(result.stderr).toContain(`no letter to "${WEB}" in first-appeal was sent`);
    expect(result.stderr).toContain("--force");
    expect(result.stderr).toContain(`outreach log ${WEB} --sent-by web-form`);

    const forced = await cli(folder, "2026-02-01T12:00:00Z", [
      "log",
      WEB,
      "--outcome",
      "acknowledged",
      "--force",
    ]);
    expect(forced.exitCode).toBe(0);
    expect(journal(folder).at(-1)).toMatchObject({
      type: "response",
      recipient: WEB,
      outcome: "acknowledged",
    });
    const rows = await json(folder, "2026-02-01T12:00:00Z", ["export", "--format", "json"]);
    expect(rows.find((row) => row.id === WEB)).toMatchObject({
      status: "responded",
      outcome: "acknowledged",
    });
  });

  it("an .eml that is not a message (a PNG, a plain 'hello'): exit 1 with a clear message", async () => {
    const dir = tempFolder("outreach-not-mail-");
    const png = join(dir, "screenshot.eml");
    writeFileSync(
      png,
      Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        Buffer.from("\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0", "latin1"),
      ]),
    );
    const hello = join(dir, "hello.eml");
    writeFileSync(hello, "hello\n");
    for (const file of [png, hello]) {
      const { result } = await refused(["log", NGO, "--from-eml", file, "--outcome", "acknowledged"], 1);
      expect(result.stderr).toContain("is not an email message");
      expect(result.stderr).toContain("save the reply from your mail client as .eml");
    }
  });

  it("no --outcome and no terminal to ask on: exit 2, naming --outcome", async () => {
    const { result } = await refused(["log", NGO], 2);
    expect(result.stderr).toContain("say what the answer was with --outcome");
    expect(result.stderr).toContain("acknowledged");
  });

  it("--sent-by for a recipient whose letter already went: an error", async () => {
    const { result } = await refused(["log", NGO, "--sent-by", "web-form", "--date", "2026-02-01"], 1);
    expect(result.stderr).toContain(`the letter to "${NGO}" was already sent on 2026-02-01 (email)`);
  });
});

describe("followup: refusals and nothing due", () => {
  it("a campaign without followup.template: a clear error, nothing sent, nothing written", async () => {
    const folder = await copyOfSentCampaign();
    const withoutTemplate = starterConfig.replace(/^\s+template: followup\b.*\n/m, "");
    expect(withoutTemplate).not.toBe(starterConfig);
    writeFileSync(join(folder, "outreach.yaml"), withoutTemplate);
    const before = journalBytes(folder);
    const server = await sink();
    const result = await cli(folder, "2026-02-20", ["followup", "--yes"], server);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("campaign first-appeal has no follow-up letter");
    expect(result.stderr).toContain("template: followup");
    expect(server.received).toHaveLength(0);
    expect(journalBytes(folder)).toEqual(before);
  });

  it("nothing due yet: says so and when, exit 0, nothing sent or written", async () => {
    const folder = await copyOfSentCampaign();
    const before = journalBytes(folder);
    const server = await sink();
    const result = await cli(folder, "2026-02-10", ["followup", "--yes"], server);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain(
      `No follow-up is due yet. Next: ${UN} on 2026-02-15, ${NGO} on 2026-02-15`,
    );
    expect(result.stderr).toContain("Nothing to send.");
    expect(server.received).toHaveLength(0);
    expect(server.recipients).toHaveLength(0);
    expect(journalBytes(folder)).toEqual(before);
  });
});

describe("never chase", () => {
  const extraRecipients = `- id: refusing-office
  organisation: Office whose server refuses us
  type: un
  salutation: "Dear Sir or Madam,"
  contacts:
    - email: gone@un.example.org
  custom: { mandate: your mandate }
- id: bouncing-office
  organisation: Office whose mailbox bounced later
  type: ngo
  salutation: "Dear Sir or Madam,"
  contacts:
    - email: old@ngo.example.com
  custom: { mandate: your mandate }
- id: silent-office
  organisation: Office that never answers
  type: ngo
  salutation: "Dear Sir or Madam,"
  contacts:
    - email: silent@ngo.example.com
  custom: { mandate: your mandate }
`;

  it("skips the answered, the closed, the refused and the bounced even when overdue; --dry-run sends nothing", async () => {
    const server = await sink({
      onRcpt: (address) =>
        address === "gone@un.example.org" ? { code: 550, message: "5.1.1 No such user" } : undefined,
    });
    const { folder, sent } = await sentCampaign({ "recipients/more.yaml": extraRecipients }, server);
    expect(sent.exitCode).toBe(1);
    expect(sent.stdout).toContain("refusing-office: 550 5.1.1 No such user");
    expect(server.received.map((message) => message.to[0]).sort()).toEqual([
      NGO_ADDRESS,
      "old@ngo.example.com",
      "silent@ngo.example.com",
      UN_ADDRESS,
    ]);
    for (const [id, outcome] of [
      [UN, "acknowledged"],
      [NGO, "closed"],
      ["bouncing-office", "bounced"],
    ] as const) {
      const logged = await cli(folder, "2026-02-03", [
        "log",
        id,
        "--outcome",
        outcome,
        "--date",
        "2026-02-02",
      ]);
      expect(logged.exitCode).toBe(0);
    }
    const received = server.received.length;
    const later = "2026-03-01"; // 28 days after the appeal: everyone unanswered is overdue

    const rows = await json(folder, later, ["export", "--format", "json"]);
    expect(Object.fromEntries(rows.map((row) => [row.id, row.status]))).toEqual({
      [UN]: "responded",
      [NGO]: "closed",
      [WEB]: "not-sent",
      "refusing-office": "failed",
      "bouncing-office": "bounced",
      "silent-office": "waiting",
    });
    const outstanding = await json(folder, later, ["outstanding", "--overdue", "--json"]);
    expect(outstanding.map((row) => row.id)).toEqual(["silent-office"]);

    const before = journalBytes(folder);
    const dry = await cli(folder, later, ["followup", "--dry-run"], server);
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout.trim().split("\n")).toEqual([
      'would send  silent-office  → silent@ngo.example.com  "Re: Appeal: Office that never answers, please act now"',
    ]);
    expect(dry.stderr).toContain("Dry run: nothing was sent and nothing was recorded.");
    expect(server.received).toHaveLength(received);
    expect(journalBytes(folder)).toEqual(before);

    const real = await cli(folder, later, ["followup", "--yes"], server);
    expect(real.exitCode).toBe(0);
    expect(server.received.slice(received).map((message) => message.to)).toEqual([
      ["silent@ngo.example.com"],
    ]);
    const followups = journal(folder).filter((event) => event.type === "attempt" && event.stage);
    expect(followups.map((event) => event.recipient)).toEqual(["silent-office"]);
  });
});

describe("follow-up limits", () => {
  it("after followup.max (2) follow-ups, a third run sends nothing and outstanding says no more", async () => {
    const { folder, server } = await sentCampaign();
    const ids = () => ({
      un: ourMessageId(folder, UN),
      first: ourMessageId(folder, UN, "followup-1"),
    });

    const first = await cli(folder, "2026-02-16", ["followup", "--yes"], server);
    expect(first.exitCode).toBe(0);
    expect(server.received).toHaveLength(4);
    // The French recipient's follow-up is in French, to the addresses its appeal went to (cc included).
    const toNgo = server.received.slice(2).find((message) => message.to[0] === NGO_ADDRESS);
    expect(toNgo?.to).toEqual([NGO_ADDRESS, NGO_CC]);
    const ngoFollowup = await parse(toNgo as NonNullable<typeof toNgo>);
    expect(ngoFollowup.subject).toBe("Re: Appel : Example Human Rights Association, agissez maintenant");
    expect(ngoFollowup.text).toContain("Nous n'avons pas encore reçu de réponse");
    expect(ngoFollowup.inReplyTo).toBe(ourMessageId(folder, NGO));
    const second = await cli(folder, "2026-03-03", ["followup", "--yes"], server);
    expect(second.exitCode).toBe(0);
    expect(server.received).toHaveLength(6);

    // The second follow-up answers the first, and its References carry the whole thread.
    const secondToUn = server.received.slice(4).find((message) => message.to[0] === UN_ADDRESS);
    const parsed = await parse(secondToUn as NonNullable<typeof secondToUn>);
    const thread = ids();
    expect(parsed.inReplyTo).toBe(thread.first);
    expect(parsed.references?.split(/\s+/)).toEqual([thread.un, thread.first]);
    expect(parsed.subject).toBe("Re: Appeal: UN Special Rapporteur on an example mandate, please act now");

    const third = await cli(folder, "2026-03-18", ["followup", "--yes"], server);
    expect(third.exitCode).toBe(0);
    expect(third.stderr).toContain("(all 2 follow-ups sent)");
    expect(third.stderr).toContain("Nothing to send.");
    expect(server.received).toHaveLength(6);

    const rows = await json(folder, "2026-03-18", ["outstanding", "--json"]);
    expect(rows.map((row) => [row.id, row.followups_sent, row.overdue, row.next_followup_due])).toEqual([
      [NGO, 2, true, null],
      [UN, 2, true, null],
    ]);
    const table = await cli(folder, "2026-03-18", ["outstanding"]);
    expect(table.exitCode).toBe(0);
    const unLine = table.stdout.split("\n").find((line) => line.startsWith(UN));
    expect(unLine).toMatch(/\b2\s+no more\b/);
  });
});

describe("outstanding and history", () => {
  it("outstanding --overdue, --type, --tag and --csv filter and format the waiting contacts", async () => {
    const folder = await copyOfSentCampaign();
    const handed = await cli(folder, "2026-02-10", [
      "log",
      WEB,
      "--sent-by",
      "web-form",
      "--date",
      "2026-02-10",
    ]);
    expect(handed.exitCode).toBe(0);
    const now = "2026-02-20"; // the emailed appeals are 19 days old (overdue), the web-form one 10

    const all = await json(folder, now, ["outstanding", "--json"]);
    expect(all.map((row) => [row.id, row.days_waiting, row.overdue])).toEqual([
      [NGO, 19, true],
      [UN, 19, true],
      [WEB, 10, false],
    ]);
    const overdue = await json(folder, now, ["outstanding", "--overdue", "--json"]);
    expect(overdue.map((row) => row.id)).toEqual([NGO, UN]);
    expect((await json(folder, now, ["outstanding", "--type", "un", "--json"])).map((row) => row.id)).toEqual(
      [UN],
    );
    expect(
      (await json(folder, now, ["outstanding", "--type", "ngo", "--json"])).map((row) => row.id),
    ).toEqual([NGO, WEB]);
    expect(
      (await json(folder, now, ["outstanding", "--type", "ngo", "--overdue", "--json"])).map((row) => row.id),
    ).toEqual([NGO]);
    expect(
      (await json(folder, now, ["outstanding", "--tag", "geneva", "--json"])).map((row) => row.id),
    ).toEqual([UN]);
    // No recipient in the folder is an embassy: a typo or a wrong folder, never "no one is waiting".
    const unknown = await cli(folder, now, ["outstanding", "--type", "embassy", "--json"]);
    expect([unknown.exitCode, unknown.stdout]).toEqual([2, ""]);
    expect(unknown.stderr).toContain('no recipient has the type "embassy" (--type)');

    const csv = await cli(folder, now, ["outstanding", "--csv"]);
    expect(csv.exitCode).toBe(0);
    const lines = csv.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(
      "campaign,id,organisation,type,channel,sent_on,days_waiting,overdue,followups_sent,next_followup_due,follow_up_problem,delivery,not_reached,state,not_chased",
    );
    expect(lines.slice(1)).toHaveLength(3);
    expect(lines[3]).toMatch(
      new RegExp(`^first-appeal,${WEB},Example Ombudsman \\(web form only\\),ngo,web-form,2026-02-10,10,`),
    );
    expect(lines[3]).toMatch(/,no,0,2026-02-24,,complete,,waiting,no$/);

    const table = await cli(folder, "2026-02-05", ["outstanding", "--overdue"]);
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toBe("No one is overdue.");
  });

  it("history --json lists the appeal, the follow-up and the answers in date order", async () => {
    const folder = await copyOfSentCampaign();
    const server = await sink();
    // An auto-reply of 3 February, logged only on the 20th, before the follow-up goes out that day.
    const autoReply = await cli(folder, "2026-02-20T08:00:00Z", [
      "log",
      UN,
      "--outcome",
      "auto-reply",
      "--date",
      "2026-02-03",
    ]);
    expect(autoReply.exitCode).toBe(0);
    const chased = await cli(folder, "2026-02-20", ["followup", "--yes", UN], server);
    expect(chased.exitCode).toBe(0);
    expect(server.received.map((message) => message.to[0])).toEqual([UN_ADDRESS]);
    const answered = await cli(folder, "2026-02-25", [
      "log",
      UN,
      "--outcome",
      "forwarded",
      "--date",
      "2026-02-22",
      "--channel",
      "letter",
      "--note",
      "sent on to the Geneva office",
    ]);
    expect(answered.exitCode).toBe(0);

    const items = await json(folder, "2026-02-25", ["history", UN, "--json"]);
    expect(items.map((item) => [item.date, item.kind, item.stage])).toEqual([
      ["2026-02-01", "sent", null],
      ["2026-02-03", "response", null],
      ["2026-02-20", "sent", "followup-1"],
      ["2026-02-22", "response", null],
    ]);
    expect(items.map((item) => item.summary)).toEqual([
      expect.stringContaining(`appeal sent by email to ${UN_ADDRESS}`),
      "answer: auto-reply by email",
      expect.stringContaining(`follow-up 1 sent by email to ${UN_ADDRESS}`),
      "answer: forwarded by letter — sent on to the Geneva office",
    ]);
    const text = await cli(folder, "2026-02-25", ["history", UN]);
    expect(text.stdout.split("\n").filter((line) => /^\d{4}-/.test(line))).toHaveLength(4);
  });
});

describe("letters delivered by another channel", () => {
  it("a web-form delivery is outstanding with channel web-form and listed, not emailed, by followup", async () => {
    const { folder, server } = await sentCampaign();
    const before = await json(folder, SENT_AT, ["outstanding", "--json"]);
    expect(before.map((row) => row.id)).not.toContain(WEB);

    const handed = await cli(folder, "2026-02-01", [
      "log",
      WEB,
      "--sent-by",
      "web-form",
      "--date",
      "2026-02-01",
    ]);
    expect(handed.exitCode).toBe(0);
    expect(handed.stdout).toContain(`Recorded: the letter to ${WEB} went by web-form on 2026-02-01.`);
    expect(journal(folder).at(-1)).toMatchObject({ type: "delivered", recipient: WEB, channel: "web-form" });

    const rows = await json(folder, "2026-02-05", ["outstanding", "--json"]);
    expect(rows.find((row) => row.id === WEB)).toMatchObject({
      channel: "web-form",
      sent_on: "2026-02-01",
      days_waiting: 4,
      followups_sent: 0,
      next_followup_due: "2026-02-15",
    });

    const received = server.received.length;
    const chased = await cli(folder, "2026-02-20", ["followup", "--yes"], server);
    expect(chased.exitCode).toBe(0);
    expect(
      server.received
        .slice(received)
        .map((message) => message.to[0])
        .sort(),
    ).toEqual([NGO_ADDRESS, UN_ADDRESS]);
    expect(chased.stdout).toContain("Need another channel: 1");
    expect(chased.stdout).toContain(`${WEB}: follow-up due, but the letter went by web-form`);
    expect(journal(folder).filter((event) => event.recipient === WEB && event.type === "attempt")).toEqual(
      [],
    );
  });

  it("a recipient logged --sent-by email is not emailed by a later send", async () => {
    const server = await sink();
    const folder = campaignFolder();
    const handed = await cli(folder, "2026-01-30", ["log", UN, "--sent-by", "email", "--date", "2026-01-30"]);
    expect(handed.exitCode).toBe(0);
    const sent = await cli(folder, SENT_AT, ["send", "--yes"], server);
    expect(sent.exitCode).toBe(0);
    expect(sent.stderr).toContain("Campaign first-appeal: 1 letter to send");
    expect(sent.stderr).toContain("1 letter already sent");
    expect(server.received.map((message) => message.to)).toEqual([[NGO_ADDRESS, NGO_CC]]);
    expect(server.recipients).not.toContain(UN_ADDRESS);
    const rows = await json(folder, "2026-02-02", ["outstanding", "--json"]);
    expect(rows.find((row) => row.id === UN)).toMatchObject({ channel: "email", sent_on: "2026-01-30" });
  });

  it("a follow-up due for a letter the user emailed by hand gets a hint that is a command that works", async () => {
    const server = await sink();
    const folder = campaignFolder();
    await cli(folder, "2026-01-30", ["log", UN, "--sent-by", "email", "--date", "2026-01-30"]);
    await cli(folder, SENT_AT, ["send", "--yes"], server);
    const received = server.received.length;
    const chased = await cli(folder, "2026-02-20", ["followup", "--yes"], server);
    expect(chased.exitCode).toBe(0);
    // Without our Message-ID the follow-up cannot be threaded, so it is listed for the user to send.
    expect(server.received.slice(received).map((message) => message.to[0])).toEqual([NGO_ADDRESS]);
    expect(chased.stdout).toContain(`${UN}: follow-up due`);
    const hint = new RegExp(`then outreach log (${UN} --sent-by .*? --followup)`).exec(chased.stdout);
    expect(hint?.[1]).toBe(`${UN} --sent-by email --followup`);
    const handed = await cli(folder, "2026-02-20", [
      "log",
      ...(hint?.[1] ?? "").split(" "),
      "--date",
      "2026-02-20",
    ]);
    expect(handed.stderr).toBe("");
    expect(handed.exitCode).toBe(0);
    const rows = await json(folder, "2026-02-21", ["outstanding", "--json"]);
    expect(rows.find((row) => row.id === UN)).toMatchObject({ channel: "email", followups_sent: 1 });
  });

  it("followup does not say no follow-up is due while it lists one due by another channel", async () => {
    const folder = await copyOfSentCampaign();
    await cli(folder, "2026-01-25", ["log", WEB, "--sent-by", "web-form", "--date", "2026-01-25"]);
    const server = await sink();
    const result = await cli(folder, "2026-02-10", ["followup", "--dry-run"], server);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain(`${WEB}: follow-up due, but the letter went by web-form`);
    expect(result.stderr).not.toContain("No follow-up is due yet");
    expect(result.stderr).toContain(`${UN} on 2026-02-15`);
    expect(server.received).toHaveLength(0);
  });

  it("a follow-up due by another channel is recorded by running the command followup prints", async () => {
    const { folder, server } = await sentCampaign();
    await cli(folder, "2026-02-01", ["log", WEB, "--sent-by", "web-form", "--date", "2026-02-01"]);
    const chased = await cli(folder, "2026-02-20", ["followup", "--yes"], server);
    const hint = new RegExp(`then outreach log (${WEB} --sent-by \\S+ --followup)`).exec(chased.stdout);
    expect(hint?.[1]).toBe(`${WEB} --sent-by web-form --followup`);
    const handed = await cli(folder, "2026-02-20", [
      "log",
      ...(hint?.[1] ?? "").split(" "),
      "--date",
      "2026-02-20",
    ]);
    expect(handed.stderr).toBe("");
    expect(handed.exitCode).toBe(0);
    expect(handed.stdout).toContain(`Recorded: the follow-up 1 to ${WEB} went by web-form on 2026-02-20.`);
    expect(journal(folder).at(-1)).toMatchObject({
      type: "delivered",
      recipient: WEB,
      channel: "web-form",
      stage: "followup-1",
      date: "2026-02-20",
    });
    const rows = await json(folder, "2026-02-21", ["outstanding", "--json"]);
    expect(rows.find((row) => row.id === WEB)).toMatchObject({
      channel: "web-form",
      sent_on: "2026-02-01",
      followups_sent: 1,
      overdue: false,
      next_followup_due: "2026-03-06",
    });
    const again = await cli(folder, "2026-02-21", ["followup", "--yes"], server);
    expect(again.stderr).toContain(`${WEB} on 2026-03-06`);
    expect(again.stdout).not.toContain(WEB);
  });
});
