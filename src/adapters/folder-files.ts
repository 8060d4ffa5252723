// The parts of a campaign folder that need no YAML parser and no schema: the files below a folder, the
// templates, and the attachments a campaign names. Shared by the full loader and the cached one.
import { type Dirent, lstatSync, readdirSync, realpathSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import {
  base64Length,
  estimateMessageSize,
  isTemplatedPath,
  maxMessageBytes,
  messageSizeProblem,
  textAttachmentType,
} from "../core/attachments.js";
import { addTemplateFile, emptyLibrary, type TemplateLibrary } from "../core/letter.js";
import type { AttachmentFile } from "../core/letters.js";
import { withFields } from "../core/objects.js";
import type { Problem } from "../core/problems.js";
import type { Config } from "../core/schema.js";
import { describeFileFailure, statRegularFile } from "./file-system.js";
import { asideName } from "./file-writes.js";
import { CONFIG_FILE, isInside, resolveInside, toPosix } from "./paths.js";
import { readTextFile } from "./text-file.js";

/** Files below `folder` (relative to root, sorted), refusing links that lead outside the campaign folder. */
export function walk(root: string, folder: string, problems: Problem[]): string[] {
  const files: string[] = [];
  const realRoot = realpathSync(root);
  const refuse = (path: string, message: string, hint?: string) =>
    problems.push({
      severity: "error",
      file: toPosix(relative(root, path)),
      message,
      ...(hint ? { hint } : {}),
    });
  /** Where a link leads, if it stays inside the campaign folder; otherwise the problem is reported. */
  const follow = (path: string): string | undefined => {
    let target: string;
    try {
      target = realpathSync(path);
    } catch (error) {
      const { reason, hint } = describeFileFailure(Object.assign(error as Error, { path }), "read");
      refuse(path, reason, hint);
      return undefined;
    }
    if (isInside(realRoot, target)) return target;
    const what = statSync(target).isDirectory() ? "folder" : "file";
    refuse(
      path,
      `is a link to a ${what} outside the campaign folder (${target})`,
      `copy the ${what} into the campaign folder instead`,
    );
    return undefined;
  };
  // A file's name as shown: its folder's, relative to root, once per folder (not a path.relative per file).
  const visit = (directory: string, shown = toPosix(relative(root, directory))) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(directory, { withFileTypes: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOTDIR")
        refuse(directory, "is a file where a folder should be", "move the file into a folder");
      else if (code !== "ENOENT") {
        const { reason, hint } = describeFileFailure(error, "read");
        refuse(directory, `the folder ${reason}`, hint);
      }
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      // Made only when needed: most entries are files, named from their folder's shown name.
      const path = () => join(directory, entry.name);
      if (entry.name.startsWith(".")) {
        // Hidden files are not read, but one batch of renames begun and not finished leaves a half-written folder.
        const aside = asideName(entry.name);
        if (aside?.kind === "batch") {
          refuse(
            path(),
            `an import (process ${aside.pid}) began putting its files in place and has not finished: some may be in place and others not`,
            'if it is still running, wait for it; if it was stopped, "outreach check" puts the folder back as it was before it',
          );
        }
        continue;
      }
      let isDirectory = entry.isDirectory();
      if (entry.isSymbolicLink()) {
        const target = follow(path());
        if (target === undefined) continue;
        isDirectory = statSync(target).isDirectory();
      }
      // A folder named like a file (letter.txt.hbs/) goes on as a file, so that its reader says it is a
      // folder, rather than the file being reported as missing.
      if (isDirectory && !/\.(hbs|ya?ml)$/.test(entry.name)) visit(path());
      else files.push(shown === "" ? entry.name : `${shown}/${entry.name}`);
    }
  };
  const start = join(root, folder);
  let startIsLink = false;
  try {
    startIsLink = lstatSync(start).isSymbolicLink();
  } catch {}
  if (!startIsLink || follow(start) !== undefined) visit(start);
  return files;
}

/** Recipient files are YAML, or JSON (which YAML reads too). */
export const RECIPIENT_FILE = /\.(ya?ml|json)$/;

/** The warning for a file in recipients/ that is not read, so that no list is ever silently left out. */
export function ignoredRecipientFile(file: string): Problem | undefined {
  if (RECIPIENT_FILE.test(file)) return undefined;
  const spreadsheet = /\.(csv|tsv|xlsx|xls|ods)$/i.test(file);
  return {
    severity: "warning",
    file,
    message: "is not a .yaml, .yml or .json file, so its recipients are not read",
    hint: spreadsheet
      ? `turn the spreadsheet into recipient files with "outreach import ${file}", then move it out of recipients/`
      : "recipient files end in .yaml, .yml or .json; rename it, or move it out of recipients/",
  };
}

export function loadTemplates(root: string, problems: Problem[]): TemplateLibrary {
  const library = emptyLibrary();
  for (const file of walk(root, "templates", problems)) {
    const name = file.slice("templates/".length);
    if (!file.endsWith(".hbs")) {
      problems.push({
        severity: "warning",
        file,
        message: "is not a template (.txt.hbs, .html.hbs or a partial .hbs), so it is ignored",
      });
      continue;
    }
    const read = readTextFile(join(root, file), file);
    if (!read.ok) problems.push(...read.problems);
    // An unreadable template still counts as present, so it is reported once and not also as missing.
    const source = read.ok ? { file, text: read.text } : { file, text: "", unreadable: true };
    if (!addTemplateFile(library, name, source)) {
      problems.push({
        severity: "warning",
        file,
        message: "is not named like a letter template, so it is ignored",
        hint: "name letters NAME.txt.hbs, NAME.LANG.txt.hbs or NAME.html.hbs; put partials in templates/partials/",
      });
    }
  }
  return library;
}

export function loadAttachments(
  root: string,
  config: Config,
  locate: (path: PropertyKey[]) => { line: number; column: number } | undefined,
  problems: Problem[],
): Map<string, AttachmentFile[]> {
  const byCampaign = new Map<string, AttachmentFile[]>();
  const maxBytes = maxMessageBytes(config.transport.max_message_size);
  config.campaigns.forEach((campaign, index) => {
    const files: AttachmentFile[] = [];
    campaign.attachments.forEach((file, attachmentIndex) => {
      // A templated path names a file per recipient: see recipient-attachments.ts.
      if (isTemplatedPath(file)) return;
      const at = {
        file: CONFIG_FILE,
        ...locate(["campaigns", index, "attachments", attachmentIndex]),
        field: `campaigns[${index}].attachments[${attachmentIndex}]`,
      };
      const attachment = loadAttachment(root, file, at, problems);
      if (attachment) files.push(attachment);
    });
    // Every letter of a campaign carries the same attachments, so they decide whether a provider takes it.
    const tooBig =
      files.length > 0 &&
      messageSizeProblem(estimateMessageSize(files), maxBytes, "transport.max_message_size");
    if (tooBig) {
      problems.push(
        Object.assign({}, tooBig, { file: CONFIG_FILE }, locate(["campaigns", index, "attachments"]), {
          field: `campaigns[${index}].attachments`,
        }),
      );
    }
    byCampaign.set(campaign.id, files);
  });
  return byCampaign;
}

export function loadAttachment(
  root: string,
  file: string,
  at: Pick<Problem, "file" | "line" | "column" | "field">,
  problems: Problem[],
): AttachmentFile | undefined {
  const resolved = resolveInside(root, file);
  if (!resolved.ok) {
    problems.push({
      severity: "error",
      ...at,
      message: `the attachment "${file}" ${resolved.reason}`,
      hint: "copy the file into attachments/ and write its path relative to the campaign folder",
    });
    return undefined;
  }
  let size: number;
  try {
    size = statRegularFile(resolved.absolute).size;
  } catch (error) {
    const { reason, hint } = describeFileFailure(error, "read");
    const missing = reason === "does not exist";
    problems.push({
      severity: "error",
      ...at,
      message: `the attachment "${file}" ${reason}`,
      hint: missing ? "check the path (relative to the campaign folder), or remove the line" : hint,
    });
    return undefined;
  }
  const filename = file.split("/").at(-1) ?? file;
  const attachment = {
    file,
    filename,
    absolutePath: resolved.absolute,
    size,
    encodedSize: base64Length(size),
  };
  const contentType = textAttachmentType(filename);
  if (!contentType) return attachment;
  // A text file is sent as UTF-8 with CRLF line ends, so that every mail client shows it as written.
  const read = readTextFile(resolved.absolute, file);
  if (!read.ok) {
    for (const problem of read.problems) {
      if (!/^file is (UTF-16|binary|not UTF-8)/.test(problem.message)) {
        problems.push(problem);
        continue;
      }
      problems.push(
        withFields(problem, {
          message: `${problem.message}, but it is attached as text (${at.field})`,
          hint: problem.message.includes("binary")
            ? `give the file the extension of what it is: a .${filename.split(".").at(-1)} file is sent as UTF-8 text`
            : `${problem.hint}; mail clients show a text attachment only as UTF-8`,
        }),
      );
    }
    return undefined;
  }
  const canonical = Buffer.byteLength(read.text.replace(/\r\n|\r|\n/g, "\r\n"));
  return withFields(attachment, { contentType, encodedSize: base64Length(canonical) });
}
