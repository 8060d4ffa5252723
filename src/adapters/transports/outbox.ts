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
      const folder = join(root, OUTBOX_FOLDER, message.campaign);
      const file = `${message.recipient}.eml`;
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
          response: `cannot write ${OUTBOX_FOLDER}/${message.campaign}/${file}: ${(error as NodeJS.ErrnoException).code}`,
        };
      }
      return {
        status: "sent",
        response: `written to ${OUTBOX_FOLDER}/${message.campaign}/${file}`,
        accepted: message.envelope.to,
        rejected: [],
      };
    },
    async close() {},
  };
}
