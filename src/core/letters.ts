// A campaign's letters: for each selected recipient, the language, subject, body and the message that
// would go out. Pure: the templates, recipients and attachments are handed in already loaded.

import { isTemplatedPath } from "./attachments.js";
import type { LetterEngine } from "./engine.js";
import {
  BrokenTemplate,
  forLanguage,
  languageChain,
  TemplateError,
  type TemplateSource,
  toProblem,
} from "./letter.js";
import { type LocalizedField, localizeRecipient } from "./localized.js";
import { withFields } from "./objects.js";
import { firstFew, type Problem } from "./problems.js";
import { describeLocation, type RecipientEntry, where } from "./recipients.js";
import type { Campaign, Config, Recipient } from "./schema.js";
import { didYouMean } from "./suggest.js";
import { describeForbiddenCharacter } from "./text-rules.js";

export interface Address {
  name?: string;
  address: string;
}

export interface AttachmentFile {
  /** As written in outreach.yaml, relative to the campaign folder. */
  file: string;
  filename: string;
  absolutePath: string;
  size: number;
  /** For a text file, its MIME type with charset=utf-8; other files are typed by their extension when composed. */
  contentType?: string;
  /** The bytes it takes in a letter once encoded (base64 of the content, CRLF line ends for text). */
  encodedSize: number;
}

/** Whom an email is from and to: all a send needs to decide from the journal whether it goes. */
export interface Envelope {
  from: Address;
  replyTo?: Address;
  to: Address[];
  cc: Address[];
  /** Only these envelope recipients, when a resend goes to the addresses that did not get the letter. */
  envelopeTo?: string[];
}

/** Everything that goes into the email, exactly as it will be composed. */
export interface MessageSpec extends Envelope {
  subject: string;
  text: string;
  html?: string;
  attachments: AttachmentFile[];
  headers: Record<string, string>;
  /** Threading for a follow-up: the Message-ID it answers, and every earlier one of the thread. */
  inReplyTo?: string;
  references?: string[];
}

export interface Letter {
  entry: RecipientEntry;
  recipient: Recipient;
  campaign: string;
  language: string;
  subject: string;
  text: string;
  html?: string;
  /** Template files this letter was rendered from. */
  templates: string[];
  /** "appeal", or "followup-1", "followup-2", … */
  stage: string;
  /** Fields given per language but not in this letter's: the letter has the default language's value. */
  fellBack?: LocalizedField[];
  /** The email, or undefined when the recipient has no email contact and needs another channel. */
  message?: MessageSpec;
}

export interface PreparedCampaign {
  campaign: Campaign;
  config: Config;
  index: number;
  subjects: Map<string, TemplateSource>;
  /** Subjects for follow-ups, when the campaign sets them (followup.subject); otherwise "Re: " + the original. */
  followupSubjects: Map<string, TemplateSource>;
  attachments: AttachmentFile[];
  /** Attachment paths written as templates (`attachments/{{recipient.id}}.pdf`), one file per recipient. */
  attachmentTemplates: TemplateSource[];
  /** Each recipient's own files: its `attachments`, and the campaign's templated paths resolved for it. */
  recipientAttachments?: Map<string, AttachmentFile[]>;
}

type Locate = (path: PropertyKey[]) => { line: number; column: number } | undefined;

