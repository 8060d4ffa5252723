// The messages `inbox` keeps as evidence (.outreach/inbox/*.eml), saved a batch at a time: each is written
// beside its name, then the batch is synced together, renamed into place and the folder synced, so every
// file (and its name) is on disk before the journal names it — one wait for the disk per batch, not per file.
import { open, rename, unlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileError } from "./file-system.js";
import { syncFolder } from "./journal-file.js";

export class EvidenceBatch {
  private readonly saved = new Set<string>();

  constructor(private readonly root: string) {}

  /** Where a file in the batch is written before `commit` gives it its name. */
  draftPath(path: string): string {
    return join(this.root, `${path}.part`);
  }

  async write(path: string, data: Buffer): Promise<void> {
    try {
      await writeFile(this.draftPath(path), data, { mode: 0o600 });
    } catch (error) {
      throw fileError(error, path, "write", "nothing more was recorded");
    }
    this.saved.add(path);
  }

  /** A file someone else wrote at `draftPath(path)` (a message streamed from the server). */
  written(path: string): void {
    this.saved.add(path);
  }

  async discard(path: string): Promise<void> {
    this.saved.delete(path);
    await unlink(this.draftPath(path)).catch(() => {});
  }

  /** Syncs every file of the batch, then names them; afterwards they are durable. */
  async commit(): Promise<void> {
    const paths = [...this.saved];
    this.saved.clear();
    if (paths.length === 0) return;
    try {
      await Promise.all(paths.map((path) => syncFile(this.draftPath(path))));
      await Promise.all(paths.map((path) => rename(this.draftPath(path), join(this.root, path))));
      for (const folder of new Set(paths.map((path) => dirname(join(this.root, path))))) syncFolder(folder);
    } catch (error) {
      await Promise.all(paths.map((path) => unlink(this.draftPath(path)).catch(() => {})));
      throw fileError(error, dirname(paths[0] as string), "write", "nothing more was recorded");
    }
  }
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}
