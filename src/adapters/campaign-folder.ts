// Reads a campaign folder from disk: outreach.yaml, recipients/, templates/ and the attachments a campaign
// names. Everything is validated here; what comes out is either data the core can trust, or problems.
import { join } from "node:path";
import type { z } from "zod";
import { type TemplateLibrary, templateLanguages } from "../core/letter.js";
import type { AttachmentFile } from "../core/letters.js";
import type { Problem } from "../core/problems.js";
import type { RecipientEntry } from "../core/recipients.js";
import { type Campaign, type Config, campaignSchema, configSchema } from "../core/schema.js";
import { validate } from "../core/validation.js";
import { contentDigest, FolderCache } from "./folder-cache.js";
import { ignoredRecipientFile, loadAttachments, loadTemplates, walk } from "./folder-files.js";
import { CONFIG_FILE, LOOPBACK_HOSTS } from "./paths.js";
import { recipientsFromFile } from "./recipient-file.js";
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

/**
 * Reads and validates everything, using the cache only for files that did not change. With `salvage`, an
 * outreach.yaml with errors still gives the campaigns that can be read (for reports on what was sent; never
 * for sending, which stops on the errors).
 */
export function loadCampaignFolder(root: string, options: { salvage?: boolean } = {}): LoadedFolder {
  const problems: Problem[] = [];
  const cache = new FolderCache(root);
  const loadedConfig = loadConfig(root, problems);
  const { source: configSource, digest } = loadedConfig;
  let { config } = loadedConfig;
  if (config && digest) cache.setConfig(digest, config);
  if (!config && options.salvage && configSource) config = salvageConfig(configSource, problems);
  const library = loadTemplates(root, problems);
  const languages = [...templateLanguages(library), ...(config ? [config.defaults.language] : [])];
  const recipients = loadRecipients(root, cache, problems, languages);
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
  const found: Problem[] = [];
  const result = configFrom(loaded, digest, found);
  // An outreach.yaml the fast reader read that has a problem is read again in full, for the full parser's
  // messages.
  if (found.length > 0 && loaded.ok && loaded.yaml.full) {
    return configFrom(loaded.yaml.full(), digest, problems);
  }
  problems.push(...found);
  return result;
}

function configFrom(
  loaded: LoadResult,
  digest: string | undefined,
  problems: Problem[],
): { config?: Config; source?: YamlFile; digest?: string } {
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
  const imap = result.data.transport.imap;
  if (imap?.security === "none" && !LOOPBACK_HOSTS.has(imap.host)) {
    problems.push({
      severity: "error",
      file: CONFIG_FILE,
      ...loaded.yaml.locate(["transport", "imap", "security"]),
      field: "transport.imap.security",
      message: `security: none would send the password for ${imap.user} to ${imap.host} in clear text`,
      hint: "use tls (port 993) or starttls (port 143); none is only for a server on this machine (127.0.0.1)",
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

function loadRecipients(
  root: string,
  cache: FolderCache,
  problems: Problem[],
  languages: readonly string[],
): RecipientEntry[] {
  const entries: RecipientEntry[] = [];
  for (const file of walk(root, "recipients", problems)) {
    const ignored = ignoredRecipientFile(file);
    if (ignored) {
      problems.push(ignored);
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
    let loaded = parseYaml(read.text, file);
    if (!loaded.ok) {
      problems.push(...loaded.problems);
      continue;
    }
    let fromFile = recipientsFromFile(loaded.yaml, languages);
    // A file the fast reader read that has a problem is read again in full, for the full parser's messages.
    if (!fromFile.valid && loaded.yaml.full) {
      loaded = loaded.yaml.full();
      if (!loaded.ok) {
        problems.push(...loaded.problems);
        continue;
      }
      fromFile = recipientsFromFile(loaded.yaml, languages);
    }
    // The valid recipients of a file with errors still take part in the checks, but are not cached.
    const { entries: fileEntries, problems: fileProblems, valid: fileValid } = fromFile;
    problems.push(...fileProblems);
    entries.push(...fileEntries);
    if (fileValid) cache.set(file, digest, fileEntries);
  }
  return entries;
}

/**
 * What of an outreach.yaml with errors a report on sent letters can use: each campaign whose id, select and
 * followup are valid (other fields fall back to harmless values), and the defaults. A campaign left out is
 * said as a problem of its own.
 */
function salvageConfig(yaml: YamlFile, problems: Problem[]): Config | undefined {
  const value = yaml.value as Record<string, unknown> | null;
  if (typeof value !== "object" || value === null || !Array.isArray(value.campaigns)) return undefined;
  const shape = configSchema.shape;
  const campaigns = value.campaigns.flatMap((campaign: unknown, index: number) => {
    const salvaged = salvageCampaign(campaign);
    if (salvaged) return [salvaged];
    problems.push({
      severity: "error",
      file: CONFIG_FILE,
      ...yaml.locate(["campaigns", index]),
      field: `campaigns[${index}]`,
      message: "this campaign is left out: its id, select or followup cannot be read",
    });
    return [];
  });
  return {
    sender: parsedOr(shape.sender, value.sender, { name: "", email: "" }),
    defaults: parsedOr(shape.defaults, value.defaults, shape.defaults.parse(undefined)),
    transport: parsedOr(shape.transport, value.transport, shape.transport.parse(undefined)),
    campaigns,
  };
}

function salvageCampaign(value: unknown): Campaign | undefined {
  const whole = campaignSchema.safeParse(value);
  if (whole.success) return whole.data;
  if (typeof value !== "object" || value === null) return undefined;
  const fields = value as Record<string, unknown>;
  const shape = campaignSchema.shape;
  const id = shape.id.safeParse(fields.id);
  const select = shape.select.safeParse(fields.select);
  const followup = shape.followup.safeParse(fields.followup);
  if (!id.success || !select.success || !followup.success) return undefined;
  const date = shape.date.safeParse(fields.date);
  return {
    id: id.data,
    ...(select.data ? { select: select.data } : {}),
    followup: followup.data,
    ...(date.success && date.data ? { date: date.data } : {}),
    subject: parsedOr(shape.subject, fields.subject, ""),
    template: parsedOr(shape.template, fields.template, ""),
    attachments: parsedOr(shape.attachments, fields.attachments, []),
    signatories: parsedOr(shape.signatories, fields.signatories, []),
  };
}

function parsedOr<T>(schema: z.ZodType<T>, value: unknown, fallback: T): T {
  const result = schema.safeParse(value);
  return result.success ? result.data : fallback;
}
