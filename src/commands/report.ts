// `outreach report`: the campaign's figures, charts and recipients as one HTML file to share or print; with
// --redact, a version without names, addresses or notes for sharing beyond the group.
import { mkdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileError } from "../adapters/file-system.js";
import { replaceFileWhole } from "../adapters/file-writes.js";
import { outputPath, pathInside } from "../adapters/paths.js";
import type { IO } from "../adapters/terminal.js";
import { campaignFigures } from "../core/campaign-figures.js";
import { buildCampaignReport } from "../core/report.js";
import { localDay } from "../core/tracking.js";
import { type CampaignOptions, openTracking } from "./context.js";

export interface ReportOptions extends CampaignOptions {
  output?: string;
  redact?: boolean;
}

/** Put in place whole: a reader never opens half a report. */
async function writeReport(path: string, shown: string, pieces: Iterable<string>): Promise<void> {
  try {
    replaceFileWhole(path, [...pieces]);
  } catch (error) {
    throw fileError(error, shown, "write");
  }
}

/** On a terminal with no -o: reports/<campaign>-<day>[-redacted].html in the campaign folder. */
function defaultFile(root: string, campaigns: string[], now: Date, redact: boolean): string {
  const name = campaigns.length === 1 ? campaigns[0] : "campaigns";
  return join(root, "reports", `${name}-${localDay(now)}${redact ? "-redacted" : ""}.html`);
}

export async function report(options: ReportOptions, io: IO): Promise<{ rows: number; path?: string }> {
  const { root, state, running, campaigns } = await openTracking(options, io);
  const redact = options.redact ?? false;
  const { drawCharts } = await import("../adapters/report-charts.js");
  const { reportHtml } = await import("../adapters/report-html.js");
  const sections = await Promise.all(
    campaigns.map(async ({ campaign, trackings }) => {
      const figures = campaignFigures(state, campaign, trackings, running?.pid ?? null);
      const built = buildCampaignReport(figures, trackings, io.now, redact);
      return { report: built, charts: await drawCharts(built) };
    }),
  );
  const rows = sections.reduce((sum, { report: built }) => sum + built.rows.length, 0);
  const toTerminal = (io.stdout as { isTTY?: boolean }).isTTY === true;
  // "-o -" is standard output, as for export.
  if (options.output === "-" || (!options.output && !toTerminal)) {
    for (const piece of reportHtml(sections)) io.stdout.write(piece);
    return { rows };
  }
  const path = options.output
    ? outputPath(io.cwd, root, options.output, "-o")
    : defaultFile(
        root,
        campaigns.map(({ campaign }) => campaign.id),
        io.now,
        redact,
      );
  const shown = options.output ?? relative(io.cwd, path);
  if (!options.output) {
    try {
      mkdirSync(pathInside(root, relative(root, dirname(path))), { recursive: true });
    } catch (error) {
      throw fileError(error, relative(io.cwd, dirname(path)), "write");
    }
  }
  await writeReport(path, shown, reportHtml(sections));
  io.stderr.write(
    `Wrote the report (${rows.toLocaleString("en-GB")} recipients${redact ? ", redacted" : ""}) to ${shown}\n`,
  );
  return { rows, path };
}
