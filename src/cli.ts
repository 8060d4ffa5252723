// The command line: declares commands and options, and loads each command only when it runs.
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import type { IO } from "./adapters/terminal.js";
import type { ImportOptions } from "./commands/import.js";
import type { LogOptions } from "./commands/log.js";
import type { SendOptions } from "./commands/send.js";
import { withFields } from "./core/objects.js";
import { dayProblem, describeForbiddenCharacter, printable, showText } from "./core/text-rules.js";
import { EXIT, UserError } from "./errors.js";

// Type imports only: the commands themselves load when they run.
type LogCliOptions = Omit<LogOptions, "id" | "dir">;
type SendCliOptions = Omit<SendOptions, "ids" | "dir">;

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * A count given on the command line: digits only. Number() would take 1e1, 0x10 and " 5" as numbers,
 * so a typo could send ten letters where one was meant.
 */
function wholeNumber(flag: string) {
  return (value: string): number => {
    if (!/^[1-9]\d{0,8}$/.test(value)) {
      throw new UserError(
        `${flag} must be a whole number of at least 1, written in digits, not ${showText(value)}`,
        {
          exitCode: EXIT.usage,
          hint: `for example ${flag} 10`,
        },
      );
    }
    return Number(value);
  };
}

/** A calendar day, checked before the command runs (whether it is in the future, the command decides). */
function calendarDay(flag: string) {
  return (value: string): string => {
    const problem = dayProblem(value);
    if (problem) {
      throw new UserError(
        problem.startsWith("must") ? `${flag} ${problem}, not ${showText(value)}` : `${flag} ${problem}`,
        { exitCode: EXIT.usage },
      );
    }
    return value;
  };
}

/**
 * Free text given on the command line ends up in the journal and on the terminal: the same rules as the
 * YAML files' fields (one line, no control or invisible text-direction characters; a note may have lines).
 */
function freeText(flag: string, multiline = false) {
  return (value: string): string => {
    const found = describeForbiddenCharacter(value, multiline);
    if (found) {
      throw new UserError(`${flag} contains ${found}`, {
        exitCode: EXIT.usage,
        hint: multiline
          ? "write the text without control or invisible text-direction characters"
          : "write it on one line, without control or invisible text-direction characters",
      });
    }
    return value;
  };
}

function packageVersion(): string {
  return (
    JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
  ).version;
}

