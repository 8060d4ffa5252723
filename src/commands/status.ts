// `outreach status`: one screen per campaign: what went out, what came back, who is overdue, by body type.
import { formatTable } from "../adapters/report.js";
import type { IO } from "../adapters/terminal.js";
import { APPEAL, getDelivery, OUTCOMES, type Outcome } from "../core/journal.js";
import type { Tracking } from "../core/tracking.js";
import { EXIT, ExitError } from "../errors.js";
import { type CampaignOptions, openTracking } from "./context.js";

interface Counts {
  selected: number;
  sent: number;
  responded: number;
  waiting: number;
  overdue: number;
}

export interface CampaignStatus extends Counts {
  campaign: string;
  /** Of the letters sent, those that went by email and by hand. */
  sent_by_email: number;
  sent_by_hand: number;
  failed: number;
  uncertain: number;
  not_sent: number;
  /** Recipients without email whose letter has not been recorded as delivered by hand. */
  other_channel: number;
  in_outbox: number;
  bounced: number;
  closed: number;
  /** Answers taken in from the mailbox that wait for an outcome (outreach review). */
  to_review: number;
  /** Messages no letter claims, in every campaign's mailbox (the same number in each row). */
  holding_pen: number;
  /** Responded (including closed) as a share of letters sent, 0 to 1. */
  response_rate: number;
  outcomes: Partial<Record<Outcome, number>>;
  by_type: Record<string, Counts>;
  uncertain_ids: string[];
  failed_ids: string[];
  /** Sent, but the server refused some addresses, which never got the letter. */
  partial: number;
  partial_ids: string[];
  /** Per partial letter: who got it and who did not, with the server's words. */
  partial_details: { id: string; reached: string[]; not_reached: { address: string; response: string }[] }[];
  /** Handed over by the send running now (pid `running_pid`), without an answer yet: not uncertain. */
  in_flight: number;
  in_flight_ids: string[];
  running_pid: number | null;
  /** Recipients who got the same letter more than once, e.g. "un-special-rapporteur (appeal)". */
  sent_twice_ids: string[];
}

function emptyCounts(): Counts {
  return { selected: 0, sent: 0, responded: 0, waiting: 0, overdue: 0 };
}

function count(into: Counts, tracking: Tracking): void {
  into.selected++;
  if (tracking.appeal) into.sent++;
  // Answers to letters outreach knows went out; one logged with --force for a letter never sent is not a rate.
  if (tracking.appeal && (tracking.status === "responded" || tracking.status === "closed")) into.responded++;
  if (tracking.status === "waiting" || tracking.status === "partial") into.waiting++;
  if (tracking.overdue) into.overdue++;
}

export async function status(
  options: CampaignOptions & { json?: boolean },
  io: IO,
): Promise<CampaignStatus[]> {
  const { state, campaigns, running } = await openTracking(options, io);
  const rows = campaigns.map(({ campaign, trackings }) => {
    const row: CampaignStatus = {
      campaign: campaign.id,
      ...emptyCounts(),
      sent_by_email: 0,
      sent_by_hand: 0,
      failed: 0,
      uncertain: 0,
      not_sent: 0,
      other_channel: 0,
      in_outbox: 0,
      bounced: 0,
      closed: 0,
      to_review: state.intake.queue.filter((item) => item.campaign === campaign.id).length,
      holding_pen: state.intake.holdingPen.length,
      response_rate: 0,
      outcomes: {},
      by_type: {},
      uncertain_ids: [],
      failed_ids: [],
      partial: 0,
      partial_ids: [],
      partial_details: [],
      in_flight: 0,
      in_flight_ids: [],
      running_pid: running?.pid ?? null,
      sent_twice_ids: [],
    };
    for (const tracking of trackings) {
      const { recipient } = tracking.entry;
      count(row, tracking);
      const byType = row.by_type[recipient.type] ?? emptyCounts();
      row.by_type[recipient.type] = byType;
      count(byType, tracking);
      // Written to the outbox and not sent since, by SMTP or by hand.
      if (!tracking.appeal && getDelivery(state, campaign.id, recipient.id)?.status === "in-outbox") {
        row.in_outbox++;
      }
      if (tracking.appeal) {
        if (tracking.appeal.byHand) row.sent_by_hand++;
        else row.sent_by_email++;
      }
      if (tracking.latest)
        row.outcomes[tracking.latest.outcome] = (row.outcomes[tracking.latest.outcome] ?? 0) + 1;
      if (tracking.followupTrouble && tracking.status === "waiting") {
        const label = `${recipient.id} (${stageName(tracking.followupTrouble.stage)})`;
        if (tracking.followupTrouble.status === "uncertain") {
          row.uncertain++;
          row.uncertain_ids.push(label);
        } else {
          row.failed++;
          row.failed_ids.push(label);
        }
      }
      for (const stage of tracking.sentTwice)
        row.sent_twice_ids.push(`${recipient.id} (${stageName(stage)})`);
      if (tracking.followupInFlight) {
        row.in_flight++;
        row.in_flight_ids.push(`${recipient.id} (${stageName(tracking.followupInFlight)})`);
      }
      switch (tracking.status) {
        case "in-flight":
          row.in_flight++;
          row.in_flight_ids.push(recipient.id);
          break;
        case "failed":
          row.failed++;
          row.failed_ids.push(recipient.id);
          break;
        case "uncertain":
          row.uncertain++;
          row.uncertain_ids.push(recipient.id);
          break;
        case "partial":
          row.partial++;
          row.partial_ids.push(recipient.id);
          row.partial_details.push({
            id: recipient.id,
            reached: tracking.reached,
            not_reached: tracking.notReached,
          });
          break;
        case "bounced":
          row.bounced++;
          break;
        case "closed":
          row.closed++;
          break;
        case "not-sent":
          if (recipient.contacts.length === 0) row.other_channel++;
          else row.not_sent++;
          break;
      }
    }
    row.response_rate = row.sent === 0 ? 0 : row.responded / row.sent;
    return row;
  });

  if (options.json) io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else for (const row of rows) io.stdout.write(formatStatus(row, io));
  // Done, but an uncertain send, or a letter that reached only some addresses, waits for the user's decision.
  if (rows.some((row) => row.uncertain > 0 || row.partial > 0)) throw new ExitError(EXIT.needsDecision);
  return rows;
}

