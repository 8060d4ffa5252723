// The rules behind the mail files, case by case and in milliseconds: encoded sizes, size limits, which
// attachments are text, the mbox separator and quoting, and a composer that shares each attachment.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import { encode, wrap } from "nodemailer/lib/qp/index.js";
import { describe, expect, it } from "vitest";
import { MessageComposer, toCrlf } from "../src/adapters/mime.js";
import { TextPartEncoder } from "../src/adapters/mime-text.js";
import { fromLine, mboxEntry } from "../src/adapters/sent-mailbox.js";
import {
  base64Length,
  messageSizeProblem,
  PROVIDER_WARNING_BYTES,
  parseSize,
  textAttachmentType,
} from "../src/core/attachments.js";
import type { MessageSpec } from "../src/core/letters.js";
import { seededRandom, tempFolder } from "./support.js";

describe("encoded sizes and limits", () => {
  it("base64Length is the length of base64 in 76-character lines joined by CRLF", () => {
    for (const size of [0, 1, 2, 3, 56, 57, 58, 114, 1000, 123_457]) {
      const wrapped = Buffer.alloc(size, 7)
        .toString("base64")
        .replace(/.{76}(?=.)/g, "$&\r\n");
      expect(base64Length(size), `${size} bytes`).toBe(wrapped.length);
    }
  });

  it("parseSize reads decimal kB, MB and GB, and nothing else", () => {
    expect(parseSize("35MB")).toBe(35_000_000);
    expect(parseSize("500 kB")).toBe(500_000);
    expect(parseSize("1.5gb")).toBe(1_500_000_000);
    for (const wrong of ["35", "MB", "-1MB", "35 MiB", ""]) expect(parseSize(wrong), wrong).toBeNaN();
  });

  it("a letter over 25 MB is a warning, over the limit an error, under both nothing", () => {
    expect(messageSizeProblem(PROVIDER_WARNING_BYTES, 35_000_000, "x")).toBeUndefined();
    expect(messageSizeProblem(PROVIDER_WARNING_BYTES + 1, 35_000_000, "x")?.severity).toBe("warning");
    expect(messageSizeProblem(35_000_001, 35_000_000, "x")).toMatchObject({
      severity: "error",
      message: expect.stringContaining("over the limit of 35.0 MB (x)"),
    });
    expect(messageSizeProblem(2_000_000, 1_000_000, "x")?.severity).toBe("error");
  });

  it("text attachments are known by their extension, whatever its case", () => {
    expect(textAttachmentType("хроника.CSV")).toBe("text/csv; charset=utf-8");
    expect(textAttachmentType("notes.md")).toBe("text/markdown; charset=utf-8");
    expect(textAttachmentType("summary.txt")).toBe("text/plain; charset=utf-8");
    expect(textAttachmentType("appeal.pdf")).toBeUndefined();
    expect(textAttachmentType("README")).toBeUndefined();
  });
});

describe("mbox entries", () => {
  const entry = (pieces: string[], date = new Date("2026-02-02T09:00:01Z")) =>
    Buffer.concat([
      ...mboxEntry(
        pieces.map((piece) => Buffer.from(piece, "latin1")),
        "me@example.org",
        date,
      ),
    ]).toString("latin1");

  it("the separator is in asctime form, the day padded with a space", () => {
    expect(fromLine("me@example.org", new Date("2026-02-02T09:00:01Z"))).toBe(
      "From me@example.org Mon Feb  2 09:00:01 2026\n",
    );
    expect(fromLine("me@example.org", new Date("2012-07-25T23:05:09Z"))).toBe(
      "From me@example.org Wed Jul 25 23:05:09 2012\n",
    );
  });

  it("has LF line ends, quotes every line starting >*From with one more >, and ends with a blank line", () => {
    expect(entry(["Subject: x\r\n\r\nFrom here\r\n>From there\r\n>>From afar\r\nnot From\r\n"])).toBe(
      "From me@example.org Mon Feb  2 09:00:01 2026\nSubject: x\n\n>From here\n>>From there\n>>>From afar\nnot From\n\n",
    );
  });

  it("treats the pieces as one message: a line cut between pieces is one line", () => {
    expect(entry(["Subject: x\r\n\r\nsaid ", "From here\r", "\nFrom", " there\r\n"])).toBe(
      "From me@example.org Mon Feb  2 09:00:01 2026\nSubject: x\n\nsaid From here\n>From there\n\n",
    );
  });

  it("ends the last line of a message that has no final line break", () => {
    expect(entry(["Subject: x\r\n\r\nlast"])).toBe(
      "From me@example.org Mon Feb  2 09:00:01 2026\nSubject: x\n\nlast\n\n",
    );
  });
});

