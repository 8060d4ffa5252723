// Reads a campaign folder from disk: outreach.yaml, recipients/, templates/ and the attachments a campaign
// names. Everything is validated here; what comes out is either data the core can trust, or problems.
import { join } from "node:path";
import type { TemplateLibrary } from "../core/letter.js";
import type { AttachmentFile } from "../core/letters.js";
import type { Problem } from "../core/problems.js";
import type { RecipientEntry } from "../core/recipients.js";
import { type Config, configSchema, recipientSchema } from "../core/schema.js";
import { validate } from "../core/validation.js";
import { contentDigest, FolderCache } from "./folder-cache.js";
import { loadAttachments, loadTemplates, walk } from "./folder-files.js";
import { CONFIG_FILE, LOOPBACK_HOSTS } from "./paths.js";
import { readTextFile } from "./text-file.js";
import { type LoadResult, parseYaml, type YamlFile } from "./yaml-file.js";

export interface LoadedFolder {
  root: string;
  config?: Config;
  configSource?: {
    file: string;
    locate(path: readonly PropertyKey[], key?: boolean): { line: number; column: number } | undefined;
  };
  recipients: RecipientEntry[];
  library: TemplateLibrary;
  /** Attachment files per campaign id, checked to exist inside the folder. */
  attachments: Map<string, AttachmentFile[]>;
  problems: Problem[];
  /** Keeps the recipient files just read in the cache; call only once the whole input proved valid. */
  saveCache(): void;
}

/** Reads and validates everything, using the cache only for files that did not change. */
export function loadCampaignFolder(root: string): LoadedFolder {
  const problems: Problem[] = [];
  const cache = new FolderCache(root);
  const { config, source: configSource, digest } = loadConfig(root, problems);
  if (config && digest) cache.setConfig(digest, config);
  const recipients = loadRecipients(root, cache, problems);
  const library = loadTemplates(root, problems);
  const attachments =
    config && configSource
      ? loadAttachments(root, config, (path) => configSource.locate(path), problems)
      : new Map();
  const saveCache = () => cache.save();
  return { root, config, configSource, recipients, library, attachments, problems, saveCache };
}

/** A YAML file, read once: the digest the cache keys it by is of exactly the text that is validated. */
function readYaml(root: string, file: string): { loaded: LoadResult; digest?: string } {
  const read = readTextFile(join(root, file), file);
  if (!read.ok) return { loaded: read };
  return { loaded: parseYaml(read.text, file), digest: contentDigest(read.text) };
}

function loadConfig(
  root: string,
  problems: Problem[],
): { config?: Config; source?: YamlFile; digest?: string } {
  const { loaded, digest } = readYaml(root, CONFIG_FILE);
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
  return { config: result.data, source: loaded.yaml, digest };
}

function loadRecipients(root: string, cache: FolderCache, problems: Problem[]): RecipientEntry[] {
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
    const read = readTextFile(join(root, file), file);
    if (!read.ok) {
      problems.push(...read.problems);
      continue;
    }
    const digest = contentDigest(read.text);
    const cached = cache.get(file, digest);
    if (cached) {
      entries.push(...cached);
      continue;
    }
    const loaded = parseYaml(read.text, file);
    if (!loaded.ok) {
      problems.push(...loaded.problems);
      continue;
    }
    // The valid recipients of a file with errors still take part in the checks, but are not cached.
    const { entries: fileEntries, valid: fileValid } = recipientsFromFile(loaded.yaml, problems);
    entries.push(...fileEntries);
    if (fileValid) cache.set(file, digest, fileEntries);
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
