// `outreach review`: the answers `inbox` took in that wait for a person (an outcome, or a confirmation that
// a probable match is right), and the holding pen of messages no letter claims (assign or dismiss). On a
// terminal it walks through them; every step also has a flag.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { JournalWriter, newEventId, readJournal } from "../adapters/journal-file.js";
import { plural } from "../adapters/report.js";
import type { IO } from "../adapters/terminal.js";
import { failedBefore, type IntakeItem, letterAddresses, receive } from "../core/intake.js";
import {
  APPEAL,
  deriveState,
  JOURNAL_VERSION,
  type JournalEvent,
  type JournalState,
  type TriagedEvent,
} from "../core/journal.js";
import type { Plan } from "../core/plan.js";
import { replyText } from "../core/replies.js";
import { showText } from "../core/text-rules.js";
import { EXIT, UserError } from "../errors.js";
import { type CampaignOptions, openValidPlan } from "./context.js";

export interface ReviewOptions extends CampaignOptions {
  json?: boolean;
  /** [MESSAGE_ID, RECIPIENT_ID] */
  assign?: string[];
  dismiss?: string;
  /** A probable match (a bounce, a message from a contact) is theirs: assign it to that recipient. */
  confirm?: string;
}

export interface ReviewEntry {
  message_id: string;
  kind: string;
  match: string;
  campaign: string | null;
  recipient: string | null;
  from: string | null;
  date: string | null;
  subject: string | null;
  /** Our letter it answers (a Message-ID), when its headers name one. */
  in_reply_to: string | null;
  stage: string | null;
  folder: string | null;
  eml: string | null;
  note: string | null;
}

function entryOf(item: IntakeItem): ReviewEntry {
  const { received } = item;
  return {
    message_id: item.messageId,
    kind: received.kind,
    match: item.match,
    campaign: item.campaign || null,
    recipient: item.recipient || null,
    from: received.from ?? null,
    date: received.date ?? null,
    subject: received.subject ?? null,
    in_reply_to: received.in_reply_to ?? null,
    stage: received.stage ?? null,
    folder: received.folder ?? null,
    eml: received.eml ?? null,
    note: received.note ?? null,
  };
}

export async function review(
  options: ReviewOptions,
  io: IO,
): Promise<{ queue: ReviewEntry[]; holding_pen: ReviewEntry[] }> {
  const { root, plan } = await openValidPlan(options, io);
  const state = deriveState(readJournal(root).events);
  if (options.assign || options.dismiss || options.confirm) {
    await triage(root, plan, state, options, io);
    return lists(deriveState(readJournal(root).events), options);
  }
  const listed = lists(state, options);
  if (options.json) {
    io.stdout.write(`${JSON.stringify(listed, null, 2)}\n`);
    return listed;
  }
  if (io.canPrompt && listed.queue.length + listed.holding_pen.length > 0) {
    const { reviewOnTerminal } = await import("./review-terminal.js");
    await reviewOnTerminal(root, plan, state, io);
    return lists(deriveState(readJournal(root).events), options);
  }
  io.stdout.write(formatLists(listed));
  return listed;
}

function lists(state: JournalState, options: CampaignOptions) {
  const inCampaign = (item: IntakeItem) => !options.campaign || item.campaign === options.campaign;
  return {
    queue: state.intake.queue.filter(inCampaign).map(entryOf),
    holding_pen: state.intake.holdingPen.map(entryOf),
  };
}

