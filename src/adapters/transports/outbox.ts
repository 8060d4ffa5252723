// The default transport: each message becomes a real .eml file in outbox/<campaign>/, to read, open in a
// mail client or send by hand. Nothing leaves the machine.
import { mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import type { DeliveryResult, OutgoingMessage, Transport } from "../../core/transport.js";
import { diskReason } from "../disk-errors.js";
import { writePieces } from "../file-writes.js";

export const OUTBOX_FOLDER = "outbox";

/**
 * Outlook and Thunderbird open a message with this header as a draft, ready to be sent from there. Only the
 * file has it: the message itself is exactly what an SMTP server would get.
 */
const DRAFT_HEADER = Buffer.from("X-Unsent: 1\r\n");

export function outboxTransport(root: string): Transport {
  return {
    kind: "outbox",
    description: `${OUTBOX_FOLDER}/ (no SMTP server is configured: letters are written as .eml files)`,
    concurrency: 1,
    async deliver(message: OutgoingMessage): Promise<DeliveryResult> {
      // One file per letter: the appeal, each follow-up, and test sends in a folder of their own.
      const folder = join(root, OUTBOX_FOLDER, message.campaign, ...(message.test ? ["test"] : []));
      const file = `${message.recipient}${message.stage === "appeal" ? "" : `.${message.stage}`}.eml`;
      const shown = `${OUTBOX_FOLDER}/${message.campaign}/${message.test ? "test/" : ""}${file}`;
      try {
        mkdirSync(folder, { recursive: true });
        const temporary = join(folder, `.${file}.${process.pid}.tmp`);
        writePieces(temporary, [DRAFT_HEADER, ...message.raw]);
        renameSync(temporary, join(folder, file));
      } catch (error) {
        return {
          status: "failed",
          kind: "permanent",
          unreachable: true,
          response: `cannot write ${shown}: ${diskReason(error)}`,
        };
      }
      return {
        status: "sent",
        response: `written to ${shown}`,
        accepted: message.envelope.to,
        rejected: [],
      };
    },
    async close() {},
  };
}
