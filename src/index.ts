// The entry point. It loads as little as it can: a bare `outreach --help` through a pipe is answered from the
// text built with the program; everything else runs the command line (main.ts).
import { createRequire } from "node:module";

// A reader that stops early (outreach check | head) is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});
// Progress and warnings are a courtesy: a closed stderr must not stop a send half way.
process.stderr.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
});

/**
 * `outreach --help` (or `-h`, or no command at all) through a pipe: the text commander printed for it when
 * the program was built (dist/help.txt, written by scripts/write-help.js after tsc), so that asking for help
 * does not load commander and declare every command. Only where commander's text is that one: no terminal
 * (a terminal's width changes the wrapping), and a help file no older than the commands it describes.
 */
function builtHelp(args: readonly string[]): boolean {
  const asked = args.length === 1 && (args[0] === "--help" || args[0] === "-h");
  if (!asked && args.length !== 0) return false;
  // Commander prints asked-for help on stdout (a success), and help for a missing command on stderr (usage).
  const stream = asked ? process.stdout : process.stderr;
  if (stream.isTTY) return false;
  let text: string;
  try {
    // Through require, node:fs comes without the ES module view of all its exports (which loads streams).
    const { readFileSync, statSync } = createRequire(import.meta.url)("node:fs") as typeof import("node:fs");
    const help = new URL("./help.txt", import.meta.url);
    if (statSync(help).mtimeMs < statSync(new URL("./cli.js", import.meta.url)).mtimeMs) return false;
    text = readFileSync(help, "utf8");
  } catch {
    return false;
  }
  stream.write(text);
  process.exitCode = asked ? 0 : 2; // EXIT.ok, EXIT.usage (errors.ts), which this file does not load
  return true;
}

if (!builtHelp(process.argv.slice(2))) {
  const { main } = await import("./main.js");
  await main(process.argv);
}
