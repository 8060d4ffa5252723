// `outreach send`: the campaign's letters, exactly as previewed, to the outbox or an SMTP server. The journal
// is written before and after every hand-off; a second run sends only what has not gone yet.
import { randomUUID } from "node:crypto";
import { describeFileFailure } from "../adapters/file-system.js";
import { JournalWriter, newEventId, readJournal, repairJournal } from "../adapters/journal-file.js";
import { SendLock } from "../adapters/lock.js";
import { MessageComposer } from "../adapters/mime.js";
import { type Progress, startProgress } from "../adapters/progress.js";
import { confirm } from "../adapters/prompts.js";
import { plural } from "../adapters/report.js";
import { SentMailbox, sentMailboxPath } from "../adapters/sent-mailbox.js";
import type { IO } from "../adapters/terminal.js";
import { OUTBOX_FOLDER } from "../adapters/transports/outbox.js";
import { campaignSizeProblem, maxMessageBytes } from "../core/attachments.js";
import {
  type DeliveryReport,
  deliverLetters,
  type LetterOutcome,
  planSend,
  type Skipped,
} from "../core/delivery.js";
import type { LetterEngine } from "../core/engine.js";
import { deriveState, type JournalState } from "../core/journal.js";
import { type LetterHead, letterHeads, type PreparedCampaign, renderHead } from "../core/letters.js";
import { withFields } from "../core/objects.js";
import { pickCampaign } from "../core/plan.js";
import type { Config } from "../core/schema.js";
import { describeForbiddenCharacter, durationMs, RATE_PATTERN, showText } from "../core/text-rules.js";
import type { RawMessage, Transport } from "../core/transport.js";
import { EXIT, ExitError, UserError } from "../errors.js";
import { type CampaignOptions, chooseRecipients, openLetterPlan, requireValid } from "./context.js";
import { formatAddress } from "./preview.js";

export interface SendOptions extends CampaignOptions {
  ids?: string[];
  yes?: boolean;
  dryRun?: boolean;
  limit?: number;
  rate?: string;
  toSelf?: string;
  outbox?: boolean;
  retryFailed?: boolean;
  includeOutbox?: boolean;
  json?: boolean;
  /** No progress: neither the live line nor a line per letter (failures are still said). */
  quiet?: boolean;
}

export function parseRate(rate: string, source: string): number {
  const match = RATE_PATTERN.exec(rate.trim());
  if (!match) {
    throw new UserError(
      `${source} must be a rate of at least one letter per period, like 20/minute, 2/second or 300/hour, not ${showText(rate)}`,
      {
        exitCode: EXIT.usage,
      },
    );
  }
  const count = Number(match[1]);
  const unit = match[2] ?? "m";
  const period = unit.startsWith("s") ? 1000 : unit.startsWith("h") ? 3_600_000 : 60_000;
  return period / count;
}

export function parseDuration(text: string): number {
  return durationMs(text);
}

function senderDomain(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1);
}

/** Who is left out and why: one line each, except the counts of what is already done. */
function describeSkips(skipped: Skipped[], noun: string): string {
  const counted: Partial<Record<Skipped["reason"], string>> = {
    "already-sent": "already sent",
    "already-in-outbox": "already in the outbox",
    limit: "left for a later run (--limit)",
  };
  const lines = skipped
    .filter((skip) => counted[skip.reason] === undefined)
    .map((skip) => `  ${skip.recipient}: ${skip.detail}`);
  for (const [reason, label] of Object.entries(counted)) {
    const count = skipped.filter((skip) => skip.reason === reason).length;
    if (count) lines.push(`  ${plural(count, noun)} ${label}`);
  }
  return lines.join("\n");
}

export interface SendResult {
  campaign: string;
  transport: string;
  /** The folder the letters were written to, when the transport is the outbox. */
  outbox: string | null;
  dry_run: boolean;
  test: boolean;
  /** `to` holds the addresses the server accepted; `rejected` those it refused, with its words. */
  sent: { id: string; to: string[]; rejected: { address: string; response: string }[]; response: string }[];
  failed: { id: string; kind: string; code: number | null; response: string }[];
  uncertain: { id: string; reason: string }[];
  skipped: { id: string; reason: string; detail: string }[];
  not_started: string[];
  aborted: string | null;
  interrupted: boolean;
  seconds: number;
  /** A dry run's letters, as they would go, with --json; empty for a real run (see `sent`) and printed lines. */
  would_send: WouldSend[];
}

