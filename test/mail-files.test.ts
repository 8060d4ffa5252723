// The files outreach writes are standard mail, read by real readers: the .eml files of the outbox and of
// `preview --out`, what reaches the SMTP server, and the sent mailbox, checked with Python's email and
// mailbox modules (the system python3) and with `git mailsplit`.
import { existsSync, mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { sinkPerTest } from "./smtp-sink.js";
import { campaignFolder, run, STARTER } from "./support.js";

const sink = sinkPerTest();
const PYTHON = "/usr/bin/python3";
const starterConfig = readFileSync(join(STARTER, "outreach.yaml"), "utf8");

const CYRILLIC_CSV = "дата,событие\n2012-07-24,Операция в Хороге\n2012-07-25,Обращение граждан\n";
const BINARY = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x0a, 0x00, 0x0d, 0xff, 0x0a]);

/**
 * The starter campaign with every kind of body: an English letter in 7-bit text with lines starting
 * "From " and ">From ", a French one in quoted-printable, a Russian one (base64), an HTML part, a Cyrillic
 * subject, a UTF-8 CSV with LF lines and a binary file as attachments.
 */
function richCampaign(extra: Record<string, string | Buffer | null> = {}): string {
  return campaignFolder({
    "outreach.yaml": starterConfig
      .replace(
        'en: "Appeal: {{recipient.organisation}}, please act now"',
        'en: "Обращение: {{recipient.organisation}}"',
      )
      .replace(
        "attachments: [attachments/appeal-summary.txt]",
        "attachments: [attachments/appeal-summary.txt, attachments/хроника.csv, attachments/photo.png]",
      ),
    "attachments/хроника.csv": CYRILLIC_CSV,
    "attachments/photo.png": BINARY,
    "templates/letter.txt.hbs": [
      "{{recipient.salutation}}",
      "",
      "From the citizens of Khorog, who write to {{recipient.organisation}}.",
      ">From our letter of 24 July.",
      "",
      "{{sender.name}}",
      "",
    ].join("\n"),
    "templates/letter.html.hbs": "<p>{{recipient.salutation}}</p>\n<p>From Khorog, with urgency.</p>\n",
    "templates/letter.ru.txt.hbs":
      "{{recipient.salutation}}\n\nМы пишем вам о силовой операции в Хороге.\nFrom Хорог.\n\n{{sender.name}}\n",
    "recipients/ru.yaml": [
      "- id: ru-ngo",
      "  organisation: Правозащитный центр",
      "  type: ngo",
      "  language: ru",
      '  salutation: "Уважаемые коллеги,"',
      "  contacts:",
      "    - email: info@ru.example.org",
      "",
    ].join("\n"),
    ...extra,
  });
}

const LETTERS = ["example-ngo", "ru-ngo", "un-special-rapporteur"];

/** Counts line ends that are not CRLF: a bare LF, or a CR not followed by LF. */
function bareLineEnds(bytes: Buffer): number {
  const text = bytes.toString("latin1");
  return (text.match(/(?<!\r)\n/g)?.length ?? 0) + (text.match(/\r(?!\n)/g)?.length ?? 0);
}

interface ParsedMessage {
  headers: string[];
  messageId: string;
  subject: string;
  text: string;
  attachments: {
    filename: string;
    type: string;
    charset: string | null;
    text: string | null;
    bytes: string;
  }[];
  defects: string[];
}

/** Python's email parser (policy.default), as a mail client reads the message. */
const PARSE_MESSAGE = `
import email, json
from email import policy
def describe(msg):
    body = msg.get_body(preferencelist=("plain",))
    return {
        "headers": list(msg.keys()),
        "messageId": str(msg["Message-ID"]),
        "subject": str(msg["Subject"]),
        "text": body.get_content() if body is not None else "",
        "attachments": [
            {
                "filename": part.get_filename(),
                "type": part.get_content_type(),
                "charset": part.get_content_charset(),
                "text": part.get_content() if part.get_content_maintype() == "text" else None,
                "bytes": part.get_payload(decode=True).hex(),
            }
            for part in msg.iter_attachments()
        ],
        "defects": [type(defect).__name__ for part in msg.walk() for defect in part.defects],
    }
`;

async function python(script: string, args: string[]): Promise<unknown> {
  const result = await execa(PYTHON, ["-c", script, ...args]);
  return JSON.parse(result.stdout);
}

async function parseEml(path: string): Promise<ParsedMessage> {
  return (await python(
    `${PARSE_MESSAGE}\nimport sys\nprint(json.dumps(describe(email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default))))`,
    [path],
  )) as ParsedMessage;
}

