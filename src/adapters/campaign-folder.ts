// Reads a campaign folder from disk: outreach.yaml, recipients/, templates/ and the attachments a campaign
// names. Everything is validated here; what comes out is either data the core can trust, or problems.
import { type Dirent, readdirSync, realpathSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { addTemplateFile, emptyLibrary, type TemplateLibrary } from "../core/letter.js";
import type { AttachmentFile } from "../core/letters.js";
import type { Problem } from "../core/problems.js";
import type { RecipientEntry } from "../core/recipients.js";
import { type Config, configSchema, recipientSchema } from "../core/schema.js";
import { validate } from "../core/validation.js";
import { CONFIG_FILE, isInside, LOOPBACK_HOSTS, resolveInside, toPosix } from "./paths.js";
import { RecipientCache } from "./recipient-cache.js";
import { loadYamlFile, readTextFile, type YamlFile } from "./yaml-file.js";

export interface LoadedFolder {
  root: string;
  config?: Config;
  configSource?: YamlFile;
  recipients: RecipientEntry[];
  library: TemplateLibrary;
  /** Attachment files per campaign id, checked to exist inside the folder. */
  attachments: Map<string, AttachmentFile[]>;
  problems: Problem[];
  /** Keeps the recipient files just read in the cache; call only once the whole input proved valid. */
  saveCache(): void;
}

export function loadCampaignFolder(root: string): LoadedFolder {
  const problems: Problem[] = [];
  const { config, source: configSource } = loadConfig(root, problems);
  const cache = new RecipientCache(root);
  const recipients = loadRecipients(root, cache, problems);
  const library = loadTemplates(root, problems);
  const attachments =
    config && configSource ? loadAttachments(root, config, configSource, problems) : new Map();
  const saveCache = () => cache.save();
  return { root, config, configSource, recipients, library, attachments, problems, saveCache };
}

function loadConfig(root: string, problems: Problem[]): { config?: Config; source?: YamlFile } {
  const loaded = loadYamlFile(join(root, CONFIG_FILE), CONFIG_FILE);
  if (!loaded.ok) {
    problems.push(...loaded.problems);
    return {};
  }
  const result = validate(configSchema, loaded.yaml.value, loaded.yaml);
  if (!result.ok) {
    problems.push(...result.problems);
    return { source: loaded.yaml };
  }
  const smtp = result.data.transport.smtp;
  if (smtp?.security === "none" && smtp.user && !LOOPBACK_HOSTS.has(smtp.host)) {
    problems.push({
      severity: "error",
      file: CONFIG_FILE,
      ...loaded.yaml.locate(["transport", "smtp", "security"]),
      field: "transport.smtp.security",
      message: `security: none would send the password for ${smtp.user} to ${smtp.host} in clear text`,
      hint: "use starttls (port 587) or tls (port 465); none is only for a relay on this machine (127.0.0.1)",
    });
  }
  const seen = new Map<string, number>();
  result.data.campaigns.forEach((campaign, index) => {
    const first = seen.get(campaign.id);
    if (first === undefined) {
      seen.set(campaign.id, index);
      return;
    }
    problems.push({
      severity: "error",
      file: CONFIG_FILE,
      ...loaded.yaml.locate(["campaigns", index, "id"]),
      field: `campaigns[${index}].id`,
      message: `the campaign id "${campaign.id}" is already used by campaigns[${first}]`,
      hint: "give each campaign its own id",
    });
  });
  return { config: result.data, source: loaded.yaml };
}

/** Files below `folder` (relative to root, sorted), refusing links that lead outside the campaign folder. */
function walk(root: string, folder: string, problems: Problem[]): string[] {
  const files: string[] = [];
  const realRoot = realpathSync(root);
  const visit = (directory: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(directory, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        problems.push({
          severity: "error",
          file: toPosix(relative(root, directory)),
          message: `cannot read the folder: ${(error as NodeJS.ErrnoException).code}`,
        });
      }
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      const path = join(directory, entry.name);
      let isDirectory = entry.isDirectory();
      if (entry.isSymbolicLink()) {
        let target: string;
        try {
          target = realpathSync(path);
        } catch {
          problems.push({
            severity: "error",
            file: toPosix(relative(root, path)),
            message: "is a broken link",
          });
          continue;
        }
        if (!isInside(realRoot, target)) {
          problems.push({
            severity: "error",
            file: toPosix(relative(root, path)),
            message: "is a link to a file outside the campaign folder",
            hint: "copy the file into the campaign folder instead",
          });
          continue;
        }
        isDirectory = statSync(target).isDirectory();
      }
      if (isDirectory) visit(path);
      else files.push(toPosix(relative(root, path)));
    }
  };
  visit(join(root, folder));
  return files;
}