export interface WouldSend {
  id: string;
  to: string[];
  cc: string[];
  subject: string;
  /** "appeal", "followup-1", … */
  stage: string;
  transport: Transport["kind"];
}

/**
 * What a dry run lists: the addresses and subject each letter would go with (a test's, with --to-self), one
 * letter at a time: the lines are printed as they come, and only --json holds them all.
 */
function* wouldSend(
  letters: readonly LetterHead[],
  transport: Transport["kind"],
  testAddress?: string,
): Generator<WouldSend> {
  for (const letter of letters) {
    const { message } = letter;
    yield {
      id: letter.recipient.id,
      to: testAddress ? [testAddress] : (message?.to.map(formatAddress) ?? []),
      cc: testAddress ? [] : (message?.cc.map(formatAddress) ?? []),
      subject: testAddress ? `[TEST] ${letter.subject}` : letter.subject,
      stage: letter.stage,
      transport,
    };
  }
}

/**
 * The dry run's lines, in pieces of about 64 kB: not one line per letter held in an array and then joined
 * into one string (two copies of 10 MB at 100,000 letters).
 */
function* formatWouldSend(letters: Iterable<WouldSend>): Generator<string> {
  let piece = "";
  for (const letter of letters) {
    piece += `would send  ${letter.id}  → ${letter.to.join(", ")}${letter.cc.length ? `, cc ${letter.cc.join(", ")}` : ""}  "${letter.subject}"\n`;
    if (piece.length > 1 << 16) {
      yield piece;
      piece = "";
    }
  }
  if (piece !== "") yield piece;
}

/**
 * The letters stream: every one is rendered first to find what would stop the run before anything goes (a
 * template failing for one recipient), and let go; the run is planned on their heads (ids, addresses and
 * subjects), and each letter is rendered again when its turn comes. So 100,000 letters are never all held.
 */
export async function send(options: SendOptions, io: IO): Promise<SendResult> {
  const { root, plan, engine, saveCache } = await openLetterPlan(options, io);
  requireValid(plan.problems, io);
  const { prepared, selected } = pickCampaign(plan, options.campaign);
  const entries = chooseRecipients(selected, plan.recipients, options.ids ?? [], prepared.campaign.id);
  const { heads: letters, problems } = letterHeads(engine, prepared, entries);
  requireValid(problems, io);
  saveCache();
  return runDelivery(
    {
      root,
      prepared,
      engine,
      options,
      command: "send",
      noun: "letter",
      choose: () => ({ letters, skipped: [] }),
    },
    io,
  );
}

/** A send run: `send` for the appeal, `followup` for follow-ups. Everything but the choice of letters is shared. */
export interface DeliveryRun {
  root: string;
  prepared: PreparedCampaign;
  /** Renders each letter when its turn comes. */
  engine: LetterEngine;
  options: SendOptions;
  command: string;
  /** What one item is called in messages: "letter", "follow-up". */
  noun: string;
  /**
   * Under the lock, from the journal: the letters to consider (checked already: each renders), and those
   * left out up front with why.
   */
  choose(state: JournalState): { letters: LetterHead[]; skipped: Skipped[] };
}

