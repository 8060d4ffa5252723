// Recipients as loaded from their files, and the checks that span files: unique ids, unique addresses,
// stale provenance, recipients that cannot be reached at all.
import type { Problem } from "./problems.js";
import type { Recipient } from "./schema.js";

/** A validated recipient and where it was written, so later problems can point at it. */
export interface RecipientEntry {
  recipient: Recipient;
  file: string;
  line: number;
  /** The recipient's place in its file when the file holds a list. */
  index?: number;
  /** The key of that list, when the file holds defaults beside it ("recipients"). */
  list?: string;
  /**
   * Positions of the fields that cross-file checks point at, keyed by field path (`id`, `contacts[0].email`),
   * each one number (fieldPosition): two arrays a recipient were 13 MB of the 82 MB a plan of 100,000 holds.
   */
  at: Record<string, number>;
}

/** Columns of a line up to this many fit in a field's position; a file is at most 16 MB, so every one does. */
const COLUMNS = 2 ** 24;

/** A field's line and column (both from 1) as one number, for RecipientEntry.at. */
export function fieldPosition(line: number, column: number): number {
  return line * COLUMNS + Math.min(column, COLUMNS - 1);
}

/** The line and column fieldPosition made one number of. */
function lineAndColumn(position: number): { line: number; column: number } {
  return { line: Math.floor(position / COLUMNS), column: position % COLUMNS };
}

/** Where a field of a recipient was written, and its path as the user sees it (`[2].contacts[0].email`). */
export function where(
  entry: RecipientEntry,
  field?: string,
): { file: string; line: number; column?: number; field?: string } {
  const position = field ? entry.at[field] : undefined;
  const shownField =
    field === undefined
      ? undefined
      : entry.index === undefined
        ? field
        : `${entry.list ?? ""}[${entry.index}].${field}`;
  return position !== undefined
    ? { file: entry.file, ...lineAndColumn(position), field: shownField }
    : { file: entry.file, line: entry.line, field: shownField };
}

export function describeLocation(entry: RecipientEntry, field?: string): string {
  const at = where(entry, field);
  return `${at.file}:${at.line}`;
}

export function crossCheckRecipients(entries: readonly RecipientEntry[]): Problem[] {
  // Found by sorting, not with a Map by id and one by address: two Maps of 100,000 entries are 14 MB left
  // for the collector, where the sorted indexes are 1 MB. Each problem is found as the Maps found it (the
  // first holder of an id or an address is the one named) and reported in the same order: by recipient, its
  // id first, then its contacts.
  const ids = entries.map((entry) => entry.recipient.id);
  const owners: number[] = [];
  const slots: number[] = [];
  const emails: string[] = [];
  entries.forEach((entry, owner) => {
    entry.recipient.contacts.forEach((contact, slot) => {
      owners.push(owner);
      slots.push(slot);
      emails.push(contact.email.toLowerCase());
    });
  });
  const found: { owner: number; slot: number; problem: Problem }[] = [];
  eachRepeat(ids, (first, later) => {
    const entry = entries[later] as RecipientEntry;
    const holder = entries[first] as RecipientEntry;
    found.push({
      owner: later,
      slot: -1,
      problem: {
        severity: "error",
        ...where(entry, "id"),
        message: `the id "${entry.recipient.id}" is already used at ${describeLocation(holder, "id")}`,
        hint: "give each recipient its own id",
      },
    });
  });
  eachRepeat(emails, (first, later) => {
    const owner = owners[later] as number;
    const slot = slots[later] as number;
    const entry = entries[owner] as RecipientEntry;
    const seen = entries[owners[first] as number] as RecipientEntry;
    const email = (entry.recipient.contacts[slot] as { email: string }).email;
    found.push({
      owner,
      slot,
      problem:
        seen !== entry
          ? {
              severity: "error",
              ...where(entry, `contacts[${slot}].email`),
              message: `${email} is also the address of "${seen.recipient.id}" (${describeLocation(seen, `contacts[${slots[first]}].email`)})`,
              hint: "one address must belong to one recipient, or it would get the letter twice; merge the two or remove one address",
            }
          : {
              severity: "error",
              ...where(entry, `contacts[${slot}].email`),
              message: `${email} is listed twice for this recipient`,
              hint: "remove the second contact",
            },
    });
  });
  found.sort((a, b) => a.owner - b.owner || a.slot - b.slot);
  return found.map(({ problem }) => problem);
}

