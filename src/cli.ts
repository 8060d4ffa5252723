// The command line: declares commands and options, and loads each command only when it runs.
import { Command, Option } from "commander";
import type { IO } from "./adapters/terminal.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function buildProgram(io: () => IO): Command {
  const program = new Command("outreach")
    .description(
      "Send one appeal to many institutions, each in its own words, and keep track of who answered.",
    )
    .version(process.env.npm_package_version ?? "0.1.0", "-V, --version")
    .option(
      "-d, --dir <path>",
      "the campaign folder (default: this folder or the nearest parent with outreach.yaml)",
    )
    .showSuggestionAfterError()
    .configureOutput({ outputError: (text, write) => write(text) })
    .addHelpText(
      "after",
      `
Exit codes: 0 done, 1 the work failed (invalid input), 2 wrong usage, 3 done but needs your decision,
130 interrupted.

Start with:  outreach init my-campaign && cd my-campaign && outreach check`,
    );

  const global = () => program.opts<{ dir?: string }>();
  const campaignOption = () => new Option("-c, --campaign <id>", "the campaign (default: the only one)");

  program
    .command("init")
    .description("create a starter campaign folder with commented examples (never overwrites)")
    .argument("[dir]", "where to create it", ".")
    .addHelpText("after", "\nExample:\n  outreach init khorog-appeal")
    .action(async (dir: string) => {
      const { init } = await import("./commands/init.js");
      init({ dir }, io());
    });

  program
    .command("check")
    .description("validate outreach.yaml, every recipient and template, and render every letter")
    .addOption(campaignOption())
    .option("--json", "print the problems as JSON")
    .addHelpText("after", "\nExamples:\n  outreach check\n  outreach check -c khorog-2012 --json")
    .action(async (options: { campaign?: string; json?: boolean }) => {
      const { check } = await import("./commands/check.js");
      const result = check({ ...global(), ...options }, io());
      if (!result.ok) process.exitCode = 1;
    });

  program
    .command("recipients")
    .description("list the recipients a campaign selects, with their channels and language")
    .addOption(campaignOption())
    .option("--type <type>", "only this body type (repeatable)", collect)
    .option("--tag <tag>", "only recipients with this tag (repeatable)", collect)
    .option("--json", "print JSON")
    .addHelpText("after", "\nExamples:\n  outreach recipients\n  outreach recipients --type embassy --json")
    .action(async (options: { campaign?: string; type?: string[]; tag?: string[]; json?: boolean }) => {
      const { listRecipients } = await import("./commands/recipients.js");
      listRecipients({ ...global(), ...options }, io());
    });

  program
    .command("preview")
    .description("show each letter as it would go out (headers and body), or write .eml and .txt files")
    .argument("[ids...]", "recipient ids (default: every recipient the campaign selects)")
    .addOption(campaignOption())
    .option("-o, --out <dir>", "write <id>.eml and <id>.txt per recipient into this folder")
    .option("--json", "print JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  outreach preview ohchr osce-odihr\n  outreach preview --out preview/",
    )
    .action(async (ids: string[], options: { campaign?: string; out?: string; json?: boolean }) => {
      const { preview } = await import("./commands/preview.js");
      await preview({ ...global(), ...options, ids }, io());
    });

  return program;
}