export async function runDelivery(run: DeliveryRun, io: IO): Promise<SendResult> {
  const { root, prepared, options } = run;
  const { campaign, config } = prepared;
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 1)) {
    throw new UserError("--limit must be a whole number of at least 1", { exitCode: EXIT.usage });
  }
  const rate = options.rate ?? config.transport.rate;
  const intervalMs = rate ? parseRate(rate, options.rate ? "--rate" : "transport.rate") : 0;
  const testAddress = options.toSelf;
  if (
    testAddress !== undefined &&
    (!/^[^\s@<>,;]+@[^\s@<>,;]+\.[^\s@<>,;]+$/.test(testAddress) ||
      describeForbiddenCharacter(testAddress, false) !== undefined ||
      /[\u200b-\u200d\u2060\ufeff]/u.test(testAddress))
  ) {
    throw new UserError(`--to-self needs one email address, not ${showText(testAddress)}`, {
      exitCode: EXIT.usage,
    });
  }

  const { chooseTransport } = await import("../adapters/transports/choose.js");
  // Decide who gets a letter while holding the lock, so that two runs can never both decide to send it.
  const lock = options.dryRun || testAddress ? undefined : SendLock.acquire(root, run.command);
  let recorded = "every letter of this run is recorded in the journal";
  let failure: unknown;
  try {
    const journal = readJournal(root);
    const torn = lock ? await repairJournal(root, journal) : undefined;
    if (torn) {
      io.stderr.write(
        io.err.yellow(
          `The journal's last line was cut off (line ${journal.torn?.line}, probably a crash while writing); it was kept in ${torn} and left out.\n`,
        ),
      );
    }
    const state = deriveState(journal.events);
    const { letters, skipped } = run.choose(state);
    const transport = await chooseTransport(root, config, io, { outbox: options.outbox });
    // The rate is the mail provider's limit: it paces hand-offs to a server, never files in outbox/.
    const pacing = transport.kind === "outbox" ? 0 : intervalMs;
    let sendPlan = planSend(letters, state, transport.kind, {
      retryFailed: options.retryFailed ?? false,
      includeOutbox: options.includeOutbox ?? false,
      ...(options.limit === undefined ? {} : { limit: options.limit }),
    });
    sendPlan.skipped.unshift(...skipped);
    if (testAddress) {
      const withEmail = letters.filter((letter) => letter.message);
      sendPlan = {
        toSend: withEmail.slice(0, options.limit ?? withEmail.length),
        skipped: sendPlan.skipped.filter((skip) => skip.reason === "no-email"),
      };
    }
    const header =
      `Campaign ${campaign.id}: ${plural(sendPlan.toSend.length, run.noun)} to send` +
      `${testAddress ? ` as a TEST to ${testAddress} (nothing is recorded as sent)` : ""}\n` +
      `  from ${formatAddress(sendPlan.toSend[0]?.message?.from ?? { name: config.sender.name, address: config.sender.email })}\n` +
      `  via  ${transport.description}${pacing ? `, at most ${rate}` : ""}\n`;
    const skips = describeSkips(sendPlan.skipped, run.noun);
    io.stderr.write(`${header}${sizeWarning(prepared, io)}${skips ? `Not sending:\n${skips}\n` : ""}`);

    // Durations on the monotonic clock: a wall clock stepped back mid-send must not give a negative time.
    let started = performance.now();
    const result = (report?: DeliveryReport<LetterHead>): SendResult =>
      summarise(campaign.id, transport, options, sendPlan.skipped, report, started);

    if (options.dryRun) {
      await transport.close();
      const letters = wouldSend(sendPlan.toSend, transport.kind, testAddress);
      // With --json the list is in the JSON: stdout holds nothing else. Printed, each line goes as it comes.
      const dry = withFields(result(), { would_send: options.json ? Array.from(letters) : [] });
      if (options.json) io.stdout.write(`${JSON.stringify(dry, null, 2)}\n`);
      else for (const piece of formatWouldSend(letters)) io.stdout.write(piece);
      io.stderr.write("Dry run: nothing was sent and nothing was recorded.\n");
      return dry;
    }
    if (sendPlan.toSend.length === 0) {
      await transport.close();
      io.stderr.write("Nothing to send.\n");
      const nothing = result();
      if (options.json) io.stdout.write(`${JSON.stringify(nothing, null, 2)}\n`);
      throwIfUnfinished(sendPlan.skipped);
      return nothing;
    }
    if (!options.yes) {
      if (!io.canPrompt) {
        await transport.close();
        throw new UserError("sending needs a confirmation, and there is no terminal to ask on", {
          exitCode: EXIT.usage,
          hint: "add --yes to send, or --dry-run to see what would go",
        });
      }
      if (!(await confirm(io, `Send ${plural(sendPlan.toSend.length, run.noun)} now?`))) {
        await transport.close();
        io.stderr.write("Nothing was sent.\n");
        throw new ExitError(EXIT.ok);
      }
    }

    if (!testAddress && transport.kind !== "outbox") SentMailbox.checkBeforeSending(root, campaign.id);
    await transport.prepare?.({ campaign: campaign.id, test: Boolean(testAddress) });
    const sentCopies =
      testAddress || transport.kind !== "smtp" ? undefined : await openSentCopies(root, config, io);
    started = performance.now(); // the time spent answering questions is not sending time
    // The journal and the sent mailbox are opened by the first letter that needs them: a run that hands
    // nothing over (a refused login, a server that never answers) leaves no file behind.
    const journalWriter = testAddress
      ? undefined
      : lazily(() => JournalWriter.open(root, { durable: io.env.OUTREACH_UNSAFE_NO_FSYNC !== "1" }));

    const progress = startProgress(io, {
      total: sendPlan.toSend.length,
      noun: run.noun,
      verb: transport.kind === "outbox" ? "written" : "sent",
      ...(options.quiet ? { quiet: true } : {}),
    });
    let stopRequests = 0;
    // Waits between tries and for the rate limit end early when the user asks to stop.
    const sleeping = new Set<() => void>();
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          sleeping.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, ms);
        sleeping.add(wake);
      });
    const onSignal = () => {
      stopRequests++;
      if (stopRequests === 1) {
        progress.note(
          "\nStopping: no new letters will start, and letters the server has not taken yet are not sent; those it has finish and are recorded. Press Ctrl-C again to quit at once.",
        );
        for (const wake of [...sleeping]) wake();
        transport.interrupt?.();
      } else {
        progress.stop();
        io.stderr.write(
          "\nStopped at once. Letters in flight are recorded as attempts and will show as uncertain.\n",
        );
        lock?.release();
        process.exit(EXIT.interrupted);
      }
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    let mailbox: SentMailbox | undefined;
    const keepCopy =
      testAddress || transport.kind === "outbox"
        ? undefined
        : (_letter: LetterHead, raw: RawMessage) => {
            mailbox ??= openSentMailbox(root, campaign.id);
            mailbox.append(raw, config.sender.email, io.clock());
            sentCopies?.add(raw);
          };
    const domain = senderDomain(config.sender.email);
    const composer = new MessageComposer({
      bytes: maxMessageBytes(config.transport.max_message_size),
      source: "transport.max_message_size",
    });
    let report: DeliveryReport<LetterHead>;
    try {
      report = await deliverLetters(
        sendPlan.toSend,
        {
          transport,
          render: (head) => renderHead(run.engine, prepared, head),
          ...(journalWriter
            ? { journal: { append: async (event) => (await journalWriter.get()).append(event) } }
            : {}),
          compose: (spec, envelope) => composer.compose(spec, envelope),
          ...(keepCopy ? { keepCopy } : {}),
          newMessageId: () => `<${randomUUID()}@${domain}>`,
          newEventId,
          ...(lock ? { run: lock.token } : {}),
          now: () => io.clock(),
          sleep,
          stopRequested: () => stopRequests > 0,
          onOutcome: (outcome, done, total) =>
            reportOutcome(
              progress,
              outcome,
              progressLine(outcome, done, total, transport.kind === "outbox", io),
            ),
          onServer: (letter, held) =>
            held ? progress.serverHas(letter.recipient.id) : progress.serverAnswered(letter.recipient.id),
          onWarning: (message) => progress.note(io.err.yellow(`warning: ${message}`)),
          onRetry: (letter, response, delay) =>
            progress.note(
              `          ${letter ? letter.recipient.id : "connecting"}: ${response || "temporary failure"}; trying again in ${(delay / 1000).toFixed(1)} s`,
            ),
        },
        {
          intervalMs: pacing,
          retries: config.transport.retries,
          retryDelayMs: parseDuration(config.transport.retry_delay),
          ...(testAddress
            ? {
                test: true,
                rewrite: (spec) =>
                  withFields(spec, {
                    to: [{ address: testAddress }],
                    cc: [],
                    subject: `[TEST] ${spec.subject}`,
                  }),
              }
            : {}),
        },
      );
    } finally {
      progress.stop();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      await transport.close();
      await (await journalWriter?.opened())?.close();
      mailbox?.close();
      if (sentCopies) reportSentCopies(await sentCopies.finish(), campaign.id, io);
    }
    const final = result(report);
    io.stdout.write(options.json ? `${JSON.stringify(final, null, 2)}\n` : formatSummary(final, io));
    const journalFailure = (await journalWriter?.opened())?.failed;
    if (journalFailure) {
      recorded = "the journal holds what it could record before it failed";
      if (journalFailure instanceof UserError && journalFailure.hint)
        io.stderr.write(`  → ${journalFailure.hint}\n`);
    }
    if (final.interrupted) throw new ExitError(EXIT.interrupted);
    // A letter that reached only some of its addresses is not done: exit 1 until it is completed or closed.
    if (final.aborted || final.failed.length > 0 || final.sent.some((sent) => sent.rejected.length > 0)) {
      throw new ExitError(EXIT.failed);
    }
    if (final.uncertain.length > 0) throw new ExitError(EXIT.needsDecision);
    throwIfUnfinished(sendPlan.skipped);
    return final;
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    lock?.releaseAfter(io, failure, recorded);
  }
}

