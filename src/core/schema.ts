// The shapes of outreach.yaml and of a recipient, as zod schemas: the single definition of what is valid.
import { z } from "zod";
import { DEFAULT_MAX_MESSAGE_SIZE, parseSize } from "./attachments.js";
import { isCountryCode } from "./countries.js";
import { LOCALIZED_FIELDS, type LocalizedField } from "./localized.js";
import {
  DURATION_PATTERN,
  dayProblem,
  describeForbiddenCharacter,
  grouped,
  RATE_PATTERN,
} from "./text-rules.js";

/** The most characters a one-line field holds: a long web address as a source, with room to spare. */
export const LINE_MAX = 2000;
/** The most characters a longer text (notes, a custom paragraph) holds. */
export const TEXT_MAX = 100_000;

/** Too long for its kind of field, said with both lengths (the text itself is never shown). */
function tooLong(value: string, most: number, kind: string): string | undefined {
  if (value.length <= most) return undefined;
  return `is ${grouped(value.length)} characters long, more than the ${grouped(most)} ${kind} holds`;
}

/** A one-line text: no line breaks, control or text-direction characters (these can smuggle mail headers). */
export const line = () =>
  z
    .string()
    .trim()
    .min(1, { error: "must not be empty" })
    .superRefine((value, ctx) => {
      const long = tooLong(value, LINE_MAX, "a one-line field");
      if (long) {
        ctx.addIssue({ code: "custom", message: long });
        return;
      }
      const found = describeForbiddenCharacter(value, false);
      if (found) ctx.addIssue({ code: "custom", message: `must be one line of text, but contains ${found}` });
    });

/** A longer text that may span lines (notes); still no control characters. */
const text = () =>
  z.string().superRefine((value, ctx) => {
    const long = tooLong(value, TEXT_MAX, "a text field");
    if (long) {
      ctx.addIssue({ code: "custom", message: long });
      return;
    }
    const found = describeForbiddenCharacter(value, true);
    if (found) ctx.addIssue({ code: "custom", message: `contains ${found}` });
  });

const ID_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const id = () =>
  z.string().regex(ID_PATTERN, {
    error: "must be 1 to 64 lower-case letters, digits, '-', '_' or '.', starting with a letter or digit",
  });

const slug = () =>
  z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, { error: "must be lower-case letters, digits, '-' or '_'" });

const LANGUAGE_PATTERN = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const language = () =>
  z.string().regex(LANGUAGE_PATTERN, { error: "must be a language code such as en, ru, fr or pt-BR" });

/**
 * A value written once, or once per language (`{ en: "Your Excellency,", fr: "Excellence," }`). The keys
 * are checked here rather than by the record, so that a wrong one is named as a language, not as a union.
 */
const localized = <T extends z.ZodType>(value: T) =>
  z.union([
    value,
    z.record(z.string(), value).superRefine((map, ctx) => {
      const languages = Object.keys(map);
      if (languages.length === 0)
        ctx.addIssue({ code: "custom", message: "must give the text for at least one language, like en: …" });
      for (const key of languages) {
        if (!LANGUAGE_PATTERN.test(key))
          ctx.addIssue({
            code: "custom",
            path: [key],
            message: `"${key}" is not a language code such as en, ru, fr or pt-BR`,
          });
      }
    }),
  ]);

/** An ISO 3166-1 alpha-2 code; the "did you mean" for a name is added where the templates' languages are known. */
const countryCode = () =>
  z
    .string()
    .trim()
    .superRefine((value, ctx) => {
      if (isCountryCode(value)) return;
      ctx.addIssue({
        code: "custom",
        message: `${JSON.stringify(value)} is not a country code: write the two-letter ISO 3166-1 code, like NO, FR or TJ`,
        params: { country: value },
      });
    });

// 254 characters: the most a mail server takes in an address (RFC 5321's path, less its brackets).
const email = () =>
  z
    .string()
    .max(254, { error: "is longer than the 254 characters an email address can have" })
    .pipe(z.email({ error: "must be one email address, like name@example.org (no display name, no list)" }));

