// `outreach check`: validate everything and render every selected letter; list every problem found.
import { countProblems, formatProblems, plural } from "../adapters/report.js";
import type { IO } from "../adapters/terminal.js";
import { followupKind, renderLetters } from "../core/letters.js";
import { pickCampaign } from "../core/plan.js";
import { hasErrors, type Problem, sortProblems } from "../core/problems.js";
import { type CampaignOptions, openLetterPlan } from "./context.js";

export interface CheckOptions extends CampaignOptions {
  json?: boolean;
}

export interface CheckResult {
  ok: boolean;
  root: string;
  errors: number;
  warnings: number;
  problems: Problem[];
  campaigns: { id: string; selected: number; letters: number; email: number; other_channels: number }[];
}

export async function check(options: CheckOptions, io: IO): Promise<CheckResult> {
  const { root, plan, engine, saveCache } = await openLetterPlan(options, io);
  const problems = plan.problems;
  const campaigns = options.campaign ? [pickCampaign(plan, options.campaign)] : plan.campaigns;
  const summaries: CheckResult["campaigns"] = [];
  for (const { prepared, selected } of campaigns) {
    const { letters, problems: renderProblems } = renderLetters(engine, prepared, selected);
    problems.push(...renderProblems);
    if (prepared.campaign.followup.template && engine.hasLetter(prepared.campaign.followup.template)) {
      // Follow-ups are rendered too, against a stand-in for the appeal, so their mistakes show up now.
      const byId = new Map(letters.map((letter) => [letter.recipient.id, letter]));
      const followups = renderLetters(engine, prepared, selected, (entry) =>
        followupKind(prepared, 1, {
          date: prepared.campaign.date ?? io.now.toISOString().slice(0, 10),
          subject: byId.get(entry.recipient.id)?.subject ?? "",
          messageIds: ["<appeal@example.invalid>"],
        }),
      );
      problems.push(...followups.problems);
    }
    const email = letters.filter((letter) => letter.message).length;
    summaries.push({
      id: prepared.campaign.id,
      selected: selected.length,
      letters: letters.length,
      email,
      other_channels: letters.length - email,
    });
  }
  sortProblems(problems);
  const { errors, warnings } = countProblems(problems);
  const result: CheckResult = {
    ok: !hasErrors(problems),
    root,
    errors,
    warnings,
    problems,
    campaigns: summaries,
  };
  if (result.ok) saveCache();

  if (options.json) {
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return result;
  }
  io.stdout.write(formatProblems(problems, io.out));
  if (problems.length > 0) io.stdout.write("\n");
  for (const summary of summaries) {
    io.stdout.write(
      `${io.out.bold(summary.id)}: ${plural(summary.selected, "recipient")} selected, ` +
        `${plural(summary.letters, "letter")} rendered (${summary.email} by email, ${summary.other_channels} by another channel)\n`,
    );
  }
  const verdict = result.ok
    ? io.out.green(`No errors${warnings ? `, ${plural(warnings, "warning")}` : ""}.`)
    : io.out.red(`${plural(errors, "error")}, ${plural(warnings, "warning")}.`);
  io.stdout.write(`${verdict}\n`);
  return result;
}
