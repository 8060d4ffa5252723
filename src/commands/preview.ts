// `outreach preview`: each letter exactly as it would go out, on the terminal or as .eml/.txt files.
import { join } from "node:path";
import type { Writable } from "node:stream";
import { fileError } from "../adapters/file-system.js";
import { STATE_FOLDER } from "../adapters/journal-file.js";
import type { LetterFolder } from "../adapters/letter-folder.js";
import type { MessageComposer } from "../adapters/mime.js";
import { outputFolderPath } from "../adapters/paths.js";
import { plural } from "../adapters/report.js";
import { Spool } from "../adapters/spool.js";
import type { IO } from "../adapters/terminal.js";
import { campaignSizeProblem } from "../core/attachments.js";
import { type Address, type Letter, type PreparedCampaign, renderEach } from "../core/letters.js";
import { hasErrors, type Problem } from "../core/problems.js";
import { otherChannelHint } from "../core/recipients.js";
import { EXIT, UserError } from "../errors.js";
import { type CampaignOptions, openCampaignLetters, renderCampaign, requireValid } from "./context.js";

export interface PreviewOptions extends CampaignOptions {
  ids?: string[];
  out?: string;
  json?: boolean;
  /** false with --no-pager: print to the terminal without the pager. */
  pager?: boolean;
}

export function formatAddress(address: Address): string {
  return address.name ? `${address.name} <${address.address}>` : address.address;
}

