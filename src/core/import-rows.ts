// Rows of an imported list become recipients: each row is read into the fields of one recipient and
// checked with the recipient schema `check` uses; rows that share an organisation (or an id from --id-from)
// become one recipient with several contacts. A row that cannot be imported is refused with its number,
// column and reason, and never stops the others.
import { countryName, isCountryCode, suggestCountryCode } from "./countries.js";
import type { ColumnPlan, ImportField } from "./import-columns.js";
import type { Table, TableRow } from "./import-table.js";
import { withFields } from "./objects.js";
import type { Problem } from "./problems.js";
import { isValidRecipient, knownKeys, recipientSchema } from "./schema.js";
import { showText } from "./text-rules.js";
import { type Located, validate } from "./validation.js";

export interface ImportSettings {
  /** --type, --language, --salutation: for rows whose cell is empty. */
  type?: string;
  language?: string;
  salutation?: string;
  /** --tag: added to every recipient. */
  tags: readonly string[];
  /** provenance.source and verified_on unless a column gives them. */
  source: string;
  today: string;
}

export interface Refusal {
  row: number;
  /** The line of a text file where the reader found the row malformed. */
  line?: number;
  column?: string;
  reason: string;
}

type Contact = { name?: string; role?: string; email: string; cc?: boolean };

/** A recipient as it will be written: fields in the order of the schema, empty ones left out. */
export type RecipientDraft = Record<string, unknown> & { organisation: string; contacts?: Contact[] };

export interface ImportedGroup {
  draft: RecipientDraft;
  /** The id a column gave (--id-from); otherwise one is made from the organisation. */
  id?: string;
  rows: number[];
}

export interface RowsResult {
  groups: ImportedGroup[];
  refused: Refusal[];
  /** Country names read as codes: "Norway" → NO. */
  countries: Map<string, string>;
}

interface RowRead {
  draft: RecipientDraft;
  /** The column each field path came from, to point a problem at its cell. */
  columnOf: Map<string, number>;
}

const NO_SOURCE: Located = { file: "", locate: () => undefined, sourceAt: () => undefined };
/** The fields a recipient holds one value of (a later row of the same body must agree with the first). */
export const SINGLE_VALUED = [
  "organisation",
  "type",
  "country",
  "language",
  "salutation",
  "honorific",
  "complimentary_close",
  "address_block",
  "website",
  "notes",
] as const;

/** `onRow` is told of each row as it is taken up (for a progress line); it never changes the result. */
export function importRows(
  table: Table,
  plan: ColumnPlan,
  settings: ImportSettings,
  onRow?: () => void,
): RowsResult {
  const result: RowsResult = { groups: [], refused: [], countries: new Map() };
  const byKey = new Map<string, ImportedGroup>();
  const rowOfAddress = new Map<string, number>();
  const idColumn = [...plan.fields].find(([, field]) => field === "id")?.[0];
  for (const row of table.rows) {
    onRow?.();
    const refuse = (reason: string, column?: number, line?: number) =>
      result.refused.push({
        row: row.number,
        ...(line !== undefined ? { line } : {}),
        ...(column !== undefined ? { column: table.columns[column] || `column ${column + 1}` } : {}),
        reason,
      });
    // A fault in a column left out does not matter, unless nothing of the row could be read.
    const faults = row.faults.filter(
      (fault) => fault.column === undefined || plan.fields.has(fault.column) || row.values.length === 0,
    );
    if (faults.length > 0) {
      for (const fault of faults) refuse(fault.reason, fault.column, fault.line);
      continue;
    }
    const read = readRow(row, plan, settings, result.countries);
    if ("refusals" in read) {
      for (const refusal of read.refusals) refuse(refusal.reason, refusal.column);
      continue;
    }
    const id = idColumn === undefined ? undefined : (read.draft.id as string | undefined);
    if (idColumn !== undefined && !id) {
      // Ids come from that column: a row without one is never given a made-up id silently.
      refuse(
        "the id is empty: fill it in, or import without an id column to make ids from the organisation",
        idColumn,
      );
      continue;
    }
    const problems = checkDraft(read.draft, id);
    if (problems.length > 0) {
      for (const problem of problems) {
        const column = problem.field === undefined ? undefined : columnFor(read.columnOf, problem.field);
        const named = column === undefined && problem.field ? `${problem.field} ` : "";
        refuse(`${named}${problem.message}${flagHint(problem.field, column)}`, column);
      }
      continue;
    }
    const duplicate = duplicateAddress(read, rowOfAddress);
    if (duplicate) {
      refuse(duplicate.reason, duplicate.column);
      continue;
    }
    const key = id ?? organisationKey(read.draft.organisation);
    const group = byKey.get(key);
    if (group) {
      const conflict = conflictWith(group, read);
      if (conflict) {
        refuse(conflict.reason, conflict.column);
        continue;
      }
      merge(group, read.draft, row.number);
    } else {
      const created: ImportedGroup = { draft: read.draft, rows: [row.number], ...(id ? { id } : {}) };
      byKey.set(key, created);
      result.groups.push(created);
    }
    for (const contact of read.draft.contacts ?? [])
      rowOfAddress.set(contact.email.toLowerCase(), row.number);
  }
  return result;
}

