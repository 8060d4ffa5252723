// A cache of the validated campaign folder in .outreach/cache: outreach.yaml and every recipient file, keyed
// by path and a hash of the very text that was validated. Parsing YAML is the slowest step (about 2 MB/s),
// and when nothing changed, a run needs neither the YAML parser nor the schemas. Size and modification time
// are not enough: a file changed under the same size and time (`touch -r`, a restored backup, a clock
// step) would be taken as valid without being read.
import { createHash } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { RecipientEntry } from "../core/recipients.js";
import type { Config } from "../core/schema.js";
import { readRegularFile } from "./file-system.js";
import { replaceFileWhole } from "./file-writes.js";

// Bump when the schemas, RecipientEntry or this file's shape change, so old caches are ignored.
const CACHE_FORMAT = 5;

export interface CachedConfig {
  digest: string;
  config: Config;
}

export interface CachedFile {
  digest: string;
  entries: RecipientEntry[];
}

/** The key of a file's content: a SHA-256 of its text, as read and validated. */
export function contentDigest(text: string): string {
  return createHash("sha256").update(text).digest("base64url");
}

interface CacheContents {
  format: number;
  config?: CachedConfig;
  files: Record<string, CachedFile>;
}

export class FolderCache {
  private readonly path: string;
  private readonly previous: CacheContents;
  private readonly next: Record<string, CachedFile> = {};
  private nextConfig: CachedConfig | undefined;
  private changed = false;

  constructor(private readonly root: string) {
    this.path = join(root, ".outreach", "cache", "folder.json");
    this.previous = this.read();
  }

  private read(): CacheContents {
    try {
      const contents = JSON.parse(readRegularFile(this.path).toString("utf8")) as CacheContents;
      if (contents.format === CACHE_FORMAT && contents.files) return contents;
    } catch {}
    return { format: CACHE_FORMAT, files: {} };
  }

  /** The validated outreach.yaml, if its text is the one that was cached. */
  config(digest: string): Config | undefined {
    const cached = this.previous.config;
    // A cache from an older version may hold a password file's name: it is not used, and is overwritten.
    const clean = cached?.config.transport.smtp?.password_file === undefined;
    if (cached && clean && cached.digest === digest) {
      this.nextConfig = cached;
      return cached.config;
    }
    return undefined;
  }

  setConfig(digest: string, config: Config): void {
    // A password file's name may be the password itself, typed in the wrong place: it is never written
    // here, so such a config is read from outreach.yaml every time.
    this.nextConfig = config.transport.smtp?.password_file === undefined ? { digest, config } : undefined;
    this.changed = true;
  }

  get(file: string, digest: string): RecipientEntry[] | undefined {
    const cached = this.previous.files[file];
    if (cached && cached.digest === digest) {
      this.next[file] = cached;
      return cached.entries;
    }
    return undefined;
  }

  set(file: string, digest: string, entries: RecipientEntry[]): void {
    this.next[file] = { digest, entries };
    this.changed = true;
  }

  /**
   * Writes the cache if anything changed; a folder we cannot write to simply goes uncached. Callers save
   * only when the whole campaign folder is valid: nothing is written while the input has errors.
   */
  save(): void {
    const removed = Object.keys(this.previous.files).some((file) => !(file in this.next));
    if (!this.changed && !removed) return;
    try {
      mkdirSync(join(this.root, ".outreach", "cache"), { recursive: true, mode: 0o700 });
      const contents: CacheContents = {
        format: CACHE_FORMAT,
        ...(this.nextConfig ? { config: this.nextConfig } : {}),
        files: this.next,
      };
      replaceFileWhole(this.path, [JSON.stringify(contents)], { mode: 0o600 });
      rmSync(join(this.root, ".outreach", "cache", "recipients.json"), { force: true }); // the older cache
    } catch {
      // The cache only saves time; without it every run parses the files again.
    }
  }
}
