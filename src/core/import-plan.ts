// What an import does beside the recipients already in the folder: a recipient with the same id or one of
// the same addresses is never overwritten, only skipped and listed, or with --update changed field by field.
// New recipients get an id that is stable from one import to the next: the organisation's, made readable.
import {
  checkDraft,
  type ImportedGroup,
  organisationKey,
  type RecipientDraft,
  type Refusal,
  SINGLE_VALUED,
  slugOf,
} from "./import-rows.js";
import { withFields } from "./objects.js";
import { describeLocation, type RecipientEntry } from "./recipients.js";
import type { Recipient } from "./schema.js";

export interface Change {
  /** Where in the recipient: ["salutation"], ["contacts", 1, "name"], ["contacts", "-"] to add a contact. */
  path: (string | number)[];
  from?: unknown;
  to: unknown;
}

export interface Match {
  id: string;
  rows: number[];
  entry: RecipientEntry;
  /** Why it is the same recipient: "the same id", "the same address x@…". */
  because: string;
}

export interface PlannedUpdate extends Match {
  changes: Change[];
}

export interface ImportPlan {
  created: { id: string; draft: RecipientDraft; rows: number[] }[];
  /** Already in the folder; left as they are (without --update). */
  skipped: Match[];
  /** With --update: the recipients changed, each with its changes. */
  updated: PlannedUpdate[];
  /** With --update: already in the folder and already the same. */
  unchanged: Match[];
  refused: Refusal[];
}

const MAX_ID = 60;

export function planImport(
  groups: readonly ImportedGroup[],
  existing: readonly RecipientEntry[],
  options: { update: boolean },
): ImportPlan {
  const plan: ImportPlan = { created: [], skipped: [], updated: [], unchanged: [], refused: [] };
  const byId = new Map(existing.map((entry) => [entry.recipient.id, entry]));
  const byAddress = new Map<string, RecipientEntry>();
  for (const entry of existing) {
    for (const contact of entry.recipient.contacts) byAddress.set(contact.email.toLowerCase(), entry);
  }
  const taken = new Set(byId.keys());
  for (const group of groups) {
    const matches = new Map<RecipientEntry, string>();
    for (const contact of group.draft.contacts ?? []) {
      const entry = byAddress.get(contact.email.toLowerCase());
      if (entry && !matches.has(entry)) matches.set(entry, `the same address ${contact.email}`);
    }
    let id = group.id;
    if (id !== undefined) {
      const entry = byId.get(id);
      if (entry && !matches.has(entry)) matches.set(entry, "the same id");
    } else {
      id = freeId(group.draft, taken, byId, matches);
    }
    const distinct = [...matches];
    if (distinct.length > 1) {
      const which = distinct.map(
        ([entry, because]) => `"${entry.recipient.id}" (${describeLocation(entry)}, ${because})`,
      );
      for (const row of group.rows) {
        plan.refused.push({
          row,
          reason: `matches ${distinct.length} recipients already in the folder: ${which.join(" and ")}; merge them first, or fix the row`,
        });
      }
      continue;
    }
    const [match] = distinct;
    if (!match) {
      taken.add(id);
      plan.created.push({ id, draft: { id, ...group.draft }, rows: group.rows });
      continue;
    }
    const [entry, because] = match;
    const found: Match = { id: entry.recipient.id, rows: group.rows, entry, because };
    if (!options.update) {
      plan.skipped.push(found);
      continue;
    }
    const changes = changesTo(entry.recipient, group.draft);
    if (changes.length === 0) {
      plan.unchanged.push(found);
      continue;
    }
    const problems = checkDraft(applyChanges(entry.recipient, changes), entry.recipient.id);
    if (problems.length > 0) {
      for (const row of group.rows) {
        plan.refused.push({
          row,
          reason: `updating "${entry.recipient.id}" would make it invalid: ${problems.map((problem) => `${problem.field ?? ""} ${problem.message}`.trim()).join("; ")}`,
        });
      }
      continue;
    }
    plan.updated.push(withFields(found, { changes }));
  }
  return plan;
}

/**
 * The organisation's slug, or when another body in the folder or this import has it, the slug with -2,
 * -3…; the same body (same organisation or address) keeps it, so that importing the list again finds it.
 */
