// How `inbox` takes in the new messages of one folder: every message is matched from its headers alone;
// only those that concern the campaign are fetched whole, a batch per FETCH; each batch's .eml files are
// made durable together, then its journal events are written and synced once (files before the events
// that name them, events before anything is reported).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { EvidenceBatch } from "../adapters/evidence-files.js";
import type { HeaderMessage, Mailbox } from "../adapters/imap-mailbox.js";
import { type JournalWriter, newEventId, STATE_FOLDER } from "../adapters/journal-file.js";
import type { Progress } from "../adapters/progress.js";
import type { IO } from "../adapters/terminal.js";
import { letterAddresses, noteFailed, type Receipt, receive } from "../core/intake.js";
import {
  JOURNAL_VERSION,
  type JournalEvent,
  type JournalState,
  type ReceivedEvent,
  type ResponseEvent,
  recipientKey,
} from "../core/journal.js";
import { withFields } from "../core/objects.js";
import {
  bounceFailures,
  classify,
  concernsCampaign,
  type LetterIndex,
  type Match,
  type MessageKind,
  matchMessage,
  quotedMessageIds,
  senderOf,
  writtenDay,
} from "../core/replies.js";

export const INBOX_FOLDER = join(STATE_FOLDER, "inbox");
/** A bounce report's fields and quoted headers are near its start; a huge attachment is never read. */
const REPORT_BYTES = 512 * 1024;
/** Larger messages are streamed to their file one at a time, so memory stays bounded. */
const STREAM_ABOVE = 4 * 1024 * 1024;
/** A batch: one FETCH, one sync of its files, one journal write. */
const BATCH_MESSAGES = 200;
const BATCH_BYTES = 16 * 1024 * 1024;
/** Larger messages are not parsed to check that they can be read. */
const PARSE_UP_TO = 8 * 1024 * 1024;

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

