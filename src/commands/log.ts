// `outreach log ID`: record what a recipient answered (or that a letter went by hand). Prompts for what is
// missing on a terminal; otherwise every answer comes from flags.
import { resolve as resolvePath } from "node:path";
import {
  JournalWriter,
  journalNeedsRepair,
  newEventId,
  readJournal,
  repairJournal,
} from "../adapters/journal-file.js";
import { SendLock } from "../adapters/lock.js";
import { askText, choose } from "../adapters/prompts.js";
import type { IO } from "../adapters/terminal.js";
import type { IntakeItem } from "../core/intake.js";
import {
  CHANNELS,
  type Channel,
  type DeliveredEvent,
  deriveState,
  getDelivery,
  JOURNAL_VERSION,
  OUTCOME_DESCRIPTIONS,
  OUTCOMES,
  type Outcome,
  type ResponseEvent,
} from "../core/journal.js";
import { withFields } from "../core/objects.js";
import { pickCampaign } from "../core/plan.js";
import { type SavedReply, savedReply } from "../core/replies.js";
import { parseChoice } from "../core/suggest.js";
import { dayProblem, describeForbiddenCharacter, showText } from "../core/text-rules.js";
import { localDay as dayOf, latestDayOnEarth, trackRecipient } from "../core/tracking.js";
import { EXIT, UserError } from "../errors.js";
import { type CampaignOptions, chooseRecipients, openReadablePlan } from "./context.js";

export interface LogOptions extends CampaignOptions {
  id?: string;
  outcome?: string;
  date?: string;
  channel?: string;
  from?: string;
  note?: string;
  fromEml?: string;
  /** The Message-ID of an answer `outreach inbox` took in. */
  reply?: string;
  sentBy?: string;
  /** With --sent-by: what went by hand was a follow-up, not the letter itself. */
  followup?: boolean;
  force?: boolean;
}

/** A note typed at the prompt, held to the same rules as --note. */
function checkedNote(note: string): string {
  const found = describeForbiddenCharacter(note, true);
  if (found) throw new UserError(`the note contains ${found}`, { exitCode: EXIT.usage });
  return note;
}

export function parseDay(value: string, now: Date, what = "--date"): string {
  const problem = dayProblem(value);
  if (problem) {
    throw new UserError(
      problem.startsWith("must") ? `${what} ${problem}, not ${showText(value)}` : `${what} ${problem}`,
      { exitCode: EXIT.usage },
    );
  }
  if (value > dayOf(now)) {
    throw new UserError(`${what} ${value} is in the future (today is ${dayOf(now)})`, {
      exitCode: EXIT.usage,
    });
  }
  return value;
}

