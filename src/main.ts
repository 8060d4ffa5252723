// The command line run: the one place that turns errors into messages and exit codes.

import type { IO } from "./adapters/terminal.js";
import { printable } from "./core/text-rules.js";
import { EXIT, ExitError, UserError } from "./errors.js";

export async function main(argv: string[]): Promise<void> {
  const { buildProgram } = await import("./cli.js");
  let io: Promise<IO> | undefined;
  const program = buildProgram(() => {
    io ??= import("./adapters/terminal.js").then(({ processIO }) => processIO());
    return io;
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = await exitCodeFor(error);
  }
}

/**
 * Whatever the file system refused and no adapter translated on the way (a full disk, a read-only folder, a
 * folder where a file should be) is still a sentence naming the path, never a stack trace.
 */
async function asUserError(error: unknown): Promise<unknown> {
  const { fileError, isFileSystemError } = await import("./adapters/file-system.js");
  if (!isFileSystemError(error) || error.path === undefined) return error;
  const { isAbsolute, relative } = await import("node:path");
  const nearby = relative(process.cwd(), error.path);
  const shown = nearby !== "" && !nearby.startsWith("..") && !isAbsolute(nearby) ? nearby : error.path;
  const syscall = error.syscall ?? "";
  const writing =
    /^(write|mkdir|rename|unlink|rmdir|rm|link|symlink|copyfile|ftruncate|truncate|fsync|fdatasync|chmod)$/.test(
      syscall,
    );
  return fileError(error, shown, syscall === "open" ? "open" : writing ? "write" : "read");
}

async function exitCodeFor(thrown: unknown): Promise<number> {
  if (thrown instanceof ExitError) return thrown.exitCode;
  const commanderError = thrown as { code?: string; exitCode?: number };
  if (typeof commanderError.code === "string" && commanderError.code.startsWith("commander.")) {
    // Commander has printed its message; --help and --version are successes, everything else is wrong usage.
    return commanderError.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  const error = await asUserError(thrown);
  if (error instanceof UserError) {
    const { colourLevel } = await import("./adapters/terminal.js");
    const colour = colourLevel(process.stderr, process.env) > 0;
    const red = (text: string) => (colour ? `\u001b[31m${text}\u001b[39m` : text);
    // Every error is one line, whatever the user typed or a file held: a value cannot forge another line.
    process.stderr.write(`${red("error:")} ${printable(error.message)}\n`);
    if (error.hint) process.stderr.write(`  → ${printable(error.hint)}\n`);
    return error.exitCode;
  }
  process.stderr.write(
    `outreach hit an unexpected error. This is a bug; please report it with the text below.\n\n${
      error instanceof Error ? (error.stack ?? error.message) : String(error)
    }\n`,
  );
  return EXIT.failed;
}
