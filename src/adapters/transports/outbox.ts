// The default transport: each message becomes a real .eml file in outbox/<campaign>/, to read, open in a
// mail client or send by hand. Nothing leaves the machine.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DeliveryResult, OutgoingMessage, Transport } from "../../core/transport.js";

export const OUTBOX_FOLDER = "outbox";

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
        writeFileSync(temporary, message.raw);
        renameSync(temporary, join(folder, file));
      } catch (error) {
        return {
          status: "failed",
          kind: "permanent",
          unreachable: true,
          response: `cannot write ${shown}: ${(error as NodeJS.ErrnoException).code}`,
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