/** `io` is asked for only by a command that runs: --help and usage errors never load the terminal. */
export function buildProgram(io: () => Promise<IO>): Command {
  const program = new Command("outreach")
    .description(
      "Send one appeal to many institutions, each in its own words, and keep track of who answered.",
    )
    .version(packageVersion(), "-V, --version")
    .option(
      "-d, --dir <path>",
      "the campaign folder (default: this folder or the nearest parent with outreach.yaml)",
    )
    .showSuggestionAfterError()
    // Before any command is declared, so that every command inherits it: usage errors reach index.ts.
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(printable(text, { keepLineBreaks: true })) })
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
      init({ dir }, await io());
    });

  program
    .command("check")
    .description("validate outreach.yaml, every recipient and template, and render every letter")
    .addOption(campaignOption())
    .option("--json", "print the problems as JSON")
    .addHelpText("after", "\nExamples:\n  outreach check\n  outreach check -c khorog-2012 --json")
    .action(async (options: { campaign?: string; json?: boolean }) => {
      const { check } = await import("./commands/check.js");
      const result = await check(withFields(global(), options), await io());
      if (!result.ok) process.exitCode = 1;
    });

  program
    .command("recipients")
    .description("list the recipients a campaign selects, with their channels and language")
    .addOption(campaignOption())
    .option(
      "--type <type>",
      "only this body type (repeatable: any of them; with --tag, both must hold)",
      collect,
    )
    .option("--tag <tag>", "only recipients with this tag (repeatable: any of them)", collect)
    .option("--country <code>", "only recipients in this country, e.g. NO (repeatable: any of them)", collect)
    .option("--json", "print JSON")
    .addHelpText("after", "\nExamples:\n  outreach recipients\n  outreach recipients --type embassy --json")
    .action(
      async (options: {
        campaign?: string;
        type?: string[];
        tag?: string[];
        country?: string[];
        json?: boolean;
      }) => {
        const { listRecipients } = await import("./commands/recipients.js");
        await listRecipients(withFields(global(), options), await io());
      },
    );

  program
    .command("preview")
    .description("show each letter as it would go out (headers and body), or write .eml and .txt files")
    .argument("[ids...]", "recipient ids (default: every recipient the campaign selects)")
    .addOption(campaignOption())
    .option("-o, --out <dir>", "write <id>.eml and <id>.txt per recipient into this folder")
    .addOption(new Option("--json", "print JSON").conflicts("out"))
    .option("--no-pager", "print to the terminal without the pager ($PAGER, default less -FRX)")
    .addHelpText(
      "after",
      "\nExamples:\n  outreach preview ohchr odihr\n  outreach preview --out preview/\n  PAGER='less -S' outreach preview",
    )
    .action(
      async (
        ids: string[],
        options: { campaign?: string; out?: string; json?: boolean; pager?: boolean },
      ) => {
        const { preview } = await import("./commands/preview.js");
        await preview(Object.assign({}, global(), options, { ids }), await io());
      },
    );

  program
    .command("send")
    .description(
      "send the campaign's letters (to outbox/ unless SMTP is configured); never sends a letter twice",
    )
    .argument("[ids...]", "only these recipients (default: every recipient the campaign selects)")
    .addOption(campaignOption())
    .option("-y, --yes", "send without asking (needed when not on a terminal)")
    .option("-n, --dry-run", "show what would be sent; send and record nothing")
    .option("--limit <n>", "send at most this many letters in this run", wholeNumber("--limit"))
    .option(
      "--rate <rate>",
      "at most this many letters per period, e.g. 20/minute (overrides transport.rate)",
    )
    .option(
      "--to-self <address>",
      "a test: send every letter to this address, subject [TEST], record nothing",
    )
    .option("--outbox", "write the letters to outbox/ even when SMTP is configured")
    .option("--retry-failed", "also send again the letters a server refused permanently before")
    .addOption(
      new Option("--include-outbox", "also send by SMTP the letters written to outbox/ earlier").conflicts(
        "outbox",
      ),
    )
    .option("--json", "print the result as JSON (for a dry run, each letter that would go)")
    .option(
      "-q, --quiet",
      "no progress (no live line on a terminal, no line per letter); failures are still shown",
    )
    .addHelpText(
      "after",
      `
Examples:
  outreach send --dry-run
  outreach send --to-self me@example.org --limit 3
  outreach send --yes --rate 20/minute
  OUTREACH_SMTP_URL=smtps://me@smtp.example.org:465 OUTREACH_SMTP_PASSWORD=… outreach send`,
    )
    .action(async (ids: string[], options: SendCliOptions) => {
      const { send } = await import("./commands/send.js");
      await send(Object.assign({}, global(), options, { ids }), await io());
    });

  program
    .command("status")
    .description("per campaign: how many selected, sent, failed, uncertain and not yet sent")
    .addOption(campaignOption())
    .option("--json", "print JSON")
    .addHelpText("after", "\nExample:\n  outreach status --json")
    .action(async (options: { campaign?: string; json?: boolean }) => {
      const { status } = await import("./commands/status.js");
      await status(withFields(global(), options), await io());
    });

  program
    .command("resolve")
    .description("decide about an uncertain send: it arrived (--sent) or send it again (--not-sent)")
    .argument("<id>", "the recipient id")
    .addOption(campaignOption())
    .option("--sent", "the letter arrived: never send it again")
    .addOption(
      new Option("--not-sent", "the letter did not arrive: the next send sends it again").conflicts("sent"),
    )
    .option("--note <text>", "why you decided so (kept in the journal)", freeText("--note", true))
    .addHelpText(
      "after",
      "\nExamples:\n  outreach resolve ohchr --sent --note 'in their sent folder'\n  outreach resolve ohchr --not-sent",
    )
    .action(
      async (
        id: string,
        options: { campaign?: string; sent?: boolean; notSent?: boolean; note?: string },
      ) => {
        const { resolve } = await import("./commands/resolve.js");
        await resolve(Object.assign({}, global(), options, { id }), await io());
      },
    );

  program
    .command("log")
    .description("record an answer from a recipient, or a letter delivered by hand (web form, post, fax)")
    .argument("[id]", "the recipient id (with --from-eml, taken from the reply when it answers one of ours)")
    .addOption(campaignOption())
    .option("--outcome <outcome>", `what the answer was: ${OUTCOME_LIST}`)
    .option(
      "--date <YYYY-MM-DD>",
      "when the answer came (default: today, or the reply's date)",
      calendarDay("--date"),
    )
    .option("--channel <channel>", `how it came: ${CHANNEL_LIST} (default: email)`)
    .option("--from <who>", "the person who answered", freeText("--from"))
    .option("--note <text>", "what they said, what was agreed", freeText("--note", true))
    .option("--from-eml <file>", "read a saved reply: date, sender, subject, and the letter it answers")
    .option(
      "--reply <message-id>",
      "record the outcome of an answer `outreach inbox` took in (see outreach review)",
    )
    .option(
      "--sent-by <channel>",
      "record that the letter itself went by hand: web-form, letter (post), fax, …",
    )
    .option("--followup", "with --sent-by: what went by hand was a follow-up")
    .option("--force", "record an answer although no letter was recorded as sent")
    .addHelpText(
      "after",
      `
Examples:
  outreach log ohchr --outcome acknowledged --note "Reference G/SO 214"
  outreach log --from-eml ~/Downloads/reply.eml --outcome meeting
  outreach log sr-executions --sent-by web-form --date 2012-07-26`,
    )
    .action(async (id: string | undefined, options: LogCliOptions) => {
      const { log } = await import("./commands/log.js");
      await log(Object.assign({}, global(), options, id ? { id } : {}), await io());
    });

  program
    .command("outstanding")
    .description("contacts sent to with no answer yet, longest waiting first, with follow-ups due")
    .addOption(campaignOption())
    .option(
      "--type <type>",
      "only this body type (repeatable: any of them; with --tag, both must hold)",
      collect,
    )
    .option("--tag <tag>", "only recipients with this tag (repeatable: any of them)", collect)
    .option("--country <code>", "only recipients in this country, e.g. NO (repeatable: any of them)", collect)
    .option("--overdue", "only those waiting longer than their answer window (followup, by_type)")
    .option("--json", "print JSON")
    .addOption(new Option("--csv", "print CSV").conflicts("json"))
    .addOption(
      new Option("--excel", "print CSV that Excel opens intact (UTF-8 byte-order mark, CRLF)").conflicts(
        "json",
      ),
    )
    .addHelpText(
      "after",
      "\nExamples:\n  outreach outstanding --overdue\n  outreach outstanding --type embassy --csv",
    )
    .action(
      async (options: {
        campaign?: string;
        type?: string[];
        tag?: string[];
        country?: string[];
        overdue?: boolean;
        json?: boolean;
        csv?: boolean;
        excel?: boolean;
      }) => {
        const { listOutstanding } = await import("./commands/outstanding.js");
        await listOutstanding(withFields(global(), options), await io());
      },
    );

  program
    .command("history")
    .description("one recipient's timeline across campaigns: letters, failures, answers")
    .argument("<id>", "the recipient id")
    .option("--json", "print JSON")
    .addHelpText("after", "\nExample:\n  outreach history odihr")
    .action(async (id: string, options: { json?: boolean }) => {
      const { history } = await import("./commands/history.js");
      await history(Object.assign({}, global(), options, { id }), await io());
    });

  program
    .command("followup")
    .description("send follow-ups to contacts whose answer is overdue, threaded under the original")
    .argument("[ids...]", "only these recipients (default: every one whose follow-up is due)")
    .addOption(campaignOption())
    .option("-y, --yes", "send without asking (needed when not on a terminal)")
    .option("-n, --dry-run", "show what would be sent; send and record nothing")
    .option("--limit <n>", "send at most this many follow-ups in this run", wholeNumber("--limit"))
    .option("--rate <rate>", "at most this many per period, e.g. 20/minute")
    .option("--to-self <address>", "a test: send every follow-up to this address, record nothing")
    .option("--outbox", "write the follow-ups to outbox/ even when SMTP is configured")
    .option("--retry-failed", "also send again the follow-ups a server refused permanently before")
    .addOption(
      new Option("--include-outbox", "also send by SMTP the follow-ups written to outbox/ earlier").conflicts(
        "outbox",
      ),
    )
    .option("--json", "print the result as JSON (for a dry run, each letter that would go)")
    .option(
      "-q, --quiet",
      "no progress (no live line on a terminal, no line per letter); failures are still shown",
    )
    .addHelpText("after", "\nExamples:\n  outreach followup --dry-run\n  outreach followup --yes")
    .action(async (ids: string[], options: SendCliOptions) => {
      const { followup } = await import("./commands/followup.js");
      await followup(Object.assign({}, global(), options, { ids }), await io());
    });

  program
    .command("inbox")
    .description(
      "read the mailbox over IMAP (read-only): answers, auto-replies and bounces, matched to their letters",
    )
    .option("--watch", "stay connected and record answers as they arrive, until Ctrl-C")
    .option("--json", "print what was taken in as JSON")
    .option("-q, --quiet", "no progress line on a terminal")
    .addHelpText(
      "after",
      `
Examples:
  outreach inbox
  OUTREACH_IMAP_URL=imaps://me%40example.org@imap.example.org:993 OUTREACH_IMAP_PASSWORD=… outreach inbox --watch`,
    )
    .action(async (options: { watch?: boolean; json?: boolean; quiet?: boolean }) => {
      const { inbox } = await import("./commands/inbox.js");
      await inbox(withFields(global(), options), await io());
    });

  program
    .command("review")
    .description("work through the answers waiting for an outcome, and the messages no letter claims")
    .option("--json", "list the queue and the holding pen as JSON")
    .option("--assign <message-id...>", "MESSAGE_ID ID: this message comes from that recipient")
    .option("--dismiss <message-id>", "this message concerns no recipient: take it out of the holding pen")
    .option("--confirm <message-id>", "a probable match (such as a probable bounce) is theirs: record it")
    .addOption(campaignOption())
    .addHelpText(
      "after",
      `
Examples:
  outreach review
  outreach review --json
  outreach review --assign '<CAB123@mail.example.net>' ohchr
  outreach review --dismiss '<CAB123@mail.example.net>'
  outreach review --confirm '<bounce-77@mx.example.net>'
  outreach log ohchr --reply '<CAB123@mail.example.net>' --outcome meeting --note "Call on Monday"`,
    )
    .action(
      async (options: {
        campaign?: string;
        json?: boolean;
        assign?: string[];
        dismiss?: string;
        confirm?: string;
      }) => {
        const { review } = await import("./commands/review.js");
        await review(withFields(global(), options), await io());
      },
    );

  program
    .command("calendar")
    .description("the follow-ups due, as an .ics calendar (one all-day event each, updated on re-import)")
    .addOption(campaignOption())
    .option("-o, --output <file>", "write to this .ics file instead of the terminal")
    .option("--with-addresses", "put the contacts' email addresses in the events (left out by default)")
    .addOption(
      new Option("--json", "list the events as JSON instead of writing the calendar").conflicts("output"),
    )
    .addHelpText(
      "after",
      "\nExamples:\n  outreach calendar -o followups.ics\n  outreach calendar -c khorog-2012",
    )
    .action(
      async (options: { campaign?: string; output?: string; withAddresses?: boolean; json?: boolean }) => {
        const { calendar } = await import("./commands/calendar.js");
        await calendar(withFields(global(), options), await io());
      },
    );

  program
    .command("import")
    .description("recipients from a spreadsheet (CSV, .xlsx) or JSON into recipients/, never overwriting")
    .argument("<file>", "a .csv, .tsv or .txt (any delimiter, UTF-8 or UTF-16), .xlsx, or .json file")
    .option(
      "--map <column=field>",
      'the field a column fills: --map "Head of mission=name" (repeatable)',
      collect,
    )
    .option("--strict", "leave out the columns no field is named for, instead of keeping them under custom")
    .option("--type <type>", "the body type of rows that have none (embassy, un, osce, …)")
    .option("--tag <tag>", "add this tag to every recipient (repeatable)", collect)
    .option(
      "--language <code>",
      "the language of rows that have none (en, fr, ru, …)",
      freeText("--language"),
    )
    .option("--salutation <text>", "the opening line of rows that have none", freeText("--salutation"))
    .option(
      "--id-from <column>",
      "take each recipient's id from this column (default: made from the organisation)",
    )
    .option("--sheet <name>", "the worksheet of an .xlsx workbook to read (default: the first)")
    .option("-n, --dry-run", "print the YAML that would be written, and write nothing")
    .option("--update", "change recipients already in the folder to what the file says, showing each change")
    .option(
      "--into <file>",
      "write the new recipients to this one new file in recipients/, what they share once under defaults",
    )
    .option("--json", "print the summary as JSON")
    .addHelpText(
      "after",
      `
Examples:
  outreach import examples/osce-missions.csv --dry-run
  outreach import examples/osce-missions.csv --tag osce-participating-state
  outreach import examples/osce-missions.csv --into recipients/osce-missions.yaml --dry-run
  outreach import missions.xlsx --type embassy --salutation "Your Excellency," --map "Head of mission=name"`,
    )
    .action(async (file: string, options: Omit<ImportOptions, "file" | "dir">) => {
      const { importRecipients } = await import("./commands/import.js");
      await importRecipients(Object.assign({}, global(), options, { file }), await io());
    });

  program
    .command("export")
    .description("the state of every campaign and recipient, as CSV or JSON, for a coalition spreadsheet")
    .addOption(campaignOption())
    .option("--format <format>", "csv or json (default: csv, or json for a .json file)")
    .option("-o, --output <file>", "write to this file instead of the terminal")
    .option("--excel", "CSV that Excel opens with every alphabet intact (UTF-8 byte-order mark, CRLF)")
    .addHelpText(
      "after",
      "\nExamples:\n  outreach export -o khorog.csv --excel\n  outreach export --format json",
    )
    .action(async (options: { campaign?: string; format?: string; output?: string; excel?: boolean }) => {
      const { exportState } = await import("./commands/export.js");
      await exportState(withFields(global(), options), await io());
    });

  program
    .command("report")
    .description("one HTML page with the figures, charts and every recipient, to share or print to PDF")
    .addOption(campaignOption())
    .option(
      "-o, --output <file>",
      "write to this file (default: stdout when piped, else reports/<campaign>-<day>.html in the folder)",
    )
    .option("--redact", "leave out names, email addresses and notes, for sharing beyond the group")
    .addHelpText(
      "after",
      "\nExamples:\n  outreach report -o khorog-report.html\n  outreach report --redact -o khorog-shared.html",
    )
    .action(async (options: { campaign?: string; output?: string; redact?: boolean }) => {
      const { report } = await import("./commands/report.js");
      await report(withFields(global(), options), await io());
    });

  return program;
}

// The lists are written out here so that --help does not load the journal model.
const OUTCOME_LIST =
  "acknowledged, forwarded, clarification-requested, meeting, action-taken, public-statement, declined, auto-reply, bounced, closed";
const CHANNEL_LIST = "email, letter, phone, meeting, web-form, fax, other";
