// `outreach outstanding`: who has not answered yet, those waiting longest first, and when to chase them.
import { toCsv } from "../adapters/csv.js";
import { formatTable, plural } from "../adapters/report.js";
import type { IO } from "../adapters/terminal.js";
import { withFields } from "../core/objects.js";
import { filterRecipients } from "../core/selection.js";
import type { Tracking } from "../core/tracking.js";
import { localDay, outstanding as waiting } from "../core/tracking.js";
import { EXIT, UserError } from "../errors.js";
import { type CampaignOptions, openTracking } from "./context.js";

export interface OutstandingOptions extends CampaignOptions {
  type?: string[];
  tag?: string[];
  country?: string[];
  overdue?: boolean;
  json?: boolean;
  csv?: boolean;
  /** CSV for Excel: a UTF-8 byte-order mark and CRLF line ends (implies csv). */
  excel?: boolean;
}

export interface OutstandingRow {
  campaign: string;
  id: string;
  organisation: string;
  type: string;
  channel: string;
  sent_on: string;
  days_waiting: number;
  overdue: boolean;
  followups_sent: number;
  next_followup_due: string | null;
  /** "uncertain" or "failed" when the last follow-up did not go through cleanly. */
  follow_up_problem: string | null;
  /** "partial" when the server refused some of the letter's addresses; "complete" otherwise. */
  delivery: "complete" | "partial";
  /** The addresses the letter never reached, with the server's words. */
  not_reached: { address: string; response: string }[];
  /** "waiting", or "to-review": an answer (or a message probably from them) came in and waits for review. */
  state: "waiting" | "to-review";
  /** Never chased by choice: the answer window's max is 0 (a body that works confidentially). */
  not_chased: boolean;
}

export function outstandingRow(tracking: Tracking): OutstandingRow {
  const { recipient } = tracking.entry;
  return {
    campaign: tracking.campaign,
    id: recipient.id,
    organisation: recipient.organisation,
    type: recipient.type,
    channel: tracking.appeal?.channel ?? "",
    sent_on: tracking.appeal?.day ?? "",
    days_waiting: tracking.daysWaiting ?? 0,
    overdue: tracking.overdue,
    followups_sent: tracking.followupsSent,
    next_followup_due: tracking.nextFollowupDue ?? null,
    follow_up_problem: tracking.followupTrouble?.status ?? null,
    delivery: tracking.status === "partial" ? "partial" : "complete",
    not_reached: tracking.notReached,
    state: tracking.status === "to-review" ? "to-review" : "waiting",
    not_chased: tracking.notChased,
  };
}

export async function listOutstanding(options: OutstandingOptions, io: IO): Promise<OutstandingRow[]> {
  if (options.json && (options.csv || options.excel)) {
    throw new UserError(`choose one of --json and ${options.csv ? "--csv" : "--excel"}`, {
      exitCode: EXIT.usage,
    });
  }
  const { plan, campaigns } = await openTracking(options, io);
  // An answer waiting for review is shown too, as its own state: it is not chased, and not forgotten.
  const everyone = campaigns.flatMap(({ trackings }) => [
    ...waiting(trackings),
    ...trackings.filter((tracking) => tracking.status === "to-review"),
  ]);
  const rows = filterRecipients(everyone, (tracking) => tracking.entry, options, plan.recipients)
    .filter((tracking) => !options.overdue || tracking.overdue)
    .sort((a, b) => (b.daysWaiting ?? 0) - (a.daysWaiting ?? 0))
    .map(outstandingRow);

  if (options.json) {
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return rows;
  }
  if (options.csv || options.excel) {
    io.stdout.write(
      await toCsv(
        rows.map((row) =>
          withFields(row, { not_reached: row.not_reached.map(({ address }) => address).join(" ") }),
        ),
        { excel: options.excel ?? false },
      ),
    );
    return rows;
  }
  if (rows.length === 0) {
    const filters = [
      ...(options.type ?? []).map((type) => `--type ${type}`),
      ...(options.tag ?? []).map((tag) => `--tag ${tag}`),
      ...(options.country ?? []).map((country) => `--country ${country}`),
    ];
    const who = filters.length ? `No one matching ${filters.join(" ")}` : "No one";
    io.stdout.write(options.overdue ? `${who} is overdue.\n` : `${who} is waiting for an answer.\n`);
    return rows;
  }
  const today = localDay(io.now);
  const several = campaigns.length > 1;
  const table = rows.map((row) => [
    ...(several ? [row.campaign] : []),
    row.id,
    row.type,
    row.channel,
    row.sent_on,
    row.overdue ? io.out.yellow(String(row.days_waiting).padStart(4)) : String(row.days_waiting).padStart(4),
    String(row.followups_sent),
    row.state === "to-review"
      ? io.out.yellow("answered, to review")
      : row.delivery === "partial"
        ? io.out.red(`partial: not ${row.not_reached.map(({ address }) => address).join(", ")}`)
        : row.follow_up_problem !== null
          ? `follow-up ${row.follow_up_problem}`
          : row.not_chased
            ? "not chased"
            : row.next_followup_due === null
              ? "no more"
              : row.next_followup_due <= today
                ? "due now"
                : row.next_followup_due,
    row.organisation,
  ]);
  io.stdout.write(
    formatTable(
      [
        ...(several ? ["CAMPAIGN"] : []),
        "ID",
        "TYPE",
        "CHANNEL",
        "SENT",
        "DAYS",
        "FOLLOW-UPS",
        "NEXT",
        "ORGANISATION",
      ],
      table,
      io.out,
    ),
  );
  const overdue = rows.filter((row) => row.overdue).length;
  const toReview = rows.filter((row) => row.state === "to-review").length;
  io.stderr.write(
    `${plural(rows.length - toReview, "contact")} waiting for an answer, ${overdue} overdue${toReview ? `; ${toReview} answered, to review (outreach review)` : ""}\n`,
  );
  const partial = rows.filter((row) => row.delivery === "partial");
  if (partial.length > 0) {
    io.stderr.write(
      `${plural(partial.length, "letter")} reached only some addresses: outreach send completes ${partial.length === 1 ? "it" : "them"} (with --retry-failed once a refused address is fixed), or close with outreach log ID --outcome closed\n`,
    );
  }
  return rows;
}
