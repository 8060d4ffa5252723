// The shapes of outreach.yaml and of a recipient, as zod schemas: the single definition of what is valid.
import { z } from "zod";
import { DEFAULT_MAX_MESSAGE_SIZE, parseSize } from "./attachments.js";
import { isCountryCode } from "./countries.js";
import { LOCALIZED_FIELDS, type LocalizedField } from "./localized.js";
import { withFields } from "./objects.js";
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

/**
 * For a text schema whose rules are a few plain tests, those tests written out: the schema's output for a
 * value they pass, or undefined where the schema must be asked. parserOf uses them for the texts of a list
 * that do not recur (ids, names, addresses), which zod would otherwise check one by one at a far greater
 * cost; test/recipient-verdict.test.ts holds them to the schema's own verdict and output.
 */
const textTests = new WeakMap<z.ZodType, (value: unknown) => string | undefined>();
function withTextTest<T extends z.ZodType>(schema: T, test: (value: unknown) => string | undefined): T {
  textTests.set(schema, test);
  return schema;
}

/** A one-line text: no line breaks, control or text-direction characters (these can smuggle mail headers). */
export const line = () =>
  withTextTest(
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
        if (found)
          ctx.addIssue({ code: "custom", message: `must be one line of text, but contains ${found}` });
      }),
    (value) => {
      if (typeof value !== "string") return undefined;
      const trimmed = value.trim();
      if (trimmed.length === 0 || trimmed.length > LINE_MAX) return undefined;
      return describeForbiddenCharacter(trimmed, false) === undefined ? trimmed : undefined;
    },
  );

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
  withTextTest(
    z.string().regex(ID_PATTERN, {
      error: "must be 1 to 64 lower-case letters, digits, '-', '_' or '.', starting with a letter or digit",
    }),
    (value) => (typeof value === "string" && ID_PATTERN.test(value) ? value : undefined),
  );

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
const email = () => {
  const address = z.email({
    error: "must be one email address, like name@example.org (no display name, no list)",
  });
  // The very pattern zod's email check tests.
  const pattern = (address._zod.def as { pattern?: RegExp }).pattern;
  return withTextTest(
    z
      .string()
      .max(254, { error: "is longer than the 254 characters an email address can have" })
      .pipe(address),
    (value) => {
      if (!pattern || typeof value !== "string" || value.length > 254) return undefined;
      pattern.lastIndex = 0;
      return pattern.test(value) ? value : undefined;
    },
  );
};

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

/** A recipient's fields, each valid by its own rules. */
const recipientObject = z.strictObject(recipientFields);

export const recipientSchema = recipientObject
  .superRefine((recipient, ctx) => {
    for (const { path, message } of recipientRules(recipient))
      ctx.addIssue({ code: "custom", path, message });
  })
  .transform(splitTranslations);

/** Said by a Parse when it cannot give the schema's output: the value is invalid, or the schema is asked. */
const ASK = Symbol("ask the schema");
/** A schema's output for a value, reached as the schema reaches it; ASK where it is not sure. */
type Parse = (value: unknown) => unknown;

/** Whether `value` is a mapping as YAML, JSON or a table gives one (no class, no `__proto__` or symbol key). */
function isPlainMapping(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return (
    (prototype === Object.prototype || prototype === null) &&
    !Object.hasOwn(value, "__proto__") &&
    Object.getOwnPropertySymbols(value).length === 0
  );
}

/**
 * The most texts whose output one schema remembers: a list's shared values recur well within it. When that
 * many have been remembered and fewer than one in ten asked for was found, the schema's texts do not recur
 * (ids, addresses, names) and it remembers no more.
 */
const REMEMBERED = 2048;

/**
 * `schema`'s output for a value, reached part by part where the schema is only the sum of its parts, and
 * put together as zod puts it together (zod's object, array and record parsers, for plain data and valid
 * parts): a list by its items, a strict mapping by its fields in the schema's order (a field written but
 * undefined kept, a default put in for a field left out), a record by its keys and values, an optional
 * or defaulted value by its inner schema. Any other schema (text with its refinements and transforms, a
 * union, a list with a length rule) is asked itself, and its output for a text it has seen recently is
 * remembered. ASK for anything invalid or not plain data: the caller then asks the whole schema, which
 * also says what is wrong, so ASK is never a wrong answer; only an output given here must be zod's own,
 * and the differential test (test/recipient-verdict.test.ts) holds it to that.
 */
