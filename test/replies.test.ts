// The pure rules that `inbox` and `log --from-eml` share: what a message is, which letter it answers.
import { describe, expect, it } from "vitest";
import { deriveIntake, receive } from "../src/core/intake.js";
import {
  bounceFailures,
  classify,
  type LetterIndex,
  type MessageFacts,
  matchMessage,
  normaliseSubject,
  quotedMessageIds,
  replyText,
  writtenDay,
} from "../src/core/replies.js";

const facts = (extra: Partial<MessageFacts> = {}): MessageFacts => ({
  inReplyTo: [],
  references: [],
  headers: {},
  ...extra,
});

const letter = { campaign: "c", recipient: "ohchr", stage: "appeal", messageId: "<a1@example.org>" };
const index: LetterIndex = {
  byMessageId: new Map([
    ["<a1@example.org>", letter],
    ["0102abc", { ...letter, messageId: "<a1@example.org>" }],
  ]),
  byAddress: new Map([
    ["info@ohchr.example.org", [{ campaign: "c", recipient: "ohchr" }]],
    [
      "shared@example.net",
      [
        { campaign: "c", recipient: "a" },
        { campaign: "c", recipient: "b" },
      ],
    ],
  ]),
  subjects: new Set(["appeal: act now"]),
  domains: new Set(["example.org"]),
};

describe("classify", () => {
  it.each([
    ["Auto-Submitted: auto-replied", { "auto-submitted": "auto-replied" }, "Re: Appeal"],
    ["X-Autoreply", { "x-autoreply": "yes" }, "Re: Appeal"],
    ["X-Autorespond", { "x-autorespond": "" }, "Re: Appeal"],
    ["Precedence: auto_reply", { precedence: "auto_reply" }, "Re: Appeal"],
    ["an English subject", {}, "Out of Office: back on Monday"],
    ["a French subject", {}, "Réponse automatique : absence du bureau"],
    ["a German subject", {}, "Abwesenheitsnotiz: Re: Appeal"],
    ["a Russian subject", {}, "Автоматический ответ: Обращение"],
    ["a Spanish subject", {}, "Respuesta automática: fuera de la oficina"],
  ])("an automatic reply by %s", (_what, headers, subject) => {
    expect(classify(facts({ headers, subject }))).toBe("auto-reply");
  });

  it("Auto-Submitted: no is a person", () => {
    expect(classify(facts({ headers: { "auto-submitted": "no" }, subject: "Re: Appeal" }))).toBe("answer");
  });

  it("a delivery status notification and a mailer-daemon's plain report are bounces", () => {
    expect(
      classify(
        facts({ headers: { "content-type": "multipart/report; report-type=delivery-status; boundary=x" } }),
      ),
    ).toBe("bounce");
    expect(
      classify(
        facts({
          fromAddress: "mailer-daemon@mx.example.net",
          subject: "Mail delivery failed: returning message to sender",
        }),
      ),
    ).toBe("bounce");
    // A person writing from a postmaster address about something else is not a bounce.
    expect(classify(facts({ fromAddress: "postmaster@example.net", subject: "Hello" }))).toBe("answer");
  });
});

describe("bounceFailures", () => {
  it("reads each recipient's Action and Status from the delivery-status fields", () => {
    const report = [
      "Reporting-MTA: dns; mx.example.net",
      "",
      "Final-Recipient: rfc822; a@example.net",
      "Action: failed",
      "Status: 5.1.1",
      "",
      "Final-Recipient: rfc822; b@example.net",
      "Action: delayed",
      "Status: 4.4.1",
    ].join("\r\n");
    expect(bounceFailures(facts(), report, new Set())).toEqual([
      { address: "a@example.net", status: "5.1.1", action: "failed" },
      { address: "b@example.net", status: "4.4.1", action: "delayed" },
    ]);
  });

  it("finds a known address and its status in a non-standard report", () => {
    const text =
      "This message was created automatically.\n\n  a@example.net\n    SMTP error from remote mail server after RCPT TO:<a@example.net>:\n    550 5.1.1 User unknown\n";
    expect(bounceFailures(facts(), text, new Set(["a@example.net", "c@example.net"]))).toEqual([
      { address: "a@example.net", status: "5.1.1", action: "failed" },
    ]);
  });
});

