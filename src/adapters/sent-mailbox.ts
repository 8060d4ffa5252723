// Copies of sent messages, one mbox file per campaign (.outreach/sent/<campaign>.mbox): any mail client opens
// it, and appending to one open file costs far less than creating a file per letter.
import { accessSync, closeSync, constants, lstatSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { RawMessage } from "../core/transport.js";
import { fileError, openToAppendSync, statRegularFile } from "./file-system.js";
import { writeWhole } from "./file-writes.js";
import { STATE_FOLDER } from "./journal-file.js";

export function sentMailboxPath(campaign: string): string {
  return join(STATE_FOLDER, "sent", `${campaign}.mbox`);
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** The separator line in the asctime form mbox readers look for: `From you@example.org Mon Feb  2 09:00:01 2026`. */
export function fromLine(sender: string, date: Date): string {
  const time = [date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()]
    .map((part) => String(part).padStart(2, "0"))
    .join(":");
  const day = String(date.getUTCDate()).padStart(2, " ");
  return `From ${sender} ${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${day} ${time} ${date.getUTCFullYear()}\n`;
}

const CHUNK_BYTES = 1 << 16;
const LF = Buffer.from("\n");
const EMPTY = Buffer.alloc(0);

/**
 * One message as an mboxrd entry, in pieces of about 64 kB: the separator, the message with LF line ends
 * (the convention of mbox files on Unix, which mutt, git mailsplit and Python's mailbox read), every line
 * that starts with ">*From " quoted with one more ">", and a blank line after it.
 */
export function* mboxEntry(raw: RawMessage, sender: string, date: Date): Generator<Buffer> {
  yield Buffer.from(fromLine(sender, date));
  // Each chunk is whole lines, so that "From " is only ever looked for at the start of a line and no
  // CRLF is cut in two; a line that runs on into the next piece is carried over.
  let carry = EMPTY;
  for (const piece of raw) {
    for (let start = 0; start < piece.length; ) {
      const newline =
        start + CHUNK_BYTES < piece.length
          ? piece.indexOf(0x0a, start + CHUNK_BYTES)
          : piece.lastIndexOf(0x0a);
      if (newline < start) {
        carry = Buffer.concat([carry, piece.subarray(start)]);
        break;
      }
      const lines = piece.subarray(start, newline + 1);
      yield toMboxLines(carry.length > 0 ? Buffer.concat([carry, lines]) : lines);
      carry = EMPTY;
      start = newline + 1;
    }
  }
  if (carry.length > 0) yield Buffer.concat([toMboxLines(carry), LF]);
  yield LF;
}

function toMboxLines(lines: Buffer): Buffer {
  const text = lines.toString("latin1").replaceAll("\r\n", "\n");
  // Most letters have no "From " at all: the pattern is run only on those that do.
  const quoted = text.includes("From ") ? text.replace(/^(>*From )/gm, ">$1") : text;
  return Buffer.from(quoted, "latin1");
}

export class SentMailbox {
  private constructor(private readonly descriptor: number) {}

  static open(root: string, campaign: string): SentMailbox {
    mkdirSync(join(root, STATE_FOLDER, "sent"), { recursive: true, mode: 0o700 });
    return new SentMailbox(openToAppendSync(join(root, sentMailboxPath(campaign))));
  }

  /**
   * Before anything is handed over: a mailbox that exists must be a file outreach can append to, so that a
   * run never sends a letter whose copy it cannot keep. Creates nothing (a run that sends nothing writes nothing).
   */
  static checkBeforeSending(root: string, campaign: string): void {
    const path = join(root, sentMailboxPath(campaign));
    try {
      statRegularFile(path);
      accessSync(path, constants.W_OK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT" && !isDanglingLink(path)) return;
      throw fileError(error, sentMailboxPath(campaign), "write", "nothing was sent");
    }
  }

  /** A letter of less than about 64 kB (most) is one write; a larger one goes in pieces of about that much. */
  append(raw: RawMessage, sender: string, date: Date): void {
    let pieces: Buffer[] = [];
    let size = 0;
    const write = () => {
      writeWhole(this.descriptor, pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces, size));
      pieces = [];
      size = 0;
    };
    for (const piece of mboxEntry(raw, sender, date)) {
      pieces.push(piece);
      size += piece.length;
      if (size >= CHUNK_BYTES) write();
    }
    if (size > 0) write();
  }

  close(): void {
    closeSync(this.descriptor);
  }
}

function isDanglingLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