/** Letters that many providers would refuse for their size: said where the user decides to send. */
function sizeWarning(prepared: PreparedCampaign, io: IO): string {
  const problem = campaignSizeProblem(prepared.attachments, prepared.config.transport.max_message_size);
  return problem ? `  ${io.err.yellow(`size: ${problem.message}`)}\n` : "";
}

/** A resource opened on first use; `opened()` gives it only if it was (and its opening succeeded). */
function lazily<T>(open: () => Promise<T>): { get(): Promise<T>; opened(): Promise<T | undefined> } {
  let opening: Promise<T> | undefined;
  return {
    get: () => {
      opening ??= open();
      return opening;
    },
    opened: async () => (opening ? opening.catch(() => undefined) : undefined),
  };
}

/** Opened after the first hand-off (checkBeforeSending ran before it); a failure here is a warning per letter. */
function openSentMailbox(root: string, campaign: string): SentMailbox {
  try {
    return SentMailbox.open(root, campaign);
  } catch (error) {
    const { cause, advice } = describeFileFailure(error, "write");
    throw new UserError(`cannot open ${sentMailboxPath(campaign)} to keep copies of the letters: ${cause}`, {
      hint: `${advice}, then run the command again`,
    });
  }
}

/** Letters left unsent from earlier runs still decide the exit code: refused (1), or waiting for a decision (3). */
function throwIfUnfinished(skipped: Skipped[]): void {
  if (skipped.some((skip) => skip.reason === "failed")) throw new ExitError(EXIT.failed);
  if (skipped.some((skip) => skip.reason === "uncertain" || skip.reason === "in-outbox")) {
    throw new ExitError(EXIT.needsDecision);
  }
}

