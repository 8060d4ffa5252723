// Long output for a person reading on a terminal goes through a pager, as git's does: $OUTREACH_PAGER, else
// $PAGER, else `less -FRX` (it quits by itself when the text fits one screen, and keeps colours). Never
// without a terminal on stdout; quitting the pager early (q) is not an error; a pager that cannot be found
// leaves the text printed as it is.
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import { withFields } from "../core/objects.js";
import { showText } from "../core/text-rules.js";
import type { IO } from "./terminal.js";

const DEFAULT_PAGER = "less -FRX";

/** The pager command to use, or undefined to print plainly (no terminal, --no-pager, an empty PAGER). */
export function pagerCommand(io: IO, wanted = true): string | undefined {
  const stdout = io.stdout as { isTTY?: boolean };
  if (!wanted || stdout.isTTY !== true || io.env.TERM === "dumb") return undefined;
  const command = (io.env.OUTREACH_PAGER ?? io.env.PAGER ?? DEFAULT_PAGER).trim();
  return command === "" ? undefined : command;
}

const SHELL_WORDS = new Set(["exec", "command", "eval", "exit", "true"]);

/** Whether the program a shell command starts with can be found (a path, or a name on PATH). */
function programExists(command: string, env: NodeJS.ProcessEnv): boolean {
  const program = /^\S+/.exec(command)?.[0] ?? "";
  // A command that starts with shell syntax (a variable, a subshell) is left to the shell to judge.
  if (!/^[\w./+-]+$/.test(program) || SHELL_WORDS.has(program)) return true;
  const candidates = program.includes("/")
    ? [isAbsolute(program) ? program : join(process.cwd(), program)]
    : (env.PATH ?? "").split(delimiter).map((folder) => join(folder || ".", program));
  return candidates.some((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Shows `pieces` through the pager when `pagerCommand` gives one, else writes them to stdout. Resolves once
 * the reader is done (the pager has exited).
 */
export async function page(io: IO, pieces: readonly (string | Buffer)[], wanted = true): Promise<void> {
  const command = pagerCommand(io, wanted);
  const plain = () => {
    for (const piece of pieces) io.stdout.write(piece);
  };
  if (command === undefined) return plain();
  if (!programExists(command, io.env)) {
    io.stderr.write(
      io.err.yellow(`The pager ${showText(command)} cannot be found; showing the text without it.\n`),
    );
    return plain();
  }
  const env = withFields(io.env, { LESS: io.env.LESS ?? "FRX", LV: io.env.LV ?? "-c" });
  // The shell reads the command as git's does (PAGER="less -S" works); the pager owns the terminal.
  const child = spawn(command, { shell: true, stdio: ["pipe", "inherit", "inherit"], env });
  // Ctrl-C belongs to the pager while it runs (less uses it to stop a search), not to outreach.
  const ignore = () => {};
  process.on("SIGINT", ignore);
  try {
    const exit = new Promise<number | null>((resolve) => {
      child.on("error", () => resolve(127));
      child.on("close", (code) => resolve(code));
    });
    // The reader quit before the end (q): the pipe closes under the writes, which is how a pager ends.
    child.stdin.on("error", () => {});
    for (const piece of pieces) {
      if (child.stdin.destroyed) break;
      if (!child.stdin.write(piece)) {
        await new Promise<void>((resolve) => {
          child.stdin.once("drain", resolve);
          child.stdin.once("close", resolve);
        });
      }
    }
    child.stdin.end();
    // 127: the shell found no such program; any other failure (PAGER=false, a pager that cannot open the
    // terminal) may have shown nothing either. Quitting early (q) is a success, so the text is never lost.
    const code = await exit;
    if (code !== 0 && code !== null) {
      const what = code === 127 ? "could not be started" : `failed (exit code ${code})`;
      io.stderr.write(
        io.err.yellow(`The pager ${showText(command)} ${what}; showing the text without it.\n`),
      );
      plain();
    }
  } finally {
    process.off("SIGINT", ignore);
  }
}
