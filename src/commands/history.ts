// `outreach history ID`: one recipient's timeline across campaigns: letters, failures, answers, decisions.
import { readJournal } from "../adapters/journal-file.js";
import type { IO } from "../adapters/terminal.js";
import {
  APPEAL,
  type AttemptEvent,
  type JournalEvent,
  type ReceivedEvent,
  type TriagedEvent,
} from "../core/journal.js";
import { hasErrors } from "../core/problems.js";
import { didYouMean } from "../core/suggest.js";
import { showText } from "../core/text-rules.js";
import { inFlightWords, UNCERTAIN_WORDS } from "../core/tracking.js";
import { EXIT, UserError } from "../errors.js";
import { type FolderOptions, openReadablePlan } from "./context.js";

export interface HistoryItem {
  at: string;
  /** The day it happened: for logged answers and hand deliveries, the day the user gave. */
  date: string;
  campaign: string;
  kind:
    | "sent"
    | "failed"
    | "uncertain"
    | "no-outcome"
    | "interrupted"
    | "in-flight"
    | "resolved"
    | "delivered"
    | "response"
    | "received"
    | "triaged";
  stage: string | null;
  summary: string;
  event: JournalEvent;
}

function stageName(stage: string | undefined): string {
  if (!stage || stage === APPEAL) return "appeal";
  return stage.replace("followup-", "follow-up ");
}

/** What came in from the mailbox, in words: what it is, who sent it, and what was recorded by itself. */
function receivedSummary(event: ReceivedEvent, assigned: boolean): string {
  const from = event.from ? ` from ${event.from}` : "";
  const subject = event.subject ? `: "${event.subject}"` : "";
  const failures = (event.failures ?? []).map((f) => `${f.address} ${f.status}`).join(", ");
  const what =
    event.kind === "auto-reply"
      ? `automatic reply${from}${subject}`
      : event.kind === "bounce"
        ? `bounce${failures ? ` (${failures})` : ""}${from}${subject}`
        : event.kind === "unreadable"
          ? `unreadable message${from}${subject}`
          : `answer received${from}${subject}`;
  const how = assigned
    ? "; assigned to them in review"
    : event.match === "probable"
      ? "; probably theirs (no letter named), to confirm in review"
      : event.match === "reply"
        ? ""
        : "; no letter claims it";
  return `${what}${how}${event.note ? ` — ${event.note}` : ""}`;
}

function triagedSummary(event: TriagedEvent, recipient: string): string {
  if (event.action === "dismiss") return `decided in review: ${event.message_id} is not theirs (dismissed)`;
  return `decided in review: ${event.message_id} is theirs${event.recipient === recipient ? "" : ` (assigned to ${event.recipient})`}`;
}

/**
 * The messages of a recipient's history: received for them, or assigned to them in review; and the
 * decisions about those messages.
 */
function theirMessages(events: readonly JournalEvent[], recipient: string): Set<string> {
  const ids = new Set<string>();
  for (const event of events) {
    if ((event.type === "received" || event.type === "triaged") && event.recipient === recipient)
      ids.add(event.message_id);
  }
  return ids;
}

