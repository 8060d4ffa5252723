// Reads a saved reply (.eml) the way a mail client would, for `outreach log --from-eml`.
import PostalMime, { type Email } from "postal-mime";
import {
  answeredIds,
  classify,
  messageFacts,
  quotedMessageIds,
  type SavedReply,
  savedReply,
  senderOf,
  writtenDay,
} from "../core/replies.js";
import { EXIT, UserError } from "../errors.js";
import { describeFileFailure, readRegularFileWithin } from "./file-system.js";

const MAX_EML_BYTES = 50 * 1024 * 1024;

export type { SavedReply };

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
  // The same facts and the same rules as `outreach inbox`, so both classify a message alike.
  const headers: Record<string, string> = {};
  for (const entry of email.headers) if (!(entry.key in headers)) headers[entry.key] = entry.value;
  const facts = messageFacts({
    messageId: email.messageId,
    inReplyTo: email.inReplyTo,
    references: email.references,
    fromAddress: email.from?.address,
    fromName: email.from?.name,
    subject: email.subject,
    dateHeader: header("date"),
    headers,
  });
  const kind = classify(facts);
  const day = writtenDay(facts.dateHeader);
  const from = senderOf(facts);
  // A bounce report quotes the headers of the message that bounced (RFC 3464): its Message-ID says which
  // of our letters it is, even though the report itself does not answer it.
  const bounced = kind === "bounce" ? quotedHeaderIds(buffer, email) : [];
  return savedReply({
    date: day,
    from,
    subject: facts.subject,
    messageId: email.messageId,
    answers: [...answeredIds(facts), ...bounced],
    autoReply: kind === "auto-reply",
    bounce: kind === "bounce",
  });
}

/**
 * Message-IDs quoted inside a message (in its attached headers), other than its own: found in the raw text,
 * and in quoted headers that the report encoded (base64 or quoted-printable), once decoded.
 */
function quotedHeaderIds(buffer: Buffer, email: Email): string[] {
  const texts = [buffer.toString("latin1")];
  for (const attachment of email.attachments) {
    if (/^(text\/rfc822-headers|message\/(rfc822|global|global-headers))$/i.test(attachment.mimeType)) {
      const content = attachment.content;
      texts.push(
        typeof content === "string" ? content : Buffer.from(content as ArrayBuffer).toString("latin1"),
      );
    }
  }
  return [...new Set(texts.flatMap((text) => quotedMessageIds(text, email.messageId)))];
}
