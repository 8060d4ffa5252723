// `outreach import FILE`: recipients from a spreadsheet, CSV or JSON into recipients/, never overwriting.
// Reads the file, plans what to add, skip or change, says so, and (unless --dry-run) writes it whole.
import { lstatSync, mkdirSync } from "node:fs";
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from "node:path";
import { fileError } from "../adapters/file-system.js";
import { replaceFilesWhole } from "../adapters/file-writes.js";
import { describeInterruptedWrite, undoInterruptedWrites } from "../adapters/interrupted-writes.js";
import { findCampaignFolder, pathInside, resolveInside } from "../adapters/paths.js";
import { startProgress } from "../adapters/progress.js";
import {
  editRecipientFile,
  renderRecipientFile,
  renderRecipientFileWithDefaults,
} from "../adapters/recipient-yaml.js";
import { formatProblems, plural } from "../adapters/report.js";
import { readTable } from "../adapters/table-file.js";
import type { IO } from "../adapters/terminal.js";
import { readTextFile } from "../adapters/text-file.js";
import { splitDefaults } from "../core/file-defaults.js";
import { type ColumnPlan, planColumns } from "../core/import-columns.js";
import { applyChanges, type Change, type ImportPlan, planImport } from "../core/import-plan.js";
import { importRows, slugOf } from "../core/import-rows.js";
import type { Table } from "../core/import-table.js";
import { formatFieldPath } from "../core/problems.js";
import { describeLocation, type RecipientEntry } from "../core/recipients.js";
import { recipientSchema, schemaAt } from "../core/schema.js";
import { showText } from "../core/text-rules.js";
import { EXIT, ExitError, UserError } from "../errors.js";
import type { FolderOptions } from "./context.js";

export interface ImportOptions extends FolderOptions {
  file: string;
  map?: string[];
  strict?: boolean;
  type?: string;
  tag?: string[];
  language?: string;
  salutation?: string;
  idFrom?: string;
  sheet?: string;
  dryRun?: boolean;
  update?: boolean;
  /** One new file (inside recipients/) for all the new recipients, in the form with defaults. */
  into?: string;
  json?: boolean;
}

export interface ImportResult {
  file: string;
  sheet?: string;
  /** What `row` counts in `refused` and `skipped`: a spreadsheet's "row", a JSON list's "item" (from 1). */
  row_name: "row" | "item";
  rows: number;
  empty_rows: number;
  columns: Record<string, string>;
  left_out: string[];
  countries: Record<string, string>;
  created: string[];
  /** The new recipient files, relative to the campaign folder (none for a dry run). */
  written: string[];
  /** `line`: the line of a CSV file where a row that could not be read as CSV starts or goes wrong. */
  refused: { row: number; line?: number; column?: string; reason: string }[];
  skipped: { id: string; file: string; line: number; because: string; rows: number[] }[];
  updated: { id: string; file: string; changes: { field: string; from?: unknown; to: unknown }[] }[];
  unchanged: string[];
  dry_run: boolean;
  yaml?: string;
}

