// `outreach calendar`: the follow-ups due, as an .ics calendar a team imports into the calendar it uses.
import { fileError } from "../adapters/file-system.js";
import { replaceFileWhole } from "../adapters/file-writes.js";
import { outputPath } from "../adapters/paths.js";
import { plural } from "../adapters/report.js";
import type { IO } from "../adapters/terminal.js";
import { type DueFollowup, dueFollowups } from "../core/calendar.js";
import { type CampaignOptions, openTracking } from "./context.js";

export interface CalendarOptions extends CampaignOptions {
  /** The .ics file to write; without it, the calendar goes to stdout. */
  output?: string;
  /** Put the contacts' addresses in each event (left out by default: calendars are shared). */
  withAddresses?: boolean;
  /** The events as JSON instead of the .ics text. */
  json?: boolean;
}

export async function calendar(options: CalendarOptions, io: IO): Promise<DueFollowup[]> {
  const { root, campaigns } = await openTracking(options, io);
  // "-o -" is standard output, as for export and report.
  const target =
    options.output === undefined || options.output === "-"
      ? undefined
      : outputPath(io.cwd, root, options.output, "-o");
  const entries = campaigns.flatMap(({ trackings }) => dueFollowups(trackings, options.withAddresses));
  if (options.json && target === undefined) {
    io.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
    return entries;
  }
  const { followupCalendar } = await import("../adapters/ical.js");
  const name = `outreach follow-ups: ${campaigns.map(({ campaign }) => campaign.id).join(", ")}`;
  const text = followupCalendar(name, entries, io.now);
  if (target === undefined) {
    io.stdout.write(text);
    return entries;
  }
  try {
    replaceFileWhole(target, [text]);
  } catch (error) {
    throw fileError(error, options.output as string, "write");
  }
  const overdue = entries.filter((entry) => entry.overdue).length;
  io.stderr.write(
    `Wrote ${plural(entries.length, "follow-up")} to ${options.output}${overdue ? ` (${overdue} due now or overdue)` : ""}\n`,
  );
  return entries;
}