const webUrl = () =>
  z.url({ protocol: /^https?$/, error: "must be a web address starting with https:// or http://" });

// A day the calendar has: the form alone would let 2012-02-30 through.
const isoDate = () =>
  z.string({ error: "must be a date written YYYY-MM-DD" }).check((context) => {
    const problem = dayProblem(context.value);
    if (problem) context.issues.push({ code: "custom", message: problem, input: context.value });
  });

/** How long a body is given to answer: days after the last letter, how many follow-ups, which days count. */
function answerWindowFields() {
  return {
    after_days: z.int().min(1).max(365).optional(),
    /** 0: never chased (a body that works confidentially is not failing to answer). */
    max: z.int().min(0).max(10).optional(),
    /** Count Monday to Friday only. */
    working_days: z.boolean().optional(),
  };
}

const CUSTOM_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
const customValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    text(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(customValue),
    z.record(z.string(), customValue),
  ]),
);

const contactSchema = z.strictObject({
  name: line().optional(),
  role: line().optional(),
  email: email(),
  cc: z.boolean().default(false),
});

const recipientFields = {
  id: id(),
  organisation: localized(line()),
  type: slug(),
  country: line().pipe(countryCode()).optional(),
  city: line().optional(),
  tags: z.array(slug()).default([]),
  language: language().optional(),
  salutation: localized(line()),
  honorific: localized(line()).optional(),
  complimentary_close: localized(line()).optional(),
  address_block: localized(z.array(line())).optional(),
  contacts: z.array(contactSchema).default([]),
  /** Files sent with this recipient's letters only, relative to the campaign folder. */
  attachments: z.array(line()).optional(),
  channels: z
    .strictObject({
      web_form: webUrl().optional(),
      post: z.array(line()).min(1).optional(),
      fax: line().optional(),
      phone: line().optional(),
    })
    .optional(),
  website: webUrl().optional(),
  provenance: z
    .strictObject({
      source: line().optional(),
      verified_on: isoDate().optional(),
      note: text().optional(),
    })
    .optional(),
  custom: z
    .record(
      z.string().regex(CUSTOM_KEY, { error: "must be letters, digits or '_', not starting with a digit" }),
      customValue,
    )
    .default({}),
  notes: text().optional(),
  /** This body's own answer window, over its type's and the campaign's. */
  followup: z.strictObject(answerWindowFields()).optional(),
};

/** What a recipient must be beyond each field's own rules (the fields already valid). */
function recipientRules(recipient: {
  contacts?: readonly { cc?: boolean }[];
}): { path: string[]; message: string }[] {
  const contacts = recipient.contacts ?? [];
  if (contacts.length > 0 && contacts.every((contact) => contact.cc === true)) {
    return [
      {
        path: ["contacts"],
        message: "every contact is marked cc: true, so the letter would have no main addressee",
      },
    ];
  }
  return [];
}

export const recipientSchema = z
  .strictObject(recipientFields)
  .superRefine((recipient, ctx) => {
    for (const { path, message } of recipientRules(recipient))
      ctx.addIssue({ code: "custom", path, message });
  })
  .transform(splitTranslations);

/** A schema's verdict (valid or not) on a value, remembered where the value is text. */
type Verdict = (value: unknown) => boolean;

/** Whether `value` is a mapping as YAML, JSON or a table gives one (no class, no `__proto__` of its own). */
function isPlainMapping(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return (prototype === Object.prototype || prototype === null) && !Object.hasOwn(value, "__proto__");
}

/**
 * `schema`'s verdict, reached part by part where the schema is only the sum of its parts: a list by its
 * items, a strict mapping by its fields, a record by its keys and values, an optional or defaulted value
 * by its inner schema; any other schema (text with its refinements, a union, a list with a length rule)
 * is asked itself, and its verdict on a text it has seen is remembered. A value that is not plain data
 * (not a list, nor a plain mapping) is given to the schema whole.
 */