export async function importRecipients(options: ImportOptions, io: IO): Promise<ImportResult> {
  const root = findCampaignFolder(io.cwd, options.dir);
  // Where the files go is inside the campaign folder, or nowhere: recipients/ linking out is refused, as check does.
  pathInside(root, "recipients");
  undoInterrupted(root, io);
  const settings = checkFlags(options, root, io);
  const into = options.into === undefined ? undefined : intoPath(options.into, root, io);
  const table = await readTable(resolve(io.cwd, options.file), options.file, { sheet: options.sheet });
  const columns = planColumns(table.columns, options.map ?? [], {
    strict: options.strict,
    idFrom: options.idFrom,
  });
  requireColumns(table, columns, options);
  const existing = await existingRecipients(root, io);
  // On a terminal, one live line while the rows are read (nothing at all through a pipe or with --json).
  const progress = startProgress(io, {
    total: table.rows.length,
    noun: table.rowName,
    verb: "read",
    quiet: options.json === true,
  });
  const rows = importRows(table, columns, settings, () => progress.finished(""));
  progress.stop();
  const plan = planImport(rows.groups, existing, { update: options.update === true });
  plan.refused.push(...rows.refused);
  plan.refused.sort((a, b) => a.row - b.row);

  const parts = !into
    ? newFiles(root, options.file, plan, settings)
    : plan.created.length > 0
      ? [oneFile(into, plan, settings, io)]
      : [];
  const edits = editFiles(root, plan);
  const shownPath = (path: string) => relative(root, path).split("\\").join("/");
  const result = describe(table, columns, plan, rows.countries, options, {
    written: options.dryRun ? [] : parts.map(({ path }) => shownPath(path)),
    ...(options.dryRun && parts.length > 0
      ? {
          yaml: parts
            .map(({ path, text }) => (parts.length > 1 ? `# ${shownPath(path)}\n${text}` : text))
            .join("\n"),
        }
      : {}),
  });
  if (!options.dryRun) {
    const files = [...edits, ...parts];
    if (files.length > 0) {
      try {
        for (const folder of new Set(files.map(({ path }) => dirname(path))))
          mkdirSync(folder, { recursive: true });
        replaceFilesWhole(files);
      } catch (error) {
        const path = (error as { path?: string }).path ?? join(root, "recipients");
        throw fileError(error, relative(io.cwd, path) || path, "write", "nothing was imported");
      }
    }
  }
  report(result, io, options);
  if (result.refused.length > 0) process.exitCode = EXIT.failed;
  return result;
}

/**
 * An import stopped while putting its files in place is taken back first (see interrupted-writes.ts), and
 * said so; one still running stops this one, which would read its half-written folder.
 */
function undoInterrupted(root: string, io: IO): void {
  for (const found of undoInterruptedWrites(root, "recipients")) {
    if (found.running) throw new UserError(describeInterruptedWrite(found));
    io.stderr.write(`${describeInterruptedWrite(found)}\n`);
  }
}

/** --type, --tag, --language and --salutation hold what the recipient fields hold, or it is wrong usage. */
function checkFlags(options: ImportOptions, root: string, io: IO) {
  const check = (flag: string, field: string, value: string | undefined) => {
    if (value === undefined) return;
    const parsed = schemaAt(recipientSchema, [field])?.safeParse(field === "tags" ? [value] : value);
    if (parsed && !parsed.success) {
      throw new UserError(
        `--${flag} ${showText(value)} ${parsed.error.issues[0]?.message ?? "is not valid"}`,
        {
          exitCode: EXIT.usage,
        },
      );
    }
  };
  check("type", "type", options.type);
  for (const tag of options.tag ?? []) check("tag", "tags", tag);
  check("language", "language", options.language);
  check("salutation", "salutation", options.salutation);
  const absolute = resolve(io.cwd, options.file);
  const inside = relative(root, absolute);
  // Assigned onto the first object rather than spread (see core/objects.ts).
  return Object.assign(
    options.type ? { type: options.type } : {},
    options.language ? { language: options.language } : {},
    options.salutation ? { salutation: options.salutation } : {},
    {
      tags: options.tag ?? [],
      // Where the list came from, as the folder knows it; a file outside the folder by its name alone.
      source:
        inside.startsWith("..") || isAbsolute(inside) ? basename(absolute) : inside.split("\\").join("/"),
      today: io.now.toISOString().slice(0, 10),
    },
  );
}

function requireColumns(table: Table, columns: ColumnPlan, options: ImportOptions): void {
  const fields = new Set(columns.fields.values());
  const list = table.columns.map((column) => `"${column}"`).join(", ");
  const missing = (what: string, hint: string, exitCode: 1 | 2 = EXIT.failed) =>
    new UserError(`${options.file} has no ${what} column (its columns: ${list}); nothing was imported`, {
      exitCode,
      hint,
    });
  if (!fields.has("email")) throw missing("email", 'name it with --map, e.g. --map "Mail=email"');
  if (!fields.has("organisation")) {
    throw missing("organisation", 'name it with --map, e.g. --map "Name=organisation"');
  }
  if (!fields.has("type") && !options.type) {
    throw missing("type", "give every row a body type with --type, e.g. --type embassy", EXIT.usage);
  }
  if (!fields.has("salutation") && !options.salutation) {
    throw missing(
      "salutation",
      'give the opening line for every row with --salutation, e.g. --salutation "Your Excellency,"',
      EXIT.usage,
    );
  }
}