/** A letter sent cleanly is one more on the live line; anything less stays on screen as its own line. */
function reportOutcome(progress: Progress, outcome: LetterOutcome<LetterHead>, line: string): void {
  const id = outcome.letter.recipient.id;
  if (outcome.status === "sent" && outcome.rejected.length === 0) {
    progress.finished(id, line);
    return;
  }
  progress.note(line);
  progress.finished(id);
}

function progressLine(
  outcome: LetterOutcome<LetterHead>,
  done: number,
  total: number,
  outbox: boolean,
  io: IO,
): string {
  const counter = `[${String(done).padStart(String(total).length)}/${total}]`;
  const id = outcome.letter.recipient.id;
  switch (outcome.status) {
    case "sent": {
      // What the server accepted: for a test send, the test address, not the recipient's.
      const to = outcome.accepted.join(", ");
      const rejected = outcome.rejected.length
        ? io.err.yellow(` (refused: ${outcome.rejected.map((r) => `${r.address} ${r.response}`).join("; ")})`)
        : "";
      const verb = outbox ? "written  " : "sent     ";
      return `${counter} ${io.err.green(verb)} ${id} → ${to}${rejected}`;
    }
    case "failed":
      return `${counter} ${io.err.red("failed   ")} ${id}: ${outcome.response}`;
    case "uncertain":
      return `${counter} ${io.err.yellow("uncertain")} ${id}: ${outcome.reason}`;
  }
}

function summarise(
  campaign: string,
  transport: Transport,
  options: SendOptions,
  skipped: Skipped[],
  report: DeliveryReport<LetterHead> | undefined,
  started: number,
): SendResult {
  const outcomes = report?.outcomes ?? [];
  return {
    campaign,
    transport: transport.description,
    outbox:
      transport.kind === "outbox"
        ? `${OUTBOX_FOLDER}/${campaign}/${options.toSelf !== undefined ? "test/" : ""}`
        : null,
    dry_run: Boolean(options.dryRun),
    test: options.toSelf !== undefined,
    sent: outcomes.flatMap((outcome) =>
      outcome.status === "sent"
        ? [
            {
              id: outcome.letter.recipient.id,
              to: outcome.accepted,
              rejected: outcome.rejected,
              response: outcome.response,
            },
          ]
        : [],
    ),
    failed: outcomes.flatMap((outcome) =>
      outcome.status === "failed"
        ? [
            {
              id: outcome.letter.recipient.id,
              kind: outcome.kind,
              code: outcome.code ?? null,
              response: outcome.response,
            },
          ]
        : [],
    ),
    uncertain: outcomes.flatMap((outcome) =>
      outcome.status === "uncertain" ? [{ id: outcome.letter.recipient.id, reason: outcome.reason }] : [],
    ),
    skipped: skipped.map((skip) => ({
      id: skip.recipient,
      reason: skip.reason,
      detail: skip.detail,
    })),
    not_started: report?.notStarted.map((letter) => letter.recipient.id) ?? [],
    aborted: report?.aborted ?? null,
    interrupted: report?.interrupted ?? false,
    seconds: (performance.now() - started) / 1000,
    would_send: [],
  };
}