describe("the composer", () => {
  const folder = tempFolder();
  const pdf = join(folder, "appeal.pdf");
  writeFileSync(pdf, Buffer.alloc(100_000, 0x0a));
  const spec = (text: string): MessageSpec => ({
    from: { address: "me@example.org" },
    to: [{ name: "Бюро", address: "office@example.org" }],
    cc: [],
    subject: "Обращение",
    text,
    html: "<p>one</p>\n<p>two</p>\r<p>three</p>\n",
    attachments: [
      { file: "appeal.pdf", filename: "appeal.pdf", absolutePath: pdf, size: 100_000, encodedSize: 0 },
    ],
    headers: { "Content-Language": "ru" },
  });

  it("shares one encoded part of an attachment between letters, and writes CRLF only", async () => {
    const composer = new MessageComposer();
    const first = await composer.compose(spec("Мы пишем вам.\nВторая строка.\n"), { date: new Date() });
    const second = await composer.compose(spec("Plain text, one line\nand another\r\n"), {
      date: new Date(),
    });
    const shared = first.filter((piece) => second.includes(piece));
    expect(shared).toHaveLength(1);
    expect(shared[0]?.length).toBeGreaterThan(base64Length(100_000));
    for (const message of [first, second]) {
      const text = Buffer.concat([...message]).toString("latin1");
      expect(text.match(/(?<!\r)\n|\r(?!\n)/g)).toBeNull();
      expect(text).toContain("Content-Type: application/pdf; name=appeal.pdf");
    }
  });

  it("refuses a letter over its limit once encoded", async () => {
    const composer = new MessageComposer({ bytes: 50_000, source: "transport.max_message_size" });
    await expect(composer.compose(spec("text"), { date: new Date() })).rejects.toThrow(
      /^it is 13\d kB once encoded, over the limit of 50 kB \(transport\.max_message_size\)$/,
    );
  });
});

