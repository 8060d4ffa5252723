// `outreach status`: one screen per campaign: selected, sent, failed, uncertain, still to send.
import { readJournal } from "../adapters/journal-file.js";
import { formatTable } from "../adapters/report.js";
import type { IO } from "../adapters/terminal.js";
import { deriveState, getDelivery } from "../core/journal.js";
import { pickCampaign } from "../core/plan.js";
import { type CampaignOptions, openValidPlan } from "./context.js";

export interface CampaignStatus {
  campaign: string;
  selected: number;
  sent: number;
  failed: number;
  uncertain: number;
  not_sent: number;
  other_channel: number;
  in_outbox: number;
  uncertain_ids: string[];
  failed_ids: string[];
}

export function status(options: CampaignOptions & { json?: boolean }, io: IO): CampaignStatus[] {
  const { root, plan } = openValidPlan(options, io);
  const campaigns = options.campaign ? [pickCampaign(plan, options.campaign)] : plan.campaigns;
  const journal = readJournal(root);
  if (journal.torn) {
    io.stderr.write(
      io.err.yellow(
        `The journal's last line (${journal.torn.line}) is cut off; the next send sets it aside.\n`,
      ),
    );
  }
  const state = deriveState(journal.events);
  const rows: CampaignStatus[] = campaigns.map(({ prepared, selected }) => {
    const id = prepared.campaign.id;
    const row: CampaignStatus = {
      campaign: id,
      selected: selected.length,
      sent: 0,
      failed: 0,
      uncertain: 0,
      not_sent: 0,
      other_channel: 0,
      in_outbox: 0,
      uncertain_ids: [],
      failed_ids: [],
    };
    for (const { recipient } of selected) {
      if (getDelivery(state, "outbox", id, recipient.id)?.status === "sent") row.in_outbox++;
      if (recipient.contacts.length === 0) {
        row.other_channel++;
        continue;
      }
      const delivery = getDelivery(state, "smtp", id, recipient.id);
      switch (delivery?.status) {
        case "sent":
          row.sent++;
          break;
        case "failed":
          row.failed++;
          row.failed_ids.push(recipient.id);
          break;
        case "uncertain":
          row.uncertain++;
          row.uncertain_ids.push(recipient.id);
          break;
        default:
          row.not_sent++;
      }
    }
    return row;
  });
  if (options.json) {
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return rows;
  }
  io.stdout.write(
    formatTable(
      ["CAMPAIGN", "SELECTED", "SENT", "FAILED", "UNCERTAIN", "NOT SENT", "OTHER CHANNEL", "IN OUTBOX"],
      rows.map((row) =>
        [
          row.campaign,
          row.selected,
          row.sent,
          row.failed,
          row.uncertain,
          row.not_sent,
          row.other_channel,
          row.in_outbox,
        ].map(String),
      ),
      io.out,
    ),
  );
  for (const row of rows) {
    if (row.uncertain_ids.length) {
      io.stdout.write(
        io.out.yellow(`${row.campaign}: uncertain, needs your decision: ${row.uncertain_ids.join(", ")}\n`) +
          "  outreach resolve ID --sent (it arrived) or --not-sent (send it again on the next run)\n",
      );
    }
    if (row.failed_ids.length) io.stdout.write(`${row.campaign}: failed: ${row.failed_ids.join(", ")}\n`);
  }
  io.stdout.write("SENT counts letters sent through SMTP; IN OUTBOX counts .eml files written to outbox/.\n");
  return rows;
}
