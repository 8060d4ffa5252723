// Composes the raw email (RFC 5322) with nodemailer's MailComposer: the same bytes preview writes and send
// will hand to the server. Attachments are read here, so nodemailer itself never touches files or URLs.
import { readFile } from "node:fs/promises";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import type { MessageSpec } from "../core/letters.js";

export async function composeMessage(
  spec: MessageSpec,
  envelope: { messageId?: string; date: Date },
): Promise<Buffer> {
  const attachments = await Promise.all(
    spec.attachments.map(async (attachment) => ({
      filename: attachment.filename,
      content: await readFile(attachment.absolutePath),
    })),
  );
  const composer = new MailComposer({
    from: spec.from,
    ...(spec.replyTo ? { replyTo: spec.replyTo } : {}),
    to: spec.to,
    ...(spec.cc.length > 0 ? { cc: spec.cc } : {}),
    subject: spec.subject,
    text: spec.text,
    ...(spec.html === undefined ? {} : { html: spec.html }),
    attachments,
    headers: spec.headers,
    ...(spec.inReplyTo ? { inReplyTo: spec.inReplyTo } : {}),
    ...(spec.references?.length ? { references: spec.references } : {}),
    date: envelope.date,
    ...(envelope.messageId ? { messageId: envelope.messageId } : {}),
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return composer.compile().build();
}
