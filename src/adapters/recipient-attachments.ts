// The files a letter carries beyond the campaign's own: each recipient's `attachments`, and the campaign's
// attachment paths written as templates (`attachments/{{recipient.id}}.pdf`), resolved for each recipient.
// Every file is checked as a campaign attachment is (inside the folder, a regular file, readable as text
// if it is sent as text) and each letter against the size limit. The same problem for many recipients is
// one problem naming the first and counting the others.
import { estimateMessageSize, maxMessageBytes, messageSizeProblem } from "../core/attachments.js";
import type { LetterEngine } from "../core/engine.js";
import { BrokenTemplate, TemplateError, toProblem } from "../core/letter.js";
import { type AttachmentFile, letterContext, type PreparedCampaign } from "../core/letters.js";
import { withFields } from "../core/objects.js";
import type { Plan } from "../core/plan.js";
import { firstFew, location, type Problem } from "../core/problems.js";
import { describeLocation, type RecipientEntry, where } from "../core/recipients.js";
import { describeForbiddenCharacter } from "../core/text-rules.js";
import { loadAttachment } from "./folder-files.js";

type At = Pick<Problem, "file" | "line" | "column" | "field">;

/** Problems met for many recipients, each kept once with the recipients it concerns. */
class GroupedProblems {
  private readonly groups = new Map<string, { problem: Problem; ids: string[]; entry: RecipientEntry }>();

  add(problem: Problem, entry: RecipientEntry): void {
    const key = `${location(problem)}|${problem.message.replace(/"[^"]*"/g, '""')}`;
    const group = this.groups.get(key);
    if (!group) this.groups.set(key, { problem, ids: [entry.recipient.id], entry });
    else if (!group.ids.includes(entry.recipient.id)) group.ids.push(entry.recipient.id);
  }

  list(): Problem[] {
    return [...this.groups.values()].map(({ problem, ids, entry }) => {
      const inRecipientFile = problem.file === entry.file;
      const first = inRecipientFile ? "" : ` (letter to "${ids[0]}", ${describeLocation(entry)})`;
      const others =
        ids.length > 1
          ? `, and the same for ${ids.length - 1} other recipient${ids.length === 2 ? "" : "s"}: ${firstFew(ids.slice(1))}`
          : "";
      return withFields(problem, { message: `${problem.message}${first}${others}` });
    });
  }
}

/** Resolves every selected recipient's own files for each campaign of the plan, adding what fails to it. */
export function attachRecipientFiles(root: string, plan: Plan): void {
  const { engine } = plan;
  if (!engine || !plan.config) return;
  const maxBytes = maxMessageBytes(plan.config.transport.max_message_size);
  const loaded = new Map<string, { file?: AttachmentFile; problems: Problem[] }>();
  const problems = new GroupedProblems();
  const load = (path: string, at: At, entry: RecipientEntry): AttachmentFile | undefined => {
    let known = loaded.get(path);
    if (!known) {
      const found: Problem[] = [];
      known = { file: loadAttachment(root, path, at, found), problems: found };
      loaded.set(path, known);
    }
    for (const problem of known.problems) problems.add(withFields(problem, at), entry);
    return known.file;
  };
  for (const { prepared, selected } of plan.campaigns) {
    const byRecipient = new Map<string, AttachmentFile[]>();
    prepared.recipientAttachments = byRecipient;
    if (prepared.attachmentTemplates.length === 0 && !selected.some((entry) => entry.recipient.attachments))
      continue;
    for (const entry of selected) {
      const files: AttachmentFile[] = [];
      for (const { path, at } of requestedPaths(engine, prepared, entry, problems)) {
        const file = load(path, at, entry);
        if (file && !files.some((other) => other.absolutePath === file.absolutePath)) files.push(file);
      }
      if (files.length === 0) continue;
      byRecipient.set(entry.recipient.id, files);
      const tooBig = messageSizeProblem(
        estimateMessageSize([...prepared.attachments, ...files]),
        maxBytes,
        "transport.max_message_size",
      );
      if (tooBig) problems.add(withFields(tooBig, where(entry, "attachments[0]")), entry);
    }
  }
  plan.problems.push(...problems.list());
}

/** The paths a recipient's letters attach beyond the campaign's fixed files, each with where it was written. */
function requestedPaths(
  engine: LetterEngine,
  prepared: PreparedCampaign,
  entry: RecipientEntry,
  problems: GroupedProblems,
): { path: string; at: At }[] {
  const { recipient } = entry;
  const paths: { path: string; at: At }[] = (recipient.attachments ?? []).map((path, index) => ({
    path,
    at: where(entry, `attachments[${index}]`),
  }));
  if (prepared.attachmentTemplates.length === 0) return paths;
  const language = recipient.language ?? prepared.config.defaults.language;
  const { context } = letterContext(prepared, recipient, language);
  for (const source of prepared.attachmentTemplates) {
    const at: At = {
      file: source.file,
      line: source.startLine ?? 1,
      ...(source.startColumn !== undefined ? { column: source.startColumn } : {}),
      ...(source.field !== undefined ? { field: source.field } : {}),
    };
    try {
      const path = engine.render(source, false, context).trim();
      const bad = path === "" ? "is empty" : describeForbiddenCharacter(path, false);
      if (bad) {
        problems.add(
          {
            severity: "error",
            ...at,
            message: `the attachment path ${JSON.stringify(source.text)} ${path === "" ? "comes out empty" : `contains ${bad}`} for this recipient`,
            hint: "the fields it uses must give a file name for every recipient",
          },
          entry,
        );
      } else paths.push({ path, at });
    } catch (error) {
      if (error instanceof BrokenTemplate) continue; // already reported where it was compiled
      if (!(error instanceof TemplateError)) throw error;
      problems.add(toProblem(error), entry);
    }
  }
  return paths;
}