/** What one run knows: the letters, what was already taken in, and where it records. */
export interface TakeInRun {
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

interface Candidate {
  message: HeaderMessage;
  messageId: string;
  kind: MessageKind;
  match: Match;
  eml: string;
}

/** A message with no Message-ID is named by its headers, so the same message gets the same name. */
function messageIdOf(message: HeaderMessage): string {
  return message.facts.messageId ?? `<${message.headerDigest}@outreach.invalid>`;
}

function emlName(messageId: string): string {
  return `${createHash("sha256").update(messageId).digest("hex").slice(0, 24)}.eml`;
}

/** From the headers alone: whether a message concerns the campaign (the rest of the mailbox is left alone). */
function candidateOf(run: TakeInRun, message: HeaderMessage): Candidate | undefined {
  const messageId = messageIdOf(message);
  // The same message in two folders, or taken in by a team member whose journal was merged, is one answer.
  if (run.known.has(messageId)) return undefined;
  const { facts } = message;
  // Our own letters (a Sent folder, a copy to ourselves) are not answers, though they name our letters.
  if (run.index.byMessageId.has(messageId) || (facts.fromAddress && run.ownAddresses.has(facts.fromAddress)))
    return undefined;
  const kind = classify(facts);
  const match = matchMessage(facts, run.index);
  if (match.kind === "unmatched" && kind !== "bounce" && !concernsCampaign(facts, run.index))
    return undefined;
  run.known.add(messageId);
  return { message, messageId, kind, match, eml: join(INBOX_FOLDER, emlName(messageId)) };
}

function* batches(candidates: readonly Candidate[]): Generator<Candidate[]> {
  let batch: Candidate[] = [];
  let bytes = 0;
  for (const candidate of candidates) {
    const size = Math.min(candidate.message.size, STREAM_ABOVE);
    if (batch.length >= BATCH_MESSAGES || (batch.length > 0 && bytes + size > BATCH_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(candidate);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}

/** Takes in the new messages of one folder; they are in the journal when this returns. */
export async function takeInFolder(
  run: TakeInRun,
  mailbox: Mailbox,
  folder: string,
  messages: readonly HeaderMessage[],
): Promise<void> {
  const candidates: Candidate[] = [];
  for (const message of messages) {
    const candidate = candidateOf(run, message);
    if (candidate) candidates.push(candidate);
    else run.progress.finished(`${folder} #${message.uid}`);
  }
  for (const batch of batches(candidates)) await takeInBatch(run, mailbox, folder, batch);
}

async function takeInBatch(run: TakeInRun, mailbox: Mailbox, folder: string, batch: Candidate[]) {
  const small = batch.filter((candidate) => candidate.message.size <= STREAM_ABOVE);
  const sources = new Map<number, Buffer>();
  const label = `${folder}: ${batch.length === 1 ? `#${batch[0]?.message.uid}` : `${batch.length} messages`}`;
  run.progress.serverHas(label);
  await mailbox.fetchWhole(
    folder,
    small.map((candidate) => candidate.message.uid),
    (uid, source) => sources.set(uid, source),
  );
  run.progress.serverAnswered(label);
  const evidence = new EvidenceBatch(run.root);
  const events: JournalEvent[] = [];
  const entries: InboxRecord[] = [];
  for (const candidate of batch) {
    const source = sources.get(candidate.message.uid);
    sources.delete(candidate.message.uid);
    if (source) {
      await evidence.write(candidate.eml, source);
    } else if (candidate.message.size > STREAM_ABOVE) {
      await mailbox.download(folder, candidate.message.uid, evidence.draftPath(candidate.eml));
      evidence.written(candidate.eml);
    } else {
      run.known.delete(candidate.messageId); // gone from the folder since its headers were read
      continue;
    }
    const receipt = await receiptOf(run, candidate, source, evidence.draftPath(candidate.eml));
    if (!receipt) {
      // A bounce of some other mail of the user's: not ours to keep.
      run.known.delete(candidate.messageId);
      await evidence.discard(candidate.eml);
      continue;
    }
    const { recorded, entry } = eventsOf(run, folder, candidate, receipt);
    events.push(...recorded);
    entries.push(entry);
  }
  await evidence.commit();
  await run.writer.appendAll(events);
  for (const candidate of batch) run.progress.finished(`${folder} #${candidate.message.uid}`);
  for (const entry of entries) {
    run.records.push(entry);
    run.onRecord?.(entry);
  }
}

async function readStart(source: Buffer | undefined, path: string): Promise<string> {
  if (source) return source.subarray(0, REPORT_BYTES).toString("latin1");
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.alloc(REPORT_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, REPORT_BYTES, 0);
    return buffer.subarray(0, bytesRead).toString("latin1");
  } finally {
    await handle.close();
  }
}

/** What to record about a candidate, now that its whole text is at hand; undefined when it is not ours. */
async function receiptOf(
  run: TakeInRun,
  candidate: Candidate,
  source: Buffer | undefined,
  path: string,
): Promise<Receipt | undefined> {
  const { facts } = candidate.message;
  let { match } = candidate;
  let failures: ReturnType<typeof bounceFailures> = [];
  if (candidate.kind === "bounce") {
    const text = await readStart(source, path);
    failures = bounceFailures(facts, text, new Set(run.index.byAddress.keys()));
    if (match.kind !== "reply") {
      match = matchMessage(facts, run.index, {
        quotedIds: quotedMessageIds(text, facts.messageId),
        failedAddresses: failures.map((failure) => failure.address),
      });
    }
    if (match.kind === "unmatched" && failures.length === 0 && !concernsCampaign(facts, run.index))
      return undefined;
  }
  const receipt = receive(
    candidate.kind,
    match,
    failures,
    (campaign, recipient) => letterAddresses(run.state, campaign, recipient),
    (campaign, recipient) => run.failed.get(recipientKey(campaign, recipient)) ?? new Set(),
  );
  return readable(receipt, source, path, candidate.message.size);
}

/** A message postal-mime cannot read waits in the holding pen with a note; the run goes on. */
async function readable(
  receipt: Receipt,
  source: Buffer | undefined,
  path: string,
  size: number,
): Promise<Receipt> {
  if (size > PARSE_UP_TO) return receipt;
  try {
    const PostalMime = (await import("postal-mime")).default;
    const email = await PostalMime.parse(source ?? readFileSync(path));
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

/** The journal events for one message (received, and a response when it is certain), and its line. */
function eventsOf(
  run: TakeInRun,
  folder: string,
  candidate: Candidate,
  receipt: Receipt,
): { recorded: JournalEvent[]; entry: InboxRecord } {
  const { messageId, eml } = candidate;
  const { facts } = candidate.message;
  const from = senderOf(facts);
  const date = writtenDay(facts.dateHeader) ?? run.io.now.toISOString().slice(0, 10);
  const base = { v: JOURNAL_VERSION, campaign: receipt.campaign, recipient: receipt.recipient };
  const received: ReceivedEvent = withFields(base, {
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
  });
  const recorded: JournalEvent[] = [received];
  if (receipt.outcome) {
    const response: ResponseEvent = withFields(base, {
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
    });
    recorded.push(response);
  }
  if (receipt.kind === "bounce" && receipt.match === "reply") {
    noteFailed(run.failed, receipt.campaign, receipt.recipient, receipt.failures ?? []);
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
  return { recorded, entry };
}
