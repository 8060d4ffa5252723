// `outreach inbox`: reads the mailbox (read-only) from where the last run stopped, matches each new message
// to the letter it answers, records what is certain, keeps the rest for review, and saves every message it
// takes in as .eml evidence under .outreach/inbox/.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import type { HeaderMessage, Mailbox } from "../adapters/imap-mailbox.js";
import { type ImapSettings, imapSettings } from "../adapters/imap-settings.js";
import {
  JournalWriter,
  journalNeedsRepair,
  newEventId,
  readJournal,
  repairJournal,
  STATE_FOLDER,
  stateFolder,
} from "../adapters/journal-file.js";
import { SendLock } from "../adapters/lock.js";
import { type Progress, startProgress } from "../adapters/progress.js";
import { plural } from "../adapters/report.js";
import type { IO } from "../adapters/terminal.js";
import { type Receipt, receive } from "../core/intake.js";
import {
  deriveState,
  JOURNAL_VERSION,
  type JournalEvent,
  type JournalState,
  type ReceivedEvent,
  type ResponseEvent,
} from "../core/journal.js";
import { buildLetterIndex } from "../core/letter-index.js";
import {
  bounceFailures,
  classify,
  concernsCampaign,
  type LetterIndex,
  matchMessage,
  quotedMessageIds,
  senderOf,
  writtenDay,
} from "../core/replies.js";
import { EXIT, UserError } from "../errors.js";
import { type CampaignOptions, openValidPlan } from "./context.js";

export interface InboxOptions extends CampaignOptions {
  json?: boolean;
  watch?: boolean;
  /** No live progress line while the mailbox is read. */
  quiet?: boolean;
}

export const INBOX_FOLDER = join(STATE_FOLDER, "inbox");
/** A bounce report's fields and quoted headers are near its start; a huge attachment is never read. */
const REPORT_BYTES = 512 * 1024;

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
  writeFileSync(`${path}.tmp`, `${JSON.stringify(cursor, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/** A message with no Message-ID is named by its headers, so the same message gets the same name. */
function messageIdOf(message: HeaderMessage): string {
  return (
    message.facts.messageId ??
    `<${createHash("sha256").update(message.rawHeaders).digest("hex").slice(0, 32)}@outreach.invalid>`
  );
}

function emlName(messageId: string): string {
  return `${createHash("sha256").update(messageId).digest("hex").slice(0, 24)}.eml`;
}

async function readStart(path: string): Promise<string> {
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.alloc(REPORT_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, REPORT_BYTES, 0);
    return buffer.subarray(0, bytesRead).toString("latin1");
  } finally {
    await handle.close();
  }
}

/** Addresses of our letters already reported as failed for good, per campaign and recipient. */
function failedAddresses(events: readonly JournalEvent[]): Map<string, Set<string>> {
  const failed = new Map<string, Set<string>>();
  for (const event of events) {
    if (event.type !== "received" || event.match !== "reply") continue;
    const key = `${event.campaign}\u0000${event.recipient}`;
    for (const failure of event.failures ?? []) {
      if (failure.action !== "failed") continue;
      const set = failed.get(key) ?? new Set();
      set.add(failure.address);
      failed.set(key, set);
    }
  }
  return failed;
}

export interface InboxRecord {
  message_id: string;
  folder: string;
  kind: ReceivedEvent["kind"];
  match: ReceivedEvent["match"];
  campaign: string | null;
  recipient: string | null;
  outcome: string | null;
  from: string | null;
  date: string | null;
  subject: string | null;
  eml: string;
  note: string | null;
}

interface Run {
  root: string;
  io: IO;
  index: LetterIndex;
  state: JournalState;
  known: Set<string>;
  failed: Map<string, Set<string>>;
  /** The sender's own addresses: mail from them is ours, not an answer. */
  ownAddresses: Set<string>;
  writer: JournalWriter;
  records: InboxRecord[];
  onRecord?: (entry: InboxRecord) => void;
  progress: Progress;
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
  const cursor = readCursor(root);
  const writer = await JournalWriter.open(root);
  const run: Run = {
    root,
    io,
    index: buildLetterIndex(journal.events, state, recipients),
    state,
    known,
    failed: failedAddresses(journal.events),
    ownAddresses,
    writer,
    records: [],
    ...(onRecord ? { onRecord } : {}),
    progress,
  };
  try {
    for (const folder of settings.folders) {
      const key = `${settings.user}@${settings.host}:${settings.port}/${folder}`;
      const scan = await mailbox.scan(folder, cursor[key] ?? {});
      progress.addTotal(scan.messages.length);
      for (const message of scan.messages) {
        await takeIn(run, mailbox, folder, message);
        progress.finished(`${folder} #${message.uid}`);
      }
      const lastUid = Math.max(
        scan.uidValidity === cursor[key]?.uidValidity ? cursor[key].lastUid : 0,
        ...scan.messages.map((message) => message.uid),
      );
      // The cursor moves only after what it passes is in the journal.
      cursor[key] = { uidValidity: scan.uidValidity, lastUid };
      writeCursor(root, cursor);
    }
  } finally {
    await writer.close();
  }
  return run.records;
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

