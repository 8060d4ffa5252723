// Composes the raw email (RFC 5322) with nodemailer's MailComposer: the same bytes preview writes, the outbox
// keeps and send hands to the server, with CRLF line ends throughout, as on the wire. Attachments are read
// and encoded here once per run and shared by every letter, so memory does not grow with the number of
// letters; nodemailer itself never touches files or URLs.
import { isUtf8 } from "node:buffer";
import { randomUUID } from "node:crypto";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import {
  buildHeaderValue,
  detectMimeType,
  foldLines,
  parseHeaderValue,
} from "nodemailer/lib/mime-funcs/index.js";
import MimeNode from "nodemailer/lib/mime-node/index.js";
import { BASE64_LINE, base64Length, formatMegabytes } from "../core/attachments.js";
import type { AttachmentFile, MessageSpec } from "../core/letters.js";
import type { RawMessage } from "../core/transport.js";
import { readRegularFile } from "./file-system.js";
import { TextPartEncoder } from "./mime-text.js";

/** MIME text has CRLF line ends (RFC 2046), whatever the template or the file was saved with. */
export function toCrlf(text: string): string {
  // Most letters have LF only: a plain replaceAll is several times faster than the pattern.
  return text.includes("\r") ? text.replace(/\r\n|\r|\n/g, "\r\n") : text.replaceAll("\n", "\r\n");
}

export class MessageComposer {
  /** Each attachment's finished MIME part (headers and base64), by file: built once, used by every letter. */
  private readonly parts = new Map<string, Promise<Buffer>>();
  /** Stands in for an attachment's part while the rest is composed; no letter can contain it. */
  private readonly placeholder = `outreach-attachment-${randomUUID()}-`;

  /** Letters of one text part, the most common, without MailComposer (see OnePartLetters). */
  private readonly onePart = new OnePartLetters();

  /** `limit`: letters larger than this once encoded are refused (transport.max_message_size). */
  constructor(private readonly limit?: { bytes: number; source: string }) {}

  async compose(spec: MessageSpec, envelope: { messageId?: string; date: Date }): Promise<RawMessage> {
    // A preview's: as send makes them (nodemailer's own asks the system for random bytes each time).
    const messageId = envelope.messageId ?? `<${randomUUID()}@${spec.from.address.split("@").pop()}>`;
    const one = this.onePart.compose(spec, envelope.date, messageId);
    const raw = one ? [one] : await this.composeTree(spec, envelope.date, messageId);
    const size = raw.reduce((sum, piece) => sum + piece.length, 0);
    if (this.limit && size > this.limit.bytes) {
      throw new Error(
        `it is ${formatMegabytes(size)} once encoded, over the limit of ${formatMegabytes(this.limit.bytes)} (${this.limit.source})`,
      );
    }
    return raw;
  }

