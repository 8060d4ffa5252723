// `outreach status`: one screen per campaign: what went out, what came back, who is overdue, by body type.
import { formatTable } from "../adapters/report.js";
import type { IO } from "../adapters/terminal.js";
import { type CampaignStatus, campaignFigures } from "../core/campaign-figures.js";
import { OUTCOMES } from "../core/journal.js";
import { inFlightWords, UNCERTAIN_WORDS } from "../core/tracking.js";
import { EXIT, ExitError } from "../errors.js";
import { type CampaignOptions, openTracking } from "./context.js";

export type { CampaignStatus };

export async function status(
  options: CampaignOptions & { json?: boolean },
  io: IO,
): Promise<CampaignStatus[]> {
  const { state, campaigns, running } = await openTracking(options, io);
  const rows = campaigns.map(({ campaign, trackings }) =>
    campaignFigures(state, campaign, trackings, running?.pid ?? null),
  );

  if (options.json) io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else for (const row of rows) io.stdout.write(formatStatus(row, io));
  // Done, but an uncertain send, or a letter that reached only some addresses, waits for the user's decision.
  if (rows.some((row) => row.uncertain > 0 || row.partial > 0)) throw new ExitError(EXIT.needsDecision);
  return rows;
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
      (row.not_chased ? `, not chased by choice ${row.not_chased}` : "") +
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
    lines.push(io.out.yellow(`  ${UNCERTAIN_WORDS}: ${row.uncertain_ids.join(", ")}`));
    lines.push("    outreach resolve ID --sent (it arrived) or --not-sent (send it again on the next run)");
  }
  if (row.in_flight_ids.length) {
    lines.push(`  ${inFlightWords(row.running_pid ?? undefined)}: ${row.in_flight_ids.join(", ")}`);
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