/** The recipients already in the folder; a recipient file that cannot be read stops the import. */
async function existingRecipients(root: string, io: IO): Promise<RecipientEntry[]> {
  const { recipientsFromCache } = await import("../adapters/cached-folder.js");
  const cached = recipientsFromCache(root);
  if (cached) return cached;
  const { loadCampaignFolder } = await import("../adapters/campaign-folder.js");
  const folder = loadCampaignFolder(root);
  const errors = folder.problems.filter(
    (problem) => problem.severity === "error" && problem.file.startsWith("recipients/"),
  );
  if (errors.length > 0) {
    io.stderr.write(formatProblems(errors, io.err));
    io.stderr.write(
      `\n${io.err.red(`${plural(errors.length, "error")} in recipients/; nothing was imported.`)} A recipient that cannot be read could be one the list repeats: fix ${errors.length === 1 ? "it" : "them"} first ("outreach check").\n`,
    );
    throw new ExitError(EXIT.failed);
  }
  return folder.recipients;
}

// A file of this many recipients at most: check reads a file whole, so one of 10,000 would cost it twice the
// memory of the same recipients in parts.
const PER_FILE = 1000;

/**
 * The new recipients' files: recipients/NAME.yaml after the imported file's name (NAME-2.yaml… when that is
 * taken), in parts of PER_FILE for a long list.
 */
function newFiles(
  root: string,
  file: string,
  plan: ImportPlan,
  settings: { source: string; today: string },
): { path: string; text: string }[] {
  const name = slugOf(basename(file, extname(file))) || "imported";
  const count = Math.ceil(plan.created.length / PER_FILE);
  const files: { path: string; text: string }[] = [];
  let suffix = 1;
  for (let part = 0; part < count; part++) {
    let path: string;
    do {
      path = join(root, "recipients", `${name}${suffix === 1 ? "" : `-${suffix}`}.yaml`);
      suffix++;
    } while (taken(path) || taken(path.replace(/\.yaml$/, ".yml")));
    const which = count > 1 ? ` (part ${part + 1} of ${count})` : "";
    const comment = ` Imported by outreach import from ${settings.source} on ${settings.today}${which}. Edit freely:\n a later import never overwrites a recipient, it skips or (--update) changes it.`;
    const drafts = plan.created.slice(part * PER_FILE, (part + 1) * PER_FILE).map(({ draft }) => draft);
    files.push({ path, text: renderRecipientFile(drafts, comment) });
  }
  return files;
}

/**
 * Where --into puts the new recipients: a .yaml or .yml file inside recipients/ (a folder below it too),
 * written as the user gave it (relative to the current folder); anything else is wrong usage.
 */
function intoPath(into: string, root: string, io: IO): string {
  const absolute = resolve(io.cwd, into);
  const inRecipients = relative(join(root, "recipients"), absolute);
  const usage = (why: string, hint: string) =>
    new UserError(`--into ${showText(into)} ${why}`, { exitCode: EXIT.usage, hint });
  if (inRecipients === "" || inRecipients.startsWith("..") || isAbsolute(inRecipients)) {
    throw usage("is not inside recipients/", "name a file there, e.g. --into recipients/osce-missions.yaml");
  }
  if (!/\.ya?ml$/.test(absolute)) {
    throw usage(
      "is not a .yaml or .yml file",
      "name it NAME.yaml, e.g. --into recipients/osce-missions.yaml",
    );
  }
  if (inRecipients.split(/[\\/]/).some((part) => part.startsWith("."))) {
    throw usage("is a hidden name, which check never reads", "name it without a leading dot");
  }
  const inside = relative(root, absolute);
  const resolved = resolveInside(root, inside);
  if (!resolved.ok) throw usage(resolved.reason, "name a file inside recipients/");
  return absolute;
}

