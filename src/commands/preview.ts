// `outreach preview`: each letter exactly as it would go out, on the terminal or as .eml/.txt files.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { composeMessage } from "../adapters/mime.js";
import { plural } from "../adapters/report.js";
import type { IO } from "../adapters/terminal.js";
import type { Address, Letter } from "../core/letters.js";
import { otherChannelHint } from "../core/recipients.js";
import { type CampaignOptions, renderCampaign } from "./context.js";

export interface PreviewOptions extends CampaignOptions {
  ids?: string[];
  out?: string;
  json?: boolean;
}

export function formatAddress(address: Address): string {
  return address.name ? `${address.name} <${address.address}>` : address.address;
}

function formatSize(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} kB`;
}

/** The letter as a person reads it: the headers that matter, then the body. */
export function formatLetter(letter: Letter): string {
  const { recipient, message } = letter;
  const headers: [string, string][] = [];
  if (message) {
    headers.push(["From", formatAddress(message.from)]);
    if (message.replyTo) headers.push(["Reply-To", formatAddress(message.replyTo)]);
    headers.push(["To", message.to.map(formatAddress).join(", ")]);
    if (message.cc.length > 0) headers.push(["Cc", message.cc.map(formatAddress).join(", ")]);
  } else {
    const via = otherChannelHint(recipient);
    headers.push(["To", `(no email: deliver by ${via})`]);
  }
  headers.push(["Subject", letter.subject]);
  headers.push(["Language", `${letter.language} (${letter.templates.join(", ")})`]);
  for (const attachment of message?.attachments ?? []) {
    headers.push(["Attachment", `${attachment.file} (${formatSize(attachment.size)})`]);
  }
  const width = Math.max(...headers.map(([name]) => name.length)) + 2;
  const head = headers.map(([name, value]) => `${`${name}:`.padEnd(width)}${value}`).join("\n");
  return `${head}\n\n${letter.text.replace(/\s+$/, "")}\n`;
}

export async function preview(options: PreviewOptions, io: IO): Promise<Letter[]> {
  const { prepared, letters } = await renderCampaign(options, io);

  if (options.out !== undefined) {
    const folder = resolve(io.cwd, options.out);
    mkdirSync(folder, { recursive: true });
    const date = io.now;
    for (const letter of letters) {
      const base = join(folder, letter.recipient.id);
      writeFileSync(`${base}.txt`, formatLetter(letter));
      if (letter.message) writeFileSync(`${base}.eml`, await composeMessage(letter.message, { date }));
    }
    const emails = letters.filter((letter) => letter.message).length;
    io.stderr.write(
      `Wrote ${plural(letters.length, "letter")} to ${relative(io.cwd, folder) || "."}/: ` +
        `${plural(letters.length, ".txt file")} and ${plural(emails, ".eml file")} (recipients without email get only .txt)\n`,
    );
    return letters;
  }
  if (options.json) {
    const rows = letters.map((letter) => ({
      id: letter.recipient.id,
      campaign: letter.campaign,
      organisation: letter.recipient.organisation,
      language: letter.language,
      templates: letter.templates,
      from: letter.message?.from ?? null,
      to: letter.message?.to ?? [],
      cc: letter.message?.cc ?? [],
      subject: letter.subject,
      text: letter.text,
      html: letter.html ?? null,
      attachments: letter.message?.attachments.map((attachment) => attachment.file) ?? [],
      channels: letter.recipient.channels ?? {},
    }));
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return letters;
  }
  const rule = "─".repeat(72);
  const chunks: string[] = [];
  for (const letter of letters) {
    chunks.push(
      `${io.out.dim(rule)}\n${io.out.bold(`${letter.recipient.id} · ${letter.recipient.organisation}`)}\n${io.out.dim(rule)}\n${formatLetter(letter)}\n`,
    );
  }
  io.stdout.write(chunks.join(""));
  io.stderr.write(`${plural(letters.length, "letter")} previewed for campaign ${prepared.campaign.id}\n`);
  return letters;
}
