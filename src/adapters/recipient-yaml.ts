// Recipient files as import writes them: new recipients as a readable YAML list (one blank line between
// recipients, tags on one line), and changes to recipients already in a file made in place, touching only
// the lines that change so that the rest of the file (comments, layout, other recipients) stays as written.
import type { Node, YAMLMap, YAMLSeq } from "yaml";
import { isMapping, mergeDefaults } from "../core/file-defaults.js";
import type { Change } from "../core/import-plan.js";
import { withFields } from "../core/objects.js";
import { recipientSchema } from "../core/schema.js";
import { yamlLibrary } from "./yaml-library.js";

const OPTIONS = { lineWidth: 0, flowCollectionPadding: false } as const;

// The yaml package is loaded when first needed: a list of plain one-line text is written without it.
const yaml = yamlLibrary;

function stringify(value: unknown, options: import("yaml").ToStringOptions): string {
  return yaml().stringify(value, options);
}

/**
 * The text of a new recipient file holding `recipients`, under a comment saying where they came from. The
 * layout is the hand-written files' (block mappings, tags on one line, a blank line between recipients);
 * every scalar is written as the yaml package writes it, or plain when it is letters, digits and
 * punctuation no YAML reader takes for anything else. Rendered line by line: 10,000 recipients through
 * one yaml Document cost seconds.
 */