/** Every message of an mbox as Python's mailbox module reads it, with its From_ line. */
async function readMbox(path: string): Promise<(ParsedMessage & { fromLine: string })[]> {
  return (await python(
    `${PARSE_MESSAGE}
import mailbox, sys
box = mailbox.mbox(sys.argv[1], create=False)
out = []
for key in box.keys():
    entry = describe(email.message_from_bytes(box.get_bytes(key), policy=policy.default))
    entry["fromLine"] = box.get_message(key).get_from()
    out.append(entry)
print(json.dumps(out))`,
    [path],
  )) as (ParsedMessage & { fromLine: string })[];
}

function normalise(text: string | null): string {
  return (text ?? "").replace(/\r\n/g, "\n");
}

/** What every reader must find in a letter of the rich campaign. */
function expectReadable(message: ParsedMessage) {
  expect(message.defects).toEqual([]);
  expect(message.headers.filter((name) => /^x-outreach/i.test(name))).toEqual([]);
  const byName = new Map(message.attachments.map((attachment) => [attachment.filename, attachment]));
  expect([...byName.keys()].sort()).toEqual(["appeal-summary.txt", "photo.png", "хроника.csv"].sort());
  expect(byName.get("хроника.csv")).toMatchObject({ type: "text/csv", charset: "utf-8" });
  expect(normalise(byName.get("хроника.csv")?.text ?? "")).toBe(CYRILLIC_CSV);
  expect(byName.get("appeal-summary.txt")).toMatchObject({ type: "text/plain", charset: "utf-8" });
  expect(byName.get("photo.png")?.bytes).toBe(BINARY.toString("hex"));
}

describe(".eml files", () => {
  it("the outbox writes CRLF everywhere, opens as a draft, and Python's parser reads every part", async () => {
    const folder = richCampaign();
    const result = await run(["send", "--yes"], { cwd: folder });
    expect(result.exitCode).toBe(0);
    for (const id of LETTERS) {
      const file = join(folder, "outbox", "first-appeal", `${id}.eml`);
      const bytes = readFileSync(file);
      expect(bareLineEnds(bytes), id).toBe(0);
      expect(bytes.toString("latin1").startsWith("X-Unsent: 1\r\n")).toBe(true);
      const message = await parseEml(file);
      expectReadable(message);
      expect(message.headers).toContain("X-Unsent");
    }
    const russian = await parseEml(join(folder, "outbox", "first-appeal", "ru-ngo.eml"));
    expect(normalise(russian.text)).toContain("Мы пишем вам о силовой операции в Хороге.\nFrom Хорог.");
    const english = await parseEml(join(folder, "outbox", "first-appeal", "un-special-rapporteur.eml"));
    expect(english.subject).toBe("Обращение: UN Special Rapporteur on an example mandate");
    expect(normalise(english.text)).toContain(
      "From the citizens of Khorog, who write to UN Special Rapporteur on an example mandate.\n>From our letter",
    );
  });

  it("preview --out writes the same CRLF messages, without the draft mark", async () => {
    const folder = richCampaign();
    expect((await run(["preview", "--out", "preview"], { cwd: folder })).exitCode).toBe(0);
    for (const id of LETTERS) {
      const file = join(folder, "preview", `${id}.eml`);
      const bytes = readFileSync(file);
      expect(bareLineEnds(bytes), id).toBe(0);
      const message = await parseEml(file);
      expectReadable(message);
      expect(message.headers).not.toContain("X-Unsent");
    }
  });

  it("the SMTP server gets CRLF messages with no draft mark and no internal headers", async () => {
    const server = await sink();
    const folder = richCampaign();
    const result = await run(["send", "--yes"], { cwd: folder, env: { OUTREACH_SMTP_URL: server.url } });
    expect(result.exitCode).toBe(0);
    expect(server.received).toHaveLength(3);
    for (const message of server.received) {
      expect(bareLineEnds(message.raw)).toBe(0);
      expect(message.raw.toString("latin1")).not.toMatch(/^(X-Unsent|X-Outreach-[A-Za-z]+):/im);
    }
  });
});

