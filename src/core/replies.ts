// What an incoming message is and which letter it answers: the one set of rules that `inbox` and
// `log --from-eml` share. Pure: it sees a message's headers (and, for a bounce, the report's text), never a
// mailbox or a file.
import { dayProblem, oneLine } from "./text-rules.js";

/** What the rules need to know about a message, however it was read (IMAP envelope, a parsed .eml). */
export interface MessageFacts {
  messageId?: string;
  /** Message-IDs in In-Reply-To, in order. */
  inReplyTo: string[];
  /** Message-IDs in References, oldest first. */
  references: string[];
  fromAddress?: string;
  fromName?: string;
  subject?: string;
  /** The Date header as written. */
  dateHeader?: string;
  /** Other headers, by lower-case name (auto-submitted, precedence, content-type, x-failed-recipients …). */
  headers: Record<string, string | undefined>;
}

export type MessageKind = "answer" | "auto-reply" | "bounce";

/** A reply as `log` records it: read from a saved .eml file, or taken in from the mailbox. */
export interface SavedReply {
  /** YYYY-MM-DD from the Date header. */
  date?: string;
  from?: string;
  subject?: string;
  messageId?: string;
  /** Every Message-ID named in In-Reply-To and References, nearest first. */
  answers: string[];
  autoReply: boolean;
  bounce: boolean;
}

/**
 * A saved reply from what was read of it, the optional fields only where they say something, set one after
 * the other so that every reply shares a class (objects.ts).
 */
export function savedReply(fields: {
  date: string | undefined;
  from: string | undefined;
  subject: string | undefined;
  messageId: string | undefined;
  answers: string[];
  autoReply: boolean;
  bounce: boolean;
}): SavedReply {
  const reply = {} as SavedReply;
  if (fields.date) reply.date = fields.date;
  if (fields.from) reply.from = fields.from;
  if (fields.subject) reply.subject = fields.subject;
  if (fields.messageId) reply.messageId = fields.messageId;
  reply.answers = fields.answers;
  reply.autoReply = fields.autoReply;
  reply.bounce = fields.bounce;
  return reply;
}

/**
 * A message's facts from its header fields as read (unfolded, decoded): the optional ones only where they say
 * something, one line each, set one after the other so that every message's facts share a class (objects.ts).
 */
export function messageFacts(fields: {
  messageId: string | undefined;
  inReplyTo: string | undefined;
  references: string | undefined;
  fromAddress: string | undefined;
  fromName: string | undefined;
  subject: string | undefined;
  dateHeader: string | undefined;
  headers: Record<string, string | undefined>;
}): MessageFacts {
  const facts = {} as MessageFacts;
  if (fields.messageId) facts.messageId = fields.messageId;
  facts.inReplyTo = parseMessageIds(fields.inReplyTo);
  facts.references = parseMessageIds(fields.references);
  if (fields.fromAddress) facts.fromAddress = fields.fromAddress.toLowerCase();
  if (fields.fromName) facts.fromName = oneLine(fields.fromName);
  if (fields.subject) facts.subject = oneLine(fields.subject);
  if (fields.dateHeader) facts.dateHeader = fields.dateHeader;
  facts.headers = fields.headers;
  return facts;
}

export interface BounceFailure {
  address: string;
  /** The enhanced status code, e.g. 5.1.1; 5.0.0 or 4.0.0 when the report only says permanent or delayed. */
  status: string;
  /** "failed" for a permanent failure (5.x.x), "delayed" for a temporary one (4.x.x). */
  action: "failed" | "delayed";
}

export function parseMessageIds(value: string | undefined): string[] {
  return value ? [...value.matchAll(/<[^<>\s]+>/g)].map((match) => match[0]) : [];
}

/** Headers a report quotes of the message it is about, and the report's own fields. */
const DAEMON_SENDER = /^(mailer-daemon|postmaster|mail-daemon|mailerdaemon|bounces?)([+@]|$)/i;
const BOUNCE_SUBJECT =
  /undeliver|returned mail|returned to sender|delivery (status notification|failure|has failed|failed|notification)|mail delivery failed|failure notice|non remis|unzustellbar|nicht zustellbar|не доставлено|недоставлен|no se pudo entregar|no entregado/i;