function formatSummary(result: SendResult, io: IO): string {
  const lines: string[] = [];
  const rate = result.seconds > 0 ? ` (${(result.sent.length / result.seconds).toFixed(1)}/s)` : "";
  if (result.outbox) {
    lines.push(
      `Wrote ${plural(result.sent.length, "letter")} to ${result.outbox} in ${result.seconds.toFixed(1)} s: open them in a mail client.` +
        (result.test
          ? " They are test copies: nothing was recorded."
          : ' If you send one yourself, record it: outreach log ID --sent-by email (README, "The outbox").'),
    );
  } else {
    const verb = result.test ? "Test letters sent" : "Sent";
    lines.push(
      `${verb}: ${result.sent.length} in ${result.seconds.toFixed(1)} s${rate} via ${result.transport}`,
    );
  }
  const partial = result.sent.filter((sent) => sent.rejected.length > 0);
  if (partial.length) {
    lines.push(io.out.red(`Partially delivered (the server refused some addresses): ${partial.length}`));
    for (const sent of partial) {
      lines.push(
        `  ${sent.id}: ${sent.rejected.map((rejection) => `${rejection.address}: ${rejection.response}`).join("; ")}` +
          (sent.to.length ? ` (delivered to ${sent.to.join(", ")})` : ""),
      );
    }
    lines.push(
      "  The next send tries a 4xx again by itself; for a 5xx fix the address and send with --retry-failed, or close it: outreach log ID --outcome closed.",
    );
  }
  if (result.failed.length) {
    lines.push(io.out.red(`Failed: ${result.failed.length}`));
    for (const failure of result.failed) lines.push(`  ${failure.id}: ${failure.response}`);
  }
  if (result.uncertain.length) {
    lines.push(
      io.out.yellow(
        `Uncertain: ${result.uncertain.length} (may or may not have arrived; never resent by itself)`,
      ),
    );
    for (const item of result.uncertain) lines.push(`  ${item.id}: ${item.reason}`);
    lines.push(
      "  Decide for each: outreach resolve ID --sent, or --not-sent to send it again on the next run.",
    );
  }
  const otherChannel = result.skipped.filter((skip) => skip.reason === "no-email");
  if (otherChannel.length) {
    lines.push(`Need another channel: ${otherChannel.length}`);
    for (const skip of otherChannel) lines.push(`  ${skip.id}: ${skip.detail}`);
  }
  if (result.aborted) lines.push(io.out.red(`Stopped early: ${result.aborted}`));
  if (result.interrupted)
    lines.push(io.out.yellow("Interrupted: the letters not started are still to send."));
  if (result.not_started.length)
    lines.push(`Not started: ${result.not_started.length} (run send again to continue)`);
  return `${lines.join("\n")}\n`;
}

/** With transport.imap.save_sent, a copy of each sent letter goes to the mailbox's Sent folder too. */
async function openSentCopies(root: string, config: Config, io: IO) {
  if (!config.transport.imap?.save_sent) return undefined;
  const { imapSettings } = await import("../adapters/imap-settings.js");
  const settings = imapSettings(root, config, io);
  if (!settings?.saveSent) return undefined;
  const { SentCopies } = await import("../adapters/sent-copies.js");
  return new SentCopies(withFields(settings, { saveSent: settings.saveSent }), await settings.password());
}

function reportSentCopies(
  result: import("../adapters/sent-copies.js").SentCopiesResult,
  campaign: string,
  io: IO,
) {
  if (result.failed === 0) {
    if (result.saved > 0)
      io.stderr.write(`Saved ${plural(result.saved, "copy", "copies")} in ${result.folder}.\n`);
    return;
  }
  io.stderr.write(
    io.err.yellow(
      `warning: ${plural(result.failed, "sent letter")} could not be copied to ${result.folder} (${result.reason}). They were sent and are recorded as sent; every copy is in .outreach/sent/${campaign}.mbox, which any mail client can import into ${result.folder}.\n`,
    ),
  );
}