function verdictOf(schema: z.ZodType): Verdict {
  const whole = (value: unknown) => schema.safeParse(value).success;
  const def = schema._zod.def as {
    type: string;
    checks?: unknown[];
    element?: z.ZodType;
    shape?: Record<string, z.ZodType>;
    catchall?: z.ZodType;
    keyType?: z.ZodType;
    valueType?: z.ZodType;
    innerType?: z.ZodType;
  };
  const plain = (def.checks ?? []).length === 0;
  if (def.type === "optional" || def.type === "default") {
    const inner = verdictOf(def.innerType as z.ZodType);
    const absent = whole(undefined);
    return (value) => (value === undefined ? absent : inner(value));
  }
  if (def.type === "array" && plain && def.element) {
    const item = verdictOf(def.element);
    return (value) => {
      if (!Array.isArray(value)) return whole(value);
      // By index, as the schema reads a list: a hole is an item that is undefined (every() would skip it).
      for (let index = 0; index < value.length; index++) if (!item(value[index])) return false;
      return true;
    };
  }
  if (def.type === "object" && plain && def.shape && def.catchall?._zod.def.type === "never") {
    const fields = Object.entries(def.shape).map(([key, field]) => ({ key, verdict: verdictOf(field) }));
    const known = new Set(Object.keys(def.shape));
    return (value) => {
      if (!isPlainMapping(value)) return whole(value);
      for (const key of Object.keys(value)) if (!known.has(key)) return false;
      return fields.every(({ key, verdict }) => verdict(value[key]));
    };
  }
  if (def.type === "record" && plain && def.keyType && def.valueType) {
    const key = verdictOf(def.keyType);
    const item = verdictOf(def.valueType);
    return (value) => {
      if (!isPlainMapping(value)) return whole(value);
      for (const name of Object.keys(value)) if (!key(name) || !item(value[name])) return false;
      return true;
    };
  }
  const seen = new Map<string, boolean>();
  return (value) => {
    if (typeof value !== "string") return whole(value);
    let valid = seen.get(value);
    if (valid === undefined) {
      valid = whole(value);
      seen.set(value, valid);
    }
    return valid;
  };
}

const FIELD_NAMES = new Set(Object.keys(recipientFields));
const FIELD_VERDICTS = Object.entries(recipientFields).map(([key, schema]: [string, z.ZodType]) => ({
  key,
  verdict: verdictOf(schema),
}));

/**
 * recipientSchema's verdict (valid or not) on `value`, reached field by field: each field's own schema and
 * then recipientRules, as the schema itself does. Each field's verdict is reached part by part down to its
 * texts (see verdictOf), and a verdict on a text is remembered, so that a list's type, salutation, tags and
 * provenance, the same on thousands of rows, are checked once, and a row's new address or custom text is
 * checked alone, not with the whole list or mapping it is in. Only the verdict: for the problems
 * themselves, validate with recipientSchema.
 */
export function isValidRecipient(value: Record<string, unknown>): boolean {
  for (const key in value) if (!FIELD_NAMES.has(key)) return false;
  for (const field of FIELD_VERDICTS) if (!field.verdict(value[field.key])) return false;
  return recipientRules(value as { contacts?: { cc?: boolean }[] }).length === 0;
}

type Translations = { [F in LocalizedField]?: Record<string, F extends "address_block" ? string[] : string> };

/**
 * A recipient as the rest of outreach sees it: each localized field holds one value (the first written), so
 * that whatever shows an organisation shows one name; the values per language are kept in `translations`,
 * for the letters (see localizeRecipient).
 */
function splitTranslations<R extends { [F in LocalizedField]?: unknown }>(recipient: R) {
  const translations: Record<string, unknown> = {};
  let single: Record<string, unknown> = recipient;
  for (const field of LOCALIZED_FIELDS) {
    const value = recipient[field];
    if (value === undefined || typeof value === "string" || Array.isArray(value)) continue;
    if (single === recipient) single = { ...recipient };
    translations[field] = value;
    single[field] = Object.values(value as object)[0];
  }
  type Single = Omit<R, LocalizedField> & {
    organisation: string;
    salutation: string;
    honorific?: string;
    complimentary_close?: string;
    address_block?: string[];
  };
  return (
    Object.keys(translations).length > 0 ? { ...single, translations: translations as Translations } : single
  ) as Single & { translations?: Translations };
}

