// What every campaign command starts with: find the folder, read it, plan its campaigns.
import { loadFromCache } from "../adapters/cached-folder.js";
import { trackedJournal } from "../adapters/journal-snapshot.js";
import { CONFIG_FILE, findCampaignFolder } from "../adapters/paths.js";
import { attachRecipientFiles } from "../adapters/recipient-attachments.js";
import { countProblems, formatProblems, plural } from "../adapters/report.js";
import type { IO } from "../adapters/terminal.js";
import { keepYoungGenerationSmall } from "../adapters/young-generation.js";
import type { LetterEngine } from "../core/engine.js";
import type { TemplateLibrary } from "../core/letter.js";
import { renderLetters } from "../core/letters.js";
import { type Plan, pickCampaign, planCampaigns } from "../core/plan.js";
import { hasErrors, type Problem, sortProblems } from "../core/problems.js";
import type { RecipientEntry } from "../core/recipients.js";
import { didYouMean } from "../core/suggest.js";
import { showText } from "../core/text-rules.js";
import { trackCampaign } from "../core/tracking.js";
import { EXIT, ExitError, UserError } from "../errors.js";

export interface FolderOptions {
  dir?: string;
}

export interface CampaignOptions extends FolderOptions {
  campaign?: string;
}

export interface OpenedPlan {
  root: string;
  plan: Plan;
  /** Caches what was read: only once the folder proved free of errors. */
  saveCache(): void;
}

export interface LetterPlan extends OpenedPlan {
  engine: LetterEngine;
}

/**
 * Reads and plans the folder: from the cache when nothing changed (no YAML parser, no schemas), otherwise,
 * or when a problem must be pointed at in outreach.yaml, with the full loader. With `salvage`, the campaigns
 * of an outreach.yaml with errors that can still be read are kept (for reports, never for sending).
 */
async function planFolder(
  root: string,
  io: IO,
  engineFor?: (library: TemplateLibrary) => LetterEngine,
  { salvage = false, warnings = true } = {},
): Promise<{ plan: Plan; engine?: LetterEngine; saveCache(): void }> {
  const cached = loadFromCache(root);
  if (cached) {
    const engine = engineFor?.(cached.library);
    const plan = planCampaigns(cached, io.now, engine, { warnings });
    attachRecipientFiles(root, plan);
    if (!plan.problems.some((problem) => problem.file === CONFIG_FILE)) {
      return { plan, ...(engine ? { engine } : {}), saveCache: cached.saveCache };
    }
  }
  const { loadCampaignFolder } = await import("../adapters/campaign-folder.js");
  const folder = loadCampaignFolder(root, { salvage });
  const engine = engineFor?.(folder.library);
  const plan = planCampaigns(folder, io.now, engine, { warnings });
  attachRecipientFiles(root, plan);
  return {
    plan,
    ...(engine ? { engine } : {}),
    saveCache: folder.saveCache,
  };
}

/** The campaign folder read and planned, without its templates (for commands that list or count). */
export async function openPlan(options: FolderOptions, io: IO): Promise<OpenedPlan> {
  const root = findCampaignFolder(io.cwd, options.dir);
  const { plan, saveCache } = await planFolder(root, io);
  sortProblems(plan.problems);
  return { root, plan, saveCache };
}

/** The campaign folder read and planned with its templates compiled, for commands that render letters. */
export async function openLetterPlan(options: FolderOptions, io: IO): Promise<LetterPlan> {
  keepYoungGenerationSmall(); // the letters are streamed: what the folder holds is all that stays
  const root = findCampaignFolder(io.cwd, options.dir);
  const { LetterEngine } = await import("../core/engine.js");
  const { plan, engine, saveCache } = await planFolder(root, io, (library) => new LetterEngine(library));
  sortProblems(plan.problems);
  return { root, plan, engine: engine as LetterEngine, saveCache };
}

/**
 * For commands that act on the campaign: any error stops them before they write or send anything;
 * warnings are shown on stderr and the command goes on.
 */
export function requireValid(
  problems: readonly Problem[],
  io: IO,
  options: { warnings: boolean } = { warnings: true },
): void {
  if (!hasErrors(problems)) {
    const { warnings } = countProblems(problems);
    if (warnings > 0 && options.warnings)
      io.stderr.write(io.err.yellow(`${plural(warnings, "warning")}: "outreach check" lists them.\n`));
    return;
  }
  const errors = problems.filter((problem) => problem.severity === "error");
  io.stderr.write(formatProblems(errors, io.err));
  const { errors: count } = countProblems(problems);
  io.stderr.write(
    `\n${io.err.red(`${plural(count, "error")} in the campaign folder; nothing was done.`)} Fix ${count === 1 ? "it" : "them"}, then run "outreach check".\n`,
  );
  throw new ExitError(EXIT.failed);
}