function freeId(
  draft: RecipientDraft,
  taken: Set<string>,
  byId: Map<string, RecipientEntry>,
  matches: Map<RecipientEntry, string>,
): string {
  const base = baseId(draft);
  for (let suffix = 1; ; suffix++) {
    const candidate = suffix === 1 ? base : `${base}-${suffix}`;
    const entry = byId.get(candidate);
    if (
      entry &&
      (matches.has(entry) ||
        organisationKey(entry.recipient.organisation) === organisationKey(draft.organisation))
    ) {
      if (!matches.has(entry)) matches.set(entry, "the same organisation and id");
      return candidate;
    }
    if (!taken.has(candidate)) return candidate;
  }
}

function baseId(draft: RecipientDraft): string {
  let slug = slugOf(draft.organisation);
  if (slug.length < 2) {
    // An organisation written without Latin letters: named by its first address instead.
    const email = draft.contacts?.[0]?.email ?? "";
    slug = slugOf(email.replace("@", " at ")) || "recipient";
  }
  if (slug.length <= MAX_ID) return slug;
  const cut = slug.slice(0, MAX_ID);
  return cut.includes("-") ? cut.slice(0, cut.lastIndexOf("-")) : cut;
}

/** What the import would change in a recipient already in the folder; nothing is taken away. */
export function changesTo(recipient: Recipient, draft: RecipientDraft): Change[] {
  const changes: Change[] = [];
  const current = recipient as unknown as Record<string, unknown>;
  const differs = (a: unknown, b: unknown) => JSON.stringify(a) !== JSON.stringify(b);
  for (const field of SINGLE_VALUED) {
    // A value given per language (salutation: { en: …, fr: … }) is not replaced by the one text a cell holds.
    const perLanguage =
      typeof current[field] === "object" && current[field] !== null && !Array.isArray(current[field]);
    if (draft[field] !== undefined && !perLanguage && differs(draft[field], current[field])) {
      changes.push({ path: [field], from: current[field], to: draft[field] });
    }
  }
  const tags = [...new Set([...recipient.tags, ...((draft.tags as string[] | undefined) ?? [])])];
  if (tags.length > recipient.tags.length) changes.push({ path: ["tags"], from: recipient.tags, to: tags });
  for (const group of ["channels", "custom"] as const) {
    const mine = (draft[group] ?? {}) as Record<string, unknown>;
    const theirs = (recipient[group] ?? {}) as Record<string, unknown>;
    for (const [key, value] of Object.entries(mine)) {
      if (differs(value, theirs[key])) changes.push({ path: [group, key], from: theirs[key], to: value });
    }
  }
  for (const contact of draft.contacts ?? []) {
    const index = recipient.contacts.findIndex(
      (other) => other.email.toLowerCase() === contact.email.toLowerCase(),
    );
    const existing = recipient.contacts[index];
    if (!existing) {
      changes.push({ path: ["contacts", "-"], to: contact });
      continue;
    }
    for (const key of ["name", "role"] as const) {
      if (contact[key] !== undefined && contact[key] !== existing[key]) {
        changes.push({ path: ["contacts", index, key], from: existing[key], to: contact[key] });
      }
    }
    if ((contact.cc ?? false) !== existing.cc) {
      changes.push({ path: ["contacts", index, "cc"], from: existing.cc, to: contact.cc ?? false });
    }
  }
  if (changes.length === 0) return changes;
  // Checked again against the list: the provenance moves with the fields that changed.
  const provenance = (draft.provenance ?? {}) as Record<string, unknown>;
  const theirs = (recipient.provenance ?? {}) as Record<string, unknown>;
  for (const key of ["source", "verified_on"]) {
    if (provenance[key] !== undefined && provenance[key] !== theirs[key]) {
      changes.push({ path: ["provenance", key], from: theirs[key], to: provenance[key] });
    }
  }
  return changes;
}

/** The recipient with the changes made, as plain data (what the file will hold). */
export function applyChanges(recipient: Recipient, changes: readonly Change[]): Record<string, unknown> {
  const copy = structuredClone(recipient) as unknown as Record<string, unknown>;
  for (const { path, to } of changes) {
    let target = copy as Record<string | number, unknown>;
    for (const segment of path.slice(0, -1)) {
      target[segment] ??= {};
      target = target[segment] as Record<string | number, unknown>;
    }
    const last = path.at(-1) as string | number;
    if (last === "-") (target as unknown as unknown[]).push(to);
    else target[last] = to;
  }
  return copy;
}