export type Recipient = z.output<typeof recipientSchema>;

const selectionSchema = z.strictObject({
  types: z.array(slug()).optional(),
  tags: z.array(slug()).optional(),
  ids: z.array(id()).optional(),
  countries: z.array(line().pipe(countryCode())).optional(),
});

export const campaignSchema = z.strictObject({
  id: id(),
  subject: localized(line()),
  template: z.string().regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, {
    error: "must be a template name under templates/, like appeal or letters/appeal (no extension)",
  }),
  date: isoDate().optional(),
  select: selectionSchema.extend({ exclude: selectionSchema.optional() }).optional(),
  attachments: z.array(line()).default([]),
  signatories: z
    .array(
      z.strictObject({
        name: line(),
        role: line().optional(),
        organisation: line().optional(),
        city: line().optional(),
      }),
    )
    .default([]),
  followup: z
    .strictObject({
      ...answerWindowFields(),
      after_days: answerWindowFields().after_days.default(14),
      max: answerWindowFields().max.default(2),
      working_days: z.boolean().default(false),
      /** Windows per kind of body (the recipient's `type`), each narrowing the campaign's. */
      by_type: z.record(slug(), z.strictObject(answerWindowFields())).optional(),
      template: z.string().optional(),
      /** The follow-up's subject; without it, "Re: " and the appeal's subject. */
      subject: localized(line()).optional(),
    })
    .default({ after_days: 14, max: 2, working_days: false }),
});

export type Campaign = z.output<typeof campaignSchema>;

const rate = () =>
  z.string().regex(RATE_PATTERN, {
    error: 'must be a rate of at least one letter per period, like "20/minute", "2/second" or "300/hour"',
  });

const duration = () =>
  z.string().regex(DURATION_PATTERN, { error: 'must be a duration like "500ms", "2s" or "1m"' });

const size = () =>
  z.string().refine((value) => parseSize(value) > 0, { error: 'must be a size like "35MB" or "500kB"' });

const smtpSchema = z.strictObject({
  host: line(),
  port: z.int().min(1).max(65535).optional(),
  security: z.enum(["tls", "starttls", "none"], {
    error:
      "must be tls (implicit TLS, usually port 465), starttls (usually 587) or none (a local relay only)",
  }),
  user: line().optional(),
  /** A file holding only the password; outside the campaign folder is fine (and better). */
  password_file: line().optional(),
});

const imapSchema = z.strictObject({
  host: line(),
  port: z.int().min(1).max(65535).optional(),
  security: z
    .enum(["tls", "starttls", "none"], {
      error:
        "must be tls (implicit TLS, usually port 993), starttls (usually 143) or none (this machine only)",
    })
    .default("tls"),
  user: line(),
  /** A file holding only the password; outside the campaign folder is fine (and better). */
  password_file: line().optional(),
  /** The folders `inbox` reads; a Junk folder is commonly added. */
  folders: z.array(line()).min(1).default(["INBOX"]),
  /** The folder each letter sent by SMTP is also appended to, e.g. Sent. */
  save_sent: line().optional(),
});

const transportSchema = z.strictObject({
  smtp: smtpSchema.optional(),
  imap: imapSchema.optional(),
  rate: rate().optional(),
  connections: z.int().min(1).max(16).default(4),
  retries: z.int().min(0).max(10).default(3),
  retry_delay: duration().default("2s"),
  /** Letters larger than this once encoded are refused before anything is sent. */
  max_message_size: size().default(DEFAULT_MAX_MESSAGE_SIZE),
  /** The wait for each of the server's answers before the message (default 30s); see smtp.ts. */
  timeout: duration().optional(),
  /** The wait for the server's answer after the message (default 10m). */
  data_timeout: duration().optional(),
});

export const configSchema = z.strictObject({
  sender: z.strictObject({
    name: line(),
    email: email(),
    reply_to: email().optional(),
    organisation: line().optional(),
  }),
  defaults: z
    .strictObject({
      language: language().default("en"),
      stale_after_days: z.int().min(1).default(365),
    })
    .default({ language: "en", stale_after_days: 365 }),
  transport: transportSchema.default({
    connections: 4,
    retries: 3,
    retry_delay: "2s",
    max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
  }),
  campaigns: z.array(campaignSchema).min(1, { error: "must list at least one campaign" }),
});