  /** Any message: nodemailer's MailComposer builds it, each attachment's part spliced in where it goes. */
  private async composeTree(spec: MessageSpec, date: Date, messageId: string): Promise<RawMessage> {
    const parts = await Promise.all(spec.attachments.map((attachment) => this.part(attachment)));
    const placeholders = parts.map((_part, index) => Buffer.from(`${this.placeholder}${index}`));
    const composer = new MailComposer({
      from: spec.from,
      ...(spec.replyTo ? { replyTo: spec.replyTo } : {}),
      to: spec.to,
      ...(spec.cc.length > 0 ? { cc: spec.cc } : {}),
      subject: spec.subject,
      text: toCrlf(spec.text),
      ...(spec.html === undefined ? {} : { html: toCrlf(spec.html) }),
      attachments: placeholders.map((raw) => ({ raw })),
      headers: spec.headers,
      ...(spec.inReplyTo ? { inReplyTo: spec.inReplyTo } : {}),
      ...(spec.references?.length ? { references: spec.references } : {}),
      date,
      messageId,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    return splice(await composer.compile().build(), placeholders, parts);
  }

  private part(attachment: AttachmentFile): Promise<Buffer> {
    let part = this.parts.get(attachment.absolutePath);
    if (!part) {
      part = attachmentPart(attachment);
      this.parts.set(attachment.absolutePath, part);
    }
    return part;
  }
}

/** What OnePartLetters uses of a MimeNode beyond the methods @types/nodemailer knows. */
interface NodeEncoders {
  encodeHeaderValue(key: string, value: unknown): string;
  _normalizeHeaderKey(key: string): string;
}

/** The headers MailComposer sets itself, and those buildHeaders treats apart: never a custom header here. */
const OWN_HEADERS = new Set(
  [
    "From",
    "Sender",
    "To",
    "Cc",
    "Bcc",
    "Reply-To",
    "In-Reply-To",
    "References",
    "Subject",
    "Message-ID",
    "Date",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Content-Disposition",
  ].map((key) => key.toLowerCase()),
);

/** MailComposer's type for a letter's text (getAlternatives). */
const TEXT_TYPE = "text/plain; charset=utf-8";

/**
 * A message of one text part (no HTML, no attachment: most letters), written directly with the encoders and
 * rules nodemailer's own MailComposer and MimeNode use (encodeHeaderValue, foldLines at 76, the transfer
 * encoding getTransferEncoding picks, quoted-printable), in the order MailComposer puts the headers: the
 * same bytes as `build()` (test/mail-format compares them, letter after letter through one composer), at a
 * fraction of the cost. Nodemailer builds a tree of nodes, an abort signal, a stream and random bytes for
 * each message; here what is the same for every letter of a run (the sender's lines, the date, the
 * language, the content type) is encoded once, and a letter costs its own To, Cc, Subject, Message-ID
 * and body, and the lines of its text that no earlier letter had (TextPartEncoder). Anything else (a
 * custom header nodemailer treats apart, base64 text, a text nodemailer's stream wraps otherwise):
 * undefined, and the caller builds the message with MailComposer.
 */
class OnePartLetters {
  /** A node used for its header encoders (which keep nothing of a value), never built. */
  private readonly encoders = new MimeNode(TEXT_TYPE) as unknown as NodeEncoders;
  /** The text's transfer encoding and body, from lines encoded once per run (see TextPartEncoder). */
  private readonly text = new TextPartEncoder();
  /** Lines that repeat from letter to letter (sender, language, content type), by key and value. */
  private readonly repeated = new Map<string, string | undefined>();
  private lastDate: { time: number; line: string | undefined } | undefined;
  private readonly contentType = foldLines(
    `Content-Type: ${buildHeaderValue(parseHeaderValue(TEXT_TYPE))}`,
    76,
  );

  compose(spec: MessageSpec, date: Date, messageId: string): Buffer | undefined {
    if (spec.html !== undefined || spec.attachments.length > 0) return undefined;
    const own = this.customLines(spec.headers);
    if (!own) return undefined;
    const { encoding, body } = this.text.encode(toCrlf(spec.text));
    if (body === undefined) return undefined;
    const lines = own;
    const push = (line: string | undefined) => {
      if (line !== undefined) lines.push(line);
    };
    push(this.repeatedLine("From", spec.from));
    push(this.line("To", spec.to));
    if (spec.cc.length > 0) push(this.line("Cc", spec.cc));
    if (spec.replyTo) push(this.repeatedLine("Reply-To", spec.replyTo));
    if (spec.inReplyTo) push(this.line("In-Reply-To", spec.inReplyTo));
    if (spec.references?.length) push(this.line("References", spec.references));
    if (spec.subject) push(this.line("Subject", spec.subject));
    push(this.line("Message-ID", messageId));
    push(this.dateLine(date));
    push(this.repeatedLine("Content-Transfer-Encoding", encoding));
    push(this.repeatedLine("MIME-Version", "1.0"));
    lines.push(this.contentType);
    const message = `${lines.join("\r\n")}\r\n\r\n${body}`;
    // As nodemailer's LastNewline: the message ends with a line break.
    const end = message.endsWith("\n") ? "" : message.endsWith("\r") ? "\n" : "\r\n";
    return Buffer.from(message + end, "utf8");
  }

  /** The custom headers' lines (Content-Language), first as MailComposer adds them; undefined if unusual. */
  private customLines(headers: Record<string, string>): string[] | undefined {
    const lines: string[] = [];
    for (const [key, value] of Object.entries(headers)) {
      if (typeof value !== "string") return undefined;
      const cached = this.repeated.get(`custom\n${key}\n${value}`);
      if (cached !== undefined) {
        lines.push(cached);
        continue;
      }
      const normalized = this.encoders._normalizeHeaderKey(key);
      if (OWN_HEADERS.has(normalized.toLowerCase())) return undefined;
      const line = this.line(normalized, value);
      if (line === undefined) continue;
      this.repeated.set(`custom\n${key}\n${value}`, line);
      lines.push(line);
    }
    return lines;
  }

  /** One header as buildHeaders writes it: encoded, folded at 76; undefined when its value is empty. */
  private line(key: string, value: unknown): string | undefined {
    const encoded = this.encoders.encodeHeaderValue(key, value);
    return encoded.trim() ? foldLines(`${key}: ${encoded}`, 76) : undefined;
  }

  private repeatedLine(key: string, value: unknown): string | undefined {
    const memo = `${key}\n${JSON.stringify(value)}`;
    if (this.repeated.has(memo)) return this.repeated.get(memo);
    const line = this.line(key, value);
    this.repeated.set(memo, line);
    return line;
  }

  /** The Date line of the last date asked for (a preview's letters share one; a send's change by the second). */
  private dateLine(date: Date): string | undefined {
    if (this.lastDate?.time !== date.getTime()) {
      this.lastDate = { time: date.getTime(), line: this.line("Date", date) };
    }
    return this.lastDate.line;
  }
}

/** The composed message in pieces, with each placeholder replaced by its attachment's part. */
function splice(composed: Buffer, placeholders: Buffer[], parts: Buffer[]): RawMessage {
  const pieces: Buffer[] = [];
  let start = 0;
  placeholders.forEach((placeholder, index) => {
    const at = composed.indexOf(placeholder, start);
    if (at === -1) throw new Error("an attachment went missing while the message was composed");
    pieces.push(composed.subarray(start, at), parts[index] as Buffer);
    start = at + placeholder.length;
  });
  pieces.push(composed.subarray(start));
  return pieces;
}

async function attachmentPart(attachment: AttachmentFile): Promise<Buffer> {
  // Checked when the folder was read; checked again, in case a pipe took the file's place since.
  let content = readRegularFile(attachment.absolutePath);
  let contentType = attachment.contentType;
  if (contentType) {
    // The file was UTF-8 when the folder was checked; it must still be, or its charset would lie.
    if (!isUtf8(content)) throw new Error(`${attachment.file} is no longer UTF-8 text`);
    content = Buffer.from(toCrlf(content.toString("latin1")), "latin1");
  } else {
    // Text and messages of other kinds would go without a charset or unencoded: send their bytes as they are.
    contentType = detectMimeType(attachment.filename);
    if (/^(text|message)\//i.test(contentType)) contentType = "application/octet-stream";
  }
  const node = new MimeNode("multipart/mixed").createChild(contentType, { filename: attachment.filename });
  node.setHeader("Content-Transfer-Encoding", "base64");
  node.setHeader("Content-Disposition", "attachment");
  return Buffer.concat([Buffer.from(`${node.buildHeaders()}\r\n\r\n`), base64Lines(content)]);
}

/** Base64 in lines of 76 characters joined by CRLF, as nodemailer writes it. */
function base64Lines(content: Buffer): Buffer {
  const out = Buffer.allocUnsafe(base64Length(content.length));
  // 57 bytes make one line of 76 characters; encoding a block of lines at a time keeps the strings small.
  const block = 57 * 512;
  let position = 0;
  for (let start = 0; start < content.length; start += block) {
    const encoded = content.toString("base64", start, Math.min(start + block, content.length));
    for (let line = 0; line < encoded.length; line += BASE64_LINE) {
      if (position > 0) position += out.write("\r\n", position, "latin1");
      position += out.write(encoded.slice(line, line + BASE64_LINE), position, "latin1");
    }
  }
  return out;
}
