// A cache of validated recipient files in .outreach/cache, keyed by path, size and modification time:
// parsing YAML is the slowest step (about 2 MB/s), and most runs read files that have not changed.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RecipientEntry } from "../core/recipients.js";

// Bump when the recipient schema or RecipientEntry changes, so old caches are ignored.
const CACHE_FORMAT = 2;

export interface CachedFile {
  size: number;
  mtimeMs: number;
  entries: RecipientEntry[];
}

interface CacheContents {
  format: number;
  files: Record<string, CachedFile>;
}

export class RecipientCache {
  private readonly path: string;
  private readonly previous: Record<string, CachedFile>;
  private readonly next: Record<string, CachedFile> = {};
  private changed = false;

  constructor(private readonly root: string) {
    this.path = join(root, ".outreach", "cache", "recipients.json");
    this.previous = this.read();
  }

  private read(): Record<string, CachedFile> {
    try {
      const contents = JSON.parse(readFileSync(this.path, "utf8")) as CacheContents;
      return contents.format === CACHE_FORMAT && contents.files ? contents.files : {};
    } catch {
      return {};
    }
  }

  get(file: string, size: number, mtimeMs: number): RecipientEntry[] | undefined {
    const cached = this.previous[file];
    if (cached && cached.size === size && cached.mtimeMs === mtimeMs) {
      this.next[file] = cached;
      return cached.entries;
    }
    return undefined;
  }

  set(file: string, size: number, mtimeMs: number, entries: RecipientEntry[]): void {
    this.next[file] = { size, mtimeMs, entries };
    this.changed = true;
  }

  /**
   * Writes the cache if anything changed; a folder we cannot write to simply goes uncached. Callers save
   * only when the whole campaign folder is valid: nothing is written while the input has errors.
   */
  save(): void {
    const removed = Object.keys(this.previous).some((file) => !(file in this.next));
    if (!this.changed && !removed) return;
    try {
      mkdirSync(join(this.root, ".outreach", "cache"), { recursive: true, mode: 0o700 });
      const temporary = `${this.path}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify({ format: CACHE_FORMAT, files: this.next }), { mode: 0o600 });
      renameSync(temporary, this.path);
    } catch {
      // The cache only saves time; without it every run parses the files again.
    }
  }
}