/** Checks what a campaign refers to (letter templates, subject languages) before any letter is rendered. */
export function prepareCampaign(
  campaign: Campaign,
  index: number,
  config: Config,
  engine: LetterEngine,
  attachments: AttachmentFile[],
  configFile: string,
  locate: Locate,
): { prepared?: PreparedCampaign; problems: Problem[] } {
  const problems: Problem[] = [];
  const at = (path: PropertyKey[], field: string) => ({
    file: configFile,
    ...locate(["campaigns", index, ...path]),
    field: `campaigns[${index}].${field}`,
  });
  const letters = [...engine.letterNames()];
  for (const [name, field] of [
    [campaign.template, "template"],
    [campaign.followup.template, "followup.template"],
  ] as const) {
    if (name === undefined || engine.hasLetter(name)) continue;
    const suggestion = didYouMean(name, letters);
    problems.push({
      severity: "error",
      ...at(field.split("."), field),
      message: `no template "${name}": expected templates/${name}.txt.hbs (or .html.hbs)`,
      hint: suggestion
        ? `did you mean "${suggestion}"?`
        : letters.length > 0
          ? `the templates are: ${letters.join(", ")}; or create templates/${name}.txt.hbs`
          : `create templates/${name}.txt.hbs`,
    });
  }

  const subjectAt = at(["subject"], "subject");
  const subjects = subjectSources(
    campaign.subject,
    ["campaigns", index, "subject"],
    `campaigns[${index}].subject`,
    configFile,
    locate,
  );
  if (
    !subjects.has("") &&
    !languageChain(config.defaults.language).some((language) => subjects.has(language))
  ) {
    problems.push(
      withFields(subjectAt, {
        severity: "error" as const,
        message: `the subject has no entry for the default language "${config.defaults.language}"`,
        hint: `add "${config.defaults.language}: …" under subject`,
      }),
    );
  }
  const followupSubjects = campaign.followup.subject
    ? subjectSources(
        campaign.followup.subject,
        ["campaigns", index, "followup", "subject"],
        `campaigns[${index}].followup.subject`,
        configFile,
        locate,
      )
    : new Map<string, TemplateSource>();
  const attachmentTemplates = campaign.attachments.flatMap((file, attachmentIndex): TemplateSource[] => {
    if (!isTemplatedPath(file)) return [];
    const at = locate(["campaigns", index, "attachments", attachmentIndex]);
    return [
      {
        file: configFile,
        text: file,
        startLine: at?.line ?? 1,
        ...(at ? { startColumn: at.column } : {}),
        field: `campaigns[${index}].attachments[${attachmentIndex}]`,
      },
    ];
  });
  for (const source of [...subjects.values(), ...followupSubjects.values(), ...attachmentTemplates])
    engine.inline(source);
  if (problems.length > 0) return { problems };
  return {
    prepared: { campaign, config, index, subjects, followupSubjects, attachments, attachmentTemplates },
    problems,
  };
}

/** A subject written in outreach.yaml (one line, or one per language) as templates that know their line. */
function subjectSources(
  subject: string | Record<string, string>,
  path: PropertyKey[],
  field: string,
  configFile: string,
  locate: Locate,
): Map<string, TemplateSource> {
  const sources = new Map<string, TemplateSource>();
  const startLine = locate(path)?.line ?? 1;
  if (typeof subject === "string") {
    sources.set("", { file: configFile, text: subject, startLine, field });
    return sources;
  }
  for (const [language, text] of Object.entries(subject)) {
    const line = locate([...path, language])?.line ?? startLine;
    sources.set(language, { file: configFile, text, startLine: line, field: `${field}.${language}` });
  }
  return sources;
}

/** Which letter of the campaign to render: the appeal, or a follow-up threaded under earlier letters. */
export interface LetterKind {
  stage: string;
  template: string;
  subjects: Map<string, TemplateSource>;
  /** The subject when `subjects` is empty. */
  defaultSubject?: string;
  /** More for the template to see (a follow-up sees `original` and `followup`). */
  context?: Record<string, unknown>;
  thread?: { inReplyTo: string; references: string[] };
}

export function appealKind(prepared: PreparedCampaign): LetterKind {
  return { stage: "appeal", template: prepared.campaign.template, subjects: prepared.subjects };
}

/** What a follow-up knows of the letter it follows. */
export interface OriginalLetter {
  /** YYYY-MM-DD the appeal went out. */
  date: string;
  subject: string;
  /** Message-IDs of the appeal and every follow-up since, oldest first. */
  messageIds: string[];
}

export function followupKind(
  prepared: PreparedCampaign,
  number: number,
  original: OriginalLetter,
): LetterKind {
  const template = prepared.campaign.followup.template ?? "";
  const last = original.messageIds.at(-1);
  return {
    stage: `followup-${number}`,
    template,
    subjects: prepared.followupSubjects,
    defaultSubject: /^re:/i.test(original.subject) ? original.subject : `Re: ${original.subject}`,
    context: { original: { date: original.date, subject: original.subject }, followup: { number } },
    ...(last ? { thread: { inReplyTo: last, references: original.messageIds } } : {}),
  };
}