function parserOf(schema: z.ZodType): Parse {
  const whole: Parse = (value) => {
    const result = schema.safeParse(value);
    return result.success ? result.data : ASK;
  };
  const def = schema._zod.def as {
    type: string;
    checks?: unknown[];
    element?: z.ZodType;
    shape?: Record<string, z.ZodType>;
    catchall?: z.ZodType;
    keyType?: z.ZodType;
    valueType?: z.ZodType;
    innerType?: z.ZodType;
    defaultValue?: unknown;
  };
  const plain = (def.checks ?? []).length === 0;
  const innerOptin = (def.innerType?._zod as { optin?: string } | undefined)?.optin;
  if (def.type === "optional" && def.innerType && innerOptin === undefined) {
    const inner = parserOf(def.innerType);
    return (value) => (value === undefined ? undefined : inner(value));
  }
  if (def.type === "default" && def.innerType) {
    const inner = parserOf(def.innerType);
    // A list or mapping is read anew each time (zod gives a fresh copy of it); a text, number or truth value
    // once (zod gives the value itself, and reading it costs as much as a field's parse).
    const first = def.defaultValue;
    const fixed = first === null || typeof first !== "object";
    const fallback = () => (fixed ? first : def.defaultValue);
    return (value) => {
      if (value === undefined) return fallback();
      const output = inner(value);
      return output === undefined ? fallback() : output;
    };
  }
  if (def.type === "array" && plain && def.element) {
    const item = parserOf(def.element);
    return (value) => {
      if (!Array.isArray(value)) return whole(value);
      // By index, as zod reads a list: a hole is an item that is undefined.
      const output = new Array(value.length);
      for (let index = 0; index < value.length; index++) {
        const one = item(value[index]);
        if (one === ASK) return ASK;
        output[index] = one;
      }
      return output;
    };
  }
  if (def.type === "object" && plain && def.shape && def.catchall?._zod.def.type === "never") {
    const fields = Object.entries(def.shape).map(([key, field]) => {
      const { optin, optout } = field._zod as { optin?: string; optout?: string };
      return { key, parse: parserOf(field), optin, optout };
    });
    const known = new Set(Object.keys(def.shape));
    return (value) => {
      if (!isPlainMapping(value)) return whole(value);
      for (const key in value) if (!known.has(key)) return ASK;
      const output: Record<string, unknown> = {};
      for (const { key, parse, optin, optout } of fields) {
        const present = key in value;
        // As zod's handlePropertyResult: a field left out that may be is left out.
        if (!present && optin === "optional" && optout === "optional") continue;
        if (!present && optin === undefined) return ASK;
        const one = parse(value[key]);
        if (one === ASK) return ASK;
        if (one !== undefined) output[key] = one;
        else if (present || (optin === "defaulted" && optout !== "optional")) output[key] = undefined;
      }
      return output;
    };
  }
  if (def.type === "record" && plain && def.keyType && def.valueType) {
    const keyOf = parserOf(def.keyType);
    const item = parserOf(def.valueType);
    return (value) => {
      if (!isPlainMapping(value)) return whole(value);
      const output: Record<string, unknown> = {};
      for (const name of Object.keys(value)) {
        const key = keyOf(name);
        if (typeof key !== "string" || key === "__proto__") return ASK;
        const one = item(value[name]);
        if (one === ASK) return ASK;
        output[key] = one;
      }
      return output;
    };
  }
  // A union gives the output of the first of its options that takes the value (as zod's union does).
  const options = (def as { options?: z.ZodType[] }).options;
  const plainUnion =
    def.type === "union" &&
    plain &&
    (def as { inclusive?: boolean }).inclusive !== false &&
    (def as { discriminator?: string }).discriminator === undefined;
  if (plainUnion && options?.[0]) {
    const first = parserOf(options[0]);
    return (value) => {
      const output = first(value);
      return output === ASK ? whole(value) : output;
    };
  }
  const test = textTests.get(schema);
  if (test) return (value) => test(value) ?? whole(value);
  let seen: Map<string, unknown> | undefined = new Map<string, unknown>();
  let asked = 0;
  let found = 0;
  return (value) => {
    if (typeof value !== "string" || !seen) return whole(value);
    let output = seen.get(value);
    asked++;
    if (output !== undefined) {
      found++;
      return output;
    }
    output = whole(value);
    // Only an output that cannot be changed is given out again (a text, or ASK).
    if (output !== null && typeof output === "object") return output;
    if (seen.size >= REMEMBERED) {
      // A field whose texts hardly recur (ids, addresses, names) is not remembered at all.
      if (found * 10 < asked) seen = undefined;
      else seen = new Map();
      return output;
    }
    seen.set(value, output);
    return output;
  };
}

const parseFields = parserOf(recipientObject);

/**
 * recipientSchema's output for `value` (what `recipientSchema.parse` gives), reached field by field and
 * part by part down to the texts (see parserOf), or undefined when the recipient is not valid or the
 * schema must be asked (then validate with recipientSchema, for the problems). The output of a text is
 * remembered, so that a list's type, country, tags and shared custom values are checked once, and a
 * recipient's own address or name is checked alone, not inside the whole schema.
 */
export function parseRecipient(value: unknown): Recipient | undefined {
  const fields = parseFields(value);
  if (fields === ASK || fields === undefined) return undefined;
  // The rest of recipientSchema: its rules, then its transform.
  if (recipientRules(fields as Parameters<typeof recipientRules>[0]).length > 0) return undefined;
  return splitTranslations(fields as z.output<typeof recipientObject>) as Recipient;
}

/** recipientSchema's verdict (valid or not) on `value`, as parseRecipient reaches it. */
export function isValidRecipient(value: Record<string, unknown>): boolean {
  return parseRecipient(value) !== undefined;
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
    Object.keys(translations).length > 0
      ? withFields(single, { translations: translations as Translations })
      : single
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
    .strictObject(
      withFields(answerWindowFields(), {
        after_days: answerWindowFields().after_days.default(14),
        max: answerWindowFields().max.default(2),
        working_days: z.boolean().default(false),
        /** Windows per kind of body (the recipient's `type`), each narrowing the campaign's. */
        by_type: z.record(slug(), z.strictObject(answerWindowFields())).optional(),
        template: z.string().optional(),
        /** The follow-up's subject; without it, "Re: " and the appeal's subject. */
        subject: localized(line()).optional(),
      }),
    )
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
