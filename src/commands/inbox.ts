// `outreach inbox`: reads the mailbox (read-only) from where the last run stopped, matches each new message
// to the letter it answers, records what is certain, keeps the rest for review, and saves every message it
// takes in as .eml evidence under .outreach/inbox/.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { replaceFileWhole } from "../adapters/file-writes.js";
import type { Mailbox } from "../adapters/imap-mailbox.js";
import { type ImapSettings, imapSettings } from "../adapters/imap-settings.js";
import {
  JournalWriter,
  journalNeedsRepair,
  readJournal,
  repairJournal,
  stateFolder,
} from "../adapters/journal-file.js";
import { SendLock } from "../adapters/lock.js";
import { type Progress, startProgress } from "../adapters/progress.js";
import { plural } from "../adapters/report.js";
import type { IO } from "../adapters/terminal.js";
import { failedAddresses } from "../core/intake.js";
import { deriveState } from "../core/journal.js";
import { buildLetterIndex } from "../core/letter-index.js";
import { EXIT, UserError } from "../errors.js";
import { type CampaignOptions, openValidPlan } from "./context.js";
import { INBOX_FOLDER, type InboxRecord, type TakeInRun, takeInFolder } from "./inbox-take-in.js";

export interface InboxOptions extends CampaignOptions {
  json?: boolean;
  watch?: boolean;
  /** No live progress line while the mailbox is read. */
  quiet?: boolean;
}

interface Cursor {
  [folderKey: string]: { uidValidity: string; lastUid: number };
}

function cursorPath(root: string): string {
  return join(root, INBOX_FOLDER, "cursor.json");
}

function readCursor(root: string): Cursor {
  try {
    return JSON.parse(readFileSync(cursorPath(root), "utf8")) as Cursor;
  } catch {
    return {};
  }
}

function writeCursor(root: string, cursor: Cursor): void {
  const path = cursorPath(root);
  replaceFileWhole(path, [`${JSON.stringify(cursor, null, 2)}\n`], { mode: 0o600 });
}

export async function inbox(options: InboxOptions, io: IO): Promise<InboxRecord[]> {
  const { root, plan } = await openValidPlan(options, io);
  const settings = plan.config ? imapSettings(root, plan.config, io) : undefined;
  if (!settings) {
    throw new UserError(
      "no mailbox to read: transport.imap is not set in outreach.yaml and OUTREACH_IMAP_URL is not set",
      {
        hint: 'add transport: { imap: { host: imap.example.org, user: you@example.org } } to outreach.yaml (README, "Reading the inbox")',
      },
    );
  }
  const password = await settings.password();
  const { Mailbox } = await import("../adapters/imap-mailbox.js");
  // Logged in before anything is written: a refused login or an unreachable server records nothing.
  let mailbox = await Mailbox.open(settings, password);
  try {
    const config = plan.config as NonNullable<typeof plan.config>;
    const ownAddresses = new Set(
      [config.sender.email, config.sender.reply_to]
        .filter((address): address is string => Boolean(address))
        .map((address) => address.toLowerCase()),
    );
    const progress = startProgress(io, {
      total: 0,
      noun: "message",
      verb: "read",
      ...(options.quiet ? { quiet: true } : {}),
    });
    let records: InboxRecord[];
    try {
      records = await readNewMail(root, settings, mailbox, io, plan.recipients, ownAddresses, progress);
    } finally {
      progress.stop();
    }
    report(records, settings, options, io);
    if (!options.watch) return records;
    // Watching: one line per message as it arrives, until Ctrl-C; a dropped connection is opened again.
    const stop = new Promise<never>((_resolve, reject) => {
      process.once("SIGINT", () =>
        reject(
          new UserError("stopped watching; everything shown above is recorded", {
            exitCode: EXIT.interrupted,
          }),
        ),
      );
    });
    io.stderr.write(`Watching ${settings.folders[0]} for new mail (Ctrl-C stops)…\n`);
    for (;;) {
      try {
        await Promise.race([mailbox.waitForMail(settings.folders[0] as string, 60_000), stop]);
        await Promise.race([
          readNewMail(
            root,
            settings,
            mailbox,
            io,
            plan.recipients,
            ownAddresses,
            startProgress(io, { total: 0, noun: "message", verb: "read", quiet: true }),
            (entry) => io.stdout.write(describe(entry)),
          ),
          stop,
        ]);
      } catch (error) {
        if (error instanceof UserError && error.exitCode === EXIT.interrupted) throw error;
        io.stderr.write(
          io.err.yellow(`The connection to ${settings.description} was lost; connecting again…\n`),
        );
        await mailbox.close().catch(() => {});
        mailbox = await Promise.race([Mailbox.open(settings, password, { retries: 5 }), stop]);
      }
    }
  } finally {
    await mailbox.close();
  }
}

