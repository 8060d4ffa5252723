// A recipient in the language of one letter: each field given per language (organisation, salutation, …)
// becomes the value for that language, chosen as templates are (pt-BR → pt → the default language).
import { forLanguage } from "./letter.js";
import type { Recipient } from "./schema.js";

/** The fields a recipient may give once per language; a letter uses the one for its language. */
export const LOCALIZED_FIELDS = [
  "organisation",
  "salutation",
  "honorific",
  "complimentary_close",
  "address_block",
] as const;
export type LocalizedField = (typeof LOCALIZED_FIELDS)[number];

/**
 * The recipient as a letter in `language` shows it (without `translations`), and the fields that had no
 * value for that language, so `check` can say who falls back to the default.
 */
export function localizeRecipient(
  recipient: Recipient,
  language: string,
  defaultLanguage: string,
): { recipient: Omit<Recipient, "translations">; fellBack: LocalizedField[] } {
  if (!recipient.translations) return { recipient, fellBack: [] };
  const { translations, ...plain } = recipient;
  const localized: Record<string, unknown> = { ...plain };
  const fellBack: LocalizedField[] = [];
  for (const field of LOCALIZED_FIELDS) {
    const values = translations[field];
    if (!values) continue;
    const byLanguage = new Map<string, unknown>(Object.entries(values));
    localized[field] = forLanguage(byLanguage, language, defaultLanguage);
    const primary = language.split("-")[0] ?? language;
    if (!byLanguage.has(language) && !byLanguage.has(primary)) fellBack.push(field);
  }
  return { recipient: localized as Omit<Recipient, "translations">, fellBack };
}
