// `outreach export`: the derived state, one row per campaign and recipient, as CSV or JSON for a spreadsheet.
import { toCsv } from "../adapters/csv.js";
import { fileError } from "../adapters/file-system.js";
import { replaceFileWhole } from "../adapters/file-writes.js";
import { outputPath } from "../adapters/paths.js";
import { plural } from "../adapters/report.js";
import type { IO } from "../adapters/terminal.js";
import { parseChoice } from "../core/suggest.js";
import type { Tracking } from "../core/tracking.js";
import { EXIT, UserError } from "../errors.js";
import { type CampaignOptions, openTracking } from "./context.js";

export interface ExportRow {
  campaign: string;
  id: string;
  organisation: string;
  type: string;
  country: string;
  language: string;
  status: string;
  outcome: string;
  sent_on: string;
  sent_by: string;
  days_waiting: number | null;
  overdue: boolean;
  followups_sent: number;
  next_followup_due: string;
  answered_on: string;
  answers: number;
  answered_by: string;
  last_note: string;
  emails: string;
  /** For a partially delivered letter: the addresses it reached, and those it never did. */
  delivered_to: string;
  not_delivered_to: string;
  /** Never chased by choice: the body's answer window has max 0. */
  not_chased: boolean;
}

export function exportRow(tracking: Tracking, defaultLanguage: string): ExportRow {
  const { recipient } = tracking.entry;
  const last = tracking.responses.at(-1);
  // An auto-reply is not an answer (the status stays "waiting"), but the row still says it came, and when.
  const answer = tracking.latest ?? last;
  return {
    campaign: tracking.campaign,
    id: recipient.id,
    organisation: recipient.organisation,
    type: recipient.type,
    country: recipient.country ?? "",
    language: recipient.language ?? defaultLanguage,
    status: tracking.status,
    outcome: answer?.outcome ?? "",
    sent_on: tracking.appeal?.day ?? "",
    sent_by: tracking.appeal?.channel ?? "",
    days_waiting: tracking.daysWaiting ?? null,
    overdue: tracking.overdue,
    followups_sent: tracking.followupsSent,
    next_followup_due: tracking.nextFollowupDue ?? "",
    answered_on: answer?.date ?? "",
    answers: tracking.responses.length,
    answered_by: answer?.from ?? "",
    last_note: last?.note ?? "",
    emails: recipient.contacts.map((contact) => contact.email).join(" "),
    delivered_to: tracking.reached.join(" "),
    not_delivered_to: tracking.notReached.map(({ address }) => address).join(" "),
    not_chased: tracking.notChased,
  };
}

export interface ExportOptions extends CampaignOptions {
  format?: string;
  output?: string;
  /** CSV for Excel: a UTF-8 byte-order mark and CRLF line ends. */
  excel?: boolean;
}

export async function exportState(options: ExportOptions, io: IO): Promise<ExportRow[]> {
  const format = parseChoice(
    options.format ?? (options.output?.endsWith(".json") ? "json" : "csv"),
    ["csv", "json"] as const,
    "format",
    "--format",
  );
  if (options.excel && format === "json") {
    throw new UserError("--excel writes CSV; it cannot go with JSON", {
      exitCode: EXIT.usage,
      hint: "leave out --format json (or the .json file name), or leave out --excel",
    });
  }
  const { root, plan, campaigns } = await openTracking(options, io);
  // "-o -" is standard output, as for most tools: the way to hand the rows to a pipe.
  const toFile = options.output !== undefined && options.output !== "-";
  const target = toFile ? outputPath(io.cwd, root, options.output as string, "-o") : undefined;
  const language = plan.config?.defaults.language ?? "en";
  const rows = campaigns.flatMap(({ trackings }) =>
    trackings.map((tracking) => exportRow(tracking, language)),
  );
  let text: string;
  if (format === "json") {
    text = `${JSON.stringify(rows, null, 2)}\n`;
  } else {
    text = await toCsv(rows, { excel: options.excel ?? false });
  }
  if (target !== undefined) {
    try {
      replaceFileWhole(target, [text]);
    } catch (error) {
      throw fileError(error, options.output as string, "write", "nothing was exported");
    }
    io.stderr.write(`Wrote ${plural(rows.length, "row")} to ${options.output}\n`);
  } else {
    io.stdout.write(text);
  }
  return rows;
}