describe("the sent mailbox", () => {
  it("is read by Python's mailbox module: every message, its Message-ID, its parts, and body lines starting From", async () => {
    const server = await sink();
    const folder = richCampaign();
    const env = { OUTREACH_SMTP_URL: server.url };
    expect((await run(["send", "--yes", "un-special-rapporteur"], { cwd: folder, env })).exitCode).toBe(0);
    expect((await run(["send", "--yes"], { cwd: folder, env })).exitCode).toBe(0);
    const journal = readFileSync(join(folder, ".outreach", "journal.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    const sentIds = journal.filter((event) => event.type === "sent").map((event) => event.message_id);
    expect(sentIds).toHaveLength(3);

    const mbox = join(folder, ".outreach", "sent", "first-appeal.mbox");
    const messages = await readMbox(mbox);
    expect(messages).toHaveLength(3);
    expect(messages.map((message) => message.messageId).sort()).toEqual([...sentIds].sort());
    for (const message of messages) {
      expectReadable(message);
      // asctime: "you@example.org Sun Feb  1 12:00:00 2026" (Python strips "From ")
      expect(message.fromLine).toMatch(
        /^you@example\.org (Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/,
      );
    }
    const english = messages.find((message) => message.subject.includes("UN Special Rapporteur"));
    // Python's mailbox does not undo mboxrd quoting: what it shows proves the quoting was done.
    expect(normalise(english?.text ?? "")).toContain("\n>From the citizens of Khorog");
    expect(normalise(english?.text ?? "")).toContain("\n>>From our letter of 24 July.");
    const text = readFileSync(mbox, "latin1");
    expect(text).not.toContain("\r");
    expect(text.match(/^From /gm)).toHaveLength(3);
  });

  it("is split by git mailsplit --mboxrd into the messages as sent, quoting undone", async () => {
    const server = await sink();
    const folder = richCampaign();
    const result = await run(["send", "--yes"], { cwd: folder, env: { OUTREACH_SMTP_URL: server.url } });
    expect(result.exitCode).toBe(0);
    const out = mkdtempSync(join(tmpdir(), "outreach-mailsplit-"));
    const split = await execa("git", [
      "mailsplit",
      "--mboxrd",
      `-o${out}`,
      join(folder, ".outreach", "sent", "first-appeal.mbox"),
    ]);
    expect(split.stdout.trim()).toBe("3");
    const english = server.received.find((message) => message.to.includes("urgent-appeals@un.example.org"));
    expect(english?.raw.toString("latin1")).toContain("\r\nFrom the citizens of Khorog");
    const files = readdirSync(out).sort();
    expect(files).toHaveLength(3);
    const received = new Map(
      server.received.map((message) => [
        /^Message-ID: (.*)$/im.exec(message.raw.toString("latin1"))?.[1]?.trim(),
        message.raw,
      ]),
    );
    for (const file of files) {
      const [fromLine, ...lines] = readFileSync(join(out, file), "latin1").split("\n");
      expect(fromLine).toMatch(/^From you@example\.org \w{3} \w{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/);
      const copy = lines.join("\n").replace(/\n+$/, "\n");
      const id = /^Message-ID: (.*)$/im.exec(copy)?.[1]?.trim();
      // The copy is the message as sent, with LF line ends, body lines starting "From " included.
      expect(copy).toBe(received.get(id)?.toString("latin1").replace(/\r\n/g, "\n"));
      expectReadable(await parseEml(join(out, file)));
    }
  });
});

describe("text attachments", () => {
  it("check refuses a text attachment that is not UTF-8, naming the file and line, and send sends nothing", async () => {
    const server = await sink();
    const cp1251 = Buffer.from([0x64, 0x61, 0x74, 0x65, 0x0a, 0xc4, 0xe0, 0xf2, 0xe0, 0x0a]); // "date\nДата" in Windows-1251
    const folder = richCampaign({ "attachments/хроника.csv": cp1251 });
    const check = await run(["check"], { cwd: folder });
    expect(check.exitCode).toBe(1);
    expect(check.stdout).toContain(
      "attachments/хроника.csv:2  file is not UTF-8 text (perhaps Latin-1 or Windows-1252), but it is attached as text (campaigns[0].attachments[1])",
    );
    expect(check.stdout).toContain("mail clients show a text attachment only as UTF-8");
    const send = await run(["send", "--yes"], { cwd: folder, env: { OUTREACH_SMTP_URL: server.url } });
    expect(send.exitCode).toBe(1);
    expect(server.received).toHaveLength(0);
    expect(existsSync(join(folder, ".outreach", "journal.jsonl"))).toBe(false);
  });

  it("a binary file named like text is refused with what to do", async () => {
    const folder = richCampaign({ "attachments/хроника.csv": BINARY });
    const check = await run(["check"], { cwd: folder });
    expect(check.exitCode).toBe(1);
    expect(check.stdout).toContain("file is binary, not text, but it is attached as text");
    expect(check.stdout).toContain(
      "give the file the extension of what it is: a .csv file is sent as UTF-8 text",
    );
  });
});

describe("message size", () => {
  /** A campaign whose one attachment is a (sparse) file of `bytes`. */
  function withAttachment(bytes: number, transport = "") {
    const folder = campaignFolder({
      "outreach.yaml": `${starterConfig.replace(
        "attachments: [attachments/appeal-summary.txt]",
        "attachments: [attachments/appeal.pdf]",
      )}${transport}`,
      "attachments/appeal.pdf": "",
    });
    truncateSync(join(folder, "attachments", "appeal.pdf"), bytes);
    return folder;
  }

  it("check warns when letters would be over 25 MB once encoded, and send says so before sending", async () => {
    // 19 MB of file is about 26 MB in base64: under the file size most people would think of, over Gmail's cap.
    const folder = withAttachment(19_000_000);
    const check = await run(["check"], { cwd: folder });
    expect(check.exitCode).toBe(0);
    expect(check.stdout).toMatch(
      /warning outreach\.yaml:\d+:\d+ {2}campaigns\[0\]\.attachments: each letter is about 26\.\d MB once its attachments are encoded \(base64 adds a third\): Gmail refuses messages over 25 MB/,
    );
    const dry = await run(["send", "--dry-run"], { cwd: folder });
    expect(dry.exitCode).toBe(0);
    expect(dry.stderr).toContain("size: each letter is about 26.");
  });

  it("check and send refuse letters over the limit, 35 MB by default, and nothing is sent or written", async () => {
    const server = await sink();
    const folder = withAttachment(30_000_000);
    const check = await run(["check"], { cwd: folder });
    expect(check.exitCode).toBe(1);
    expect(check.stdout).toContain(
      "campaigns[0].attachments: each letter is about 41.1 MB once its attachments are encoded (base64 adds a third), over the limit of 35.0 MB (transport.max_message_size)",
    );
    expect(check.stdout).toContain("raise transport.max_message_size");
    const send = await run(["send", "--yes"], { cwd: folder, env: { OUTREACH_SMTP_URL: server.url } });
    expect(send.exitCode).toBe(1);
    expect(server.received).toHaveLength(0);
    expect(existsSync(join(folder, ".outreach", "journal.jsonl"))).toBe(false);
    expect(existsSync(join(folder, "outbox"))).toBe(false);
  });

  it("transport.max_message_size sets the limit, and a value that is not a size is refused", async () => {
    const small = withAttachment(800_000, "transport:\n  max_message_size: 1MB\n");
    const check = await run(["check"], { cwd: small });
    expect(check.exitCode).toBe(1);
    expect(check.stdout).toContain("over the limit of 1.0 MB (transport.max_message_size)");

    const larger = withAttachment(30_000_000, "transport:\n  max_message_size: 70MB\n");
    const allowed = await run(["check"], { cwd: larger });
    expect(allowed.exitCode).toBe(0);
    expect(allowed.stdout).toContain("Gmail refuses messages over 25 MB");

    const wrong = withAttachment(1000, "transport:\n  max_message_size: 35\n");
    const refused = await run(["check"], { cwd: wrong });
    expect(refused.exitCode).toBe(1);
    expect(refused.stdout).toContain('transport.max_message_size: must be a size like "35MB" or "500kB"');
    expect(refused.stdout).toContain("not shown, in case it is a password");
  });
});

describe("letters carry no internal headers", () => {
  it("a bounce whose quoted headers are base64-encoded still finds its letter by the Message-ID", async () => {
    const server = await sink();
    const folder = campaignFolder();
    const env = { OUTREACH_SMTP_URL: server.url };
    expect((await run(["send", "--yes", "un-special-rapporteur"], { cwd: folder, env })).exitCode).toBe(0);
    const sent = server.received[0]?.raw.toString("latin1") ?? "";
    expect(sent).not.toMatch(/^X-Outreach/im);
    const appealId = /^Message-ID: (.*)$/im.exec(sent)?.[1]?.trim() ?? "";
    const quoted = Buffer.from(
      `From: you@example.org\r\nTo: urgent-appeals@un.example.org\r\nMessage-ID: ${appealId}\r\nSubject: Обращение\r\n`,
    ).toString("base64");
    writeFileSync(
      join(folder, "bounce.eml"),
      [
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>",
        "To: you@example.org",
        "Subject: Undeliverable",
        "Date: Sun, 01 Feb 2026 11:30:00 +0000",
        "Message-ID: <dsn-2@mx.example.org>",
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
        "MIME-Version: 1.0",
        "",
        "--b",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Delivery failed.",
        "--b",
        "Content-Type: message/delivery-status",
        "",
        "Final-Recipient: rfc822; urgent-appeals@un.example.org",
        "Action: failed",
        "Status: 5.1.1",
        "--b",
        "Content-Type: text/rfc822-headers",
        "Content-Transfer-Encoding: base64",
        "",
        quoted,
        "--b--",
        "",
      ].join("\r\n"),
    );
    const logged = await run(["log", "--from-eml", "bounce.eml"], { cwd: folder });
    expect(logged.exitCode).toBe(0);
    expect(logged.stdout).toContain("Recorded: un-special-rapporteur bounced on 2026-02-01 by email");
  });
});
