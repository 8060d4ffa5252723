// A cache of the validated campaign folder in .outreach/cache: outreach.yaml and every recipient file, keyed
// by path and a hash of the very text that was validated. Parsing YAML is the slowest step (about 2 MB/s),
// and when nothing changed, a run needs neither the YAML parser nor the schemas. Size and modification time
// are not enough: a file changed under the same size and time (`touch -r`, a restored backup, a clock
// step) would be taken as valid without being read.
// The file is JSON Lines: a first line with the format and outreach.yaml, then one line per recipient file, so
// neither writing nor reading it ever holds the whole text (40 MB at 100,000 recipients) beside its objects.
import { hash } from "node:crypto";
import { closeSync, mkdirSync, readSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { RecipientEntry } from "../core/recipients.js";
import type { Config } from "../core/schema.js";
import { openToReadSync } from "./file-system.js";
import { replaceFileWhole } from "./file-writes.js";

// Bump when the schemas, RecipientEntry or this file's shape change, so old caches are ignored.
const CACHE_FORMAT = 7;

export interface CachedConfig {
  digest: string;
  config: Config;
}

export interface CachedFile {
  digest: string;
  entries: RecipientEntry[];
}

/** The key of a file's content: a SHA-256 of its text, as read and validated (or of that text's UTF-8 bytes). */
export function contentDigest(text: string | Uint8Array): string {
  // The one-shot hash: a Hash object per file is a cost of its own at 10,000 files.
  return hash("sha256", text, "base64url");
}

interface CacheContents {
  format: number;
  config?: CachedConfig;
  files: Record<string, CachedFile>;
}

/** The first line of the file. */
interface CacheHeader {
  format: number;
  config?: CachedConfig;
}

/** Every further line: one recipient file. */
interface CacheLine extends CachedFile {
  file: string;
}

/**
 * Calls `line` with each line of the file (without its newline), reading it a piece at a time into one
 * buffer: the part of a line a piece ends in is moved to the buffer's start and the next piece read after
 * it, and the buffer grows only for a line longer than itself. (A new buffer a piece, to join the part
 * carried with the next, left 20 MB of them for the collector over a cache of 100,000 recipients.)
 */
function eachLine(path: string, line: (text: string) => void): void {
  const descriptor = openToReadSync(path);
  try {
    let buffer = Buffer.allocUnsafeSlow(1 << 20);
    let kept = 0; // bytes of a line not yet ended, at the buffer's start
    for (;;) {
      if (kept === buffer.length) {
        const larger = Buffer.allocUnsafeSlow(buffer.length * 2);
        buffer.copy(larger, 0, 0, kept);
        buffer = larger;
      }
      const read = readSync(descriptor, buffer, kept, buffer.length - kept, null);
      if (read === 0) break;
      const filled = buffer.subarray(0, kept + read); // past it, bytes of earlier pieces
      let start = 0;
      for (let end = filled.indexOf(10, kept); end !== -1; end = filled.indexOf(10, start)) {
        line(filled.toString("utf8", start, end));
        start = end + 1;
      }
      kept = filled.length - start;
      buffer.copyWithin(0, start, filled.length);
    }
    if (kept > 0) line(buffer.toString("utf8", 0, kept));
  } finally {
    closeSync(descriptor);
  }
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
    const contents: CacheContents = { format: CACHE_FORMAT, files: {} };
    try {
      let first = true;
      eachLine(this.path, (text) => {
        if (first) {
          first = false;
          const header = JSON.parse(text) as CacheHeader;
          if (header.format !== CACHE_FORMAT) throw new Error("another format");
          if (header.config) contents.config = header.config;
        } else {
          const { file, digest, entries } = JSON.parse(text) as CacheLine;
          // JSON.parse gives each entry its own copy of the file's name: one string, not 10,000.
          for (const entry of entries) if (entry.file === file) entry.file = file;
          contents.files[file] = { digest, entries };
        }
      });
      // An empty file, or one cut off after its first line, holds no files: that is all it can say.
      if (!first) return contents;
    } catch {}
    // Missing, unreadable, cut off mid-line or of another version: every file is read again.
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
      const header: CacheHeader = {
        format: CACHE_FORMAT,
        ...(this.nextConfig ? { config: this.nextConfig } : {}),
      };
      // A line at a time, each made as it is written: 100,000 recipients make 40 MB of text.
      const next = this.next;
      function* lines(): Generator<string> {
        yield `${JSON.stringify(header)}\n`;
        for (const [file, { digest, entries }] of Object.entries(next)) {
          yield `${JSON.stringify({ file, digest, entries } satisfies CacheLine)}\n`;
        }
      }
      replaceFileWhole(this.path, lines(), { mode: 0o600 });
      rmSync(join(this.root, ".outreach", "cache", "recipients.json"), { force: true }); // the older cache
    } catch {
      // The cache only saves time; without it every run parses the files again.
    }
  }
}