/** What a template sees for one recipient: the recipient in the letter's language, sender, campaign, … */
export function letterContext(
  prepared: PreparedCampaign,
  recipient: Recipient,
  language: string,
  kind?: LetterKind,
): { context: Record<string, unknown>; fellBack: LocalizedField[] } {
  const { campaign, config } = prepared;
  const contact = recipient.contacts.find((candidate) => !candidate.cc);
  const { recipient: inLanguage, fellBack } = localizeRecipient(
    recipient,
    language,
    config.defaults.language,
  );
  const context = {
    recipient: withFields(inLanguage, { language }),
    ...(contact ? { contact } : {}),
    sender: config.sender,
    campaign: { id: campaign.id, ...(campaign.date ? { date: campaign.date } : {}) },
    signatories: campaign.signatories,
    language,
    ...kind?.context,
  };
  return { context, fellBack };
}

/** Renders one recipient's letter; throws TemplateError when a template fails for this recipient. */
export function renderLetter(
  engine: LetterEngine,
  prepared: PreparedCampaign,
  entry: RecipientEntry,
  kind: LetterKind = appealKind(prepared),
): Letter {
  const { recipient } = entry;
  const { campaign, config } = prepared;
  const language = recipient.language ?? config.defaults.language;
  const variant = engine.variant(kind.template, language);
  if (!variant) {
    throw new TemplateError(
      `no "${kind.template}" letter for the language ${language}, and no default`,
      `templates/${kind.template}.txt.hbs`,
      undefined,
      undefined,
      `add templates/${kind.template}.txt.hbs (the default language's letter)`,
    );
  }
  const { context, fellBack } = letterContext(prepared, recipient, language, kind);
  const subjectSource = forLanguage(kind.subjects, language, config.defaults.language) ?? {
    file: "outreach.yaml",
    text: "",
  };
  const subject = (
    kind.subjects.size > 0 ? engine.render(subjectSource, false, context) : (kind.defaultSubject ?? "")
  ).trim();
  const badCharacter = describeForbiddenCharacter(subject, false);
  if (badCharacter || subject === "") {
    throw new TemplateError(
      subject === "" ? "the subject is empty for this recipient" : `the subject contains ${badCharacter}`,
      subjectSource.file,
      subjectSource.startLine,
      undefined,
      subject === ""
        ? "the subject must say something for every recipient"
        : "a subject must be one line of text: check the fields it uses",
      subjectSource.field,
    );
  }
  const text = variant.text ? engine.render(variant.text, false, context) : undefined;
  const html = variant.html ? engine.render(variant.html, true, context) : undefined;
  const templates = [variant.text?.file, variant.html?.file].filter((file): file is string => Boolean(file));
  const letter: Letter = {
    entry,
    recipient,
    campaign: campaign.id,
    language,
    subject,
    text: text ?? "",
    ...(html === undefined ? {} : { html }),
    templates,
    stage: kind.stage,
  };
  if (fellBack.length > 0) letter.fellBack = fellBack;
  if (recipient.contacts.length > 0) {
    letter.message = buildMessage(letter, prepared, config);
    if (kind.thread) {
      letter.message.inReplyTo = kind.thread.inReplyTo;
      letter.message.references = kind.thread.references;
    }
  }
  return letter;
}

/** The campaign's files, and the recipient's own after them (the campaign's list itself when it has none). */
function withOwnFiles(prepared: PreparedCampaign, id: string): AttachmentFile[] {
  const own = prepared.recipientAttachments?.get(id);
  return own ? [...prepared.attachments, ...own] : prepared.attachments;
}

function address(name: string | undefined, email: string): Address {
  return name ? { name, address: email } : { address: email };
}

/** The sender's addresses, as every letter of the folder gives them. */
function senderOf(config: Config): Pick<Envelope, "from" | "replyTo"> {
  return {
    from: address(config.sender.name, config.sender.email),
    ...(config.sender.reply_to ? { replyTo: address(config.sender.name, config.sender.reply_to) } : {}),
  };
}

/**
 * Every object here that is made once a letter is written out as a literal that starts with a property:
 * in optimized code, Node 20 gives a literal that starts with a spread (`{ ...sender, to, cc }`) a hidden
 * class of its own each time, so 100,000 letters made 100,000 classes (memory, and every read of them
 * megamorphic: a dry run of 100,000 took a third more CPU).
 */
function buildMessage(letter: Letter, prepared: PreparedCampaign, config: Config): MessageSpec {
  const { contacts } = letter.recipient;
  return {
    from: address(config.sender.name, config.sender.email),
    ...(config.sender.reply_to ? { replyTo: address(config.sender.name, config.sender.reply_to) } : {}),
    to: toOf(contacts),
    cc: ccOf(contacts),
    subject: letter.subject,
    text: letter.text,
    ...(letter.html === undefined ? {} : { html: letter.html }),
    attachments: withOwnFiles(prepared, letter.recipient.id),
    // Nothing internal goes in the headers the institution sees: the Message-ID, journaled before the
    // hand-off, is what ties an answer or a bounce to this letter.
    headers: { "Content-Language": letter.language },
  };
}

