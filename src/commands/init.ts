// `outreach init [dir]`: a small commented starter campaign that passes `check`. Never overwrites a file.
import { copyFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { IO } from "../adapters/terminal.js";
import { UserError } from "../errors.js";

const STARTER = fileURLToPath(new URL("../../starter/", import.meta.url));
// npm leaves .gitignore files out of packages, so the starter keeps these dot files under other names.
const RENAMED: Record<string, string> = { gitignore: ".gitignore", gitattributes: ".gitattributes" };

function starterFiles(folder = STARTER): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    return entry.isDirectory() ? starterFiles(path) : [relative(STARTER, path)];
  });
}

export function init(options: { dir?: string }, io: IO): { root: string; files: string[] } {
  const root = resolve(io.cwd, options.dir ?? ".");
  const files = starterFiles().map((file) => ({ from: join(STARTER, file), to: RENAMED[file] ?? file }));
  const existing = files.filter(({ to }) => existsSync(join(root, to))).map(({ to }) => to);
  if (existing.length > 0) {
    throw new UserError(`${root} already has ${existing.join(", ")}; nothing was written`, {
      hint: "init never overwrites: choose an empty folder, e.g. outreach init my-campaign",
    });
  }
  for (const { from, to } of files) {
    mkdirSync(dirname(join(root, to)), { recursive: true });
    copyFileSync(from, join(root, to));
  }
  const shown = relative(io.cwd, root) || ".";
  io.stdout.write(
    `Created a campaign in ${shown}/:\n${files.map(({ to }) => `  ${to}`).join("\n")}\n\n` +
      `Next:\n  cd ${shown}\n  outreach check      # validate everything\n  outreach preview    # read every letter\n`,
  );
  return { root, files: files.map(({ to }) => to) };
}