export function isBounce(facts: MessageFacts): boolean {
  const contentType = facts.headers["content-type"] ?? "";
  if (/multipart\/report/i.test(contentType) && /delivery-status/i.test(contentType)) return true;
  const fromDaemon =
    DAEMON_SENDER.test(facts.fromAddress ?? "") ||
    /mail delivery (system|subsystem)/i.test(facts.fromName ?? "");
  if (!fromDaemon) return false;
  return (
    facts.headers["x-failed-recipients"] !== undefined ||
    BOUNCE_SUBJECT.test(facts.subject ?? "") ||
    /multipart\/report/i.test(contentType)
  );
}

/** Out-of-office subjects in English, French, German, Russian and Spanish (and a few neighbours). */
const OUT_OF_OFFICE = [
  // en
  /\bout of (the )?office\b/i,
  /\bautomatic reply\b/i,
  /\bauto[- ]?reply\b/i,
  /\bauto[- ]?response\b/i,
  /\baway from (the )?office\b/i,
  /\bon (annual )?(leave|vacation|holiday)\b/i,
  // fr
  /r[ée]ponse automatique/i,
  /absen(ce|t|te) du bureau/i,
  /message d['’]absence/i,
  /\ben cong[ée]s?\b/i,
  // de
  /abwesenheit/i,
  /automatische antwort/i,
  /au(ß|ss)er haus/i,
  /nicht im b[üu]ro/i,
  // ru
  /автоматический ответ/i,
  /автоответ/i,
  /нет на месте/i,
  /вне офиса/i,
  /в отпуске/i,
  /отсутству/i,
  // es
  /respuesta autom[áa]tica/i,
  /fuera de (la )?oficina/i,
  /\bausente\b/i,
  /de vacaciones/i,
];

export function isAutoReply(facts: MessageFacts): boolean {
  const { headers } = facts;
  const autoSubmitted = headers["auto-submitted"];
  if (autoSubmitted !== undefined && autoSubmitted.trim().toLowerCase() !== "no") return true;
  if (headers["x-autoreply"] !== undefined || headers["x-autorespond"] !== undefined) return true;
  if (/auto_reply/i.test(headers.precedence ?? "")) return true;
  if (headers["x-auto-response-suppress"] !== undefined && /^(auto|automatic)/i.test(facts.subject ?? ""))
    return true;
  const subject = facts.subject ?? "";
  return OUT_OF_OFFICE.some((pattern) => pattern.test(subject));
}

export function classify(facts: MessageFacts): MessageKind {
  if (isBounce(facts)) return "bounce";
  if (isAutoReply(facts)) return "auto-reply";
  return "answer";
}

/**
 * Which addresses a bounce report says failed, with the status of each: from the delivery-status fields
 * (RFC 3464) when there are any, otherwise from the common non-standard forms (X-Failed-Recipients, or an
 * address we wrote to named in the text, with the nearest status code after it).
 */
export function bounceFailures(
  facts: MessageFacts,
  reportText: string,
  known: ReadonlySet<string>,
): BounceFailure[] {
  const failures = new Map<string, BounceFailure>();
  const add = (address: string, status: string | undefined, action: string | undefined) => {
    const key = address.toLowerCase();
    const code =
      status && /^[245]\.\d{1,3}\.\d{1,3}$/.test(status)
        ? status
        : /delay/i.test(action ?? "")
          ? "4.0.0"
          : "5.0.0";
    if (code.startsWith("2")) return;
    failures.set(key, { address: key, status: code, action: code.startsWith("4") ? "delayed" : "failed" });
  };
  for (const block of reportText.split(/\r?\n\s*\r?\n/)) {
    const field = (name: string) =>
      new RegExp(`^${name}:\\s*(?:rfc822;\\s*)?([^\\r\\n]+)`, "im").exec(block)?.[1]?.trim();
    const recipient = field("Final-Recipient") ?? field("Original-Recipient");
    if (!recipient) continue;
    const address = recipient.replace(/^<|>$/g, "");
    const status = /^([245]\.\d{1,3}\.\d{1,3})/.exec(field("Status") ?? "")?.[1];
    add(address, status, field("Action"));
  }
  if (failures.size > 0) return [...failures.values()];
  const temporary = /temporar|delayed|will (be )?retr|still trying|not yet been delivered/i.test(reportText);
  const lower = reportText.toLowerCase();
  // The status nearest after a mention of the address (a header naming it carries none: look further on).
  const statusOf = (address: string) => {
    for (let at = lower.indexOf(address); at !== -1; at = lower.indexOf(address, at + 1)) {
      const after = reportText.slice(at, at + 400);
      const enhanced = /\b([45]\.\d{1,3}\.\d{1,3})\b/.exec(after)?.[1];
      if (enhanced) return enhanced;
      const basic = /\b([45])\d\d[ -]/.exec(after)?.[1];
      if (basic) return `${basic}.0.0`;
    }
    return temporary ? "4.0.0" : "5.0.0";
  };
  for (const address of parseAddresses(facts.headers["x-failed-recipients"] ?? "")) {
    add(address, statusOf(address), undefined);
  }
  for (const address of known) {
    if (!failures.has(address) && lower.includes(address)) add(address, statusOf(address), undefined);
  }
  return [...failures.values()];
}

function parseAddresses(text: string): string[] {
  return [...text.matchAll(/[^\s<>,;"']+@[^\s<>,;"']+/g)].map((match) => match[0].toLowerCase());
}

/** Message-IDs quoted inside a message (in the headers of the letter a bounce returns), other than its own. */
export function quotedMessageIds(text: string, own: string | undefined): string[] {
  const found = [...text.matchAll(/^Message-ID:\s*(<[^<>\s]+>)/gim)].map((match) => match[1] as string);
  return found.filter((id) => id !== own);
}

/** Every Message-ID a message names as the one it answers, nearest first. */
export function answeredIds(facts: MessageFacts): string[] {
  return [...facts.inReplyTo, ...[...facts.references].reverse()];
}

export interface LetterRef {
  campaign: string;
  recipient: string;
  stage: string;
  messageId: string;
}

/** What the journal knows about our letters, for matching: built once per run. */
export interface LetterIndex {
  /** Our Message-IDs (and the ids servers gave them) → the letter. */
  byMessageId: ReadonlyMap<string, LetterRef>;
  /** A contact address (lower case) → the recipients written to at that address, latest letter first. */
  byAddress: ReadonlyMap<string, readonly { campaign: string; recipient: string }[]>;
  /** Subjects of our letters, normalised, to recognise a reply that lost its threading headers. */
  subjects: ReadonlySet<string>;
  /** Domains of our Message-IDs: a reply naming one we do not know answers a letter outside this journal. */
  domains: ReadonlySet<string>;
}

export type Match =
  | { kind: "reply"; letter: LetterRef }
  | { kind: "probable"; campaign: string; recipient: string }
  | { kind: "unmatched" };

/** Looks a named Message-ID up, also as the bare id a relay (such as Amazon SES) gave the message. */
function findLetter(index: LetterIndex, id: string): LetterRef | undefined {
  const found = index.byMessageId.get(id);
  if (found) return found;
  const bare = id.replace(/^<|>$/g, "");
  return index.byMessageId.get(bare) ?? index.byMessageId.get(bare.split("@")[0] ?? "");
}

/**
 * Matches a message, in this order: its threading headers (or, for a bounce, the headers it quotes) name
 * one of our letters; else a bounce names the failed address of exactly one recipient; else its sender is
 * a contact of exactly one recipient written to (probable, never certain); else it is unmatched.
 */
export function matchMessage(
  facts: MessageFacts,
  index: LetterIndex,
  extra: { quotedIds?: readonly string[]; failedAddresses?: readonly string[] } = {},
): Match {
  for (const id of [...answeredIds(facts), ...(extra.quotedIds ?? [])]) {
    const letter = findLetter(index, id);
    if (letter) return { kind: "reply", letter };
  }
  if (extra.failedAddresses?.length) {
    const owners = new Set(
      extra.failedAddresses.flatMap((address) =>
        (index.byAddress.get(address) ?? []).map((owner) => `${owner.campaign}\u0000${owner.recipient}`),
      ),
    );
    if (owners.size === 1) {
      const [campaign, recipient] = ([...owners][0] as string).split("\u0000") as [string, string];
      return { kind: "probable", campaign, recipient };
    }
  }
  const owners = index.byAddress.get((facts.fromAddress ?? "").toLowerCase()) ?? [];
  const recipients = new Set(owners.map((owner) => owner.recipient));
  if (recipients.size === 1 && owners[0]) return { kind: "probable", ...owners[0] };
  return { kind: "unmatched" };
}

export function normaliseSubject(subject: string): string {
  let text = subject.trim();
  for (;;) {
    const stripped = text
      .replace(/^\[[^\]]{0,40}\]\s*/, "")
      .replace(/^(re|aw|sv|vs|tr|wg|fw|fwd|rif|ref|res|ответ|отв|antw|r)\s*(\[\d+\])?\s*:\s*/i, "")
      .trim();
    if (stripped === text) break;
    text = stripped;
  }
  return text.toLowerCase().replace(/\s+/g, " ");
}

/**
 * Whether an unmatched message concerns the campaign, so that it belongs in the holding pen rather than
 * being the rest of the mailbox: it names a Message-ID of ours we do not know, or repeats a letter's subject.
 */
export function concernsCampaign(facts: MessageFacts, index: LetterIndex): boolean {
  if (answeredIds(facts).some((id) => index.domains.has(id.replace(/>$/, "").split("@")[1] ?? "")))
    return true;
  const subject = normaliseSubject(facts.subject ?? "");
  return subject !== "" && index.subjects.has(subject);
}

/** The reply's own words: the quoted original ("> " lines, "On … wrote:" and what follows) trimmed. */
export function replyText(text: string): string {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const kept: string[] = [];
  for (const line of lines) {
    if (
      /^(On .{4,200} wrote:|Le .{4,200} a écrit ?:|Am .{4,200} schrieb .{1,200}:|El .{4,200} escribió:|.{0,200}пишет:|.{0,200}написал\(?а?\)?:)\s*$/i.test(
        line.trim(),
      ) ||
      /^-{2,}\s*(Original Message|Message d'origine|Ursprüngliche Nachricht|Mensaje original|Исходное сообщение)\s*-{2,}$/i.test(
        line.trim(),
      ) ||
      (/^From:\s.+/.test(line) && kept.length > 0 && kept.at(-1)?.trim() === "")
    ) {
      break;
    }
    if (/^\s*>/.test(line)) continue;
    kept.push(line);
  }
  return kept.join("\n").trim();
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/** The day the sender wrote the message, in the sender's own time zone, as its Date header says: YYYY-MM-DD. */
export function writtenDay(dateHeader: string | undefined): string | undefined {
  const written = /(\d{1,2})\s+(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\s+(\d{4})/i.exec(
    dateHeader ?? "",
  );
  if (written) {
    const month = MONTHS.indexOf((written[2] ?? "").slice(0, 3).toLowerCase()) + 1;
    const day = `${written[3]}-${String(month).padStart(2, "0")}-${String(written[1]).padStart(2, "0")}`;
    // "31 Feb 2012" is no day: the journal would refuse it, so the message is taken as undated.
    return dayProblem(day) === undefined ? day : undefined;
  }
  const date = dateHeader ? new Date(dateHeader) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date.toISOString().slice(0, 10) : undefined;
}

/** "Name <address>", or the address alone. */
export function senderOf(facts: Pick<MessageFacts, "fromAddress" | "fromName">): string | undefined {
  if (!facts.fromAddress) return facts.fromName;
  return facts.fromName ? `${facts.fromName} <${facts.fromAddress}>` : facts.fromAddress;
}
