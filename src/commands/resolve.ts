// `outreach resolve ID --sent | --not-sent`: the user's decision about an uncertain send, recorded in the journal.
import { JournalWriter, newEventId, readJournal, repairJournal } from "../adapters/journal-file.js";
import { SendLock } from "../adapters/lock.js";
import type { IO } from "../adapters/terminal.js";
import { deriveState, JOURNAL_VERSION, type ResolvedEvent } from "../core/journal.js";
import { pickCampaign } from "../core/plan.js";
import { EXIT, UserError } from "../errors.js";
import { type CampaignOptions, chooseRecipients, openReadablePlan } from "./context.js";

export interface ResolveOptions extends CampaignOptions {
  id: string;
  sent?: boolean;
  notSent?: boolean;
  note?: string;
}

export async function resolve(options: ResolveOptions, io: IO): Promise<ResolvedEvent[]> {
  if (options.sent && options.notSent) {
    throw new UserError("--sent and --not-sent say opposite things: give one of them", {
      exitCode: EXIT.usage,
    });
  }
  if (!options.sent && !options.notSent) {
    throw new UserError(
      "say what happened: --sent (the letter arrived) or --not-sent (send it again next time)",
      { exitCode: EXIT.usage },
    );
  }
  const { root, plan } = await openReadablePlan(options, io);
  const { prepared, selected } = pickCampaign(plan, options.campaign);
  const campaign = prepared.campaign.id;
  const [entry] = chooseRecipients(selected, plan.recipients, [options.id], campaign);
  const recipient = entry?.recipient.id ?? options.id;
  const lock = SendLock.acquire(root, "resolve");
  let failure: unknown;
  try {
    const journal = readJournal(root);
    const kept = await repairJournal(root, journal);
    if (kept)
      io.stderr.write(io.err.yellow(`The journal's last line was cut off; it was kept in ${kept}.\n`));
    const state = deriveState(journal.events);
    const uncertain = [...state.deliveries.values()].filter(
      (delivery) =>
        delivery.campaign === campaign && delivery.recipient === recipient && delivery.status === "uncertain",
    );
    if (uncertain.length === 0) {
      throw new UserError(
        `nothing to resolve: the letter to "${recipient}" in ${campaign} is not uncertain`,
        {
          hint: '"outreach status" lists the uncertain ones',
        },
      );
    }
    const writer = await JournalWriter.open(root);
    const events: ResolvedEvent[] = [];
    try {
      for (const delivery of uncertain) {
        for (const messageId of delivery.uncertainMessageIds) {
          const event: ResolvedEvent = {
            v: JOURNAL_VERSION,
            id: newEventId(),
            at: io.clock().toISOString(),
            campaign,
            recipient,
            type: "resolved",
            message_id: messageId,
            outcome: options.sent ? "sent" : "not-sent",
            ...(options.note ? { note: options.note } : {}),
          };
          await writer.append(event);
          events.push(event);
        }
      }
    } finally {
      await writer.close();
    }
    io.stdout.write(
      options.sent
        ? `Recorded: the letter to ${recipient} arrived; it will not be sent again.\n`
        : `Recorded: the letter to ${recipient} did not arrive; the next "outreach send" sends it again.\n`,
    );
    return events;
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    lock.releaseAfter(io, failure, "your decision is recorded in the journal");
  }
}