async function readNewMail(
  root: string,
  settings: ImapSettings,
  mailbox: Mailbox,
  io: IO,
  recipients: Parameters<typeof buildLetterIndex>[2],
  ownAddresses: Set<string>,
  progress: Progress,
  onRecord?: (entry: InboxRecord) => void,
): Promise<InboxRecord[]> {
  const cursor = readCursor(root);
  // Nothing new (the common case) costs one EXAMINE and an empty FETCH per folder: the journal is read
  // only once some folder has new mail.
  let run: TakeInRun | undefined;
  try {
    for (const folder of settings.folders) {
      const key = `${settings.user}@${settings.host}:${settings.port}/${folder}`;
      const since = cursor[key];
      const scan = await mailbox.scan(folder, since ?? {});
      if (scan.messages.length === 0 && since?.uidValidity === scan.uidValidity) continue;
      progress.addTotal(scan.messages.length);
      run ??= await startRun(root, io, recipients, ownAddresses, progress, onRecord);
      await takeInFolder(run, mailbox, folder, scan.messages);
      const lastUid = Math.max(
        scan.uidValidity === since?.uidValidity ? since.lastUid : 0,
        ...scan.messages.map((message) => message.uid),
      );
      // The cursor moves only after what it passes is in the journal.
      cursor[key] = { uidValidity: scan.uidValidity, lastUid };
      writeCursor(root, cursor);
    }
  } finally {
    await run?.writer.close();
  }
  return run?.records ?? [];
}

async function startRun(
  root: string,
  io: IO,
  recipients: Parameters<typeof buildLetterIndex>[2],
  ownAddresses: Set<string>,
  progress: Progress,
  onRecord?: (entry: InboxRecord) => void,
): Promise<TakeInRun> {
  await repairIfTorn(root, io);
  const journal = readJournal(root);
  const state = deriveState(journal.events);
  const known = new Set<string>();
  for (const event of journal.events) {
    if ((event.type === "received" || event.type === "response") && event.message_id)
      known.add(event.message_id);
  }
  stateFolder(root);
  mkdirSync(join(root, INBOX_FOLDER), { recursive: true, mode: 0o700 });
  return {
    root,
    io,
    index: buildLetterIndex(journal.events, state, recipients),
    state,
    known,
    failed: failedAddresses(state.intake),
    ownAddresses,
    writer: await JournalWriter.open(root),
    records: [],
    ...(onRecord ? { onRecord } : {}),
    progress,
  };
}

async function repairIfTorn(root: string, io: IO): Promise<void> {
  if (!journalNeedsRepair(root)) return;
  // Cutting off a torn line needs the lock: a send in progress must not lose a line it is writing.
  const lock = SendLock.acquire(root, "inbox");
  try {
    const kept = await repairJournal(root, readJournal(root));
    if (kept)
      io.stderr.write(io.err.yellow(`The journal's last line was cut off; it was kept in ${kept}.\n`));
  } finally {
    lock.release();
  }
}

function describe(entry: InboxRecord): string {
  const who = entry.recipient ?? "?";
  const what =
    entry.outcome === "auto-reply"
      ? "auto-reply, recorded (still waiting for a real answer)"
      : entry.outcome === "bounced"
        ? "bounced, recorded"
        : entry.kind === "bounce"
          ? `bounce: ${entry.note ?? "to review"}`
          : entry.kind === "unreadable"
            ? `unreadable, in the holding pen: ${entry.note}`
            : entry.match === "unmatched"
              ? "no letter claims it: in the holding pen"
              : entry.match === "probable"
                ? "probably theirs (sender is their contact), to review"
                : "answer received, to review";
  return `${entry.date}  ${who.padEnd(20)}  ${what}  — ${entry.from ?? "unknown sender"}: "${entry.subject ?? ""}"\n`;
}

function report(records: InboxRecord[], settings: ImapSettings, options: InboxOptions, io: IO): void {
  if (options.json) {
    io.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
    return;
  }
  for (const entry of records) io.stdout.write(describe(entry));
  const toReview = records.filter(
    (entry) => !entry.outcome && entry.match !== "unmatched" && entry.kind !== "bounce",
  ).length;
  const pen = records.filter((entry) => entry.match === "unmatched").length;
  io.stderr.write(
    records.length === 0
      ? `Nothing new in ${settings.folders.join(", ")} (${settings.description}).\n`
      : `Took in ${plural(records.length, "message")} from ${settings.folders.join(", ")}: ${toReview} to review, ${pen} in the holding pen.${toReview + pen > 0 ? " Next: outreach review" : ""}\n`,
  );
}