export function renderRecipientFile(recipients: readonly Record<string, unknown>[], comment: string): string {
  const scalars = new Map<string, string>();
  const lines = comment.split("\n").map((line) => `#${line}`);
  for (const recipient of recipients) {
    lines.push("");
    mappingLines(recipient, "  ", lines, scalars, "- ");
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The text of a new recipient file in the form with defaults: `defaults:` (the values every recipient
 * shares, once) and `recipients:` (each with what is its own), laid out as renderRecipientFile lays a list.
 */
export function renderRecipientFileWithDefaults(
  defaults: Record<string, unknown>,
  recipients: readonly Record<string, unknown>[],
  comment: string,
): string {
  const scalars = new Map<string, string>();
  const lines = comment.split("\n").map((line) => `#${line}`);
  if (Object.keys(defaults).length > 0) {
    lines.push("defaults:");
    mappingLines(defaults, "  ", lines, scalars);
    lines.push("");
  }
  lines.push("recipients:");
  recipients.forEach((recipient, index) => {
    if (index > 0) lines.push("");
    mappingLines(recipient, "    ", lines, scalars, "  - ");
  });
  return `${lines.join("\n")}\n`;
}

// Plain for every YAML reader: starts with a letter, holds no indicator (: # { } [ ] * & | > % ` ") and
// is none of the words YAML 1.1 reads as true, false or null. A day (2012-07-20) is written plain, as the
// yaml package writes it: YAML 1.2 reads it as text.
const SAFE_PLAIN = /^\p{L}[\p{L}\p{N} ,.'()/&+@_!?-]*(?<! )$/u;
const RESERVED = /^(y|n|yes|no|on|off|true|false|null)$/i;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

function scalarText(value: unknown, scalars: Map<string, string>): string {
  if (typeof value !== "string") {
    // Numbers, true, false and null as the yaml package writes them (it is loaded only for -0).
    if (typeof value === "number" && Number.isFinite(value) && !Object.is(value, -0)) return String(value);
    if (typeof value === "boolean" || value === null) return String(value);
    return stringify(value, OPTIONS).trimEnd();
  }
  let text = scalars.get(value);
  if (text === undefined) {
    text = (SAFE_PLAIN.test(value) && !RESERVED.test(value)) || DAY.test(value) ? value : oneLine(value);
    scalars.set(value, text);
  }
  return text;
}

/**
 * A one-line string as the yaml package writes it on a key's line. At the top of a document it writes some
 * ("---", "... x") as a block scalar, which on a key's line would break the file: those are double-quoted.
 */
function oneLine(value: string): string {
  const written = stringify(value, OPTIONS).replace(/\n$/, "");
  if (!written.includes("\n")) return written;
  return stringify(value, withFields(OPTIONS, { defaultStringType: "QUOTE_DOUBLE" as const })).replace(
    /\n$/,
    "",
  );
}

function isScalarValue(value: unknown): boolean {
  return (
    value === null || (typeof value !== "object" && !(typeof value === "string" && value.includes("\n")))
  );
}

function mappingLines(
  map: Record<string, unknown>,
  indent: string,
  lines: string[],
  scalars: Map<string, string>,
  firstPrefix = indent,
): void {
  let prefix = firstPrefix;
  for (const [key, value] of Object.entries(map)) {
    if (value === undefined) continue;
    const head = `${prefix}${key}:`;
    prefix = indent;
    if (key === "country" && typeof value === "string") lines.push(`${head} ${JSON.stringify(value)}`);
    else if (key === "tags" && Array.isArray(value)) {
      lines.push(`${head} [${value.map((tag) => scalarText(tag, scalars)).join(", ")}]`);
    } else if (isScalarValue(value)) lines.push(`${head} ${scalarText(value, scalars)}`);
    else if (Array.isArray(value) && value.every(isScalarValue)) {
      lines.push(head, ...value.map((item) => `${indent}  - ${scalarText(item, scalars)}`));
    } else if (
      Array.isArray(value) &&
      value.every((item) => item && typeof item === "object" && !Array.isArray(item))
    ) {
      lines.push(head);
      for (const item of value)
        mappingLines(item as Record<string, unknown>, `${indent}    `, lines, scalars, `${indent}  - `);
    } else if (value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length > 0) {
      lines.push(head);
      mappingLines(value as Record<string, unknown>, `${indent}  `, lines, scalars);
    } else {
      // Multi-line text and nested custom values: as the yaml package writes them, indented in place.
      const written = stringify({ [key]: value }, OPTIONS)
        .trimEnd()
        .split("\n");
      lines.push(
        `${head}${(written[0] ?? "").slice(key.length + 1)}`,
        ...written.slice(1).map((line) => indent + line),
      );
    }
  }
}

/**
 * The file's text with `changes` made to the recipient at `place` ([] when the file holds one recipient,
 * [3] in a list, ["recipients", 3] in a file with defaults, where a change goes to the recipient and never
 * to the defaults the others share), or undefined when the edit could not be made so that the file reads
 * back as intended.
 */
export function editRecipientFile(
  text: string,
  place: readonly (string | number)[],
  changes: readonly Change[],
  intended: Record<string, unknown>,
): string | undefined {
  const { isMap, isScalar, isSeq, Scalar } = yaml();
  const document = yaml().parseDocument(text);
  const base = place;
  const edits: { at: number; order: number; remove?: number; insert: string }[] = [];
  const inserts = new Map<
    string,
    { map: YAMLMap; key: string; value: Record<string, unknown> | unknown; order: number }
  >();
  changes.forEach((change, order) => {
    const path = [...base, ...change.path];
    const append = path.at(-1) === "-";
    const target = append ? path.slice(0, -1) : path;
    const existing = document.getIn(target, true) as Node | undefined;
    if (existing && !append) {
      const range = existing.range as [number, number, number];
      const quoted =
        isScalar(existing) && existing.type === Scalar.QUOTE_DOUBLE && typeof change.to === "string";
      const insert = quoted ? JSON.stringify(change.to) : inline(change.to);
      edits.push({ at: range[0], order, remove: range[1] - range[0], insert });
      return;
    }
    if (existing && append && isSeq(existing)) {
      edits.push({
        at: endOfCollection(text, existing),
        order,
        insert: appendItem(text, existing, change.to),
      });
      return;
    }
    // A field the recipient does not have yet: added to the nearest mapping that exists.
    let depth = target.length - 1;
    while (depth > 0 && !isMap(document.getIn(target.slice(0, depth), true))) depth--;
    const map = document.getIn(target.slice(0, depth), true);
    if (!isMap(map)) return;
    const key = String(target[depth]);
    const rest = target.slice(depth + 1).map(String);
    const value = append ? [change.to] : change.to;
    const slot = `${depth}:${target.slice(0, depth + 1).join(".")}`;
    const known = inserts.get(slot);
    if (known) known.value = nest(known.value as Record<string, unknown>, rest, value);
    else inserts.set(slot, { map, key, value: rest.length === 0 ? value : nest({}, rest, value), order });
  });
  for (const { map, key, value, order } of inserts.values()) {
    edits.push({ at: endOfCollection(text, map), order, insert: addPair(text, map, key, value) });
  }
  edits.sort((a, b) => b.at - a.at || b.order - a.order);
  let edited = text;
  for (const { at, remove = 0, insert } of edits)
    edited = edited.slice(0, at) + insert + edited.slice(at + remove);
  return readsAsIntended(text, edited, place, intended) ? edited : undefined;
}

function nest(into: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  if (path.length === 0) return into;
  const [head, ...rest] = path as [string, ...string[]];
  return withFields(into, {
    [head]: rest.length === 0 ? value : nest((into[head] as Record<string, unknown>) ?? {}, rest, value),
  });
}

/** A value on one line: plain or quoted text, or a flow list or mapping. */
function inline(value: unknown): string {
  if (typeof value === "string") {
    const plain = stringify(value, OPTIONS).trimEnd();
    return plain.includes("\n") ? JSON.stringify(value) : plain;
  }
  return stringify(value, withFields(OPTIONS, { collectionStyle: "flow" as const })).trimEnd();
}

function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf("\n", offset - 1) + 1);
}

/** Where to add after a collection: the end of the line its last value ends on (after a comment there). */
function endOfCollection(text: string, node: YAMLMap | YAMLSeq): number {
  const range = node.range as [number, number, number];
  if (node.flow) return text.lastIndexOf(yaml().isMap(node) ? "}" : "]", range[1]);
  let end = range[1];
  while (end > range[0] && /\s/.test(text[end - 1] ?? "")) end--;
  const newline = text.indexOf("\n", end);
  return newline === -1 ? text.length : newline;
}

function block(value: unknown, indent: string): string[] {
  return stringify(value, OPTIONS)
    .trimEnd()
    .split("\n")
    .map((line) => indent + line);
}

function addPair(text: string, map: YAMLMap, key: string, value: unknown): string {
  if (map.flow) return `, ${key}: ${inline(value)}`;
  const first = map.items[0]?.key as Node | undefined;
  const indent = " ".repeat(first?.range ? columnOf(text, first.range[0]) : 0);
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    return `\n${indent}${key}:\n${block(value, `${indent}  `).join("\n")}`;
  }
  if (Array.isArray(value) && value.some((item) => item !== null && typeof item === "object")) {
    return `\n${indent}${key}:\n${block(value, `${indent}  `).join("\n")}`;
  }
  return `\n${indent}${key}: ${inline(value)}`;
}

