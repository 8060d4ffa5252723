// `outreach check`: validate everything and render every selected letter; list every problem found.
import { describeInterruptedWrite, undoInterruptedWrites } from "../adapters/interrupted-writes.js";
import { JOURNAL_FILE, readJournal } from "../adapters/journal-file.js";
import { findCampaignFolder } from "../adapters/paths.js";
import { countProblems, formatProblems, plural } from "../adapters/report.js";
import type { IO } from "../adapters/terminal.js";
import { APPEAL, deriveState, sentTwice } from "../core/journal.js";
import { followupKind, renderLetters } from "../core/letters.js";
import { pickCampaign } from "../core/plan.js";
import { hasErrors, location, type Problem, sortProblems } from "../core/problems.js";
import { UserError } from "../errors.js";
import { type CampaignOptions, openLetterPlan } from "./context.js";

/**
 * What the journal says that the team should know: a recipient who got the same letter twice (two clones
 * that sent overlapping parts of a campaign), or a journal that `send` would refuse to read.
 */
function journalProblems(root: string, campaigns: string[]): Problem[] {
  let state: ReturnType<typeof deriveState>;
  try {
    state = deriveState(readJournal(root).events);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return [
      {
        severity: "error",
        file: JOURNAL_FILE,
        message: error.message,
        ...(error.hint ? { hint: error.hint } : {}),
      },
    ];
  }
  const problems: Problem[] = [];
  for (const delivery of state.deliveries.values()) {
    if (!campaigns.includes(delivery.campaign) || !sentTwice(delivery)) continue;
    const copies = delivery.copies.map(
      (copy) =>
        `${copy.at.slice(0, 10)} ${copy.byHand ? `by ${copy.channel}` : `to ${copy.addresses.join(", ")}`}`,
    );
    problems.push({
      severity: "warning",
      file: JOURNAL_FILE,
      message: `"${delivery.recipient}" got the ${delivery.stage === APPEAL ? "appeal" : delivery.stage.replace("followup-", "follow-up ")} of ${delivery.campaign} ${copies.length} times: ${copies.join("; ")}`,
      hint: `send from one machine at a time; "outreach history ${delivery.recipient}" shows each letter`,
    });
  }
  return problems;
}

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
  // An import stopped while putting its files in place is taken back before the folder is read: check
  // would otherwise judge a half-written folder (one still running is reported as an error below).
  for (const found of undoInterruptedWrites(findCampaignFolder(io.cwd, options.dir), "recipients")) {
    if (!found.running) io.stderr.write(`${describeInterruptedWrite(found)}\n`);
  }
  const { root, plan, engine, saveCache } = await openLetterPlan(options, io);
  const problems = plan.problems;
  const campaigns = options.campaign ? [pickCampaign(plan, options.campaign)] : plan.campaigns;
  const summaries: CheckResult["campaigns"] = [];
  for (const { prepared, selected } of campaigns) {
    // Each letter is counted and let go: 10,000 rendered letters are never all held at once.
    let letters = 0;
    let email = 0;
    // Each appeal's subject is kept only for the follow-ups rendered against it.
    const followupTemplate = prepared.campaign.followup.template;
    const hasFollowups = followupTemplate ? engine.hasLetter(followupTemplate) : false;
    const subjects = new Map<string, string>();
    const { problems: renderProblems } = renderLetters(engine, prepared, selected, undefined, (letter) => {
      letters++;
      if (letter.message) email++;
      if (hasFollowups) subjects.set(letter.recipient.id, letter.subject);
    });
    problems.push(...renderProblems);
    if (hasFollowups) {
      // Follow-ups are rendered too, against a stand-in for the appeal, so their mistakes show up now.
      const followups = renderLetters(
        engine,
        prepared,
        selected,
        (entry) =>
          followupKind(prepared, 1, {
            date: prepared.campaign.date ?? io.now.toISOString().slice(0, 10),
            subject: subjects.get(entry.recipient.id) ?? "",
            messageIds: ["<appeal@example.invalid>"],
          }),
        () => {},
      );
      // A recipient's field that falls back is said once, for the appeal, not again for its follow-up.
      const said = new Set(renderProblems.map((problem) => `${location(problem)} ${problem.message}`));
      problems.push(
        ...followups.problems.filter((problem) => !said.has(`${location(problem)} ${problem.message}`)),
      );
    }
    summaries.push({
      id: prepared.campaign.id,
      selected: selected.length,
      letters,
      email,
      other_channels: letters - email,
    });
  }
  problems.push(
    ...journalProblems(
      root,
      campaigns.map(({ prepared }) => prepared.campaign.id),
    ),
  );
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
