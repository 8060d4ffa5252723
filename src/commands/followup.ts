// `outreach followup`: a polite follow-up to everyone whose answer is overdue, threaded under the letters
// they already have (In-Reply-To, References), with the same guarantees as `send`.
import type { IO } from "../adapters/terminal.js";
import type { Skipped } from "../core/delivery.js";
import { followupKind, type Letter, type LetterKind, renderLetters } from "../core/letters.js";
import { pickCampaign } from "../core/plan.js";
import type { RecipientEntry } from "../core/recipients.js";
import { trackRecipient } from "../core/tracking.js";
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
        const notDue: string[] = [];
        for (const entry of entries) {
          const tracking = trackRecipient(state, campaign, entry, io.now);
          if (tracking.status !== "waiting") continue;
          const sentLetters = tracking.letters;
          const byEmail = sentLetters.every((letter) => letter.channel === "email" && letter.messageId);
          if (!tracking.followupDue) {
            notDue.push(
              tracking.nextFollowupDue
                ? `${entry.recipient.id} on ${tracking.nextFollowupDue}`
                : `${entry.recipient.id} (all ${campaign.followup.max} follow-ups sent)`,
            );
            continue;
          }
          if (!byEmail || entry.recipient.contacts.length === 0) {
            // A letter outreach did not send itself has no Message-ID to thread under.
            const byHand = sentLetters.find((letter) => letter.channel !== "email" || !letter.messageId);
            const channel = byHand?.channel ?? "email";
            const how = channel === "email" ? "was emailed from your own mail client" : `went by ${channel}`;
            skipped.push({
              letter: placeholder(entry, campaign.id),
              reason: "no-email",
              detail: `follow-up due, but the letter ${how}: follow up the same way, then outreach log ${entry.recipient.id} --sent-by ${channel} --followup`,
            });
            continue;
          }
          const appeal = tracking.appeal as NonNullable<typeof tracking.appeal>;
          due.push({
            entry,
            kind: followupKind(prepared, tracking.followupsSent + 1, {
              date: appeal.at.slice(0, 10),
              subject: appeal.subject ?? "",
              messageIds: sentLetters.map((letter) => letter.messageId as string),
            }),
          });
        }
        if (due.length === 0 && notDue.length > 0) {
          const next = `${notDue.slice(0, 5).join(", ")}${notDue.length > 5 ? ", …" : ""}`;
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

/** A stand-in letter for listing a recipient that is not followed up by email. */
function placeholder(entry: RecipientEntry, campaign: string): Letter {
  return {
    entry,
    recipient: entry.recipient,
    campaign,
    language: entry.recipient.language ?? "",
    subject: "",
    text: "",
    templates: [],
    stage: "followup",
  };
}