/** The entries for the ids the user named (all selected ones if none); exit 2 for an unknown id. */
export function chooseRecipients(
  selected: RecipientEntry[],
  all: RecipientEntry[],
  ids: string[],
  campaign: string,
) {
  if (ids.length === 0) return selected;
  const byId = new Map(selected.map((entry) => [entry.recipient.id, entry]));
  return ids.map((id) => {
    const entry = byId.get(id);
    if (entry) return entry;
    if (all.some((other) => other.recipient.id === id)) {
      throw new UserError(`${showText(id)} is not among the recipients that campaign ${campaign} selects`, {
        exitCode: EXIT.usage,
        hint: "check the campaign's select: in outreach.yaml, or pick another campaign with -c",
      });
    }
    const suggestion = didYouMean(
      id,
      all.map((other) => other.recipient.id),
    );
    throw new UserError(`no recipient with the id ${showText(id)}`, {
      exitCode: EXIT.usage,
      hint: suggestion ? `did you mean "${suggestion}"?` : 'list them with "outreach recipients"',
    });
  });
}

/** For commands that only read the campaign (no letters rendered): stops on any error, then caches. */
export async function openValidPlan(options: FolderOptions, io: IO): Promise<{ root: string; plan: Plan }> {
  const { root, plan, saveCache } = await openPlan(options, io);
  requireValid(plan.problems, io);
  saveCache();
  return { root, plan };
}

const SHOWN_ERRORS = 10;

/**
 * For commands that record or report what already happened (status, outstanding, history, export, log,
 * resolve): an error in the folder does not stop them, as long as outreach.yaml can be read at all (or the
 * command needs no campaign). They work on the journal and on what could be read, and say first what could
 * not. Nothing is cached while there are errors.
 */
export async function openReadablePlan(
  options: FolderOptions,
  io: IO,
  needs: { campaigns: boolean } = { campaigns: true },
): Promise<{ root: string; plan: Plan }> {
  const root = findCampaignFolder(io.cwd, options.dir);
  // These commands show no warnings: the checks that can only warn are not made.
  const { plan, saveCache } = await planFolder(root, io, undefined, { salvage: true, warnings: false });
  sortProblems(plan.problems);
  if (!hasErrors(plan.problems) || (needs.campaigns && !plan.config)) {
    // A warning (a deadline passed, a template unused) changes nothing in what was sent or answered: the
    // commands that report it say nothing of warnings; those that send or write letters point to check.
    requireValid(plan.problems, io, { warnings: false });
    saveCache();
    return { root, plan };
  }
  const errors = plan.problems.filter((problem) => problem.severity === "error");
  io.stderr.write(formatProblems(errors.slice(0, SHOWN_ERRORS), io.err));
  if (errors.length > SHOWN_ERRORS) io.stderr.write(`… and ${errors.length - SHOWN_ERRORS} more.\n`);
  io.stderr.write(
    `${io.err.yellow(`${plural(errors.length, "error")} in the campaign folder: what follows leaves out what could not be read.`)} Fix ${errors.length === 1 ? "it" : "them"} before the next send ("outreach check" lists ${errors.length === 1 ? "it" : "them all"}).\n`,
  );
  return { root, plan };
}

/** The journal read and derived for the campaigns a command reports on (the one named, or all). */
export async function openTracking(options: CampaignOptions, io: IO) {
  const { root, plan } = await openReadablePlan(options, io);
  // While a send runs, its letters without an answer yet are in flight, not uncertain.
  const { runningSend } = await import("../adapters/lock.js");
  const running = runningSend(root);
  const { state, torn } = trackedJournal(root, running ? { running: running.token } : {});
  if (torn) {
    io.stderr.write(
      io.err.yellow(`The journal's last line (${torn.line}) is cut off; the next send sets it aside.\n`),
    );
  }
  const campaigns = options.campaign ? [pickCampaign(plan, options.campaign)] : plan.campaigns;
  return {
    root,
    plan,
    state,
    running,
    campaigns: campaigns.map(({ prepared, selected }) => ({
      campaign: prepared.campaign,
      selected,
      trackings: trackCampaign(state, prepared.campaign, selected, io.now),
    })),
  };
}

/**
 * For commands that act on the appeal's letters (preview, send): the campaign, the recipients named (or all
 * it selects), and their letters, rendered and checked. Stops on any error; caches once all is valid.
 */
export async function renderCampaign(options: CampaignOptions & { ids?: string[] }, io: IO) {
  const { root, plan, engine, saveCache } = await openLetterPlan(options, io);
  requireValid(plan.problems, io);
  const { prepared, selected } = pickCampaign(plan, options.campaign);
  const entries = chooseRecipients(selected, plan.recipients, options.ids ?? [], prepared.campaign.id);
  const { letters, problems } = renderLetters(engine, prepared, entries);
  requireValid(problems, io);
  saveCache();
  return { root, prepared, letters };
}

/**
 * For commands that act on each letter as it comes: the campaign, valid (stops on any error in the
 * folder), the recipients named (or all it selects), and the engine to render their letters with. The
 * caller renders each once (renderEach), holds back its output until the problems found say it may go,
 * and then calls saveCache.
 */
export async function openCampaignLetters(options: CampaignOptions & { ids?: string[] }, io: IO) {
  const { root, plan, engine, saveCache } = await openLetterPlan(options, io);
  requireValid(plan.problems, io);
  const { prepared, selected } = pickCampaign(plan, options.campaign);
  const entries = chooseRecipients(selected, plan.recipients, options.ids ?? [], prepared.campaign.id);
  return { root, prepared, entries, engine, saveCache };
}
