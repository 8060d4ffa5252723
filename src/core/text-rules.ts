// Rules for text that hold without a schema library: what a one-line field may not contain, and the forms
// of a rate and a duration. Kept apart from schema.ts so that code which only renders or reports never
// loads zod.

// Characters that must never reach a mail header or a one-line field: C0/C1 controls, DEL,
// Unicode line separators and bidirectional overrides (they can disguise an address or a name).
const FORBIDDEN_IN_LINE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this regex's job
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/u;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this regex's job
const FORBIDDEN_IN_TEXT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

export function describeForbiddenCharacter(value: string, multiline: boolean): string | undefined {
  const match = (multiline ? FORBIDDEN_IN_TEXT : FORBIDDEN_IN_LINE).exec(value);
  if (!match) return undefined;
  const code = match[0].codePointAt(0) ?? 0;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  if (code === 0x0a || code === 0x0d) return `a line break (${hex})`;
  if (code >= 0x200e && code !== 0x2028 && code !== 0x2029)
    return `an invisible text-direction control (${hex})`;
  return `a control character (${hex})`;
}

/**
 * Names every JavaScript object inherits (toString, constructor, __proto__ …): never a field of the data, so
 * a key in a file may not be one, and a template may not use one.
 */
export const BUILT_IN_NAMES: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  "prototype",
]);

/** "20/minute", "1/second", "300/hour": letters started per period. */
export const RATE_PATTERN = /^([1-9]\d*) *\/ *(s|sec|second|m|min|minute|h|hour)$/;

/** "500ms", "2s", "1m". */
export const DURATION_PATTERN = /^(\d+) *(ms|s|m)$/;

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this regex's job
const UNSHOWABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/gu;

/** A value quoted for an error message, with line breaks and invisible characters written as \u{…}. */
export function showText(value: string): string {
  return `"${printable(value.length > 80 ? `${value.slice(0, 80)}…` : value)}"`;
}

/**
 * Text made safe to print on one line of a terminal: line breaks, escape sequences and every other
 * control or invisible character written out as \u{…}, so no value can forge a line or move the cursor.
 * `keepLineBreaks` keeps \n for text laid out in lines by someone else (a library's message).
 */
export function printable(text: string, options: { keepLineBreaks?: boolean } = {}): string {
  return text.replace(UNSHOWABLE, (character) =>
    options.keepLineBreaks && character === "\n"
      ? character
      : `\\u{${(character.codePointAt(0) ?? 0).toString(16).toUpperCase()}}`,
  );
}

export const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** What is wrong with a calendar day written YYYY-MM-DD: its form, or a day the calendar does not have. */
export function dayProblem(value: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return "must be a date written YYYY-MM-DD";
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12) return `${value} is not a day: there is no month ${match[2]}`;
  const days = daysIn(year, month);
  if (day < 1 || day > days) {
    return `${value} is not a day: ${MONTHS[month - 1]} ${year} has ${days} days`;
  }
  return undefined;
}

/**
 * What is wrong with a moment written the ISO way: a day (2012-08-15) or a day and time
 * (2012-08-15T09:30:00Z, with an optional offset); undefined when it is a real one.
 */
export function instantProblem(value: string): string | undefined {
  const match =
    /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):?(\d{2}))?)?$/.exec(
      value,
    );
  if (!match) return "must be an ISO date or time such as 2012-08-15 or 2012-08-15T09:30:00Z";
  const day = dayProblem(match[1] ?? "");
  if (day) return day;
  const [hour, minute, second, offsetHour, offsetMinute] = [2, 3, 4, 6, 7].map((group) =>
    Number(match[group] ?? 0),
  );
  if ((hour ?? 0) > 23 || (minute ?? 0) > 59 || (second ?? 0) > 59) {
    return `${value} is not a time: hours go to 23, minutes and seconds to 59`;
  }
  if ((offsetHour ?? 0) > 14 || (offsetMinute ?? 0) > 59) return `${value} has no such time-zone offset`;
  return undefined;
}

/** A duration already validated against DURATION_PATTERN, in milliseconds. */
export function durationMs(text: string): number {
  const match = DURATION_PATTERN.exec(text) as RegExpExecArray;
  const value = Number(match[1]);
  return match[2] === "ms" ? value : match[2] === "s" ? value * 1000 : value * 60_000;
}

/**
 * Text from the world (a reply's From name or Subject) made fit for a one-line field: line breaks and tabs
 * become spaces, other controls and text-direction overrides are dropped, so a message cannot forge a line
 * of the journal's output or disguise a name.
 */
const FORBIDDEN_EVERYWHERE = new RegExp(FORBIDDEN_IN_LINE.source, "gu");

export function oneLine(value: string): string {
  return value
    .replace(/[\r\n\t\u2028\u2029]+/g, " ")
    .replace(FORBIDDEN_EVERYWHERE, "")
    .trim();
}

/**
 * A count with its thousands grouped as en-GB writes them (10,000). A whole number is grouped here: the
 * first toLocaleString of a process loads ICU's number formats, which costs tens of milliseconds.
 */
export function grouped(count: number): string {
  if (!Number.isSafeInteger(count)) return count.toLocaleString("en-GB");
  return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
