// `outreach followup`: a polite follow-up to everyone whose answer is overdue, threaded under the letters
// they already have (In-Reply-To, References), with the same guarantees as `send`.
import type { IO } from "../adapters/terminal.js";
import type { Skipped } from "../core/delivery.js";
import { followupKind, type LetterKind, renderLetters } from "../core/letters.js";
import { pickCampaign } from "../core/plan.js";
import type { RecipientEntry } from "../core/recipients.js";
import { followupFor, trackRecipient } from "../core/tracking.js";
import { UserError } from "../errors.js";
import { chooseRecipients, openLetterPlan, requireValid } from "./context.js";
import { runDelivery, type SendOptions, type SendResult } from "./send.js";

export async function followup(options: SendOptions, io: IO): Promise<SendResult> {
  const { root, plan, engine, saveCache } = await openLetterPlan(options, io);
  requireValid(plan.problems, io);
  const { prepared, selected } = pickCampaign(plan, options.campaign);
  const { campaign } = prepared;
  if (!campaign.followup.template) {
    throw new UserError(`campaign ${campaign.id} has no follow-up letter`, {
      hint: `add to the campaign in outreach.yaml:  followup: { template: followup }  and write templates/followup.txt.hbs`,
    });
  }
  const entries = chooseRecipients(selected, plan.recipients, options.ids ?? [], campaign.id);
  saveCache();
  return runDelivery(
    {
      root,
      prepared,
      options,
      command: "followup",
      noun: "follow-up",
      choose(state) {
        const due: { entry: RecipientEntry; kind: LetterKind }[] = [];
        const skipped: Skipped[] = [];
        const later: string[] = [];
        for (const entry of entries) {
          const tracking = trackRecipient(state, campaign, entry, io.now);
          const decision = followupFor(tracking, entry.recipient.contacts.length > 0);
          const id = entry.recipient.id;
          if (decision.kind === "due") {
            due.push({ entry, kind: followupKind(prepared, decision.number, decision.original) });
          } else if (decision.kind === "by-hand") {
            const how =
              decision.channel === "email"
                ? "was emailed from your own mail client"
                : `went by ${decision.channel}`;
            skipped.push({
              recipient: id,
              reason: "no-email",
              detail: `follow-up due, but the letter ${how}: follow up the same way, then outreach log ${id} --sent-by ${decision.channel} --followup`,
            });
          } else if (decision.kind === "later") {
            later.push(`${id} on ${decision.on}`);
          } else if (decision.kind === "done") {
            later.push(`${id} (all ${campaign.followup.max} follow-ups sent)`);
          }
        }
        if (due.length === 0 && later.length > 0) {
          const next = `${later.slice(0, 5).join(", ")}${later.length > 5 ? ", …" : ""}`;
          io.stderr.write(
            `${skipped.length ? "No follow-up is due by email" : "No follow-up is due yet"}. Next: ${next}\n`,
          );
        }
        const kinds = new Map(due.map(({ entry, kind }) => [entry, kind]));
        const { letters, problems } = renderLetters(
          engine,
          prepared,
          due.map(({ entry }) => entry),
          (entry) => kinds.get(entry) as LetterKind,
        );
        requireValid(problems, io);
        return { letters, skipped };
      },
    },
    io,
  );
}
