// Countries as ISO 3166-1 alpha-2 codes, with their names in any language from Node's own ICU data
// (Intl.DisplayNames): which codes are countries, a code's name in a letter's language, and the code a
// mistyped or spelled-out country ("Norway", "Norvège", "UK") most likely means. No hand-written name table.
import { closest, distance } from "fastest-levenshtein";

// Codes ICU names that ISO 3166-1 does not assign to a country: exceptionally reserved codes (Ascension,
// Clipperton, Sark, Diego Garcia, Ceuta & Melilla, Canary Islands, Tristan da Cunha, the EU, the eurozone, the UN).
const EXCEPTIONALLY_RESERVED = new Set(["AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "TA", "UN"]);
// User-assigned codes (AA, QM–QZ, XA–XZ, ZZ) are private, except XK: Kosovo, as the EU, the OSCE and most
// registries write it, and as ICU names it.
const USER_ASSIGNED = /^(AA|Q[M-Z]|X[A-Z]|ZZ)$/;
const KOSOVO = "XK";

const displayNames = new Map<string, Intl.DisplayNames>();

function namesIn(language: string, style: "long" | "short" = "long"): Intl.DisplayNames {
  const key = `${language}|${style}`;
  let names = displayNames.get(key);
  if (!names) {
    names = new Intl.DisplayNames([language, "en"], { type: "region", style, fallback: "none" });
    displayNames.set(key, names);
  }
  return names;
}

/** The current code a deprecated one stands for (UK → GB, SU → RU, YU → RS), or the code itself. */
function canonicalCode(code: string): string {
  try {
    return new Intl.Locale(`und-${code}`).region ?? code;
  } catch {
    return code;
  }
}

const validity = new Map<string, boolean>();

/** Whether `code` is an ISO 3166-1 alpha-2 country code as written in a recipient file (upper case). */
export function isCountryCode(code: string): boolean {
  if (!/^[A-Z]{2}$/.test(code)) return false;
  let valid = validity.get(code);
  if (valid === undefined) {
    valid =
      !EXCEPTIONALLY_RESERVED.has(code) &&
      (code === KOSOVO || !USER_ASSIGNED.test(code)) &&
      canonicalCode(code) === code &&
      namesIn("en").of(code) !== undefined;
    validity.set(code, valid);
  }
  return valid;
}

let allCodes: readonly string[] | undefined;

/** Every country code, AA..ZZ filtered by isCountryCode: computed once, only when a name must be looked up. */
export function countryCodes(): readonly string[] {
  if (!allCodes) {
    const codes: string[] = [];
    for (let first = 65; first <= 90; first++)
      for (let second = 65; second <= 90; second++) {
        const code = String.fromCharCode(first, second);
        if (isCountryCode(code)) codes.push(code);
      }
    allCodes = codes;
  }
  return allCodes;
}

/** The country's name in `language` ("NO", "fr" → "Norvège"), English when ICU lacks that language. */
export function countryName(code: string, language: string): string | undefined {
  if (!isCountryCode(code)) return undefined;
  try {
    return namesIn(language).of(code);
  } catch {
    return namesIn("en").of(code);
  }
}

/** A name reduced to what a person means by it: lower case, no accents, punctuation as spaces. */
function nameKey(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

const nameTables = new Map<string, Map<string, string>>();

/** Name key → code for one language, long and short names ("united kingdom", "uk" → GB). */
function nameTable(language: string): Map<string, string> {
  let table = nameTables.get(language);
  if (!table) {
    table = new Map();
    for (const style of ["long", "short"] as const) {
      let names: Intl.DisplayNames;
      try {
        names = namesIn(language, style);
      } catch {
        continue;
      }
      for (const code of countryCodes()) {
        const name = names.of(code);
        if (name && !table.has(nameKey(name))) table.set(nameKey(name), code);
      }
    }
    nameTables.set(language, table);
  }
  return table;
}

/**
 * The country code `input` most likely means, for "did you mean": the code in upper case ("no" → NO), the
 * current code for a deprecated one (UK → GB), or a country's name in English or one of `languages`, exactly
 * or nearly ("Norway", "Norvège", "Norwey" → NO). Undefined when nothing is close.
 */
export function suggestCountryCode(input: string, languages: readonly string[] = []): string | undefined {
  const upper = input.trim().toUpperCase();
  if (isCountryCode(upper)) return upper;
  if (/^[A-Z]{2}$/.test(upper)) {
    const current = canonicalCode(upper);
    if (current !== upper && isCountryCode(current)) return current;
  }
  const key = nameKey(input);
  if (!key) return undefined;
  // Each language's names are gathered only when the ones before did not hold the name exactly.
  const tables: Map<string, string>[] = [];
  for (const language of new Set(["en", ...languages])) {
    const table = nameTable(language);
    const code = table.get(key);
    if (code) return code;
    tables.push(table);
  }
  return nearestName(key, tables) ?? containedName(key, tables);
}

/** The code of the name nearest `key` by edit distance, if it is a typo away ("norwey" → NO). */
function nearestName(key: string, tables: readonly Map<string, string>[]): string | undefined {
  const limit = Math.max(1, Math.floor(key.length / 4));
  let best: { code: string; distance: number } | undefined;
  for (const table of tables) {
    const name = closest(key, [...table.keys()]);
    const away = distance(key, name);
    if (away <= limit && (!best || away < best.distance))
      best = { code: table.get(name) ?? "", distance: away };
  }
  return best?.code || undefined;
}

/** The code of the longest name `key` holds as whole words ("republic of tajikistan" → TJ). */
function containedName(key: string, tables: readonly Map<string, string>[]): string | undefined {
  const padded = ` ${key} `;
  let best: { code: string; length: number } | undefined;
  for (const table of tables)
    for (const [name, code] of table)
      if (name.length >= 4 && padded.includes(` ${name} `) && (!best || name.length > best.length))
        best = { code, length: name.length };
  return best?.code;
}