/**
 * Calls `repeat(first, later)` for each value of `values` seen before: `later` its index, `first` the
 * index of its first occurrence. Values compare by their UTF-16 code units.
 */
function eachRepeat(values: readonly string[], repeat: (first: number, later: number) => void): void {
  const order = new Uint32Array(values.length);
  for (let index = 0; index < order.length; index++) order[index] = index;
  order.sort((a, b) => {
    const x = values[a] as string;
    const y = values[b] as string;
    return x < y ? -1 : x > y ? 1 : a - b;
  });
  let first = 0;
  for (let at = 0; at < order.length; at++) {
    const index = order[at] as number;
    if (at > 0 && values[index] === values[order[at - 1] as number]) repeat(first, index);
    else first = index;
  }
}

// Past this many stale recipients in one file, one warning for the file says it better than one per recipient.
const STALE_PER_FILE = 3;

/** The day a recipient's letters are dated, by its id; undefined for one no campaign selects. */
export interface LetterDates {
  get(id: string): Date | undefined;
}

/**
 * `letterDates` gives the day a recipient's letters are dated (see plan.ts); staleness counts back from it,
 * and from `now` for a recipient no campaign selects.
 */
export function recipientWarnings(
  entries: readonly RecipientEntry[],
  now: Date,
  staleAfterDays: number,
  letterDates: LetterDates = new Map(),
): Problem[] {
  const problems: Problem[] = [];
  const staleByFile = new Map<string, RecipientEntry[]>();
  for (const entry of entries) {
    const { recipient } = entry;
    const verifiedOn = recipient.provenance?.verified_on;
    const dated = letterDates.get(recipient.id) ?? now;
    if (verifiedOn && Date.parse(`${verifiedOn}T00:00:00Z`) < dated.getTime() - staleAfterDays * 86_400_000) {
      const stale = staleByFile.get(entry.file) ?? [];
      stale.push(entry);
      staleByFile.set(entry.file, stale);
    }
    if (!hasEmail(recipient) && !otherChannels(recipient).length) {
      problems.push({
        severity: "warning",
        ...where(entry),
        message: `"${recipient.id}" has no email contact and no other channel (web_form, post, fax)`,
        hint: "add a contact with an email, or a channel the letter can be delivered through",
      });
    }
  }
  const hint = "check the contact details against the source and update verified_on";
  const before = (entry: RecipientEntry) => {
    const dated = letterDates.get(entry.recipient.id);
    const day = dated?.toISOString().slice(0, 10);
    return day && day !== now.toISOString().slice(0, 10) ? `before the letter's date (${day})` : "ago";
  };
  for (const stale of staleByFile.values()) {
    if (stale.length <= STALE_PER_FILE) {
      for (const entry of stale) {
        problems.push({
          severity: "warning",
          ...where(entry, "provenance.verified_on"),
          message: `"${entry.recipient.id}" was last verified on ${entry.recipient.provenance?.verified_on}, more than ${staleAfterDays} days ${before(entry)}`,
          hint,
        });
      }
      continue;
    }
    const ids = stale.map((entry) => entry.recipient.id);
    problems.push({
      severity: "warning",
      ...where(stale[0] as RecipientEntry, "provenance.verified_on"),
      message: `${stale.length} recipients in this file were last verified more than ${staleAfterDays} days ${before(stale[0] as RecipientEntry)}: ${ids.slice(0, 4).join(", ")}${ids.length > 4 ? ", …" : ""}`,
      hint,
    });
  }
  return problems;
}

export function hasEmail(recipient: Recipient): boolean {
  return recipient.contacts.length > 0;
}

export function otherChannels(recipient: Recipient): string[] {
  const channels = recipient.channels;
  if (!channels) return [];
  const names: string[] = [];
  if (channels.web_form) names.push("web form");
  if (channels.post) names.push("post");
  if (channels.fax) names.push("fax");
  if (channels.phone) names.push("phone");
  return names;
}

/** How to deliver a letter to a recipient without email, in a few words: "web form https://…". */
export function otherChannelHint(recipient: Recipient): string {
  const channels = recipient.channels;
  if (channels?.web_form) return `web form ${channels.web_form}`;
  if (channels?.post) return `post to ${channels.post.join(", ")}`;
  if (channels?.fax) return `fax ${channels.fax}`;
  if (channels?.phone) return `phone ${channels.phone}`;
  return "no channel";
}
