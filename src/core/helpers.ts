// The Handlebars helpers a letter may use. Formatting follows the letter's language (`language` in the context).
import type { HelperDelegate, HelperOptions } from "handlebars";
import { countryName } from "./countries.js";
import { dayProblem } from "./text-rules.js";

const dateFormats = new Map<string, Intl.DateTimeFormat>();
// Most letters of a campaign format the same few dates; formatting is the costly part, so keep the results.
const formattedDates = new Map<string, string>();
const listFormats = new Map<string, Intl.ListFormat>();

function languageOf(options: HelperOptions): string {
  const language = (options.data as { root?: { language?: unknown } } | undefined)?.root?.language;
  return typeof language === "string" ? language : "en";
}

function formatDate(value: unknown, style: string, language: string): string {
  if (value === undefined || value === null) {
    throw Object.assign(new Error("the date helper got no date"), {
      hint: "the value is missing: for {{date campaign.date}}, add date: YYYY-MM-DD to the campaign in outreach.yaml",
    });
  }
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    throw new Error(`the date helper needs a date written YYYY-MM-DD, got ${JSON.stringify(value)}`);
  }
  const key = `${language}|${style}`;
  const memoKey = `${key}|${value}`;
  // Only a valid date is kept, so a known one needs no checking again.
  const known = formattedDates.get(memoKey);
  if (known !== undefined) return known;
  const impossible = dayProblem(value);
  if (impossible) throw new Error(`the date helper got ${impossible}`);
  let format = dateFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(language, {
      dateStyle: style as Intl.DateTimeFormatOptions["dateStyle"],
      timeZone: "UTC",
    });
    dateFormats.set(key, format);
  }
  const date = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) throw new Error(`the date helper got an impossible date: ${value}`);
  const formatted = format.format(date);
  formattedDates.set(memoKey, formatted);
  return formatted;
}

function listOf(value: unknown, helper: string): string[] {
  if (!Array.isArray(value))
    throw new Error(`the ${helper} helper needs a list, got ${JSON.stringify(value)}`);
  return value.map((item) => String(item));
}

/** The helpers by name; `paragraph` is added by the letter engine, which knows the partials. */
export const letterHelpers: Record<string, HelperDelegate> = {
  /** {{date campaign.date}} or {{date campaign.date "full"}}: a date in the letter's language. */
  date(value: unknown, ...rest: unknown[]) {
    const options = rest.pop() as HelperOptions;
    const style = typeof rest[0] === "string" ? rest[0] : "long";
    if (!["full", "long", "medium", "short"].includes(style)) {
      throw new Error(`the date helper's style must be full, long, medium or short, got "${style}"`);
    }
    return formatDate(value, style, languageOf(options));
  },
  /** {{join list}}: "A, B and C" in the letter's language; {{join list "; "}} with a separator. */
  join(value: unknown, ...rest: unknown[]) {
    const options = rest.pop() as HelperOptions;
    const items = listOf(value, "join");
    if (typeof rest[0] === "string") return items.join(rest[0]);
    const language = languageOf(options);
    let format = listFormats.get(language);
    if (!format) {
      format = new Intl.ListFormat(language, { type: "conjunction", style: "long" });
      listFormats.set(language, format);
    }
    return format.format(items);
  },
  /** {{country recipient.country}}: the country's name in the letter's language ("NO" → Norvège in French). */
  country(value: unknown, options: HelperOptions) {
    if (value === undefined || value === null) {
      throw Object.assign(new Error("the country helper got no country"), {
        hint: "give the recipient country: with its two-letter code (NO, FR), or guard it: {{#if recipient.country}}…{{/if}}",
      });
    }
    const name = typeof value === "string" ? countryName(value, languageOf(options)) : undefined;
    if (name === undefined)
      throw new Error(
        `the country helper needs a two-letter country code like NO, got ${JSON.stringify(value)}`,
      );
    return name;
  },
  /** {{lines recipient.address_block}}: one item per line. */
  lines(value: unknown) {
    return listOf(value, "lines").join("\n");
  },
  /** {{default recipient.honorific "Excellency"}}: the value, or the fallback when it is missing or empty. */
  default(value: unknown, fallback: unknown) {
    return value === undefined || value === null || value === "" ? fallback : value;
  },
};
