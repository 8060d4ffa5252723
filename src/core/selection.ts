// Which recipients a campaign addresses: by type, tag, id or country (a union), minus exclusions.

import { EXIT, UserError } from "../errors.js";
import { isCountryCode, suggestCountryCode } from "./countries.js";
import type { Problem } from "./problems.js";
import type { RecipientEntry } from "./recipients.js";
import type { Campaign } from "./schema.js";
import { choiceHint, didYouMean } from "./suggest.js";
import { showText } from "./text-rules.js";

export interface Selection {
  selected: RecipientEntry[];
  problems: Problem[];
}

type Criteria = { types?: string[]; tags?: string[]; ids?: string[]; countries?: string[] };

function matches(entry: RecipientEntry, criteria: Criteria): boolean {
  const { recipient } = entry;
  return (
    (criteria.types?.includes(recipient.type) ?? false) ||
    (criteria.ids?.includes(recipient.id) ?? false) ||
    (recipient.country !== undefined && (criteria.countries?.includes(recipient.country) ?? false)) ||
    (criteria.tags?.some((tag) => recipient.tags.includes(tag)) ?? false)
  );
}

/**
 * `configFile` and `campaignIndex` let problems point at the selection in outreach.yaml.
 * Unknown ids are errors (a typo would silently drop an addressee); types and tags that match nothing are warnings.
 */
export function selectRecipients(
  entries: readonly RecipientEntry[],
  campaign: Campaign,
  locate: (path: PropertyKey[]) => { line: number; column: number } | undefined,
  configFile: string,
  campaignIndex: number,
): Selection {
  const problems: Problem[] = [];
  const select = campaign.select;
  // Each set of what the recipients hold is made when a criterion of its kind is checked (most campaigns
  // select by one kind, or none: all recipients).
  const collect: Record<keyof Criteria, () => Set<string>> = {
    ids: () => new Set(entries.map((entry) => entry.recipient.id)),
    types: () => new Set(entries.map((entry) => entry.recipient.type)),
    tags: () => new Set(entries.flatMap((entry) => entry.recipient.tags)),
    countries: () => new Set(entries.flatMap((entry) => entry.recipient.country ?? [])),
  };
  const knownSets: Partial<Record<keyof Criteria, Set<string>>> = {};
  const known = (kind: keyof Criteria): Set<string> => {
    knownSets[kind] ??= collect[kind]();
    return knownSets[kind];
  };
  const checkCriteria = (criteria: Criteria | undefined, basePath: PropertyKey[]) => {
    if (!criteria) return;
    for (const kind of ["ids", "types", "tags", "countries"] as const) {
      criteria[kind]?.forEach((value, index) => {
        if (known(kind).has(value)) return;
        const path = ["campaigns", campaignIndex, ...basePath, kind, index];
        const suggestion = didYouMean(value, [...known(kind)]);
        problems.push({
          severity: kind === "ids" ? "error" : "warning",
          file: configFile,
          ...locate(path),
          field: `campaigns[${campaignIndex}].${[...basePath, kind].join(".")}[${index}]`,
          message: `no recipient has the ${kind === "countries" ? "country" : kind.slice(0, -1)} ${showText(value)}`,
          hint: suggestion ? `did you mean "${suggestion}"?` : undefined,
        });
      });
    }
  };
  checkCriteria(select, ["select"]);
  checkCriteria(select?.exclude, ["select", "exclude"]);

  const hasCriteria = Boolean(
    select?.ids?.length || select?.types?.length || select?.tags?.length || select?.countries?.length,
  );
  const selected = entries.filter(
    (entry) =>
      (!hasCriteria || matches(entry, select as Criteria)) &&
      !(select?.exclude && matches(entry, select.exclude)),
  );
  return { selected, problems };
}

export interface Filters {
  type?: string[];
  tag?: string[];
  country?: string[];
}

/**
 * The `--type` / `--tag` / `--country` filters of listing commands: several values of one flag are
 * alternatives (OR), different flags must all hold (AND). A value no recipient in the folder has is a typo,
 * never an empty list: wrong usage (exit 2) with "did you mean". A country is a code in any case (no, NO).
 */
export function filterRecipients<T>(
  items: readonly T[],
  entryOf: (item: T) => RecipientEntry,
  filters: Filters,
  folder: readonly RecipientEntry[],
): T[] {
  // What the folder's recipients hold, gathered only for a flag given (most runs give none).
  const known = {
    type: () => [...new Set(folder.map((entry) => entry.recipient.type))].sort(),
    tag: () => [...new Set(folder.flatMap((entry) => entry.recipient.tags))].sort(),
    country: () => [...new Set(folder.flatMap((entry) => entry.recipient.country ?? []))].sort(),
  };
  const countries = filters.country?.length ? known.country() : [];
  const country = (filters.country ?? []).map((value) => countryFilter(value, countries));
  for (const flag of ["type", "tag"] as const) {
    const values = filters[flag] ?? [];
    const held = values.length ? known[flag]() : [];
    for (const value of values) {
      if (held.includes(value)) continue;
      throw new UserError(`no recipient has the ${flag} ${showText(value)} (--${flag})`, {
        exitCode: EXIT.usage,
        hint: choiceHint(value, held),
      });
    }
  }
  const { type = [], tag = [] } = filters;
  return items.filter((item) => {
    const { recipient } = entryOf(item);
    return (
      (type.length === 0 || type.includes(recipient.type)) &&
      (tag.length === 0 || tag.some((wanted) => recipient.tags.includes(wanted))) &&
      (country.length === 0 || (recipient.country !== undefined && country.includes(recipient.country)))
    );
  });
}

/** The code a --country value stands for, if some recipient has it; wrong usage otherwise. */
function countryFilter(value: string, known: readonly string[]): string {
  const code = value.trim().toUpperCase();
  if (known.includes(code)) return code;
  if (!isCountryCode(code)) {
    const suggestion = suggestCountryCode(value);
    throw new UserError(`"${value}" is not a country code (--country)`, {
      exitCode: EXIT.usage,
      hint: suggestion
        ? `did you mean ${suggestion}? (a two-letter ISO 3166-1 code)`
        : "write the two-letter ISO 3166-1 code, like NO or FR",
    });
  }
  throw new UserError(`no recipient has the country ${code} (--country)`, {
    exitCode: EXIT.usage,
    hint: choiceHint(code, known),
  });
}