function loadRecipients(root: string, cache: RecipientCache, problems: Problem[]): RecipientEntry[] {
  const entries: RecipientEntry[] = [];
  for (const file of walk(root, "recipients", problems)) {
    if (!/\.ya?ml$/.test(file)) {
      problems.push({
        severity: "warning",
        file,
        message: "is not a .yaml file, so it is ignored",
        hint: "recipient files end in .yaml or .yml",
      });
      continue;
    }
    const absolute = join(root, file);
    const { size, mtimeMs } = statSync(absolute);
    const cached = cache.get(file, size, mtimeMs);
    if (cached) {
      entries.push(...cached);
      continue;
    }
    const loaded = loadYamlFile(absolute, file);
    if (!loaded.ok) {
      problems.push(...loaded.problems);
      continue;
    }
    // The valid recipients of a file with errors still take part in the checks, but are not cached.
    const { entries: fileEntries, valid: fileValid } = recipientsFromFile(loaded.yaml, problems);
    entries.push(...fileEntries);
    if (fileValid) cache.set(file, size, mtimeMs, fileEntries);
  }
  return entries;
}

function recipientsFromFile(
  yaml: YamlFile,
  problems: Problem[],
): { entries: RecipientEntry[]; valid: boolean } {
  const isList = Array.isArray(yaml.value);
  const items = isList ? (yaml.value as unknown[]) : [yaml.value];
  const entries: RecipientEntry[] = [];
  let valid = true;
  items.forEach((item, index) => {
    const basePath = isList ? [index] : [];
    const result = validate(recipientSchema, item, yaml, basePath);
    if (!result.ok) {
      for (const problem of result.problems) {
        if (isList) problem.field = `[${index}]${problem.field ? `.${problem.field}` : ""}`;
      }
      problems.push(...result.problems);
      valid = false;
      return;
    }
    const recipient = result.data;
    const start = yaml.locate(basePath);
    const at: RecipientEntry["at"] = {};
    const remember = (field: string, path: PropertyKey[]) => {
      const position = yaml.locate([...basePath, ...path]);
      if (position) at[field] = [position.line, position.column];
    };
    remember("id", ["id"]);
    recipient.contacts.forEach((_, contactIndex) => {
      remember(`contacts[${contactIndex}].email`, ["contacts", contactIndex, "email"]);
    });
    if (recipient.provenance?.verified_on) remember("provenance.verified_on", ["provenance", "verified_on"]);
    entries.push({ recipient, file: yaml.file, line: start?.line ?? 1, ...(isList ? { index } : {}), at });
  });
  return { entries, valid };
}

function loadTemplates(root: string, problems: Problem[]): TemplateLibrary {
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

function loadAttachments(
  root: string,
  config: Config,
  source: YamlFile,
  problems: Problem[],
): Map<string, AttachmentFile[]> {
  const byCampaign = new Map<string, AttachmentFile[]>();
  config.campaigns.forEach((campaign, index) => {
    const files: AttachmentFile[] = [];
    campaign.attachments.forEach((file, attachmentIndex) => {
      const path = ["campaigns", index, "attachments", attachmentIndex];
      const at = {
        file: CONFIG_FILE,
        ...source.locate(path),
        field: `campaigns[${index}].attachments[${attachmentIndex}]`,
      };
      const resolved = resolveInside(root, file);
      if (!resolved.ok) {
        problems.push({
          severity: "error",
          ...at,
          message: `the attachment "${file}" ${resolved.reason}`,
          hint: "copy the file into attachments/ and write its path relative to the campaign folder",
        });
        return;
      }
      let size: number;
      try {
        const stat = statSync(resolved.absolute);
        if (!stat.isFile()) throw Object.assign(new Error("not a file"), { code: "EISDIR" });
        size = stat.size;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        problems.push({
          severity: "error",
          ...at,
          message:
            code === "ENOENT"
              ? `the attachment "${file}" does not exist`
              : `the attachment "${file}" cannot be read (${code})`,
          hint:
            code === "ENOENT"
              ? "check the path (relative to the campaign folder), or remove the line"
              : undefined,
        });
        return;
      }
      files.push({ file, filename: file.split("/").at(-1) ?? file, absolutePath: resolved.absolute, size });
    });
    byCampaign.set(campaign.id, files);
  });
  return byCampaign;
}
