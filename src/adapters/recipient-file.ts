// The recipients of one parsed file: a list, one recipient, or a mapping of `defaults` and `recipients`.
// Each recipient is validated with the file's defaults merged under it, and every problem points at the line
// where its value was written, in the recipient or in the defaults. The same problem in many recipients of
// the file is reported once, with a count.
import { isMapping, mergeDefaults, NOT_DEFAULTS, writtenAt } from "../core/file-defaults.js";
import { formatFieldPath, groupRepeated, type Problem } from "../core/problems.js";
import { fieldPosition, type RecipientEntry } from "../core/recipients.js";
import { parseRecipient, recipientSchema } from "../core/schema.js";
import { type Located, validate } from "../core/validation.js";
import type { YamlFile } from "./yaml-file.js";

interface FileShape {
  items: unknown[];
  defaults?: Record<string, unknown>;
  /** The path of the list of recipients in the file: [] for a list, ["recipients"] beside defaults. */
  listPath?: PropertyKey[];
}

export function recipientsFromFile(
  yaml: YamlFile,
  languages: readonly string[],
): { entries: RecipientEntry[]; problems: Problem[]; valid: boolean } {
  const problems: Problem[] = [];
  const shape = fileShape(yaml, problems);
  const entries: RecipientEntry[] = [];
  if (!shape) return { entries, problems, valid: false };
  const { items, defaults = {}, listPath } = shape;
  const seen = new Set<string>();
  const shared = Object.keys(defaults).length > 0;
  items.forEach((item, index) => {
    const recipientPath = listPath ? [...listPath, index] : [];
    // Without defaults, every value of the recipient was written in it.
    const pathOf = shared
      ? (path: readonly PropertyKey[]) => writtenAt(path, defaults, item, recipientPath)
      : (path: readonly PropertyKey[]) => [...recipientPath, ...path];
    const merged = mergeDefaults(defaults, item);
    // The schema's output reached part by part; the schema itself only for what that cannot say (and for
    // the problems of a recipient that is not valid).
    let recipient = parseRecipient(merged);
    if (!recipient) {
      const source: Located = {
        file: yaml.file,
        languages,
        locate: (path, key) => yaml.locate(pathOf(path), key),
        sourceAt: (path) => yaml.sourceAt(pathOf(path)),
        shownPath: pathOf,
      };
      const result = validate(recipientSchema, merged, source);
      if (!result.ok) {
        for (const problem of result.problems) {
          // A mistake in the defaults is one mistake, however many recipients take it.
          const key = `${problem.line}|${problem.field}|${problem.message}`;
          if (problem.field?.startsWith("defaults") && seen.has(key)) continue;
          seen.add(key);
          problems.push(problem);
        }
        return;
      }
      recipient = result.data;
    }
    const at: RecipientEntry["at"] = {};
    const remember = (field: string, path: PropertyKey[]) => {
      const position = yaml.locate(pathOf(path));
      if (position) at[field] = fieldPosition(position.line, position.column);
    };
    remember("id", ["id"]);
    recipient.contacts.forEach((_, contactIndex) => {
      remember(`contacts[${contactIndex}].email`, ["contacts", contactIndex, "email"]);
    });
    recipient.attachments?.forEach((_, attachmentIndex) => {
      remember(`attachments[${attachmentIndex}]`, ["attachments", attachmentIndex]);
    });
    if (recipient.provenance?.verified_on) remember("provenance.verified_on", ["provenance", "verified_on"]);
    entries.push({
      recipient,
      file: yaml.file,
      line: yaml.locate(recipientPath)?.line ?? 1,
      ...(listPath ? { index, ...(listPath.length ? { list: String(listPath[0]) } : {}) } : {}),
      at,
    });
  });
  return { entries, problems: groupRepeated(problems), valid: problems.length === 0 };
}

/** What the file holds: a list of recipients, one recipient, or defaults with a list; or why it is neither. */
function fileShape(yaml: YamlFile, problems: Problem[]): FileShape | undefined {
  const { value } = yaml;
  if (Array.isArray(value)) return { items: value, listPath: [] };
  if (!isMapping(value) || !("recipients" in value || "defaults" in value)) return { items: [value] };
  const refuse = (path: PropertyKey[], message: string, hint: string) => {
    problems.push({
      severity: "error",
      file: yaml.file,
      ...yaml.locate(path, true),
      field: formatFieldPath(path),
      message,
      hint,
    });
    return undefined;
  };
  const layout = "a file with defaults holds two keys: defaults: { … } and recipients: [ … ]";
  for (const key of Object.keys(value)) {
    if (key !== "defaults" && key !== "recipients")
      return refuse(
        [key],
        `"${key}" is not a key of a file with defaults`,
        `${layout}; move "${key}" into one of them`,
      );
  }
  const { defaults = {}, recipients } = value;
  if (!Array.isArray(recipients))
    return refuse(
      ["recipients"],
      recipients === undefined ? "the defaults have no recipients" : "recipients must be a list",
      `${layout}, each recipient starting with "- id: …"`,
    );
  if (!isMapping(defaults))
    return refuse(
      ["defaults"],
      "defaults must be a mapping of recipient fields",
      `${layout}, e.g. defaults: { type: embassy, language: fr }`,
    );
  for (const key of NOT_DEFAULTS) {
    if (key in defaults)
      return refuse(
        ["defaults", key],
        `"${key}" cannot be a default: each recipient has its own`,
        `move "${key}" into each recipient`,
      );
  }
  return { items: recipients, defaults, listPath: ["recipients"] };
}