/** A letter's To: its contacts but those marked cc. */
function toOf(contacts: Recipient["contacts"]): Address[] {
  return contacts.filter((contact) => !contact.cc).map((contact) => address(contact.name, contact.email));
}

function ccOf(contacts: Recipient["contacts"]): Address[] {
  return contacts.filter((contact) => contact.cc).map((contact) => address(contact.name, contact.email));
}

/**
 * A letter once rendered and let go: whom it is for, which letter of the campaign, its subject and the
 * addresses it goes to. That is all a send needs to decide from the journal what goes (and a dry run to list
 * it), so a long list is planned without its texts; `renderHead` renders the letter again when its turn
 * comes, and it is let go once it has gone.
 */
export interface LetterHead {
  entry: RecipientEntry;
  recipient: Recipient;
  campaign: string;
  stage: string;
  kind: LetterKind;
  subject: string;
  /** The addresses of the email, or undefined when the recipient has no email contact. */
  readonly message?: Envelope;
}

/**
 * A head as rendering leaves it. Its addresses are made again from the recipient's contacts each time they
 * are asked for, exactly as `buildMessage` makes them, so a list of 100,000 holds no copy of them (an
 * envelope, its address objects and two arrays: 15 MB). A head that planning narrows to fewer addresses is
 * a copy with its own `message` (see `planSend`, `toReachedOnly`).
 */
class RenderedHead implements LetterHead {
  constructor(
    readonly entry: RecipientEntry,
    readonly recipient: Recipient,
    readonly campaign: string,
    readonly stage: string,
    readonly kind: LetterKind,
    readonly subject: string,
    private readonly sender: Pick<Envelope, "from" | "replyTo">,
  ) {}

  get message(): Envelope | undefined {
    const { contacts } = this.recipient;
    if (contacts.length === 0) return undefined;
    const { from, replyTo } = this.sender;
    return replyTo
      ? { from, replyTo, to: toOf(contacts), cc: ccOf(contacts) }
      : { from, to: toOf(contacts), cc: ccOf(contacts) };
  }
}

/**
 * Renders every letter, finding what `renderLetters` finds (a template that fails for one recipient stops
 * a run before anything goes), and keeps only each letter's head: any number of letters in little memory.
 */
export function letterHeads(
  engine: LetterEngine,
  prepared: PreparedCampaign,
  entries: readonly RecipientEntry[],
  kindFor?: (entry: RecipientEntry) => LetterKind,
): { heads: LetterHead[]; problems: Problem[] } {
  const heads: LetterHead[] = [];
  // One sender and one appeal kind for all the heads, not one per letter.
  const sender = senderOf(prepared.config);
  const appeal = appealKind(prepared);
  const kinds = kindFor ?? (() => appeal);
  const { problems } = renderLetters(engine, prepared, entries, kinds, (letter, kind) => {
    heads.push(
      new RenderedHead(
        letter.entry,
        letter.recipient,
        letter.campaign,
        letter.stage,
        kind,
        letter.subject,
        sender,
      ),
    );
  });
  return { heads, problems };
}

/**
 * The letter of a head, rendered as `renderLetter` renders it (so exactly as previewed), sent to the head's
 * addresses: planning may have narrowed them (a follow-up to the addresses its appeal reached, a resend to
 * those that did not get the letter). Throws TemplateError as renderLetter does.
 */
export function renderHead(engine: LetterEngine, prepared: PreparedCampaign, head: LetterHead): Letter {
  const letter = renderLetter(engine, prepared, head.entry, head.kind);
  // A head as rendered has the letter's own addresses; only a narrowed copy has others.
  const narrowed = head instanceof RenderedHead ? undefined : head.message;
  if (letter.message && narrowed) {
    letter.message.to = narrowed.to;
    letter.message.cc = narrowed.cc;
    if (narrowed.envelopeTo) letter.message.envelopeTo = narrowed.envelopeTo;
  }
  return letter;
}

export interface RenderOutcome {
  letters: Letter[];
  problems: Problem[];
}

/**
 * Renders every letter, collecting failures instead of stopping at the first. The same template failure
 * for many recipients is reported once, naming the first recipient and counting the others.
 */
