// Reads a saved reply (.eml) the way a mail client would, for `outreach log --from-eml`.
import PostalMime, { type Email } from "postal-mime";
import { EXIT, UserError } from "../errors.js";
import { describeFileFailure, readRegularFileWithin } from "./file-system.js";

const MAX_EML_BYTES = 50 * 1024 * 1024;
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

export interface SavedReply {
  /** YYYY-MM-DD from the Date header. */
  date?: string;
  from?: string;
  subject?: string;
  messageId?: string;
  /** Every Message-ID named in In-Reply-To and References, nearest first. */
  answers: string[];
  autoReply: boolean;
  bounce: boolean;
}

function messageIds(value: string | undefined): string[] {
  return value ? [...value.matchAll(/<[^<>\s]+>/g)].map((match) => match[0]) : [];
}

export async function readReply(path: string, shown: string): Promise<SavedReply> {
  let buffer: Buffer;
  try {
    const read = readRegularFileWithin(path, MAX_EML_BYTES);
    if (!read.ok) throw new UserError(`${shown} is larger than 50 MB`);
    buffer = read.buffer;
  } catch (error) {
    if (error instanceof UserError) throw error;
    const { reason } = describeFileFailure(error, "read");
    throw new UserError(`${shown} ${reason}`, {
      exitCode: EXIT.usage,
      hint: "give the path of a reply saved from your mail client as .eml",
    });
  }
  // A message starts with header lines ("Name: value"); anything else is not a saved email.
  const head = buffer.subarray(0, 2048).toString("latin1");
  if (!/^(From [^\n]*\n)?[!-9;-~]+:[^\n]*\n/.test(head)) {
    throw new UserError(`${shown} is not an email message: it does not start with mail headers`, {
      hint: 'save the reply from your mail client as .eml ("Save as" or "Download message")',
    });
  }
  const email = await PostalMime.parse(buffer);
  const header = (name: string) => email.headers.find((entry) => entry.key === name)?.value;
  if (!header("from") && !header("date") && !header("message-id")) {
    throw new UserError(`${shown} is not an email message: it has no From, Date or Message-ID header`, {
      hint: "save the reply from your mail client as .eml",
    });
  }
  const date = email.date ? new Date(email.date) : undefined;
  // The day the sender wrote it, in the sender's own time zone, as the Date header says it.
  const written = /(\d{1,2})\s+(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\s+(\d{4})/i.exec(
    header("date") ?? "",
  );
  const day = written
    ? `${written[3]}-${String(MONTHS.indexOf((written[2] ?? "").slice(0, 3).toLowerCase()) + 1).padStart(2, "0")}-${String(written[1]).padStart(2, "0")}`
    : date && !Number.isNaN(date.getTime())
      ? date.toISOString().slice(0, 10)
      : undefined;
  const from = email.from
    ? email.from.name
      ? `${email.from.name} <${email.from.address}>`
      : email.from.address
    : undefined;
  const autoSubmitted = header("auto-submitted");
  const contentType = header("content-type") ?? "";
  const bounce =
    (/multipart\/report/i.test(contentType) && /delivery-status/i.test(contentType)) ||
    /^(mailer-daemon|postmaster)@/i.test(email.from?.address ?? "");
  // A bounce report quotes the headers of the message that bounced (RFC 3464): its Message-ID says which
  // of our letters it is, even though the report itself does not answer it.
  const bounced = bounce ? quotedMessageIds(buffer, email) : [];
  return {
    ...(day ? { date: day } : {}),
    ...(from ? { from } : {}),
    ...(email.subject ? { subject: email.subject } : {}),
    ...(email.messageId ? { messageId: email.messageId } : {}),
    answers: [...messageIds(email.inReplyTo), ...messageIds(email.references).reverse(), ...bounced],
    autoReply:
      (autoSubmitted !== undefined && autoSubmitted.toLowerCase() !== "no") ||
      header("x-autoreply") !== undefined ||
      /auto_reply/i.test(header("precedence") ?? ""),
    bounce,
  };
}

/**
 * Message-IDs quoted inside a message (in its attached headers), other than its own: found in the raw text,
 * and in quoted headers that the report encoded (base64 or quoted-printable), once decoded.
 */
function quotedMessageIds(buffer: Buffer, email: Email): string[] {
  const texts = [buffer.toString("latin1")];
  for (const attachment of email.attachments) {
    if (/^(text\/rfc822-headers|message\/(rfc822|global|global-headers))$/i.test(attachment.mimeType)) {
      const content = attachment.content;
      texts.push(
        typeof content === "string" ? content : Buffer.from(content as ArrayBuffer).toString("latin1"),
      );
    }
  }
  const found = texts.flatMap((text) =>
    [...text.matchAll(/^Message-ID:\s*(<[^<>\s]+>)/gim)].map((match) => match[1] as string),
  );
  return [...new Set(found)].filter((id) => id !== email.messageId);
}
