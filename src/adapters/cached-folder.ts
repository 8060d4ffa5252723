// The fast way to read a campaign folder: when outreach.yaml and every recipient file hold the same text as
// at the last valid run, take them from the cache, so neither the YAML parser nor the schemas are loaded.
import { join } from "node:path";
import type { Problem } from "../core/problems.js";
import type { RecipientEntry } from "../core/recipients.js";
import type { LoadedFolder } from "./campaign-folder.js";
import { contentDigest, FolderCache } from "./folder-cache.js";
import { ignoredRecipientFile, loadAttachments, loadTemplates, walk } from "./folder-files.js";
import { CONFIG_FILE } from "./paths.js";
import { readTextBytes } from "./text-file.js";

/**
 * Where the files are read to be hashed, one after the other: a file's bytes are needed only until their
 * digest is taken. (A new buffer a file, 28 MB over 1,000 files of 100 recipients, waited for the collector:
 * peak memory of a warm check of 100,000 recipients was 11 MB higher.) A larger file gets a buffer of its own.
 */
const scratch = Buffer.allocUnsafeSlow(256 * 1024);

/**
 * The digest of a file's text as the full loader would read it, taken from its bytes (nothing is decoded):
 * a file that is not valid text gets a digest no cached file has, or none (the full loader says why).
 */
function digestOf(root: string, file: string): string | undefined {
  const bytes = readTextBytes(join(root, file), scratch);
  return bytes === undefined ? undefined : contentDigest(bytes);
}

/**
 * The folder from the cache, or undefined when anything changed (then the full loader reads it). Positions
 * in outreach.yaml are not known here: a caller that meets a problem in outreach.yaml reads the folder again
 * with the full loader, which can point at the line.
 */
export function loadFromCache(root: string): LoadedFolder | undefined {
  const cache = new FolderCache(root);
  const configDigest = digestOf(root, CONFIG_FILE);
  const config = configDigest === undefined ? undefined : cache.config(configDigest);
  if (!config) return undefined;
  const problems: Problem[] = [];
  const recipients: RecipientEntry[] = [];
  const ignored: Problem[] = [];
  for (const file of walk(root, "recipients", problems)) {
    const warning = ignoredRecipientFile(file);
    if (warning) {
      ignored.push(warning);
      continue;
    }
    const digest = digestOf(root, file);
    const cached = digest === undefined ? undefined : cache.get(file, digest);
    if (!cached) return undefined;
    recipients.push(...cached);
  }
  if (problems.length > 0) return undefined;
  problems.push(...ignored);
  const library = loadTemplates(root, problems);
  const attachments = loadAttachments(root, config, () => undefined, problems);
  return {
    root,
    config,
    configSource: { file: CONFIG_FILE, locate: () => undefined },
    recipients,
    library,
    attachments,
    problems,
    saveCache: () => cache.save(),
  };
}

/**
 * The folder's recipients alone, from the cache (or none when recipients/ holds no recipient file), for a
 * command that needs nothing else of the folder: neither outreach.yaml nor the templates are read, nor is
 * the YAML parser loaded. Undefined when a recipient file is not in the cache as it is now, or anything in
 * recipients/ is amiss: then the full loader reads (and names) it.
 */
export function recipientsFromCache(root: string): RecipientEntry[] | undefined {
  const problems: Problem[] = [];
  const files = walk(root, "recipients", problems).filter((file) => !ignoredRecipientFile(file));
  if (problems.length > 0) return undefined;
  if (files.length === 0) return [];
  const cache = new FolderCache(root);
  const recipients: RecipientEntry[] = [];
  for (const file of files) {
    const digest = digestOf(root, file);
    const cached = digest === undefined ? undefined : cache.get(file, digest);
    if (!cached) return undefined;
    recipients.push(...cached);
  }
  return recipients;
}