export function historyOf(
  events: readonly JournalEvent[],
  recipient: string,
  running?: { token: string; pid: number },
): HistoryItem[] {
  const messages = theirMessages(events, recipient);
  // Messages assigned to this recipient in review, and the campaign they were assigned in.
  const assignedHere = new Map<string, string>();
  for (const event of events) {
    if (event.type === "triaged" && event.action === "assign" && event.recipient === recipient)
      assignedHere.set(event.message_id, event.campaign);
  }
  const shownMessages = new Set<string>();
  const attempts = new Map<string, AttemptEvent>();
  const answered = new Set<string>();
  const items: HistoryItem[] = [];
  const item = (
    event: JournalEvent,
    kind: HistoryItem["kind"],
    stage: string | undefined,
    summary: string,
    date?: string,
    campaign = event.campaign,
  ) =>
    items.push({
      at: event.at,
      date: date ?? event.at.slice(0, 10),
      campaign,
      kind,
      stage: stage ?? null,
      summary,
      event,
    });
  const resolved = new Set<string>();
  const seen = new Set<string>();
  for (const event of events) {
    if (seen.has(event.id)) continue;
    if (event.type === "received" || event.type === "triaged") {
      if (!messages.has(event.message_id)) continue;
      seen.add(event.id);
      if (event.type === "triaged") {
        item(event, "triaged", undefined, triagedSummary(event, recipient));
      } else if (!shownMessages.has(event.message_id)) {
        // The same message seen in two folders, or by two clones, is one answer.
        shownMessages.add(event.message_id);
        item(
          event,
          "received",
          event.stage,
          receivedSummary(event, assignedHere.has(event.message_id)),
          event.date,
          event.campaign || assignedHere.get(event.message_id) || "",
        );
      }
      continue;
    }
    if (event.recipient !== recipient) continue;
    seen.add(event.id);
    switch (event.type) {
      case "attempt":
        attempts.set(event.id, event);
        break;
      case "sent": {
        answered.add(event.attempt);
        const attempt = attempts.get(event.attempt);
        const transport = attempt?.transport === "outbox" ? "written to the outbox" : "sent by email";
        item(
          event,
          "sent",
          attempt?.stage,
          `${stageName(attempt?.stage)} ${transport} to ${event.accepted.join(", ")} (${event.response})` +
            (event.rejected.length
              ? `; partially delivered: not to ${event.rejected.map((rejection) => `${rejection.address} (${rejection.response})`).join(", ")}`
              : ""),
        );
        break;
      }
      case "failed": {
        answered.add(event.attempt);
        const attempt = attempts.get(event.attempt);
        item(
          event,
          event.interrupted === true ? "interrupted" : "failed",
          attempt?.stage,
          event.interrupted === true
            ? `${stageName(attempt?.stage)} not sent: the run was stopped before the server took it`
            : `${stageName(attempt?.stage)} failed (${event.kind}): ${event.response}`,
        );
        break;
      }
      case "uncertain": {
        answered.add(event.attempt);
        const attempt = attempts.get(event.attempt);
        item(
          event,
          "uncertain",
          attempt?.stage,
          `${stageName(attempt?.stage)} ${UNCERTAIN_WORDS}: ${event.reason}`,
        );
        break;
      }
      case "resolved":
        resolved.add(event.message_id);
        item(
          event,
          "resolved",
          undefined,
          `decided: ${event.outcome === "sent" ? "it arrived" : "it did not arrive"}${event.note ? ` (${event.note})` : ""}`,
        );
        break;
      case "delivered":
        item(
          event,
          "delivered",
          event.stage,
          `${stageName(event.stage)} delivered by ${event.channel}${event.note ? `: ${event.note}` : ""}`,
          event.date,
        );
        break;
      case "response":
        item(
          event,
          "response",
          undefined,
          `answer: ${event.outcome} by ${event.channel}${event.from ? ` from ${event.from}` : ""}${event.note ? ` — ${event.note}` : ""}`,
          event.date,
        );
        break;
    }
  }
  for (const attempt of attempts.values()) {
    if (answered.has(attempt.id)) continue;
    const to = [...attempt.to, ...attempt.cc].join(", ");
    if (running && attempt.run === running.token && !resolved.has(attempt.message_id)) {
      item(
        attempt,
        "in-flight",
        attempt.stage,
        `${stageName(attempt.stage)} handed over for ${to}: ${inFlightWords(running.pid)}`,
      );
      continue;
    }
    item(
      attempt,
      "no-outcome",
      attempt.stage,
      `${stageName(attempt.stage)} handed over for ${to}; the server's answer was not recorded` +
        (resolved.has(attempt.message_id) ? " (see your decision)" : ` (${UNCERTAIN_WORDS})`),
    );
  }
  return items.sort((a, b) =>
    a.date < b.date ? -1 : a.date > b.date ? 1 : a.at < b.at ? -1 : a.at > b.at ? 1 : 0,
  );
}

export async function history(
  options: FolderOptions & { id: string; json?: boolean },
  io: IO,
): Promise<HistoryItem[]> {
  const { root, plan } = await openReadablePlan(options, io, { campaigns: false });
  const entry = plan.recipients.find((candidate) => candidate.recipient.id === options.id);
  const { runningSend } = await import("../adapters/lock.js");
  const items = historyOf(readJournal(root).events, options.id, runningSend(root));
  // A recipient whose file cannot be read right now still has a past in the journal.
  const unreadable = !entry && items.length > 0 && hasErrors(plan.problems);
  if (!entry && !unreadable) {
    const suggestion = didYouMean(
      options.id,
      plan.recipients.map((candidate) => candidate.recipient.id),
    );
    throw new UserError(`no recipient with the id ${showText(options.id)}`, {
      exitCode: EXIT.usage,
      hint: suggestion ? `did you mean "${suggestion}"?` : 'list them with "outreach recipients"',
    });
  }
  if (options.json) {
    io.stdout.write(`${JSON.stringify(items, null, 2)}\n`);
    return items;
  }
  io.stdout.write(
    entry
      ? `${io.out.bold(`${entry.recipient.id} · ${entry.recipient.organisation}`)} (${entry.recipient.type})\n`
      : `${io.out.bold(options.id)} (its recipient file cannot be read; this is what the journal holds)\n`,
  );
  if (items.length === 0) io.stdout.write("Nothing has happened yet: no letter was sent or logged.\n");
  for (const historyItem of items) {
    io.stdout.write(`${historyItem.date}  ${historyItem.campaign}  ${historyItem.summary}\n`);
  }
  return items;
}
