// The plan for a campaign folder: its campaigns, each with the recipients it selects and its compiled
// letters, plus every problem found on the way. Pure: it works on a folder already read from disk.
import { EXIT, UserError } from "../errors.js";
import type { LetterEngine } from "./engine.js";
import type { TemplateLibrary } from "./letter.js";
import { type AttachmentFile, type PreparedCampaign, prepareCampaign } from "./letters.js";
import type { Problem } from "./problems.js";
import {
  crossCheckRecipients,
  type LetterDates,
  type RecipientEntry,
  recipientWarnings,
} from "./recipients.js";
import type { Campaign, Config } from "./schema.js";
import { selectRecipients } from "./selection.js";
import { didYouMean } from "./suggest.js";
import { showText } from "./text-rules.js";
import { windowProblems } from "./windows.js";

export interface FolderContents {
  config?: Config;
  configSource?: {
    file: string;
    locate(path: readonly PropertyKey[], key?: boolean): { line: number; column: number } | undefined;
  };
  recipients: RecipientEntry[];
  library: TemplateLibrary;
  attachments: Map<string, AttachmentFile[]>;
  problems: Problem[];
}

export interface PlannedCampaign {
  prepared: PreparedCampaign;
  selected: RecipientEntry[];
}

export interface Plan {
  config?: Config;
  /** The compiled templates; absent when the plan was made without letters (listing commands). */
  engine?: LetterEngine;
  recipients: RecipientEntry[];
  campaigns: PlannedCampaign[];
  problems: Problem[];
}

export interface PlanOptions {
  /**
   * False for commands that show no warnings (status, outstanding, export…: they report errors only): the
   * checks that can only warn (stale addresses, recipients without a channel, windows for no type) are left
   * out, so the plan's problems are its errors and the warnings found on the way to them.
   */
  warnings?: boolean;
}

/**
 * With an engine, every campaign's templates and subjects are checked too; without one (commands that only
 * list or count), the templates are left alone and Handlebars is never loaded.
 */
export function planCampaigns(
  folder: FolderContents,
  now: Date,
  engine?: LetterEngine,
  options: PlanOptions = {},
): Plan {
  const warnings = options.warnings ?? true;
  const problems = [...folder.problems];
  problems.push(...crossCheckRecipients(folder.recipients));
  const { config, configSource } = folder;
  const campaigns: PlannedCampaign[] = [];
  const recipientsComplete = !folder.problems.some(
    (problem) => problem.severity === "error" && problem.file.startsWith("recipients/"),
  );
  if (config && configSource) {
    const locate = (path: PropertyKey[]) => configSource.locate(path);
    const selections = config.campaigns.map((campaign, index) =>
      selectRecipients(folder.recipients, campaign, locate, configSource.file, index),
    );
    if (warnings) {
      const lettersDated = letterDates(config.campaigns, selections, folder.recipients.length, now);
      problems.push(
        ...recipientWarnings(folder.recipients, now, config.defaults.stale_after_days, lettersDated),
      );
    }
    config.campaigns.forEach((campaign, index) => {
      const selection = selections[index] as ReturnType<typeof selectRecipients>;
      // With a recipient file unreadable, "no recipient has the id …" may only echo that error.
      if (recipientsComplete) {
        problems.push(
          ...(warnings
            ? selection.problems
            : selection.problems.filter((problem) => problem.severity === "error")),
        );
        if (warnings) {
          problems.push(
            ...windowProblems(campaign, index, folder.recipients, configSource.locate, configSource.file),
          );
        }
      }
      const attachments = folder.attachments.get(campaign.id) ?? [];
      if (!engine) {
        const prepared = {
          campaign,
          config,
          index,
          subjects: new Map(),
          followupSubjects: new Map(),
          attachments,
          attachmentTemplates: [],
        };
        campaigns.push({ prepared, selected: selection.selected });
        return;
      }
      const { prepared, problems: campaignProblems } = prepareCampaign(
        campaign,
        index,
        config,
        engine,
        attachments,
        configSource.file,
        locate,
      );
      problems.push(...campaignProblems);
      if (prepared) campaigns.push({ prepared, selected: selection.selected });
    });
  }
  if (engine) problems.push(...engine.problems);
  return { config, ...(engine ? { engine } : {}), recipients: folder.recipients, campaigns, problems };
}

/**
 * The day each recipient's letters are dated: an address is "stale" if it was verified too long before the
 * letter, not before today, so a historical campaign (the bundled 2012 appeal) does not warn on every command
 * about addresses that were current when it was written. A campaign without a date is dated today; a
 * recipient in several campaigns counts from the latest of their dates.
 */
function letterDates(
  campaigns: readonly Campaign[],
  selections: readonly { selected: RecipientEntry[] }[],
  everyone: number,
  now: Date,
): LetterDates {
  // A campaign that selects every recipient (a selection is a filter of them) dates them all at once: one
  // date, not an entry per recipient (6 MB at 100,000, left for the collector once the check is done).
  let forAll: Date | undefined;
  const dates = new Map<string, Date>();
  campaigns.forEach((campaign, index) => {
    const dated = campaign.date ? new Date(`${campaign.date}T00:00:00Z`) : now;
    const selected = selections[index]?.selected ?? [];
    if (selected.length === everyone) {
      if (!forAll || forAll < dated) forAll = dated;
      return;
    }
    for (const entry of selected) {
      const earlier = dates.get(entry.recipient.id);
      if (!earlier || earlier < dated) dates.set(entry.recipient.id, dated);
    }
  });
  return {
    get(id) {
      const own = dates.get(id);
      return own && forAll ? (own < forAll ? forAll : own) : (own ?? forAll);
    },
  };
}

/** The campaign a command works on: the one named, or the only one. */
export function pickCampaign(plan: Plan, id: string | undefined): PlannedCampaign {
  const ids = plan.config?.campaigns.map((campaign) => campaign.id) ?? [];
  if (id === undefined) {
    if (ids.length === 1) {
      const only = plan.campaigns[0];
      if (only) return only;
    } else if (ids.length > 1) {
      throw new UserError(`outreach.yaml has ${ids.length} campaigns; say which one with -c`, {
        exitCode: EXIT.usage,
        hint: `for example: -c ${ids[0]} (campaigns: ${ids.join(", ")})`,
      });
    }
  } else {
    const found = plan.campaigns.find((campaign) => campaign.prepared.campaign.id === id);
    if (found) return found;
    if (!ids.includes(id)) {
      const suggestion = didYouMean(id, ids);
      throw new UserError(`no campaign ${showText(id)} in outreach.yaml`, {
        exitCode: EXIT.usage,
        hint: suggestion ? `did you mean "${suggestion}"?` : `campaigns: ${ids.join(", ") || "none"}`,
      });
    }
  }
  throw new UserError("the campaign cannot be used until the problems above are fixed", {
    hint: 'run "outreach check" to see them all',
  });
}