function appendItem(text: string, seq: YAMLSeq, value: unknown): string {
  if (seq.flow) return `, ${inline(value)}`;
  const first = seq.items[0] as Node | undefined;
  const indent = " ".repeat(first?.range ? Math.max(0, columnOf(text, first.range[0]) - 2) : 0);
  return `\n${block([value], indent).join("\n")}`;
}

/**
 * The edited file read back as `check` reads it: the recipient (with the file's defaults under it) must come
 * out as intended, and the defaults and every other recipient of the file as they were.
 */
function readsAsIntended(
  original: string,
  text: string,
  place: readonly (string | number)[],
  intended: Record<string, unknown>,
): boolean {
  const document = yaml().parseDocument(text, { uniqueKeys: true, strict: true });
  if (document.errors.length > 0) return false;
  const value = document.toJS() as unknown;
  const index = place.at(-1);
  const listPath = place.slice(0, -1);
  const defaults = listPath.length > 0 && isMapping(value) ? value.defaults : undefined;
  const item = place.reduce<unknown>(
    (inside, key) => (inside as Record<string | number, unknown> | undefined)?.[key],
    value,
  );
  const read = recipientSchema.safeParse(isMapping(defaults) ? mergeDefaults(defaults, item) : item);
  const wanted = recipientSchema.safeParse(intended);
  if (!read.success || !wanted.success || JSON.stringify(read.data) !== JSON.stringify(wanted.data))
    return false;
  if (index === undefined) return true;
  const before = yaml().parseDocument(original).toJS() as unknown;
  const listOf = (whole: unknown) =>
    (listPath.length > 0 ? (whole as Record<string, unknown>)[listPath[0] as string] : whole) as unknown[];
  const [listBefore, listAfter] = [listOf(before), listOf(value)];
  return (
    (listPath.length === 0 ||
      JSON.stringify((before as Record<string, unknown>).defaults) === JSON.stringify(defaults)) &&
    listBefore.length === listAfter.length &&
    listBefore.every(
      (other, position) =>
        position === index || JSON.stringify(other) === JSON.stringify(listAfter[position]),
    )
  );
}