/**
 * --into: every new recipient in one new file, what they all share written once under `defaults`. The file
 * must not exist: import never overwrites one, nor adds to one (an existing file is refused, --update or not).
 */
function oneFile(
  path: string,
  plan: ImportPlan,
  settings: { source: string; today: string },
  io: IO,
): { path: string; text: string } {
  if (taken(path) || taken(path.replace(/\.ya?ml$/, (ext) => (ext === ".yaml" ? ".yml" : ".yaml")))) {
    const shown = relative(io.cwd, path) || path;
    throw new UserError(
      `${shown} already exists, and import never overwrites or adds to a file; nothing was imported (${plural(plan.created.length, "new recipient")} to write)`,
      {
        hint: `name a new file with --into; with --update, the recipients already in ${shown} are changed in place and only the new ones need another file`,
      },
    );
  }
  const { defaults, recipients } = splitDefaults(
    plan.created.map(({ draft }) => draft),
    ["id", "organisation", "contacts"],
  );
  const comment = ` Imported by outreach import from ${settings.source} on ${settings.today}: what every recipient shares is\n written once under defaults. Edit freely: a later import never overwrites a recipient, it skips or\n (--update) changes it.`;
  return { path, text: renderRecipientFileWithDefaults(defaults, recipients, comment) };
}