export function renderLetters(
  engine: LetterEngine,
  prepared: PreparedCampaign,
  entries: readonly RecipientEntry[],
  kindFor: (entry: RecipientEntry) => LetterKind = () => appealKind(prepared),
  /** Takes each letter instead of keeping it, so that 10,000 letters need not be held at once. */
  onLetter?: (letter: Letter, kind: LetterKind) => void,
): RenderOutcome {
  const letters: Letter[] = [];
  const problems: Problem[] = [];
  for (const { letter, kind } of renderEach(engine, prepared, entries, problems, kindFor)) {
    if (onLetter) onLetter(letter, kind);
    else letters.push(letter);
  }
  return { letters, problems };
}

/**
 * renderLetters one letter at a time, for a caller that acts on each as it comes (and may wait between
 * them): the letters that render are yielded; the problems, as renderLetters reports them, are in
 * `problems` once the last letter has come.
 */
export function* renderEach(
  engine: LetterEngine,
  prepared: PreparedCampaign,
  entries: readonly RecipientEntry[],
  problems: Problem[],
  kindFor: (entry: RecipientEntry) => LetterKind = () => appealKind(prepared),
): Generator<{ letter: Letter; kind: LetterKind }> {
  const { config } = prepared;
  const failures = new Map<string, { problem: Problem; others: number }>();
  const fallbacks = new Map<string, { file: string; ids: string[] }>();
  const fieldFallbacks = new Map<string, { entry: RecipientEntry; language: string; ids: string[] }>();
  let template = prepared.campaign.template;
  for (const entry of entries) {
    let rendered: { letter: Letter; kind: LetterKind };
    try {
      const kind = kindFor(entry);
      rendered = { letter: renderLetter(engine, prepared, entry, kind), kind };
    } catch (error) {
      if (error instanceof BrokenTemplate) continue;
      if (!(error instanceof TemplateError)) throw error;
      const key = `${error.file}:${error.line}:${error.column}:${error.message}`;
      const seen = failures.get(key);
      if (seen) {
        seen.others++;
        continue;
      }
      const problem = toProblem(error);
      problem.message = `${problem.message} (letter to "${entry.recipient.id}", ${describeLocation(entry)})`;
      failures.set(key, { problem, others: 0 });
      continue;
    }
    const { letter, kind } = rendered;
    template = kind.template;
    const variant = engine.variant(kind.template, letter.language);
    if (variant?.fellBack && !languageChain(config.defaults.language).includes(letter.language)) {
      const group = fallbacks.get(letter.language) ?? { file: letter.templates[0] ?? "templates", ids: [] };
      group.ids.push(letter.recipient.id);
      fallbacks.set(letter.language, group);
    }
    if (letter.fellBack) {
      const key = `${letter.language}|${letter.fellBack.join(", ")}`;
      const group = fieldFallbacks.get(key) ?? { entry, language: letter.language, ids: [] };
      group.ids.push(letter.recipient.id);
      fieldFallbacks.set(key, group);
    }
    yield rendered;
  }
  for (const { problem, others } of failures.values()) {
    if (others > 0) problem.message += ` and ${others} other recipient${others === 1 ? "" : "s"}`;
    problems.push(problem);
  }
  for (const [language, { file, ids }] of fallbacks) {
    const shown = firstFew(ids);
    problems.push({
      severity: "warning",
      file,
      message: `no "${language}" variant of "${template}"; ${shown} get${ids.length === 1 ? "s" : ""} the default-language letter`,
      hint: `add templates/${template}.${language}.txt.hbs`,
    });
  }
  problems.push(...fieldFallbackWarnings(fieldFallbacks, config.defaults.language));
}

/** One warning per language and set of fields that recipients give in other languages only. */
function fieldFallbackWarnings(
  groups: Map<string, { entry: RecipientEntry; language: string; ids: string[] }>,
  defaultLanguage: string,
): Problem[] {
  return [...groups].map(([key, { entry, language, ids }]) => {
    const fields = key.slice(language.length + 1);
    return {
      severity: "warning",
      ...where(entry),
      message: `no "${language}" ${fields} for ${firstFew(ids)}: ${ids.length === 1 ? "its" : "their"} ${language} letter uses the ${defaultLanguage} value (or the first written)`,
      hint: `add ${language}: … to ${fields.includes(",") ? "each of these fields" : "that field"}`,
    };
  });
}