/** The common non-standard bounce forms, as their MTAs write them, each returning our letter <a1@example.org>. */
const NON_STANDARD_BOUNCES = [
  {
    form: "qmail",
    fromAddress: "mailer-daemon@mx.example.net",
    subject: "failure notice",
    headers: {},
    text: [
      "Hi. This is the qmail-send program at mx.example.net.",
      "I'm afraid I wasn't able to deliver your message to the following addresses.",
      "This is a permanent error; I've given up. Sorry it didn't work out.",
      "",
      "<info@ohchr.example.org>:",
      "192.0.2.7 does not like recipient.",
      "Remote host said: 550 5.1.1 <info@ohchr.example.org>... User unknown",
      "Giving up on 192.0.2.7.",
      "",
      "--- Below this line is a copy of the message.",
      "",
      "Message-ID: <a1@example.org>",
      "Subject: Appeal",
    ],
    status: "5.1.1",
  },
  {
    form: "Exim",
    fromAddress: "mailer-daemon@mx.example.net",
    fromName: "Mail Delivery System",
    subject: "Mail delivery failed: returning message to sender",
    headers: { "x-failed-recipients": "info@ohchr.example.org" },
    text: [
      "This message was created automatically by mail delivery software.",
      "",
      "A message that you sent could not be delivered to one or more of its",
      "recipients. This is a permanent error. The following address(es) failed:",
      "",
      "  info@ohchr.example.org",
      "    host mx.ohchr.example.org [192.0.2.8]",
      "    SMTP error from remote mail server after RCPT TO:<info@ohchr.example.org>:",
      "    550 5.1.1 No such user",
      "",
      "------ This is a copy of the message, including all the headers. ------",
      "Message-ID: <a1@example.org>",
    ],
    status: "5.1.1",
  },
  {
    form: "Postfix without a report-type",
    fromAddress: "mailer-daemon@mx.example.net",
    fromName: "Mail Delivery System",
    subject: "Undelivered Mail Returned to Sender",
    headers: { "content-type": 'multipart/mixed; boundary="B"' },
    text: [
      "This is the mail system at host mx.example.net.",
      "",
      "I'm sorry to have to inform you that your message could not",
      "be delivered to one or more recipients.",
      "",
      "<info@ohchr.example.org>: host mx.ohchr.example.org[192.0.2.8] said: 550 5.1.1",
      "    <info@ohchr.example.org>: Recipient address rejected: User unknown",
      "",
      "--B",
      "Content-Type: message/rfc822",
      "",
      "Message-ID: <a1@example.org>",
    ],
    status: "5.1.1",
  },
  {
    form: "a Microsoft (Exchange Online) NDR",
    fromAddress: "postmaster@ohchr.example.org",
    fromName: "Microsoft Outlook",
    subject: "Undeliverable: Appeal",
    headers: { "content-type": 'multipart/mixed; boundary="NDR"' },
    text: [
      "Your message to info@ohchr.example.org couldn't be delivered.",
      "info wasn't found at ohchr.example.org.",
      "",
      "Diagnostic information for administrators:",
      "Generating server: AM0PR01MB1234.eurprd01.prod.example.com",
      "info@ohchr.example.org",
      "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'",
      "",
      "Original message headers:",
      "Message-ID: <a1@example.org>",
    ],
    status: "5.1.10",
  },
];

describe("non-standard bounces", () => {
  it.each(NON_STANDARD_BOUNCES)(
    "$form: a bounce of the failed address, matched by the Message-ID it quotes",
    (bounce) => {
      const message = facts({
        fromAddress: bounce.fromAddress,
        ...(bounce.fromName ? { fromName: bounce.fromName } : {}),
        subject: bounce.subject,
        headers: bounce.headers,
      });
      const text = bounce.text.join("\r\n");
      expect(classify(message)).toBe("bounce");
      const failures = bounceFailures(message, text, new Set(index.byAddress.keys()));
      expect(failures).toEqual([
        { address: "info@ohchr.example.org", status: bounce.status, action: "failed" },
      ]);
      const quoted = quotedMessageIds(text, undefined);
      expect(matchMessage(message, index, { quotedIds: quoted })).toEqual({ kind: "reply", letter });
      // Without our Message-ID, the failed address alone makes it probable, never certain.
      expect(matchMessage(message, index, { failedAddresses: ["info@ohchr.example.org"] })).toEqual({
        kind: "probable",
        campaign: "c",
        recipient: "ohchr",
      });
    },
  );
});

describe("matchMessage", () => {
  it("In-Reply-To first, then References, and a relay's own id", () => {
    expect(matchMessage(facts({ inReplyTo: ["<a1@example.org>"] }), index)).toEqual({
      kind: "reply",
      letter,
    });
    expect(matchMessage(facts({ references: ["<a1@example.org>", "<other@x>"] }), index).kind).toBe("reply");
    expect(matchMessage(facts({ inReplyTo: ["<0102abc@eu-west-1.amazonses.com>"] }), index).kind).toBe(
      "reply",
    );
  });

  it("a known contact of exactly one recipient is probable; a shared or unknown address is unmatched", () => {
    expect(matchMessage(facts({ fromAddress: "info@ohchr.example.org" }), index)).toEqual({
      kind: "probable",
      campaign: "c",
      recipient: "ohchr",
    });
    expect(matchMessage(facts({ fromAddress: "shared@example.net" }), index).kind).toBe("unmatched");
    expect(matchMessage(facts({ fromAddress: "x@y.example" }), index).kind).toBe("unmatched");
  });
});