function stageName(stage: string): string {
  return stage === APPEAL ? "appeal" : stage.replace("followup-", "follow-up ");
}

function formatStatus(row: CampaignStatus, io: IO): string {
  const lines: string[] = [];
  lines.push(io.out.bold(`${row.campaign}: ${row.selected} recipients`));
  const sent = [`sent ${row.sent}`];
  if (row.sent_by_hand) sent.push(`(${row.sent_by_email} by email, ${row.sent_by_hand} by hand)`);
  lines.push(
    `  ${sent.join(" ")} · not sent ${row.not_sent} · need another channel ${row.other_channel} · failed ${row.failed} · uncertain ${row.uncertain}` +
      (row.partial ? ` · partially delivered ${row.partial}` : "") +
      (row.in_outbox ? ` · in outbox ${row.in_outbox}` : ""),
  );
  const percent = Math.round(row.response_rate * 100);
  lines.push(
    `  answered ${row.responded} of ${row.sent} (${percent}%) · waiting ${row.waiting}, ${row.overdue ? io.out.yellow(`overdue ${row.overdue}`) : "overdue 0"}` +
      (row.bounced ? ` · bounced ${row.bounced}` : "") +
      (row.closed ? ` · closed ${row.closed}` : ""),
  );
  if (row.to_review || row.holding_pen) {
    lines.push(
      io.out.yellow(
        `  answered, to review ${row.to_review} · in the holding pen ${row.holding_pen} (outreach review)`,
      ),
    );
  }
  const outcomes = OUTCOMES.filter((outcome) => row.outcomes[outcome]).map(
    (outcome) => `${outcome} ${row.outcomes[outcome]}`,
  );
  if (outcomes.length) lines.push(`  answers: ${outcomes.join(", ")}`);
  if (row.uncertain_ids.length) {
    lines.push(io.out.yellow(`  uncertain, needs your decision: ${row.uncertain_ids.join(", ")}`));
    lines.push("    outreach resolve ID --sent (it arrived) or --not-sent (send it again on the next run)");
  }
  if (row.in_flight_ids.length) {
    lines.push(`  in flight (a send is running, pid ${row.running_pid}): ${row.in_flight_ids.join(", ")}`);
  }
  if (row.failed_ids.length) lines.push(`  failed: ${row.failed_ids.join(", ")}`);
  if (row.partial_details.length) {
    lines.push(io.out.yellow("  partially delivered, the server refused some addresses:"));
    for (const partial of row.partial_details) {
      lines.push(
        `    ${partial.id}: reached ${partial.reached.join(", ")}; not ${partial.not_reached.map((refusal) => `${refusal.address} (${refusal.response})`).join(", ")}`,
      );
    }
    lines.push(
      "    outreach send completes it (a 4xx by itself, a 5xx with --retry-failed once the address is fixed), or close it: outreach log ID --outcome closed",
    );
  }
  if (row.sent_twice_ids.length) {
    lines.push(
      io.out.yellow(
        `  sent twice (the same letter reached them more than once): ${row.sent_twice_ids.join(", ")}`,
      ),
    );
    lines.push(
      '    outreach history ID shows each copy; send from one machine at a time (README, "Working as a team with git")',
    );
  }
  const types = Object.entries(row.by_type).sort(([a], [b]) => a.localeCompare(b));
  const table = formatTable(
    ["TYPE", "SELECTED", "SENT", "ANSWERED", "WAITING", "OVERDUE"],
    types.map(([type, counts]) =>
      [type, counts.selected, counts.sent, counts.responded, counts.waiting, counts.overdue].map(String),
    ),
    io.out,
  );
  lines.push(
    ...table
      .trimEnd()
      .split("\n")
      .map((line) => `  ${line}`),
  );
  if (row.in_outbox && row.sent === 0) {
    lines.push(
      '  (letters in outbox/ are not counted as sent: send them by SMTP, or log those you sent yourself; README, "The outbox")',
    );
  }
  return `${lines.join("\n")}\n`;
}
