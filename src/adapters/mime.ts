// Composes the raw email (RFC 5322) with nodemailer's MailComposer: the same bytes preview writes, the outbox
// keeps and send hands to the server, with CRLF line ends throughout, as on the wire. Attachments are read
// and encoded here once per run and shared by every letter, so memory does not grow with the number of
// letters; nodemailer itself never touches files or URLs.
import { isUtf8 } from "node:buffer";
import { randomUUID } from "node:crypto";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import { detectMimeType } from "nodemailer/lib/mime-funcs/index.js";
import MimeNode from "nodemailer/lib/mime-node/index.js";
import { encode as encodeQuotedPrintable, wrap as wrapQuotedPrintable } from "nodemailer/lib/qp/index.js";
import { BASE64_LINE, base64Length, formatMegabytes } from "../core/attachments.js";
import type { AttachmentFile, MessageSpec } from "../core/letters.js";
import type { RawMessage } from "../core/transport.js";
import { readRegularFile } from "./file-system.js";

/** MIME text has CRLF line ends (RFC 2046), whatever the template or the file was saved with. */
export function toCrlf(text: string): string {
  return text.replace(/\r\n|\r|\n/g, "\r\n");
}

export class MessageComposer {
  /** Each attachment's finished MIME part (headers and base64), by file: built once, used by every letter. */
  private readonly parts = new Map<string, Promise<Buffer>>();
  /** Stands in for an attachment's part while the rest is composed; no letter can contain it. */
  private readonly placeholder = `outreach-attachment-${randomUUID()}-`;

  /** `limit`: letters larger than this once encoded are refused (transport.max_message_size). */
  constructor(private readonly limit?: { bytes: number; source: string }) {}

  async compose(spec: MessageSpec, envelope: { messageId?: string; date: Date }): Promise<RawMessage> {
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
      date: envelope.date,
      // A preview's: as send makes them (nodemailer's own asks the system for random bytes each time).
      messageId: envelope.messageId ?? `<${randomUUID()}@${spec.from.address.split("@").pop()}>`,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    const node = composer.compile();
    const single = singlePart(node);
    const raw = single ? [single] : splice(await node.build(), placeholders, parts);
    const size = raw.reduce((sum, piece) => sum + piece.length, 0);
    if (this.limit && size > this.limit.bytes) {
      throw new Error(
        `it is ${formatMegabytes(size)} once encoded, over the limit of ${formatMegabytes(this.limit.bytes)} (${this.limit.source})`,
      );
    }
    return raw;
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

/** What singlePart reads of a MimeNode beyond its public methods. */
interface NodeInternals {
  multipart?: unknown;
  childNodes: unknown[];
  content?: unknown;
  newline?: unknown;
  _raw?: unknown;
  _transforms: unknown[];
  _processFuncs: unknown[];
}

/**
 * A message of one text part (no HTML, no attachment: most letters), written directly with the encoders
 * nodemailer's stream would use, in one go: the same bytes as `build()` (test/mail-format compares them),
 * at a fifth of the cost, without a stream graph and an abort signal per letter. Anything else: undefined.
 */
function singlePart(node: MimeNode): Buffer | undefined {
  const inside = node as unknown as NodeInternals;
  if (
    inside.multipart ||
    inside.childNodes.length > 0 ||
    typeof inside.content !== "string" ||
    inside.newline ||
    inside._raw ||
    inside._transforms.length > 0 ||
    inside._processFuncs.length > 0
  ) {
    return undefined;
  }
  const encoding = node.getTransferEncoding();
  if (encoding !== "quoted-printable" && encoding !== "7bit") return undefined;
  const body =
    encoding === "quoted-printable"
      ? wrapQuotedPrintable(encodeQuotedPrintable(inside.content), 76)
      : inside.content;
  const message = `${node.buildHeaders()}\r\n\r\n${body}`;
  // As nodemailer's LastNewline: the message ends with a line break.
  const end = message.endsWith("\n") ? "" : message.endsWith("\r") ? "\n" : "\r\n";
  return Buffer.from(message + end, "utf8");
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