/** The schema's verdict on a draft, with an id that is valid when the id is still to be made. */
export function checkDraft(draft: Record<string, unknown>, id: string | undefined): Problem[] {
  const value = withFields(draft, { id: id ?? "imported" });
  if (isValidRecipient(value)) return [];
  const checked = validate(recipientSchema, value, NO_SOURCE);
  return checked.ok ? [] : checked.problems;
}

function flagHint(field: string | undefined, column: number | undefined): string {
  if (column !== undefined || !field || !["type", "salutation"].includes(field)) return "";
  return ` (give it a column, or --${field} for rows without one)`;
}

function columnFor(columnOf: Map<string, number>, field: string): number | undefined {
  for (let path = field; path !== ""; path = path.replace(/(\.[^.[]+|\[\d+\])$/, "")) {
    const column = columnOf.get(path);
    if (column !== undefined) return column;
    if (!/[.[]/.test(path)) break;
  }
  return undefined;
}

export function organisationKey(organisation: string): string {
  return organisation.normalize("NFKC").trim().replace(/\s+/g, " ").toLowerCase();
}

/** Lower-case words joined by "-", accents dropped: "Permanent Mission of Côte d'Ivoire" → permanent-mission-of-cote-d-ivoire. */
export function slugOf(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

type Cell = { text: string; column: number };
type Cells = Map<ImportField, Cell[]>;
type CellRefusal = { column?: number; reason: string };

/** The row's text per field, and its custom values as they are; a formula or a mapping is refused. */
function readCells(row: TableRow, plan: ColumnPlan, refusals: CellRefusal[], columnOf: Map<string, number>) {
  const cells: Cells = new Map();
  const custom: Record<string, unknown> = {};
  const formula = /^=\s*[A-Za-z_]+\s*\(/;
  for (const [column, field] of plan.fields) {
    const value = row.values[column];
    if (field.startsWith("custom.")) {
      const kept = customValue(value);
      if (typeof kept === "string" && formula.test(kept)) {
        refusals.push({ column, reason: formulaReason(kept) });
      } else if (kept !== undefined) {
        custom[field.slice("custom.".length)] = kept;
        columnOf.set(field, column);
      }
      continue;
    }
    const text = cellText(value);
    if (text === undefined) refusals.push({ column, reason: `holds a mapping, where ${field} is text` });
    else if (formula.test(text)) refusals.push({ column, reason: formulaReason(text) });
    else if (text !== "") {
      const earlier = cells.get(field);
      if (earlier) earlier.push({ text, column });
      else cells.set(field, [{ text, column }]);
    }
  }
  return { cells, custom };
}

function readRow(
  row: TableRow,
  plan: ColumnPlan,
  settings: ImportSettings,
  countries: Map<string, string>,
): RowRead | { refusals: CellRefusal[] } {
  const refusals: CellRefusal[] = [];
  const columnOf = new Map<string, number>();
  const { cells, custom } = readCells(row, plan, refusals, columnOf);
  const draft: RecipientDraft = { organisation: "" };
  const set = (field: string, value: unknown, cell: Cell | undefined) => {
    if (value === undefined) return;
    draft[field] = value;
    if (cell) columnOf.set(field, cell.column);
  };
  for (const field of [
    "id",
    "organisation",
    "salutation",
    "honorific",
    "complimentary_close",
    "website",
    "notes",
  ] as const) {
    const cell = cells.get(field)?.[0];
    set(field, cell?.text, cell);
  }
  const type = cells.get("type")?.[0];
  set("type", type ? repeatedSlug(type.text) || type.text : settings.type, type);
  const language = cells.get("language")?.[0];
  set("language", language ? languageCode(language.text) : settings.language, language);
  if (draft.salutation === undefined) set("salutation", settings.salutation, undefined);
  const country = cells.get("country")?.[0];
  if (country) {
    const read = readCountry(country.text, draft.language as string | undefined);
    if ("reason" in read) refusals.push({ column: country.column, reason: read.reason });
    else {
      if (read.code !== country.text) countries.set(country.text, read.code);
      set("country", read.code, country);
    }
  }
  const tags = tagsOf(cells.get("tags"), settings.tags);
  if (tags.length > 0) set("tags", tags, cells.get("tags")?.[0]);
  const addressBlock = cells.get("address_block")?.[0];
  set("address_block", addressBlock && linesOf(addressBlock.text), addressBlock);
  const channels = readChannels(cells, columnOf);
  if (channels) draft.channels = channels;
  const contacts = readContacts(cells, refusals, columnOf);
  if (contacts.length > 0) draft.contacts = contacts;
  else if (!channels && refusals.length === 0) {
    const emailColumn = [...plan.fields].find(([, field]) => field === "email")?.[0];
    const reason = "the email is empty, and there is no web form, post or fax to write to instead";
    refusals.push(emailColumn !== undefined ? { column: emailColumn, reason } : { reason });
  }
  draft.provenance = readProvenance(cells, settings, columnOf);
  if (Object.keys(custom).length > 0) draft.custom = custom;
  if (refusals.length > 0) return { refusals };
  return { draft: ordered(draft), columnOf };
}

function linesOf(text: string): string[] {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim())
    .filter(Boolean);
}

function readChannels(cells: Cells, columnOf: Map<string, number>): Record<string, unknown> | undefined {
  let channels: Record<string, unknown> | undefined;
  for (const channel of ["web_form", "post", "fax", "phone"] as const) {
    const cell = cells.get(channel)?.[0];
    if (!cell) continue;
    channels ??= {};
    channels[channel] = channel === "post" ? linesOf(cell.text) : cell.text;
    columnOf.set(`channels.${channel}`, cell.column);
  }
  return channels;
}

function readProvenance(
  cells: Cells,
  settings: ImportSettings,
  columnOf: Map<string, number>,
): { source: string; verified_on: string } {
  const source = cells.get("source")?.[0];
  const verified = cells.get("verified_on")?.[0];
  if (source) columnOf.set("provenance.source", source.column);
  if (verified) columnOf.set("provenance.verified_on", verified.column);
  return { source: source?.text ?? settings.source, verified_on: verified?.text ?? settings.today };
}

// Slugs of text a list repeats on every row (its types, its tags cells, --tag), made once.
const slugs = new Map<string, string>();
const tagsRead = new Map<string, string[]>();

function repeatedSlug(text: string): string {
  let slug = slugs.get(text);
  if (slug === undefined) {
    slug = slugOf(text);
    slugs.set(text, slug);
  }
  return slug;
}

/** The tags of the row's tags cells and of --tag, as slugs, each once. */
function tagsOf(cells: readonly Cell[] | undefined, given: readonly string[]): string[] {
  const tags: string[] = [];
  for (const { text } of cells ?? []) {
    let read = tagsRead.get(text);
    if (!read) {
      read = text
        .split(/[,;|\n]/)
        .map(repeatedSlug)
        .filter(Boolean);
      tagsRead.set(text, read);
    }
    tags.push(...read);
  }
  for (const tag of given) {
    const slug = repeatedSlug(tag);
    if (slug) tags.push(slug);
  }
  return tags.length > 1 ? [...new Set(tags)] : tags;
}

// The order of the fields in a recipient file: the schema's.
const ORDER = knownKeys(recipientSchema, []);

function ordered(draft: RecipientDraft): RecipientDraft {
  const out: Record<string, unknown> = {};
  for (const key of ORDER) if (draft[key] !== undefined && draft[key] !== "") out[key] = draft[key];
  return out as RecipientDraft;
}

function readContacts(cells: Cells, refusals: CellRefusal[], columnOf: Map<string, number>): Contact[] {
  const contacts: Contact[] = [];
  const person = {
    name:
      cells.get("name")?.[0]?.text ??
      ([cells.get("first_name")?.[0]?.text, cells.get("last_name")?.[0]?.text].filter(Boolean).join(" ") ||
        undefined),
    role: cells.get("role")?.[0]?.text,
  };
  const add = (field: "email" | "cc") => {
    for (const { text, column } of cells.get(field) ?? []) {
      const addresses = /[\s,;]/.test(text)
        ? text.split(/[\s,;]+/).filter((part) => part.includes("@"))
        : [text];
      if (addresses.length > 1) {
        refusals.push({
          column,
          reason: `holds ${addresses.length} addresses (${addresses.join(", ")}): one address per cell`,
        });
        continue;
      }
      const index = contacts.length;
      const first = field === "email" && !contacts.some((contact) => !contact.cc);
      // Built a key at a time, in the order a contact is written (see objects.ts).
      const contact: Contact = {} as Contact;
      if (first && person.name) contact.name = person.name;
      if (first && person.role) contact.role = person.role;
      contact.email = text;
      if (field === "cc") contact.cc = true;
      contacts.push(contact);
      columnOf.set(`contacts[${index}].email`, column);
      columnOf.set(`contacts[${index}]`, column);
    }
  };
  add("email");
  add("cc");
  return contacts;
}

function cellText(value: unknown): string | undefined {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value.trim();
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value) && value.every((item) => item === null || typeof item !== "object")) {
    return value.filter((item) => item !== null && item !== "").join("; ");
  }
  return undefined;
}

/** What a custom field keeps: JSON values as they are, text trimmed; nothing for an empty cell. */
function customValue(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value.trim() === "" ? undefined : value.trim();
  return value;
}

function formulaReason(text: string): string {
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return `is a formula (${shown}), not a value: export the values, or copy and paste them as values`;
}

/** "EN" → en, "pt-br" → pt-BR: the case language codes are written in; the schema judges the rest. */
function languageCode(text: string): string {
  return text
    .split("-")
    .map((part, index) => (index === 0 ? part.toLowerCase() : part.length === 2 ? part.toUpperCase() : part))
    .join("-");
}

// Names equal but for case, accents and punctuation ("cote d'ivoire" is Côte d’Ivoire).
const SAME_NAME = new Intl.Collator("en", { sensitivity: "base", ignorePunctuation: true });

const countriesRead = new Map<string, { code: string } | { reason: string }>();

/** A country code, or a country's name as ICU writes it in English or the row's language; no guesses. */
function readCountry(text: string, language: string | undefined): { code: string } | { reason: string } {
  const key = `${text}\u0000${language ?? ""}`;
  let read = countriesRead.get(key);
  if (!read) {
    read = lookUpCountry(text, language ? [language] : []);
    countriesRead.set(key, read);
  }
  return read;
}

function lookUpCountry(text: string, languages: string[]): { code: string } | { reason: string } {
  const upper = text.trim().toUpperCase();
  if (isCountryCode(upper)) return { code: upper };
  const suggestion = suggestCountryCode(text, languages);
  const exact =
    suggestion !== undefined &&
    (/^[A-Za-z]{2}$/.test(text.trim()) ||
      ["en", ...languages].some(
        (language) => SAME_NAME.compare(countryName(suggestion, language) ?? "", text.trim()) === 0,
      ));
  if (suggestion && exact) return { code: suggestion };
  return {
    reason: `${showText(text)} is not a country code (ISO 3166-1, like NO or TJ)${
      suggestion ? `: did you mean ${suggestion} (${countryName(suggestion, "en")})?` : ""
    }`,
  };
}

function duplicateAddress(
  read: RowRead,
  rowOfAddress: Map<string, number>,
): { reason: string; column?: number } | undefined {
  const inRow = new Set<string>();
  for (const [index, contact] of (read.draft.contacts ?? []).entries()) {
    const key = contact.email.toLowerCase();
    const column = read.columnOf.get(`contacts[${index}].email`);
    const earlier = rowOfAddress.get(key);
    if (earlier !== undefined) {
      return {
        reason: `duplicate: ${contact.email} is already in row ${earlier}`,
        ...(column !== undefined ? { column } : {}),
      };
    }
    if (inRow.has(key))
      return {
        reason: `${contact.email} is written twice in this row`,
        ...(column !== undefined ? { column } : {}),
      };
    inRow.add(key);
  }
  return undefined;
}

/** A later row of the same body must agree with the first on what a body has only one of. */
function conflictWith(group: ImportedGroup, read: RowRead): { reason: string; column?: number } | undefined {
  const first = group.draft;
  const later = read.draft;
  const compare = (path: string, mine: unknown, theirs: unknown) => {
    if (mine === undefined || theirs === undefined) return undefined;
    if (JSON.stringify(mine) === JSON.stringify(theirs)) return undefined;
    const column = read.columnOf.get(path);
    return {
      reason: `row ${group.rows[0]} gives the same ${group.id ? "id" : "organisation"} ${path} ${shown(theirs)}, this row ${shown(mine)}`,
      ...(column !== undefined ? { column } : {}),
    };
  };
  for (const field of SINGLE_VALUED) {
    const conflict = compare(field, later[field], first[field]);
    if (conflict) return conflict;
  }
  for (const group of ["channels", "custom"] as const) {
    const mine = (later[group] ?? {}) as Record<string, unknown>;
    const theirs = (first[group] ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(mine)) {
      const conflict = compare(`${group}.${key}`, mine[key], theirs[key]);
      if (conflict) return conflict;
    }
  }
  const source = compare(
    "provenance.source",
    (later.provenance as { source?: string } | undefined)?.source,
    (first.provenance as { source?: string } | undefined)?.source,
  );
  return source;
}

function shown(value: unknown): string {
  return typeof value === "string" ? showText(value) : JSON.stringify(value);
}

/** Adds a later row's contacts, tags, channels and custom fields; the oldest verified_on holds for all. */
function merge(group: ImportedGroup, later: RecipientDraft, row: number): void {
  const draft = group.draft;
  group.rows.push(row);
  const contacts = [...(draft.contacts ?? []), ...(later.contacts ?? [])];
  if (contacts.length > 0) draft.contacts = contacts;
  const tags = [...new Set([...((draft.tags as string[]) ?? []), ...((later.tags as string[]) ?? [])])];
  if (tags.length > 0) draft.tags = tags;
  for (const key of ["channels", "custom"] as const) {
    if (later[key]) draft[key] = withFields((draft[key] as object) ?? {}, later[key] as object) as never;
  }
  for (const field of SINGLE_VALUED) {
    if (draft[field] === undefined && later[field] !== undefined) draft[field] = later[field] as never;
  }
  const provenance = draft.provenance as { verified_on?: string } | undefined;
  const laterDay = (later.provenance as { verified_on?: string } | undefined)?.verified_on;
  if (provenance && laterDay && (provenance.verified_on === undefined || laterDay < provenance.verified_on)) {
    draft.provenance = withFields(provenance, { verified_on: laterDay });
  }
  group.draft = ordered(draft);
}
