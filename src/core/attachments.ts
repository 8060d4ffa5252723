// What an attachment becomes inside a letter: which files are text (sent as UTF-8 with a charset), how many
// bytes a file takes once base64-encoded, and the message sizes mail providers refuse. Pure.
import type { Problem } from "./problems.js";

/** A campaign attachment path that is a template, resolved per recipient (`attachments/{{recipient.id}}.pdf`). */
export function isTemplatedPath(path: string): boolean {
  return path.includes("{{");
}

/** Text files by extension, with the MIME type they are sent as (always with charset=utf-8). */
const TEXT_TYPES: Record<string, string> = {
  txt: "text/plain",
  text: "text/plain",
  log: "text/plain",
  md: "text/markdown",
  markdown: "text/markdown",
  csv: "text/csv",
  tsv: "text/tab-separated-values",
  html: "text/html",
  htm: "text/html",
  ics: "text/calendar",
  vcf: "text/vcard",
};

/** The MIME type of a text attachment, e.g. "text/csv; charset=utf-8"; undefined for any other file. */
export function textAttachmentType(filename: string): string | undefined {
  const dot = filename.lastIndexOf(".");
  const type = dot > 0 ? TEXT_TYPES[filename.slice(dot + 1).toLowerCase()] : undefined;
  return type ? `${type}; charset=utf-8` : undefined;
}

/** Base64 in lines of 76 characters joined by CRLF, as the composer writes it. */
export const BASE64_LINE = 76;

/** The bytes `size` bytes of content take once base64-encoded in lines of 76 characters. */
export function base64Length(size: number): number {
  const characters = 4 * Math.ceil(size / 3);
  return characters + 2 * Math.max(0, Math.ceil(characters / BASE64_LINE) - 1);
}

/**
 * Gmail refuses a message over 25 MB once encoded, and many institutions' servers accept less: above this a
 * letter is likely to come back.
 */
export const PROVIDER_WARNING_BYTES = 25_000_000;
/** Microsoft 365's default cap; above it most providers refuse the message (transport.max_message_size). */
export const DEFAULT_MAX_MESSAGE_SIZE = "35MB";
/** Room for the headers and the letter itself, on top of the attachments. */
const LETTER_ALLOWANCE_BYTES = 64 * 1024;

const SIZE_UNITS: Record<string, number> = { kb: 1000, mb: 1_000_000, gb: 1_000_000_000 };

/** "35MB", "500 kB", "1.5GB" in bytes (decimal units, as providers state their limits). */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(kb|mb|gb)$/i.exec(text.trim());
  if (!match) return Number.NaN;
  return Math.round(Number(match[1]) * (SIZE_UNITS[(match[2] as string).toLowerCase()] as number));
}

/** The largest letter a campaign may send, from transport.max_message_size. */
export function maxMessageBytes(setting: string | undefined): number {
  return parseSize(setting ?? DEFAULT_MAX_MESSAGE_SIZE);
}

/** What the attachments and the letter come to once encoded, before any letter is composed. */
export function estimateMessageSize(attachments: readonly { encodedSize: number }[]): number {
  return attachments.reduce((sum, attachment) => sum + attachment.encodedSize, LETTER_ALLOWANCE_BYTES);
}

export function formatMegabytes(bytes: number): string {
  return bytes >= 1_000_000 ? `${(bytes / 1_000_000).toFixed(1)} MB` : `${Math.ceil(bytes / 1000)} kB`;
}

/** What to tell the user about the size of a campaign's letters, where they act on it (send, preview). */
export function campaignSizeProblem(
  attachments: readonly { encodedSize: number }[],
  maxMessageSize: string | undefined,
): Pick<Problem, "severity" | "message" | "hint"> | undefined {
  if (attachments.length === 0) return undefined;
  return messageSizeProblem(
    estimateMessageSize(attachments),
    maxMessageBytes(maxMessageSize),
    "transport.max_message_size",
  );
}

/** A campaign's letters are too big for most providers (warning) or over the limit (error). */
export function messageSizeProblem(
  bytes: number,
  maxBytes: number,
  limitSource: string,
): Pick<Problem, "severity" | "message" | "hint"> | undefined {
  const size = `each letter is about ${formatMegabytes(bytes)} once its attachments are encoded (base64 adds a third)`;
  const link = "put the file on a web page or a shared drive and link to it, or make it smaller";
  if (bytes > maxBytes) {
    return {
      severity: "error",
      message: `${size}, over the limit of ${formatMegabytes(maxBytes)} (${limitSource})`,
      hint: `${link}; if your provider and your recipients' servers accept larger messages, raise transport.max_message_size`,
    };
  }
  if (bytes > PROVIDER_WARNING_BYTES) {
    return {
      severity: "warning",
      message: `${size}: Gmail refuses messages over 25 MB, Microsoft 365 over 35 MB, and many institutions' servers accept less`,
      hint: link,
    };
  }
  return undefined;
}