describe("receive", () => {
  const addresses = () => ["a@example.net", "b@example.net"];
  const none = () => new Set<string>();
  const reply = { kind: "reply" as const, letter };
  it("records a bounced recipient only when none of the letter's addresses is left", () => {
    const one = [{ address: "a@example.net", status: "5.1.1", action: "failed" as const }];
    expect(receive("bounce", reply, one, addresses, none).outcome).toBeUndefined();
    expect(receive("bounce", reply, one, addresses, () => new Set(["b@example.net"])).outcome).toBe(
      "bounced",
    );
  });
  it("a delay is noted, never final; an auto-reply to a letter is recorded; a probable one is not", () => {
    const delayed = [{ address: "a@example.net", status: "4.4.1", action: "delayed" as const }];
    expect(receive("bounce", reply, delayed, addresses, none)).toMatchObject({
      note: expect.stringMatching(/^delayed/),
    });
    expect(receive("auto-reply", reply, [], addresses, none).outcome).toBe("auto-reply");
    expect(
      receive("auto-reply", { kind: "probable", campaign: "c", recipient: "ohchr" }, [], addresses, none)
        .outcome,
    ).toBeUndefined();
  });
});

describe("deriveIntake", () => {
  const event = (id: string, extra: object = {}) => ({
    v: 1,
    id,
    at: `2026-02-0${id.length}T00:00:00Z`,
    type: "received" as const,
    campaign: "c",
    recipient: "ohchr",
    message_id: "<r@x>",
    kind: "answer" as const,
    match: "reply" as const,
    ...extra,
  });
  it("one message seen by two clones is one answer, and a logged response takes it off the queue", () => {
    const intake = deriveIntake([event("e1"), event("e22")], [], new Map());
    expect(intake.queue).toHaveLength(1);
    const answered = deriveIntake(
      [event("e1"), event("e22")],
      [],
      new Map([["c\u0000ohchr", [{ message_id: "<r@x>" } as never]]]),
    );
    expect(answered.queue).toHaveLength(0);
  });
  it("of two clones' records of one message, the surer wins whatever their order: naming our letter over probable over unmatched", () => {
    const probable = event("e1", { kind: "bounce", match: "probable" });
    const reply = event("e22", { kind: "bounce", match: "reply", failures: [] });
    const stranger = event("e333", { campaign: "", recipient: "", match: "unmatched" });
    for (const order of [
      [probable, reply, stranger],
      [stranger, reply, probable],
      [reply, stranger, probable],
    ]) {
      expect(deriveIntake(order, [], new Map()).messages.get("<r@x>")?.match).toBe("reply");
    }
    expect(deriveIntake([stranger, probable], [], new Map()).messages.get("<r@x>")?.match).toBe("probable");
  });
  it("a dismissed message leaves the holding pen; an assigned one joins the queue", () => {
    const stranger = event("e1", { campaign: "", recipient: "", match: "unmatched" });
    expect(deriveIntake([stranger], [], new Map()).holdingPen).toHaveLength(1);
    const triage = {
      v: 1,
      id: "t",
      at: "2026-02-09T00:00:00Z",
      type: "triaged" as const,
      message_id: "<r@x>",
    };
    expect(
      deriveIntake([stranger], [{ ...triage, action: "dismiss", campaign: "", recipient: "" }], new Map())
        .holdingPen,
    ).toHaveLength(0);
    const assigned = deriveIntake(
      [stranger],
      [{ ...triage, action: "assign", campaign: "c", recipient: "ohchr" }],
      new Map(),
    );
    expect(assigned.queue.map((item) => [item.recipient, item.match])).toEqual([["ohchr", "assigned"]]);
  });
});

describe("text rules", () => {
  it("strips reply prefixes in several languages from a subject", () => {
    expect(normaliseSubject("RE: AW: Fwd: [EXT] Appeal: act now")).toBe("appeal: act now");
  });
  it("keeps the reply's own words, without the quoted original", () => {
    expect(replyText("Thank you.\n\nOn Mon, 2 Feb 2026 at 10:00, A <a@x> wrote:\n> Dear…\n> more")).toBe(
      "Thank you.",
    );
    expect(replyText("Merci.\n> cité\nFin.")).toBe("Merci.\nFin.");
  });
  it("reads the day as the sender wrote it", () => {
    expect(writtenDay("Thu, 5 Feb 2026 23:30:00 -0500")).toBe("2026-02-05");
  });
});
