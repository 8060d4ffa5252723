// What a process killed while putting files in place (replaceFilesWhole) left in a folder, found and undone:
// a batch of renames that had begun is taken back, so that the folder is as it was before it (nothing
// half-written, even across a kill), and files it had written aside are removed. Only a process that is
// gone is undone; one still running is left to finish (a batch's record names it by more than its pid, which
// a later process may have been given).
import { createHash } from "node:crypto";
import { type Dirent, existsSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { join, relative, resolve } from "node:path";
import { asideName, asidePath, type BatchEntry, type BatchRecord } from "./file-writes.js";
import { isInside, toPosix } from "./paths.js";
import { isRunning, type ProcessIdentity } from "./process-identity.js";

export interface InterruptedWrite {
  pid: number;
  /** A batch of renames that had begun: the record that says so (relative to the campaign folder). */
  batch?: string;
  /** Files the batch had put in place, put back as they were before it. */
  restored: string[];
  /** Files the batch had made, removed again. */
  removed: string[];
  /** Files the batch had put in place that were changed since: left as they are. */
  changedSince: string[];
  /** Hidden files written aside and never put in place, removed. */
  leftAside: string[];
  /** The process is still running: nothing was touched. */
  running: boolean;
  /** The machine it runs on, when it is not this one (whether it runs cannot be told from here). */
  host?: string;
}

/** Finds and undoes what processes that are gone left half-done below `folder` (relative to `root`). */
export function undoInterruptedWrites(root: string, folder: string): InterruptedWrite[] {
  const found = new Map<number, { batches: string[]; aside: string[] }>();
  for (const path of asideFiles(join(root, folder))) {
    const name = asideName(path.slice(path.lastIndexOf("/") + 1)) as NonNullable<
      ReturnType<typeof asideName>
    >;
    const of = found.get(name.pid) ?? { batches: [], aside: [] };
    (name.kind === "batch" ? of.batches : of.aside).push(path);
    found.set(name.pid, of);
  }
  const shown = (path: string) => toPosix(relative(root, path));
  const results: InterruptedWrite[] = [];
  for (const [pid, { batches, aside }] of found) {
    const records = batches.map((batch) => ({ batch, record: readRecord(batch) }));
    // The process its record names (an older record, or one cut short, names it by the pid alone).
    const owner: Partial<ProcessIdentity> & { pid: number } = records.find(
      ({ record }) => record?.process?.pid === pid,
    )?.record?.process ?? { pid };
    const result: InterruptedWrite = {
      pid,
      restored: [],
      removed: [],
      changedSince: [],
      leftAside: [],
      running: isRunning(owner),
      ...(owner.host !== undefined && owner.host !== hostname() ? { host: owner.host } : {}),
    };
    results.push(result);
    if (result.running) continue;
    for (const { batch, record } of records) {
      result.batch = shown(batch);
      undoBatch(batch, record?.files ?? [], pid, join(root, folder), result, shown);
    }
    // What no batch names: written aside before any rename began, so the files themselves are as they were.
    for (const path of aside) {
      if (!existsSync(path)) continue;
      rmSync(path, { force: true });
      result.leftAside.push(shown(path));
    }
  }
  return results;
}

/** Takes a batch back: each file it had put in place returns to what it was before (or goes, if it is new). */
function undoBatch(
  batch: string,
  entries: readonly BatchEntry[],
  pid: number,
  folder: string,
  result: InterruptedWrite,
  shown: (path: string) => string,
) {
  for (const entry of entries) {
    const path = resolve(batch, "..", entry.path);
    // A record names files beside it; one naming a file elsewhere was not written by outreach.
    if (!isInside(folder, path)) continue;
    const tmp = asidePath(path, "tmp", pid);
    const old = asidePath(path, "old", pid);
    const renamed = !existsSync(tmp);
    const now = hashOf(path);
    rmSync(tmp, { force: true });
    if (renamed && now === entry.sha256 && entry.replaces && existsSync(old)) {
      renameSync(old, path);
      result.restored.push(shown(path));
    } else if (renamed && now === entry.sha256 && !entry.replaces) {
      rmSync(path, { force: true });
      result.removed.push(shown(path));
    } else if (renamed && now !== undefined && (entry.replaces ? hashOf(old) : undefined) !== now) {
      // Neither what the batch wrote nor what was there before it: changed by someone since.
      if (!entry.replaces || existsSync(old)) result.changedSince.push(shown(path));
    }
    rmSync(old, { force: true });
  }
  rmSync(batch, { force: true });
}

/** A batch's record; undefined for one cut short (written before the first rename, so none was made). */
function readRecord(batch: string): BatchRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(batch, "utf8")) as BatchRecord;
    return Array.isArray(record?.files) ? record : undefined;
  } catch {
    return undefined;
  }
}

function hashOf(path: string): string | undefined {
  try {
    return createHash("sha256").update(readFileSync(path)).digest("hex");
  } catch {
    return undefined;
  }
}

/** The files below `folder` that replaceFilesWhole writes aside (never following a link, nor into a hidden folder). */
function asideFiles(folder: string): string[] {
  const files: string[] = [];
  const visit = (directory: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(directory, { withFileTypes: true });
    } catch {
      return;
    }
    // The path is made only for what is kept or visited: a folder of 10,000 recipient files holds neither.
    for (const entry of entries) {
      if (entry.isFile() && asideName(entry.name)) files.push(toPosix(join(directory, entry.name)));
      else if (entry.isDirectory() && !entry.name.startsWith(".")) visit(join(directory, entry.name));
    }
  };
  visit(folder);
  return files.sort();
}

/** One sentence for the user: what was found, and what was done about it. */
export function describeInterruptedWrite(found: InterruptedWrite): string {
  const list = (paths: readonly string[]) => paths.join(", ");
  if (found.running && found.host !== undefined) {
    return `An import on ${found.host} (process ${found.pid}) began putting files in place in this folder and has not finished; run this again when it has finished (if no import runs there, run it there again, and it takes the batch back).`;
  }
  if (found.running) {
    return `An import (process ${found.pid}) is putting files in place in this folder right now; run this again when it has finished.`;
  }
  if (found.batch === undefined) {
    return `Removed ${found.leftAside.length === 1 ? "a file" : `${found.leftAside.length} files`} that a stopped process (${found.pid}) had written aside and never put in place: ${list(found.leftAside)}; no recipient file had changed.`;
  }
  const done = [
    found.restored.length > 0
      ? `put back ${list(found.restored)} as ${found.restored.length === 1 ? "it was" : "they were"}`
      : "",
    found.removed.length > 0 ? `removed ${list(found.removed)}, which it had added` : "",
  ].filter(Boolean);
  const changed =
    found.changedSince.length > 0
      ? ` ${list(found.changedSince)} had been changed since, so ${found.changedSince.length === 1 ? "it was" : "they were"} left as ${found.changedSince.length === 1 ? "it is" : "they are"}: check ${found.changedSince.length === 1 ? "it" : "them"}.`
      : "";
  return `An import (process ${found.pid}) was stopped while putting its files in place: ${done.length > 0 ? `${done.join(" and ")}, so` : "none was in place yet, so"} the folder is as it was before that import; run it again.${changed}`;
}