/** Matches one message; takes in (saves and records) only those that concern the campaign. */
async function takeIn(run: Run, mailbox: Mailbox, folder: string, message: HeaderMessage): Promise<void> {
  const messageId = messageIdOf(message);
  // The same message in two folders, or taken in by a team member whose journal was merged, is one answer.
  if (run.known.has(messageId)) return;
  const { facts } = message;
  // Our own letters (a Sent folder, a copy to ourselves) are not answers, though they name our letters.
  if (run.index.byMessageId.has(messageId) || (facts.fromAddress && run.ownAddresses.has(facts.fromAddress)))
    return;
  const kind = classify(facts);
  let match = matchMessage(facts, run.index);
  if (match.kind === "unmatched" && kind !== "bounce" && !concernsCampaign(facts, run.index)) return;
  run.known.add(messageId);
  const eml = join(INBOX_FOLDER, emlName(messageId));
  const label = `${folder} #${message.uid}`;
  run.progress.serverHas(label);
  await mailbox.download(folder, message.uid, join(run.root, eml));
  run.progress.serverAnswered(label);
  let failures: ReturnType<typeof bounceFailures> = [];
  if (kind === "bounce") {
    const text = await readStart(join(run.root, eml));
    const addresses = new Set(run.index.byAddress.keys());
    failures = bounceFailures(facts, text, addresses);
    if (match.kind !== "reply") {
      match = matchMessage(facts, run.index, {
        quotedIds: quotedMessageIds(text, facts.messageId),
        failedAddresses: failures.map((failure) => failure.address),
      });
    }
    if (match.kind === "unmatched" && failures.length === 0 && !concernsCampaign(facts, run.index)) {
      // A bounce of some other mail of the user's: not ours to keep.
      run.known.delete(messageId);
      const { unlink } = await import("node:fs/promises");
      await unlink(join(run.root, eml)).catch(() => {});
      return;
    }
  }
  const receipt = await readable(
    receive(
      kind,
      match,
      failures,
      (campaign, recipient) => letterAddresses(run.state, campaign, recipient),
      (campaign, recipient) => run.failed.get(`${campaign}\u0000${recipient}`) ?? new Set(),
    ),
    join(run.root, eml),
    message.size,
  );
  await record(run, folder, messageId, facts, receipt, eml);
}

/** A message postal-mime cannot read waits in the holding pen with a note; the run goes on. */
async function readable(receipt: Receipt, path: string, size: number): Promise<Receipt> {
  if (size > 8 * 1024 * 1024) return receipt;
  try {
    const PostalMime = (await import("postal-mime")).default;
    const email = await PostalMime.parse(readFileSync(path));
    if (!email.headers.some((header) => header.key === "from" || header.key === "message-id")) {
      throw new Error("it has no From or Message-ID header");
    }
    return receipt;
  } catch (error) {
    return {
      kind: "unreadable",
      match: "unmatched",
      campaign: "",
      recipient: "",
      note: `could not be read as an email (${(error as Error).message}); look at the saved file`,
    };
  }
}

function letterAddresses(state: JournalState, campaign: string, recipient: string): string[] {
  const addresses = new Set<string>();
  for (const delivery of state.deliveries.values()) {
    if (delivery.transport === "smtp" && delivery.campaign === campaign && delivery.recipient === recipient) {
      for (const address of delivery.addresses) addresses.add(address.toLowerCase());
    }
  }
  return [...addresses];
}

async function record(
  run: Run,
  folder: string,
  messageId: string,
  facts: HeaderMessage["facts"],
  receipt: Receipt,
  eml: string,
): Promise<void> {
  const from = senderOf(facts);
  const date = writtenDay(facts.dateHeader) ?? run.io.now.toISOString().slice(0, 10);
  const base = { v: JOURNAL_VERSION, campaign: receipt.campaign, recipient: receipt.recipient };
  const received: ReceivedEvent = {
    ...base,
    id: newEventId(),
    at: run.io.clock().toISOString(),
    type: "received",
    message_id: messageId,
    kind: receipt.kind,
    match: receipt.match,
    ...(receipt.inReplyTo ? { in_reply_to: receipt.inReplyTo } : {}),
    ...(receipt.stage ? { stage: receipt.stage } : {}),
    ...(from ? { from } : {}),
    date,
    ...(facts.subject ? { subject: facts.subject } : {}),
    folder,
    eml,
    ...(receipt.failures?.length ? { failures: receipt.failures } : {}),
    ...(receipt.note ? { note: receipt.note } : {}),
  };
  await run.writer.append(received);
  if (receipt.outcome) {
    const response: ResponseEvent = {
      ...base,
      id: newEventId(),
      at: run.io.clock().toISOString(),
      type: "response",
      outcome: receipt.outcome,
      date,
      channel: "email",
      ...(from ? { from } : {}),
      message_id: messageId,
      ...(receipt.inReplyTo ? { in_reply_to: receipt.inReplyTo } : {}),
      ...(facts.subject ? { subject: facts.subject } : {}),
    };
    await run.writer.append(response);
  }
  if (receipt.kind === "bounce" && receipt.match === "reply") {
    const key = `${receipt.campaign}\u0000${receipt.recipient}`;
    const set = run.failed.get(key) ?? new Set();
    for (const failure of receipt.failures ?? []) if (failure.action === "failed") set.add(failure.address);
    run.failed.set(key, set);
  }
  const entry: InboxRecord = {
    message_id: messageId,
    folder,
    kind: receipt.kind,
    match: receipt.match,
    campaign: receipt.campaign || null,
    recipient: receipt.recipient || null,
    outcome: receipt.outcome ?? null,
    from: from ?? null,
    date,
    subject: facts.subject ?? null,
    eml,
    note: receipt.note ?? null,
  };
  run.records.push(entry);
  run.onRecord?.(entry);
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