describe("a letter of one text part, composed without nodemailer's stream", () => {
  const texts = [
    "Dear Colleague,\n\nShort lines only.\n",
    `${"a long line of plain words that goes on ".repeat(6)}\nand a short one`,
    "trailing spaces   \nand a tab\t\nand = signs =3D and dots\n.\n.leading dot\n",
    "Мы пишем вам: Обращение к Бюро.\nВторая строка.\n",
    "mostly ASCII with one é and a very long line to wrap ".repeat(4),
    "ends in spaces   ",
    "a lone\rcarriage return and\r\nCRLF\n",
    "x",
    `${"=".repeat(200)}\n${"ü".repeat(100)}`,
    // as many ASCII letters as other characters: base64, by nodemailer's count
    "ab éé\n",
    // over 128 kB of short lines: nodemailer does not look for long lines there, and takes quoted-printable
    "a short line\n".repeat(11_000),
    // ending in spaces after a last piece that wrap breaks early, and over the 64 kB nodemailer wraps at once
    `${"Ünïcode words that go on and on ".repeat(5)}   `,
    `${"one more line, ".repeat(5)}\t`,
    `${"a long line of words ".repeat(4000)}\n`,
    // a last line without a line break, which wrap breaks early within the text (not alone)
    "aaaaaaaaaaaaaaaaaaaa\nbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb é",
    "Madame, Monsieur,\n\nNous vous écrivons au sujet de la situation.\nAvec nos salutations distinguées, A. Advocate, Genève",
    ...Array.from(
      { length: 30 },
      (_, index) => `Dear Colleague,\n${"wörd ".repeat(6)}${"x".repeat(index + 20)}, end`,
    ),
  ];
  const spec = (text: string, index: number): MessageSpec => ({
    from: { name: index % 2 ? "Bench, Sender" : "Ünïcode Sender", address: "me@example.org" },
    ...(index % 3 === 0 ? { replyTo: { name: "Desk", address: "desk@example.org" } } : {}),
    to: [{ name: index % 2 ? "Бюро" : 'Office "A"', address: "office@example.org" }],
    cc: index % 2 ? [{ address: "cc@example.org" }] : [],
    subject: index % 2 ? "Обращение о положении" : `Appeal ${"about the situation ".repeat(index)}`,
    text,
    attachments: [],
    headers: { "Content-Language": index % 2 ? "ru" : "en" },
    ...(index % 4 === 1 ? { inReplyTo: "<a@example.org>", references: ["<a@example.org>"] } : {}),
  });

  it("is byte for byte what MailComposer builds, letter after letter through one composer", async () => {
    const composer = new MessageComposer();
    // Twice over, with a second date: what one letter's headers leave behind must not reach another's.
    const letters = [...texts.entries(), ...texts.entries()].map(([index, text], round) => ({
      letter: spec(text, index),
      date: new Date(round < texts.length ? "2012-07-25T08:00:00Z" : "2012-07-26T09:30:01Z"),
      messageId: `<${round}@example.org>`,
    }));
    letters.push({
      letter: {
        ...spec("Dear Colleague,\n", 0),
        headers: { "content-language": "de", "X-Campaign": "Ünïcode" },
      },
      date: new Date("2012-07-25T08:00:00Z"),
      messageId: "<custom@example.org>",
    });
    for (const { letter, date, messageId } of letters) {
      const ours = Buffer.concat([...(await composer.compose(letter, { date, messageId }))]);
      expect(ours.toString("latin1"), JSON.stringify(letter.text)).toBe(
        (await nodemailers(letter, date, messageId)).toString("latin1"),
      );
    }
  });

  it("is byte for byte MailComposer's over texts whose lines repeat from letter to letter", async () => {
    // The composer encodes a line once and reuses it: lines that recur (a template's) and lines of one
    // letter (a salutation), near the 76 of a line and the fold, with what quoted-printable encodes or
    // wraps around, and lines long enough that the composer forgets what it kept and encodes them again.
    const random = seededRandom(20120725);
    const pieces = [
      "word",
      "Khorog",
      " ",
      "  ",
      "\t",
      "é",
      "Бюро",
      "=",
      "=3D",
      ".",
      ",",
      "?",
      "ü",
      "\u2028",
      "\x01",
      "a".repeat(70),
    ];
    const randomLine = () => {
      let line = "";
      const length = random.pick([0, 1, 40, 72, 75, 76, 77, 78, 150, 300]);
      while (line.length < length) line += random.pick(pieces);
      return random.chance(0.2) ? line.slice(0, length) : line;
    };
    const template = Array.from({ length: 40 }, randomLine);
    const composer = new MessageComposer();
    const date = new Date("2012-07-25T08:00:00Z");
    for (let index = 0; index < 300; index++) {
      const lines = Array.from({ length: 1 + Math.floor(random.next() * 25) }, () =>
        random.chance(0.7) ? random.pick(template) : randomLine(),
      );
      // Now and then a line of 42,000 characters in two letters running: the second keeps it, and after a
      // few of them the composer has kept more than it may, so it starts again.
      if (index % 25 >= 23) lines.splice(1, 0, `${Math.floor(index / 25)} ${"word é ".repeat(6_000)}`);
      const end = random.pick(["\n", "\r\n", "", "\n\n", "   ", " \t", "\n "]);
      const letter = spec(`${lines.join(random.pick(["\n", "\r\n"]))}${end}`, index);
      const messageId = `<${index}@example.org>`;
      const ours = Buffer.concat([...(await composer.compose(letter, { date, messageId }))]);
      expect(ours.toString("latin1"), JSON.stringify(letter.text)).toBe(
        (await nodemailers(letter, date, messageId)).toString("latin1"),
      );
    }
  });

  it("keeps from letter to letter the lines that come back, not each letter's own", () => {
    // Each letter's own lines, kept for hundreds of letters, outlived V8's young generation: 80 MB of
    // `preview --out` at 100,000 letters, until a full collection.
    const encoder = new TextPartEncoder();
    const template = [
      "",
      "Nous, citoyens du Tadjikistan, vous écrivons au sujet de l'opération à Khorog.",
      "Nous vous prions de demander l'accès des observateurs à la région.",
      "Veuillez agréer nos salutations distinguées,",
    ];
    for (let index = 0; index < 2_000; index++) {
      const text = toCrlf(
        [`Madame la Représentante ${index},`, ...template.slice(0, 3), `Bureau n° ${index}, Genève`]
          .concat(template.slice(3), "A. Citoyen")
          .join("\n"),
      );
      const { encoding, body } = encoder.encode(text);
      expect(encoding).toBe("quoted-printable");
      expect(body).toBe(wrap(encode(text), 76));
    }
    // The template's lines; the last line of a text is never kept (its encoding depends on the text).
    expect(encoder.remembered).toBe(template.length);
  });
});

/** The message nodemailer's own MailComposer builds of a letter of one text part. */
function nodemailers(letter: MessageSpec, date: Date, messageId: string): Promise<Buffer> {
  return new MailComposer({
    from: letter.from,
    ...(letter.replyTo ? { replyTo: letter.replyTo } : {}),
    to: letter.to,
    ...(letter.cc.length > 0 ? { cc: letter.cc } : {}),
    subject: letter.subject,
    text: toCrlf(letter.text),
    attachments: [],
    headers: letter.headers,
    ...(letter.inReplyTo ? { inReplyTo: letter.inReplyTo } : {}),
    ...(letter.references ? { references: letter.references } : {}),
    date,
    messageId,
    disableFileAccess: true,
    disableUrlAccess: true,
  })
    .compile()
    .build();
}
