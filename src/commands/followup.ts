// `outreach followup`: a polite follow-up to everyone whose answer is overdue, threaded under the letters
// they already have (In-Reply-To, References), with the same guarantees as `send`.
import type { IO } from "../adapters/terminal.js";
import type { Skipped } from "../core/delivery.js";
import { followupKind, type LetterHead, type LetterKind, letterHeads } from "../core/letters.js";
import { withFields } from "../core/objects.js";
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
      engine,
      options,
      command: "followup",
      noun: "follow-up",
      choose(state) {
        const due: { entry: RecipientEntry; kind: LetterKind; reached: string[] }[] = [];
        const skipped: Skipped[] = [];
        const later: string[] = [];
        const notChased: string[] = [];
        for (const entry of entries) {
          const tracking = trackRecipient(state, campaign, entry, io.now);
          const decision = followupFor(tracking, entry.recipient.contacts.length > 0);
          const id = entry.recipient.id;
          if (decision.kind === "due") {
            const kind = followupKind(prepared, decision.number, decision.original);
            due.push({ entry, kind, reached: tracking.reached });
          } else if (decision.kind === "partial") {
            skipped.push({
              recipient: id,
              reason: "failed",
              detail: `no follow-up: the letter never reached ${decision.notReached.map((refusal) => `${refusal.address} (${refusal.response})`).join(", ")}; complete it with outreach send ${id} (--retry-failed once the address is fixed), or close it with outreach log ${id} --outcome closed`,
            });
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
          } else if (decision.kind === "held") {
            skipped.push({ recipient: id, reason: "answered", detail: decision.reason });
          } else if (decision.kind === "later") {
            later.push(`${id} on ${decision.on}`);
          } else if (decision.kind === "done") {
            later.push(`${id} (all ${decision.max} follow-ups sent)`);
          } else if (decision.kind === "not-chased") {
            notChased.push(id);
          }
        }
        if (notChased.length > 0) {
          io.stderr.write(
            `Not chased (followup max 0, by choice): ${notChased.slice(0, 5).join(", ")}${notChased.length > 5 ? ", …" : ""}\n`,
          );
        }
        if (due.length === 0 && later.length > 0) {
          const next = `${later.slice(0, 5).join(", ")}${later.length > 5 ? ", …" : ""}`;
          io.stderr.write(
            `${skipped.some((skip) => skip.reason === "no-email") ? "No follow-up is due by email" : "No follow-up is due yet"}. Next: ${next}\n`,
          );
        }
        const kinds = new Map(due.map(({ entry, kind }) => [entry, kind]));
        // Every follow-up renders here (a template failing for one stops the run), and again when it goes.
        const { heads, problems } = letterHeads(
          engine,
          prepared,
          due.map(({ entry }) => entry),
          (entry) => kinds.get(entry) as LetterKind,
        );
        requireValid(problems, io);
        const reached = new Map(due.map(({ entry, reached }) => [entry.recipient.id, reached]));
        const narrowed = heads.map((head) => toReachedOnly(head, reached));
        for (const letter of narrowed) {
          if (letter.message && letter.message.to.length === 0) {
            skipped.push({
              recipient: letter.recipient.id,
              reason: "failed",
              detail: `no follow-up: none of its addresses now got the appeal (${reached.get(letter.recipient.id)?.join(", ")} did); follow up by hand, then outreach log ${letter.recipient.id} --sent-by email --followup`,
            });
          }
        }
        return {
          letters: narrowed.filter((letter) => !letter.message || letter.message.to.length > 0),
          skipped,
        };
      },
    },
    io,
  );
}

/**
 * A follow-up goes only to the addresses its appeal reached: a contact added since, or one the server
 * refused, would get a "Re:" to a letter they never had.
 */
function toReachedOnly(letter: LetterHead, reachedById: Map<string, string[]>): LetterHead {
  const reached = new Set(
    (reachedById.get(letter.recipient.id) ?? []).map((address) => address.toLowerCase()),
  );
  const message = letter.message;
  if (!message || reached.size === 0) return letter;
  const keep = (address: { address: string }) => reached.has(address.address.toLowerCase());
  const to = message.to.filter(keep);
  const cc = message.cc.filter(keep);
  if (to.length === message.to.length && cc.length === message.cc.length) return letter;
  return withFields(letter, {
    message: withFields(message, { to: to.length ? to : cc, cc: to.length ? cc : [] }),
  });
}
