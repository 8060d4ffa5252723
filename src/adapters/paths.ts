// Paths inside the campaign folder: finding the folder, and refusing paths that lead out of it.
import { existsSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { EXIT, UserError } from "../errors.js";

export const CONFIG_FILE = "outreach.yaml";

/** Hosts on this machine: the only ones a password may be sent to without TLS. */
export const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** The campaign folder: `dir` if given, else the current folder or the nearest parent holding outreach.yaml. */
export function findCampaignFolder(cwd: string, dir?: string): string {
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

export function isInside(root: string, path: string): boolean {
  const relation = relative(root, path);
  return relation === "" || (!relation.startsWith("..") && !isAbsolute(relation));
}
