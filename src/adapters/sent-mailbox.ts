// Copies of sent messages, one mbox file per campaign (.outreach/sent/<campaign>.mbox): any mail client opens
// it, and appending to one open file costs far less than creating a file per letter.
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { STATE_FOLDER } from "./journal-file.js";

export function sentMailboxPath(campaign: string): string {
  return join(STATE_FOLDER, "sent", `${campaign}.mbox`);
}

/** mboxrd: a "From " separator line, LF line ends, and lines starting with ">*From " get one more ">". */
export function toMboxEntry(raw: Buffer, sender: string, date: Date): string {
  const body = raw
    .toString("latin1")
    .replace(/\r\n/g, "\n")
    .replace(/^(>*From )/gm, ">$1");
  return `From ${sender} ${date.toUTCString().replace(/,/g, "")}\n${body}${body.endsWith("\n") ? "" : "\n"}\n`;
}

export class SentMailbox {
  private constructor(private readonly descriptor: number) {}

  static open(root: string, campaign: string): SentMailbox {
    mkdirSync(join(root, STATE_FOLDER, "sent"), { recursive: true, mode: 0o700 });
    return new SentMailbox(openSync(join(root, sentMailboxPath(campaign)), "a", 0o600));
  }

  append(raw: Buffer, sender: string, date: Date): void {
    writeSync(this.descriptor, Buffer.from(toMboxEntry(raw, sender, date), "latin1"));
  }

  close(): void {
    closeSync(this.descriptor);
  }
}