export async function log(options: LogOptions, io: IO): Promise<ResponseEvent | DeliveredEvent> {
  refuseConflicts(options);
  refuseUnknownValues(options);
  const { root, plan } = await openReadablePlan(options, io);
  const journal = readJournal(root);
  const state = deriveState(journal.events);
  const taken = options.reply ? intakeItem(state, options.reply) : undefined;
  const reply = options.fromEml
    ? await (await import("../adapters/reply-file.js")).readReply(
        resolvePath(io.cwd, options.fromEml),
        options.fromEml,
      )
    : taken
      ? replyFromIntake(taken)
      : undefined;
  const shownReply = options.fromEml ?? options.reply;

  // The same saved reply logged twice would count as two answers.
  const replyId = reply?.messageId;
  if (replyId) {
    const earlier = journal.events.find((event) => event.type === "response" && event.message_id === replyId);
    if (earlier?.type === "response") {
      throw new UserError(
        `${shownReply} was already logged on ${earlier.at.slice(0, 10)} for "${earlier.recipient}" (${earlier.outcome})`,
        {
          hint: `see it with: outreach history ${earlier.recipient}`,
        },
      );
    }
  }
  // A saved reply that names one of our messages says who answered, and in which campaign.
  let linked: { campaign: string; recipient: string; messageId: string } | undefined;
  if (reply) {
    const ours = new Map<string, { campaign: string; recipient: string }>();
    for (const event of journal.events) {
      if (event.type === "attempt")
        ours.set(event.message_id, { campaign: event.campaign, recipient: event.recipient });
    }
    for (const messageId of reply.answers) {
      const found = ours.get(messageId);
      if (found) {
        linked = withFields(found, { messageId });
        break;
      }
    }
  }
  const campaignId = options.campaign ?? linked?.campaign ?? (taken?.campaign || undefined);
  const { prepared, selected } = pickCampaign(plan, campaignId);
  const campaign = prepared.campaign;
  const id = options.id ?? linked?.recipient ?? (taken?.recipient || undefined);
  if (!id) {
    throw new UserError(
      reply
        ? `${shownReply} does not answer any letter in the journal, so it is not clear who sent it`
        : "say which recipient answered: outreach log ID",
      {
        exitCode: EXIT.usage,
        hint: reply ? "give the recipient's id: outreach log ID --from-eml FILE" : undefined,
      },
    );
  }
  if (linked && (linked.recipient !== id || linked.campaign !== campaign.id)) {
    throw new UserError(
      `${shownReply} answers the letter to "${linked.recipient}" in ${linked.campaign}, not "${id}" in ${campaign.id}`,
      { exitCode: EXIT.usage, hint: "leave out the id to use the one the reply names" },
    );
  }
  const [entry] = chooseRecipients(selected, plan.recipients, [id], campaign.id);
  if (!entry) throw new UserError(`no recipient ${showText(id)}`, { exitCode: EXIT.usage });
  const tracking = trackRecipient(state, campaign, entry, io.now);

  const base = {
    v: JOURNAL_VERSION,
    id: newEventId(),
    at: io.clock().toISOString(),
    campaign: campaign.id,
    recipient: entry.recipient.id,
  };
  let event: ResponseEvent | DeliveredEvent;
  if (options.sentBy !== undefined) {
    const channel = parseChoice<Channel>(options.sentBy, CHANNELS, "channel", "--sent-by");
    if (tracking.appeal && !options.followup) {
      throw new UserError(
        `the letter to "${entry.recipient.id}" was already sent on ${tracking.appeal.day} (${tracking.appeal.channel})`,
        {
          hint: "to record a follow-up that went by hand, add --followup; to record an answer, use --outcome",
        },
      );
    }
    if (options.followup && !tracking.appeal) {
      throw new UserError(
        `no letter to "${entry.recipient.id}" was sent yet, so there is nothing to follow up`,
        {
          hint: `record the letter itself first: outreach log ${entry.recipient.id} --sent-by ${channel}`,
        },
      );
    }
    event = withFields(base, {
      type: "delivered" as const,
      channel,
      ...(options.followup ? { stage: `followup-${tracking.followupsSent + 1}` } : {}),
      date: options.date ? parseDay(options.date, io.now) : dayOf(io.now),
      ...(options.note ? { note: options.note } : {}),
    });
  } else {
    const neverSent = !tracking.appeal && tracking.status !== "uncertain";
    if (
      neverSent &&
      !options.force &&
      getDelivery(state, campaign.id, entry.recipient.id)?.status === "in-outbox"
    ) {
      throw new UserError(
        `the letter to "${entry.recipient.id}" was only written to the outbox (outbox/${campaign.id}/${entry.recipient.id}.eml), not sent`,
        {
          hint: `if you sent that file yourself, record it first: outreach log ${entry.recipient.id} --sent-by email --date YYYY-MM-DD`,
        },
      );
    }
    if (neverSent && !options.force) {
      throw new UserError(
        `no letter to "${entry.recipient.id}" in ${campaign.id} was sent, so there is nothing to answer`,
        {
          hint: `if it went another way, record that first: outreach log ${entry.recipient.id} --sent-by web-form (or post, fax…); or record the answer anyway with --force`,
        },
      );
    }
    const outcome = await askOutcome(options, reply, io);
    const channel = options.channel
      ? parseChoice<Channel>(options.channel, CHANNELS, "channel", "--channel")
      : reply
        ? "email"
        : io.canPrompt
          ? await choose<Channel>(
              io,
              "How did the answer come?",
              CHANNELS.map((value) => ({ value })),
            )
          : "email";
    const note =
      options.note ??
      (io.canPrompt && !reply ? checkedNote(await askText(io, "A note (optional):")) : undefined);
    const date = options.date ? parseDay(options.date, io.now) : (reply?.date ?? dayOf(io.now));
    // The reply's own day is its sender's: up to the time-zone spread ahead of ours, never beyond.
    if (date > latestDayOnEarth(io.now)) {
      throw new UserError(
        `the reply is dated ${date}, a day that has not begun in any time zone yet (here it is ${dayOf(io.now)}; the latest time zone, UTC+14, is on ${latestDayOnEarth(io.now)})`,
        {
          exitCode: EXIT.usage,
          hint: "the sender's clock is wrong: give the day it came with --date YYYY-MM-DD",
        },
      );
    }
    const sentOn = tracking.appeal?.day;
    if (sentOn && date < sentOn && !options.force) {
      throw new UserError(`${date} is before the letter was sent (${sentOn})`, {
        exitCode: EXIT.usage,
        hint: "check the date; if the answer really came first, add --force",
      });
    }
    event = withFields(base, {
      type: "response" as const,
      outcome,
      date,
      channel,
      ...((options.from ?? reply?.from) ? { from: options.from ?? reply?.from } : {}),
      ...(note ? { note } : {}),
      ...(reply?.messageId ? { message_id: reply.messageId } : {}),
      ...(linked ? { in_reply_to: linked.messageId } : {}),
      ...(reply?.subject ? { subject: reply.subject } : {}),
    }) as ResponseEvent;
  }

  if (journalNeedsRepair(root)) {
    // Cutting off a torn line needs the lock: a send in progress must not lose a line it is writing.
    const lock = SendLock.acquire(root, "log");
    try {
      const kept = await repairJournal(root, readJournal(root));
      if (kept)
        io.stderr.write(io.err.yellow(`The journal's last line was cut off; it was kept in ${kept}.\n`));
    } finally {
      lock.release();
    }
  }
  const writer = await JournalWriter.open(root);
  try {
    await writer.append(event);
  } finally {
    await writer.close();
  }
  io.stdout.write(
    event.type === "delivered"
      ? `Recorded: the ${event.stage ? event.stage.replace("followup-", "follow-up ") : "letter"} to ${entry.recipient.id} went by ${event.channel} on ${event.date}.\n`
      : `Recorded: ${entry.recipient.id} ${event.outcome} on ${event.date} by ${event.channel}${event.from ? ` (from ${event.from})` : ""}${linked ? ", answering our letter" : ""}.\n`,
  );
  return event;
}