function formatLists(listed: { queue: ReviewEntry[]; holding_pen: ReviewEntry[] }): string {
  if (listed.queue.length + listed.holding_pen.length === 0) return "Nothing waits for review.\n";
  const lines: string[] = [];
  const line = (entry: ReviewEntry) =>
    `  ${entry.date ?? "????-??-??"}  ${entry.message_id}  ${entry.from ?? "unknown sender"}: "${entry.subject ?? ""}"`;
  if (listed.queue.length) {
    lines.push(`${plural(listed.queue.length, "answer")} to review:`);
    for (const entry of listed.queue) {
      const bounce = entry.kind === "bounce";
      lines.push(
        `${line(entry)}\n    ${entry.match === "probable" ? (bounce ? "probable bounce of the letter to " : "probably ") : ""}${entry.recipient} (${entry.campaign})${entry.note ? `: ${entry.note}` : ""}`,
      );
      lines.push(
        bounce && entry.match === "probable"
          ? `    outreach review --confirm '${entry.message_id}'   (it is their letter that bounced)`
          : `    outreach log ${entry.recipient} --reply '${entry.message_id}' --outcome OUTCOME --note "…"`,
      );
    }
  }
  if (listed.holding_pen.length) {
    lines.push(`${plural(listed.holding_pen.length, "message")} in the holding pen (no letter claims them):`);
    for (const entry of listed.holding_pen) {
      lines.push(line(entry));
      if (entry.note) lines.push(`    ${entry.note}`);
      lines.push(
        `    outreach review --assign '${entry.message_id}' ID   or   outreach review --dismiss '${entry.message_id}'`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

/** The item for a Message-ID the user typed (with or without the angle brackets). */
export function findItem(state: JournalState, messageId: string): IntakeItem {
  const item =
    state.intake.messages.get(messageId) ?? state.intake.messages.get(`<${messageId.replace(/^<|>$/g, "")}>`);
  if (!item) {
    throw new UserError(`no message ${messageId} was taken in from the mailbox`, {
      exitCode: EXIT.usage,
      hint: "list them with: outreach review --json",
    });
  }
  return item;
}

async function triage(root: string, plan: Plan, state: JournalState, options: ReviewOptions, io: IO) {
  if ([options.assign, options.dismiss, options.confirm].filter(Boolean).length > 1) {
    throw new UserError("--assign, --confirm and --dismiss are decisions: give one", {
      exitCode: EXIT.usage,
    });
  }
  if (options.confirm) {
    const item = findItem(state, options.confirm);
    if (item.match !== "probable") {
      throw new UserError(`${item.messageId} is not a probable match: there is nothing to confirm`, {
        exitCode: EXIT.usage,
        hint: "assign it with: outreach review --assign MESSAGE_ID ID",
      });
    }
    io.stdout.write(`${await recordAssignment(root, io, state, item, item.campaign, item.recipient)}\n`);
    return;
  }
  if (options.assign && options.assign.length !== 2) {
    throw new UserError("--assign takes the message and the recipient: --assign MESSAGE_ID ID", {
      exitCode: EXIT.usage,
    });
  }
  const [messageId, recipientId] = options.assign ?? [options.dismiss as string];
  const item = findItem(state, messageId as string);
  let campaign = "";
  let recipient = "";
  if (options.assign) {
    ({ campaign, recipient } = campaignOf(plan, state, recipientId as string, options.campaign));
  }
  if (options.assign) {
    io.stdout.write(`${await recordAssignment(root, io, state, item, campaign, recipient)}\n`);
    return;
  }
  await recordTriage(root, io, item, "dismiss", campaign, recipient);
  io.stdout.write(`Dismissed ${item.messageId}: it concerns no recipient.\n`);
}

/**
 * A person says whose message it is. An answer then waits for its outcome; a bounce is recorded at once,
 * as a bounce naming our letter would have been: the recipient bounced when no address of theirs is left.
 */
export async function recordAssignment(
  root: string,
  io: IO,
  state: JournalState,
  item: IntakeItem,
  campaign: string,
  recipient: string,
): Promise<string> {
  const { received } = item;
  const decision = triageEvent(io, item, "assign", campaign, recipient);
  if (received.kind !== "bounce" || !received.failures?.length) {
    await appendEvents(root, [decision]);
    return `Assigned ${item.messageId} to ${recipient} (${campaign}); record its outcome with: outreach log ${recipient} --reply '${item.messageId}' --outcome …`;
  }
  const receipt = receive(
    "bounce",
    {
      kind: "reply",
      letter: { campaign, recipient, stage: received.stage ?? APPEAL, messageId: received.in_reply_to ?? "" },
    },
    received.failures,
    (c, r) => letterAddresses(state, c, r),
    (c, r) => failedBefore(state.intake, c, r, item.messageId),
  );
  const events: JournalEvent[] = [decision];
  if (receipt.outcome === "bounced") {
    events.push({
      v: JOURNAL_VERSION,
      id: newEventId(),
      at: io.clock().toISOString(),
      type: "response",
      campaign,
      recipient,
      outcome: "bounced",
      date: received.date ?? io.now.toISOString().slice(0, 10),
      channel: "email",
      ...(received.from ? { from: received.from } : {}),
      message_id: item.messageId,
      ...(received.subject ? { subject: received.subject } : {}),
    });
  }
  await appendEvents(root, events);
  return receipt.outcome === "bounced"
    ? `Recorded: the letter to ${recipient} (${campaign}) bounced (${received.failures.map((f) => `${f.address} ${f.status}`).join(", ")}); no address of theirs is left.`
    : `Recorded the bounce for ${recipient} (${campaign}): ${receipt.note ?? "noted"}.`;
}

/** The campaign a recipient was written to in (the one named, or the only one, or the latest). */
export function campaignOf(
  plan: Plan,
  state: JournalState,
  recipientId: string,
  named: string | undefined,
): { campaign: string; recipient: string } {
  if (!plan.recipients.some((entry) => entry.recipient.id === recipientId)) {
    throw new UserError(`no recipient with the id ${showText(recipientId)}`, {
      exitCode: EXIT.usage,
      hint: 'list them with "outreach recipients"',
    });
  }
  if (named) return { campaign: named, recipient: recipientId };
  const written = [...state.deliveries.values()]
    .filter((delivery) => delivery.recipient === recipientId && delivery.status === "sent")
    .sort((a, b) => (b.sentAt ?? "").localeCompare(a.sentAt ?? ""));
  const campaign =
    written[0]?.campaign ??
    (plan.campaigns.length === 1 ? plan.campaigns[0]?.prepared.campaign.id : undefined);
  if (!campaign) {
    throw new UserError(
      `${showText(recipientId)} was not written to in any campaign; say which one with -c`,
      {
        exitCode: EXIT.usage,
      },
    );
  }
  return { campaign, recipient: recipientId };
}

function triageEvent(
  io: IO,
  item: IntakeItem,
  action: TriagedEvent["action"],
  campaign: string,
  recipient: string,
): TriagedEvent {
  return {
    v: JOURNAL_VERSION,
    id: newEventId(),
    at: io.clock().toISOString(),
    type: "triaged",
    campaign,
    recipient,
    message_id: item.messageId,
    action,
  };
}

async function appendEvents(root: string, events: JournalEvent[]): Promise<void> {
  const writer = await JournalWriter.open(root);
  try {
    await writer.appendAll(events);
  } finally {
    await writer.close();
  }
}

export async function recordTriage(
  root: string,
  io: IO,
  item: IntakeItem,
  action: TriagedEvent["action"],
  campaign: string,
  recipient: string,
): Promise<void> {
  await appendEvents(root, [triageEvent(io, item, action, campaign, recipient)]);
}

/** The reply's own words, read from the saved message, with the quoted original trimmed. */
export async function ownWords(root: string, item: IntakeItem): Promise<string> {
  if (!item.received.eml) return "(the message was not saved)";
  try {
    const PostalMime = (await import("postal-mime")).default;
    const email = await PostalMime.parse(readFileSync(join(root, item.received.eml)));
    const text = email.text ?? (email.html ? email.html.replace(/<[^>]+>/g, " ") : "");
    const own = replyText(text);
    return own.length > 4000 ? `${own.slice(0, 4000)}\n…` : own || "(no text)";
  } catch (error) {
    return `(the message could not be read: ${(error as Error).message}; open ${item.received.eml})`;
  }
}