/** Decimal units, as the size limits are given. */
function formatSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  return bytes < 1_000_000 ? `${(bytes / 1000).toFixed(1)} kB` : `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** Letters too big for many providers are said where the user looks at them, not only by check. */
function sizeWarning(prepared: PreparedCampaign, io: IO): void {
  const problem = campaignSizeProblem(prepared.attachments, prepared.config.transport.max_message_size);
  if (problem) io.stderr.write(`${io.err.yellow(`warning: ${problem.message}`)}\n`);
}

/** The letter as a person reads it: the headers that matter, then the body. */
export function formatLetter(letter: Letter): string {
  return `${formatHeaders(letter)}\n\n${letter.text.trimEnd()}\n`;
}

/** Each header's name with its colon, padded to `width`. */
function labels(width: number) {
  const label = (name: string) => `${name}:`.padEnd(width);
  return {
    from: label("From"),
    replyTo: label("Reply-To"),
    to: label("To"),
    cc: label("Cc"),
    subject: label("Subject"),
    language: label("Language"),
    attachment: label("Attachment"),
  };
}
/**
 * The names are padded to the longest one a letter shows, and two more: "Language", always shown, or
 * "Attachment" when the letter has one.
 */
const LABELS = labels("Language".length + 2);
const LABELS_WITH_ATTACHMENTS = labels("Attachment".length + 2);

/**
 * formatLetter's headers, one a line (no line break after the last), written out rather than gathered as
 * [name, value] pairs to measure and join: preview shows 10,000 of them.
 */
export function formatHeaders(letter: Letter): string {
  const { message } = letter;
  const attachments = message?.attachments ?? [];
  const label = attachments.length > 0 ? LABELS_WITH_ATTACHMENTS : LABELS;
  let head: string;
  if (message) {
    head = `${label.from}${formatAddress(message.from)}\n`;
    if (message.replyTo) head += `${label.replyTo}${formatAddress(message.replyTo)}\n`;
    head += `${label.to}${message.to.map(formatAddress).join(", ")}\n`;
    if (message.cc.length > 0) head += `${label.cc}${message.cc.map(formatAddress).join(", ")}\n`;
  } else head = `${label.to}(no email: deliver by ${otherChannelHint(letter.recipient)})\n`;
  head += `${label.subject}${letter.subject}\n${label.language}${letter.language} (${letter.templates.join(", ")})`;
  for (const attachment of attachments)
    head += `\n${label.attachment}${attachment.file} (${formatSize(attachment.size)})`;
  return head;
}

export async function preview(options: PreviewOptions, io: IO): Promise<number> {
  if (options.out !== undefined) return previewToFolder(options.out, options, io);
  if (!options.json) return previewOnTerminal(options, io);
  const { letters, prepared } = await renderCampaign(options, io);
  sizeWarning(prepared, io);
  const rows = letters.map((letter) => ({
    id: letter.recipient.id,
    campaign: letter.campaign,
    organisation: letter.recipient.organisation,
    language: letter.language,
    templates: letter.templates,
    from: letter.message?.from ?? null,
    to: letter.message?.to ?? [],
    cc: letter.message?.cc ?? [],
    subject: letter.subject,
    text: letter.text,
    html: letter.html ?? null,
    attachments: letter.message?.attachments.map((attachment) => attachment.file) ?? [],
    channels: letter.recipient.channels ?? {},
  }));
  io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  return letters.length;
}

/**
 * .txt and .eml files, each letter rendered and composed once, and a bad input leaves nothing written. A
 * new folder is written in one pass, each letter rendered, checked and written into a hidden folder that
 * appears whole, in one rename, once every letter proved valid (it is removed otherwise). Over an existing
 * folder nothing may be touched before every letter is valid: the files are held in a spool (spool.ts) and
 * written once all are.
 */
async function previewToFolder(out: string, options: PreviewOptions, io: IO): Promise<number> {
  const { root, prepared, entries, engine, saveCache } = await openCampaignLetters(options, io);
  const folder = outputFolderPath(io.cwd, root, out, "--out");
  const shown = out.replace(/[\\/]+$/, "") || ".";
  const failed = (error: unknown) => fileError(error, shownPath(error, folder, shown), "write");
  // Loaded only for files: letters on the terminal need neither the folder writer nor the MIME composer
  // (nodemailer, with the network modules it loads, is about 50 ms of start-up).
  const [{ LetterFolder }, { MessageComposer }] = await Promise.all([
    import("../adapters/letter-folder.js"),
    import("../adapters/mime.js"),
  ]);
  let files: LetterFolder;
  try {
    files = new LetterFolder(folder);
  } catch (error) {
    throw failed(error);
  }
  const problems: Problem[] = [];
  let emails = 0;
  const spool = files.isNew ? undefined : new Spool(join(root, STATE_FOLDER));
  const stopWatching = files.isNew ? stopOnSignal(files, shown) : undefined;
  try {
    const letters = lettersOf(renderEach(engine, prepared, entries, problems));
    // One composer for every letter: each attachment is read and encoded once.
    const composer = new MessageComposer();
    if (!spool)
      emails = await composeLetters(
        composer,
        letters,
        io.now,
        (name, pieces) => files.write(name, pieces),
        () => files.room(),
      );
    else {
      const names: string[] = [];
      emails = await composeLetters(composer, letters, io.now, (name, pieces) => {
        names.push(name);
        spool.add(pieces);
      });
      if (!hasErrors(problems)) {
        let index = 0;
        for (const record of spool.records()) files.write(names[index++] as string, [record]);
      }
    }
    if (!hasErrors(problems)) await files.finish();
  } catch (error) {
    await files.abandon();
    throw failed(error);
  } finally {
    stopWatching?.();
    spool?.close();
  }
  if (hasErrors(problems)) await files.abandon();
  requireValid(problems, io);
  saveCache();
  sizeWarning(prepared, io);
  const count = entries.length;
  io.stderr.write(
    `Wrote ${plural(count, "letter")} to ${shown}/: ` +
      `${plural(count, ".txt file")} and ${plural(emails, ".eml file")} (recipients without email get only .txt)\n`,
  );
  return count;
}

/**
 * Ctrl-C (or SIGTERM) while a new folder is written stops the writing, and the hidden folder goes, so that no
 * part of it is left; a second one stops at once. Returns what stops the watching.
 */
function stopOnSignal(files: LetterFolder, shown: string): () => void {
  let stopped = false;
  const stop = () => {
    if (stopped) process.exit(EXIT.interrupted);
    stopped = true;
    files.interrupt(
      new UserError(`stopped before every letter was written: nothing was written to ${shown}/`, {
        exitCode: EXIT.interrupted,
      }),
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  return () => {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  };
}

/** Each letter's .txt file and, for a letter by email, its .eml, handed to `write`; the number of .eml files. */
async function composeLetters(
  composer: MessageComposer,
  letters: Iterable<Letter>,
  date: Date,
  write: (name: string, pieces: readonly (Buffer | string)[]) => void,
  room?: () => Promise<void>,
): Promise<number> {
  let emails = 0;
  for (const letter of letters) {
    await room?.();
    const id = letter.recipient.id;
    write(`${id}.txt`, [formatLetter(letter)]);
    if (letter.message) {
      emails++;
      write(`${id}.eml`, await composer.compose(letter.message, { date }));
    }
  }
  return emails;
}

function* lettersOf(rendered: Iterable<{ letter: Letter }>): Generator<Letter> {
  for (const { letter } of rendered) yield letter;
}

/** The file a failure was for, as the user named its folder. */
function shownPath(error: unknown, folder: string, shown: string): string {
  const path = (error as { path?: unknown } | undefined)?.path;
  if (typeof path !== "string" || !path.startsWith(`${folder}/`)) return shown;
  return `${shown}/${path.slice(folder.length + 1)}`;
}

/**
 * Letters on the terminal, printed once every letter has rendered (nothing is printed on bad input): each
 * is rendered once, into a spool (spool.ts), in pieces of about 64 kB that are printed as the terminal or
 * pipe takes them. A piece dies young, where a megabyte of letters lived long enough to be promoted, and
 * grew the heap by 25 MB at 10,000.
 */
async function previewOnTerminal(options: PreviewOptions, io: IO): Promise<number> {
  const rule = io.out.dim("─".repeat(72));
  const { root, prepared, entries, engine, saveCache } = await openCampaignLetters(options, io);
  const spool = new Spool(join(root, STATE_FOLDER));
  try {
    const problems: Problem[] = [];
    // A batch is its letters' pieces, not one text: joined, the letters would be copied once more before
    // the spool encodes them. The rules go in as bytes, encoded once: their "─" would make each letter's
    // head a string of two bytes a character, which UTF-8 encodes a character at a time (the letters' other
    // text, most often ASCII, goes as a copy). The blank line after a letter goes with the next one's rule.
    const ruleAfterTitle = Buffer.from(`\n${rule}\n`);
    const ruleFirst = Buffer.from(`${rule}\n`);
    const ruleBetween = Buffer.from(`\n\n${rule}\n`);
    let batch: (Buffer | string)[] = [];
    let batchLength = 0;
    let count = 0;
    for (const { letter } of renderEach(engine, prepared, entries, problems)) {
      const title = io.out.bold(`${letter.recipient.id} · ${letter.recipient.organisation}`);
      const head = `${formatHeaders(letter)}\n\n`;
      const body = letter.text.trimEnd();
      batch.push(count++ === 0 ? ruleFirst : ruleBetween, title, ruleAfterTitle, head, body);
      batchLength += 2 * rule.length + title.length + head.length + body.length;
      if (batchLength > 1 << 16) {
        spool.add(batch);
        batch = [];
        batchLength = 0;
      }
    }
    if (count > 0) batch.push("\n\n");
    if (batch.length > 0) spool.add(batch);
    requireValid(problems, io);
    saveCache();
    const { page, pagerCommand } = await import("../adapters/pager.js");
    // A person reading on a terminal gets the pager (which takes the whole text); a pipe or a file, a stream.
    if (pagerCommand(io, options.pager !== false) !== undefined) {
      await page(
        io,
        Array.from(spool.records(), (piece) => Buffer.from(piece)),
      );
    } else for (const piece of spool.records()) await writeWhole(io.stdout, piece);
  } finally {
    spool.close();
  }
  sizeWarning(prepared, io);
  io.stderr.write(`${plural(entries.length, "letter")} previewed for campaign ${prepared.campaign.id}\n`);
  return entries.length;
}

/** Writes `bytes` and waits until the stream is done with them (the spool's next record reuses them). */
function writeWhole(stream: Writable, bytes: Buffer): Promise<void> {
  if (bytes.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    // A failed write (a closed pipe) is the stream's error, handled where stdout is set up (index.ts).
    stream.write(bytes, () => resolve());
  });
}