export type Config = z.output<typeof configSchema>;

/**
 * Where a password may end up by mistake (pasted into `port:` or `password_file:`): values under these paths
 * are never repeated in an error, and never cached.
 */
export function isSecretBearing(path: readonly PropertyKey[]): boolean {
  return path[0] === "transport";
}
export type Sender = Config["sender"];

/** The part of `schema` that validates the value at `path`, if it can be found. */
export function schemaAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let current: unknown = schema;
  for (const segment of path) {
    current = unwrap(current);
    if (current instanceof z.ZodObject) current = current.shape[String(segment)];
    else if (current instanceof z.ZodArray) current = current.element;
    else if (current instanceof z.ZodRecord) current = current.valueType;
    else return undefined;
    if (current === undefined) return undefined;
  }
  return current as z.ZodType;
}

/** Every key an object in these schemas accepts, for "did you mean" hints on unknown keys. */
export function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const current = unwrap(schemaAt(schema, path));
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

/**
 * The schema under optional, default and pipe wrappers. Of a union, the option that is an object (for
 * paths and keys), or with `firstOption` the first (the simplest form, for showing how a value is written).
 */
function unwrap(schema: unknown, firstOption = false): unknown {
  let current = schema;
  for (;;) {
    if (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodDefault ||
      current instanceof z.ZodNullable
    ) {
      current = current.unwrap();
    } else if (current instanceof z.ZodPipe) {
      current = current.in;
    } else if (current instanceof z.ZodLazy) {
      current = current.unwrap();
    } else if (current instanceof z.ZodUnion && firstOption) {
      current = current.options[0];
    } else if (current instanceof z.ZodUnion) {
      current = current.options.find((option) => unwrap(option) instanceof z.ZodObject) ?? current.options[0];
      if (current === undefined) return undefined;
      if (!(unwrap(current) instanceof z.ZodObject)) return current;
    } else {
      return current;
    }
  }
}

/**
 * How a value of `schema` is written, for hints on a wrong shape: `[{ email: … }]` for a list of contacts,
 * `{ web_form: … }` for a mapping, `…` for text. A list or mapping shows its first required key.
 */
export function exampleOf(schema: z.ZodType | undefined): string {
  const current = unwrap(schema, true);
  if (current instanceof z.ZodArray) return `[${exampleOf(current.element as z.ZodType)}]`;
  if (current instanceof z.ZodObject) {
    const keys = Object.entries(current.shape as Record<string, z.ZodType>);
    const [key] = keys.find(([, field]) => !field.safeParse(undefined).success) ?? keys[0] ?? ["name"];
    return `{ ${key}: … }`;
  }
  if (current instanceof z.ZodRecord) return "{ name: … }";
  if (current instanceof z.ZodBoolean) return "true";
  if (current instanceof z.ZodNumber) return "14";
  return "…";
}

/** What a value of `schema` is, in a word: "a list", "a mapping", or undefined for text and the like. */
export function kindOf(schema: z.ZodType | undefined): string | undefined {
  const current = unwrap(schema, true);
  if (current instanceof z.ZodArray) return "a list";
  if (current instanceof z.ZodObject || current instanceof z.ZodRecord) return "a mapping";
  return undefined;
}

/**
 * The fields one level down that accept `key` (`email` → contacts, `web_form` → channels), for an unknown
 * key that belongs inside another field.
 */
export function fieldsHolding(schema: z.ZodType, path: readonly PropertyKey[], key: string): string[] {
  const current = unwrap(schemaAt(schema, path));
  if (!(current instanceof z.ZodObject)) return [];
  return Object.entries(current.shape as Record<string, z.ZodType>)
    .filter(([, field]) => {
      let inner = unwrap(field, true);
      if (inner instanceof z.ZodArray) inner = unwrap(inner.element, true);
      return inner instanceof z.ZodObject && key in inner.shape;
    })
    .map(([name]) => name);
}