/** A mistyped outcome or channel is wrong usage, said before anything is read. */
function refuseUnknownValues(options: LogOptions): void {
  if (options.outcome !== undefined) parseChoice(options.outcome, OUTCOMES, "outcome", "--outcome");
  if (options.channel !== undefined) parseChoice(options.channel, CHANNELS, "channel", "--channel");
  if (options.sentBy !== undefined) parseChoice(options.sentBy, CHANNELS, "channel", "--sent-by");
}

/** The answer `inbox` took in under this Message-ID; exit 2 when there is none. */
function intakeItem(state: ReturnType<typeof deriveState>, messageId: string): IntakeItem {
  const item =
    state.intake.messages.get(messageId) ?? state.intake.messages.get(`<${messageId.replace(/^<|>$/g, "")}>`);
  if (!item) {
    throw new UserError(`no message ${messageId} was taken in from the mailbox`, {
      exitCode: EXIT.usage,
      hint: "list the answers waiting for review with: outreach review --json",
    });
  }
  return item;
}

/** An answer taken in from the mailbox, in the shape of a saved reply: the same record follows. */
function replyFromIntake(item: IntakeItem): SavedReply {
  const { received } = item;
  return savedReply({
    date: received.date,
    from: received.from,
    subject: received.subject,
    messageId: item.messageId,
    answers: received.in_reply_to && item.match === "reply" ? [received.in_reply_to] : [],
    autoReply: received.kind === "auto-reply",
    bounce: received.kind === "bounce",
  });
}

/** Flags that mean nothing together are refused rather than silently ignored. */
function refuseConflicts(options: LogOptions): void {
  const usage = (message: string) => new UserError(message, { exitCode: EXIT.usage });
  if (options.reply !== undefined && options.fromEml !== undefined) {
    throw usage("--reply and --from-eml both name the answer: give one");
  }
  if (options.sentBy !== undefined) {
    const answerFlags = (
      [
        ["--outcome", options.outcome],
        ["--channel", options.channel],
        ["--from", options.from],
        ["--from-eml", options.fromEml],
        ["--reply", options.reply],
        ["--force", options.force],
      ] as const
    ).filter(([, value]) => value !== undefined && value !== false);
    if (answerFlags.length > 0) {
      throw usage(
        `--sent-by records a letter that went by hand; ${answerFlags.map(([flag]) => flag).join(", ")} belong to an answer: log them separately`,
      );
    }
  } else if (options.followup) {
    throw usage("--followup goes with --sent-by: outreach log ID --sent-by web-form --followup");
  }
}

async function askOutcome(
  options: LogOptions,
  reply: { autoReply: boolean; bounce: boolean } | undefined,
  io: IO,
): Promise<Outcome> {
  if (options.outcome) return parseChoice<Outcome>(options.outcome, OUTCOMES, "outcome", "--outcome");
  if (reply?.bounce) return "bounced";
  if (reply?.autoReply) return "auto-reply";
  if (!io.canPrompt) {
    throw new UserError("say what the answer was with --outcome", {
      exitCode: EXIT.usage,
      hint: `one of: ${OUTCOMES.join(", ")}`,
    });
  }
  return choose<Outcome>(
    io,
    "What was the answer?",
    OUTCOMES.map((value) => ({ value, description: OUTCOME_DESCRIPTIONS[value] })),
  );
}
