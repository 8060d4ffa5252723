// The default transport: each message becomes a real .eml file in outbox/<campaign>/, to read, open in a
// mail client or send by hand. Nothing leaves the machine.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { DeliveryResult, OutgoingMessage, Transport } from "../../core/transport.js";
import { UserError } from "../../errors.js";
import { describeFileFailure, fileError } from "../file-system.js";
import { replaceFileWhole } from "../file-writes.js";
import { pathInside, refuseLinksBelow } from "../paths.js";

export const OUTBOX_FOLDER = "outbox";

/**
 * Outlook and Thunderbird open a message with this header as a draft, ready to be sent from there. Only the
 * file has it: the message itself is exactly what an SMTP server would get.
 */
const DRAFT_HEADER = Buffer.from("X-Unsent: 1\r\n");

/**
 * The outbox, once its folder proved to lead nowhere outside the campaign folder (else a UserError). Each
 * letter is on disk under its name (file and folder flushed) before it is reported written, so the journal
 * never records a letter a power cut can take away; `durable: false` (OUTREACH_UNSAFE_NO_FSYNC=1, for
 * benchmarks) skips the flushes.
 */
export function outboxTransport(root: string, options: { durable?: boolean } = {}): Transport {
  const durable = options.durable ?? true;
  refuseLinksBelow(root, OUTBOX_FOLDER);
  return {
    kind: "outbox",
    description: `${OUTBOX_FOLDER}/ (no SMTP server is configured: letters are written as .eml files)`,
    concurrency: 1,
    // The folder is made before the first letter: a file in its place stops the run with one sentence,
    // not one failure per letter.
    async prepare({ campaign, test }) {
      const inside = join(OUTBOX_FOLDER, campaign, ...(test ? ["test"] : []));
      try {
        mkdirSync(pathInside(root, inside), { recursive: true });
      } catch (error) {
        throw fileError(error, inside, "write", "nothing was written");
      }
    },
    async deliver(message: OutgoingMessage): Promise<DeliveryResult> {
      // One file per letter: the appeal, each follow-up, and test sends in a folder of their own.
      const inside = join(OUTBOX_FOLDER, message.campaign, ...(message.test ? ["test"] : []));
      const file = `${message.recipient}${message.stage === "appeal" ? "" : `.${message.stage}`}.eml`;
      const shown = `${OUTBOX_FOLDER}/${message.campaign}/${message.test ? "test/" : ""}${file}`;
      try {
        // Never through a link that leads out of the campaign folder.
        const folder = pathInside(root, inside);
        mkdirSync(folder, { recursive: true });
        replaceFileWhole(join(folder, file), [DRAFT_HEADER, ...message.raw], { durable });
      } catch (error) {
        return {
          status: "failed",
          kind: "permanent",
          unreachable: true,
          response:
            error instanceof UserError
              ? error.message
              : `${shown} ${describeFileFailure(error, "write").reason}`,
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