/** Whether anything is at `path`: a file, a folder, a FIFO, or a link (even one that leads nowhere). */
function taken(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The updated files' new text; an update that cannot be made in place is refused instead. */
function editFiles(root: string, plan: ImportPlan): { path: string; text: string }[] {
  const byFile = new Map<string, ImportPlan["updated"]>();
  for (const update of plan.updated)
    byFile.set(update.entry.file, [...(byFile.get(update.entry.file) ?? []), update]);
  const files: { path: string; text: string }[] = [];
  for (const [file, updates] of byFile) {
    const read = readTextFile(join(root, file), file);
    if (!read.ok) {
      throw new UserError(`${file} ${read.problems[0]?.message ?? "cannot be read"}; nothing was imported`);
    }
    let text = read.text;
    for (const update of updates) {
      const intended = applyChanges(update.entry.recipient, update.changes);
      const { index, list } = update.entry;
      const place = index === undefined ? [] : list === undefined ? [index] : [list, index];
      const edited = editRecipientFile(text, place, update.changes, intended);
      if (edited === undefined) {
        plan.updated.splice(plan.updated.indexOf(update), 1);
        for (const row of update.rows) {
          plan.refused.push({
            row,
            reason: `"${update.id}" (${describeLocation(update.entry)}) could not be changed in place; change it by hand`,
          });
        }
        continue;
      }
      text = edited;
    }
    if (text !== read.text) files.push({ path: join(root, file), text });
  }
  return files;
}

function changeField(change: Change): string {
  const path = change.path.map((segment) => (segment === "-" ? "+" : segment));
  return formatFieldPath(path).replace("[+]", " +");
}

function describe(
  table: Table,
  columns: ColumnPlan,
  plan: ImportPlan,
  countries: Map<string, string>,
  options: ImportOptions,
  output: { written: string[]; yaml?: string },
): ImportResult {
  const where = (entry: RecipientEntry) => ({ file: entry.file, line: entry.line });
  return {
    file: options.file,
    ...(table.sheet ? { sheet: table.sheet } : {}),
    row_name: table.rowName,
    rows: table.rows.length,
    empty_rows: table.emptyRows,
    columns: Object.fromEntries(
      [...columns.fields].map(([index, field]) => [table.columns[index] || `column ${index + 1}`, field]),
    ),
    left_out: columns.skipped,
    countries: Object.fromEntries(countries),
    created: plan.created.map(({ id }) => id),
    written: output.written,
    refused: plan.refused,
    skipped: plan.skipped.map(({ id, entry, because, rows }) => ({ id, ...where(entry), because, rows })),
    updated: plan.updated.map(({ id, entry, changes }) => ({
      id,
      file: entry.file,
      changes: changes.map((change) => ({
        field: changeField(change),
        ...(change.from !== undefined ? { from: change.from } : {}),
        to: change.to,
      })),
    })),
    unchanged: plan.unchanged.map(({ id }) => id),
    dry_run: options.dryRun === true,
    ...(output.yaml !== undefined ? { yaml: output.yaml } : {}),
  };
}

function shown(value: unknown): string {
  if (value === undefined) return "(none)";
  if (typeof value === "string") return showText(value);
  if (value && typeof value === "object" && "email" in value)
    return String((value as { email: string }).email);
  return JSON.stringify(value);
}

function filesShown(files: string[]): string {
  return files.length > 2 ? `${files[0]} … ${files.at(-1)} (${files.length} files)` : files.join(" and ");
}

function report(result: ImportResult, io: IO, options: ImportOptions): void {
  if (options.json) {
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  if (result.yaml !== undefined) io.stdout.write(result.yaml);
  // With --dry-run, stdout is the YAML that would be written; the summary goes beside it.
  const out = result.dry_run ? io.stderr : io.stdout;
  const colour = result.dry_run ? io.err : io.out;
  const lines: string[] = [];
  const rowsRead = `${plural(result.rows, result.row_name)}${result.empty_rows ? ` (and ${plural(result.empty_rows, "empty row")} left out)` : ""}`;
  lines.push(
    `Read ${rowsRead} from ${result.file}${result.sheet ? ` (worksheet "${result.sheet}")` : ""}: ${plural(result.created.length, "new recipient")}, ${result.skipped.length + result.unchanged.length} already in the folder, ${result.updated.length} to update, ${plural(result.refused.length, "row")} refused.`,
  );
  lines.push(
    `Columns: ${Object.entries(result.columns)
      .map(([column, field]) => `${column} → ${field}`)
      .join(", ")}`,
  );
  if (result.left_out.length > 0) lines.push(`Left out: ${result.left_out.join(", ")}`);
  const countries = Object.entries(result.countries);
  if (countries.length > 0) {
    lines.push(
      `Countries read as codes: ${countries.map(([name, code]) => `${showText(name)} → ${code}`).join(", ")}`,
    );
  }
  if (result.refused.length > 0) {
    lines.push("", colour.red("Refused (nothing of these rows was imported):"));
    for (const refusal of result.refused) {
      lines.push(
        `  ${result.row_name} ${refusal.row}${refusal.line !== undefined ? ` (line ${refusal.line})` : ""}${refusal.column !== undefined ? `, column "${refusal.column}"` : ""}: ${refusal.reason}`,
      );
    }
  }
  if (result.skipped.length > 0) {
    lines.push("", "Already in the folder, left as they are (--update changes them):");
    for (const skip of result.skipped) {
      lines.push(
        `  ${skip.id} (${skip.file}:${skip.line}): ${skip.because}, ${result.row_name}${skip.rows.length > 1 ? "s" : ""} ${skip.rows.join(", ")}`,
      );
    }
  }
  if (result.updated.length > 0) {
    lines.push("", result.dry_run ? "Would change:" : "Changed:");
    for (const update of result.updated) {
      lines.push(`  ${update.id} (${update.file}):`);
      for (const change of update.changes) {
        lines.push(
          `    ${change.field}: ${"from" in change ? `${shown(change.from)} → ` : ""}${shown(change.to)}`,
        );
      }
    }
  }
  if (result.unchanged.length > 0) lines.push("", `Already up to date: ${result.unchanged.join(", ")}`);
  lines.push("");
  if (result.dry_run) lines.push("Nothing was written (--dry-run).");
  else if (result.written.length > 0 || result.updated.length > 0) {
    const what = [
      result.written.length > 0
        ? `${plural(result.created.length, "recipient")} to ${filesShown(result.written)}`
        : "",
      result.updated.length
        ? `the changes to ${plural(result.updated.length, "recipient")} in their files`
        : "",
    ].filter(Boolean);
    lines.push(`${colour.green(`Wrote ${what.join(" and ")}.`)} Next: "outreach check".`);
  } else lines.push("Nothing to write.");
  out.write(`${lines.join("\n")}\n`);
}
