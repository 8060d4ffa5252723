// Paths inside the campaign folder: finding the folder, and refusing paths that lead out of it.
import { type Dirent, existsSync, lstatSync, mkdirSync, readdirSync, realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { describeForbiddenCharacter, showText } from "../core/text-rules.js";
import { EXIT, UserError } from "../errors.js";
import { fileError } from "./file-system.js";
import { STATE_FOLDER } from "./journal-file.js";

export const CONFIG_FILE = "outreach.yaml";

/** Hosts on this machine: the only ones a password may be sent to without TLS. */
export const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/**
 * The campaign folder: `dir` if given, else the current folder or the nearest parent holding outreach.yaml.
 * Refuses a folder whose outreach.yaml, outbox/ or .outreach/ (or anything in it) leads outside of it.
 */
export function findCampaignFolder(cwd: string, dir?: string): string {
  const root = locateCampaignFolder(cwd, dir);
  refuseLinksOut(root);
  return root;
}

function locateCampaignFolder(cwd: string, dir?: string): string {
  if (dir !== undefined) {
    const root = resolve(cwd, dir);
    if (!existsSync(join(root, CONFIG_FILE))) {
      throw new UserError(`${root} has no ${CONFIG_FILE}`, {
        hint: `run "outreach init ${dir}" to create a campaign folder there`,
        exitCode: EXIT.usage,
      });
    }
    return root;
  }
  for (let current = resolve(cwd); ; current = dirname(current)) {
    if (existsSync(join(current, CONFIG_FILE))) return current;
    if (dirname(current) === current) break;
  }
  throw new UserError(`no ${CONFIG_FILE} in ${resolve(cwd)} or any folder above it`, {
    hint: 'run "outreach init" to create a campaign folder, or pass --dir PATH',
    exitCode: EXIT.usage,
  });
}

export function toPosix(path: string): string {
  return sep === "/" ? path : path.split(sep).join("/");
}

/**
 * Resolves `path` (as written by the user, relative to the campaign folder) and refuses absolute paths,
 * `..` escapes and symbolic links that point outside the folder. Returns a sentence when refused.
 */
export function resolveInside(
  root: string,
  path: string,
): { ok: true; absolute: string } | { ok: false; reason: string } {
  if (isAbsolute(path) || /^[A-Za-z]:[\\/]/.test(path)) {
    return { ok: false, reason: "is an absolute path; write it relative to the campaign folder" };
  }
  const absolute = resolve(root, path);
  if (!isInside(root, absolute)) return { ok: false, reason: "leads outside the campaign folder" };
  if (existsSync(absolute)) {
    const real = realpathSync(absolute);
    if (!isInside(realpathSync(root), real)) {
      return { ok: false, reason: "is a link to a file outside the campaign folder" };
    }
  }
  return { ok: true, absolute };
}

/**
 * outreach.yaml and the state folder with everything in it. recipients/ and templates/ are checked by the
 * folder walk (as located problems), attachments where they are named, outbox/ where a letter is written.
 */
function refuseLinksOut(root: string): void {
  pathInside(root, CONFIG_FILE);
  refuseLinksBelow(root, STATE_FOLDER);
}

/** Refuses `folder` (relative to the campaign folder) if it, or anything below it, leads out of the folder. */
export function refuseLinksBelow(root: string, folder: string): void {
  const start = pathInside(root, folder);
  const realRoot = realpathSync(root);
  const visit = (directory: string, shown: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(directory, { withFileTypes: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return;
      if (code === "ENOTDIR") {
        throw new UserError(`${shown} is a file where a folder should be`, {
          hint: `outreach keeps ${shown === STATE_FOLDER ? "its journal" : "files"} in the folder ${shown}/: move that file away`,
        });
      }
      throw fileError(error, shown, "read");
    }
    for (const entry of entries) {
      const path = join(directory, entry.name);
      const entryShown = `${shown}/${entry.name}`;
      if (entry.isSymbolicLink()) checkLink(realRoot, path, entryShown);
      else if (entry.isDirectory()) visit(path, entryShown);
    }
  };
  visit(start, folder);
}

/**
 * The real path of `relativePath` (a path outreach itself names, like ".outreach/sent") inside the campaign
 * folder. Links on the way are followed only while they stay inside the folder; a link that leads out, a
 * dangling link or a loop is refused with a sentence naming it. Parts that do not exist yet are fine.
 */
export function pathInside(root: string, relativePath: string): string {
  const realRoot = realpathSync(root);
  const parts = relativePath.split(/[\\/]/).filter((part) => part !== "" && part !== ".");
  let current = realRoot;
  for (const [index, part] of parts.entries()) {
    const next = join(current, part);
    const shown = parts.slice(0, index + 1).join("/");
    let isLink: boolean;
    try {
      isLink = lstatSync(next).isSymbolicLink();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return join(next, ...parts.slice(index + 1));
      throw fileError(error, shown, "read");
    }
    current = isLink ? checkLink(realRoot, next, shown) : next;
  }
  return current;
}

/** The real target of the link at `path`, if it exists and stays inside the campaign folder. */
function checkLink(realRoot: string, path: string, shown: string): string {
  let target: string;
  try {
    target = realpathSync(path);
  } catch (error) {
    throw fileError(Object.assign(error as NodeJS.ErrnoException, { path }), shown, "read");
  }
  if (!isInside(realRoot, target)) {
    throw new UserError(`${shown} is a link to ${target}, outside the campaign folder`, {
      hint: "outreach reads and writes only inside the campaign folder: put a real folder or file there instead of the link",
    });
  }
  return target;
}

export function isInside(root: string, path: string): boolean {
  const relation = relative(root, path);
  return relation === "" || (!relation.startsWith("..") && !isAbsolute(relation));
}

/**
 * Where a file or folder the user named for output (`export -o FILE`, `preview --out DIR`) goes. The
 * name may not hold a line break or another control character. Inside the campaign folder, links on the
 * way are followed only while they stay inside it (as for every path outreach writes there); the file
 * itself is then created by openToCreateSync, which never writes through a link or into a FIFO.
 */
export function outputPath(cwd: string, root: string, name: string, option: string): string {
  const absolute = namedOutput(cwd, name, option);
  if (!isInside(root, absolute)) return absolute;
  const relation = relative(root, absolute);
  return join(pathInside(root, dirname(relation)), basename(relation));
}

/** outputPath for a folder (which may itself be a link only if it stays inside), made if it is not there. */
export function outputFolder(cwd: string, root: string, name: string, option: string): string {
  const folder = outputFolderPath(cwd, root, name, option);
  try {
    mkdirSync(folder, { recursive: true });
  } catch (error) {
    throw fileError(error, name.replace(/[\\/]+$/, "") || name, "write");
  }
  return folder;
}

/** outputFolder, not made: for a writer that makes the folder whole, in one rename. */
export function outputFolderPath(cwd: string, root: string, name: string, option: string): string {
  const absolute = namedOutput(cwd, name, option);
  return isInside(root, absolute) ? pathInside(root, relative(root, absolute)) : absolute;
}

function namedOutput(cwd: string, name: string, option: string): string {
  const forbidden = describeForbiddenCharacter(name, false);
  if (forbidden !== undefined || name.trim() === "") {
    throw new UserError(
      `${option} ${showText(name)} ${forbidden ? `contains ${forbidden}` : "is empty"}: outreach does not make a file of that name`,
      { exitCode: EXIT.usage, hint: "name the file with letters, digits, spaces and punctuation only" },
    );
  }
  return resolve(cwd, name);
}
