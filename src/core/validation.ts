// Turns schema issues into problems a person can act on: located, with the field path and a hint.
import type { z } from "zod";
import { suggestCountryCode } from "./countries.js";
import { withFields } from "./objects.js";
import { formatFieldPath, type Problem } from "./problems.js";
import { exampleOf, fieldsHolding, isSecretBearing, kindOf, knownKeys, schemaAt } from "./schema.js";
import { didYouMean } from "./suggest.js";

export interface Located {
  file: string;
  /** The languages the campaign's templates are written in: a country's name in one is recognised. */
  languages?: readonly string[];
  locate(path: readonly PropertyKey[], key?: boolean): { line: number; column: number } | undefined;
  sourceAt(path: readonly PropertyKey[]): string | undefined;
  /** The path of a field as the user sees it in the file (`[3].country`, `defaults.type`); `path` itself by default. */
  shownPath?(path: readonly PropertyKey[]): PropertyKey[];
}

export type Validated<T> = { ok: true; data: T } | { ok: false; problems: Problem[] };

/** Validates `value` (found at `basePath` inside `source`) and reports every issue with its position. */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  source: Located,
  basePath: readonly PropertyKey[] = [],
): Validated<z.output<S>> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, data: result.data };
  const problems: Problem[] = [];
  const shownPath = (path: PropertyKey[]) => source.shownPath?.(path) ?? path;
  for (const issue of result.error.issues.flatMap(simplestIssues)) {
    const path = issue.path as PropertyKey[];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const fullPath = [...basePath, ...path, key];
        // A key is shown where it could be a password only when it looks like a field name.
        const shown = !isSecretBearing(fullPath) || /^[a-z_]{1,32}$/.test(key);
        const at = source.locate(fullPath, true);
        problems.push({
          severity: "error",
          file: source.file,
          line: at?.line,
          column: at?.column,
          field: shown ? formatFieldPath(shownPath([...path, key])) : formatFieldPath(shownPath(path)),
          message: shown
            ? `unknown field "${key}"`
            : "an unknown field (its name is not shown, in case it is a password)",
          hint: unknownKeyHint(schema, path, key),
        });
      }
      continue;
    }
    const fullPath = [...basePath, ...path];
    const at = source.locate(fullPath);
    const { message, hint } = isSecretBearing(fullPath)
      ? describeHiddenIssue(issue, source.sourceAt(fullPath), schemaAt(schema, path))
      : describeIssue(issue, source.sourceAt(fullPath), path, schemaAt(schema, path), source.languages);
    problems.push({
      severity: "error",
      file: source.file,
      line: at?.line,
      column: at?.column,
      field: formatFieldPath(shownPath(path)),
      message,
      hint,
    });
  }
  return { ok: false, problems };
}

/**
 * A value of the wrong type for a field that takes one of several forms (text, or text per language) fails
 * every form at once: it is described as the first form, text, so a number reads as "YAML reads 007 as a
 * number" here as everywhere. A value of the right shape for one form that fails inside it (a list where a
 * language's text goes) is described by that form's own issues, at their own field (organisation.en).
 */
function simplestIssues(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== "invalid_union") return [issue];
  const allWrongType = issue.errors.every(
    (option) =>
      option.length > 0 && option.every((inner) => inner.code === "invalid_type" && inner.path.length === 0),
  );
  const first = issue.errors[0]?.[0];
  if (allWrongType && first) return [withFields(first, { path: issue.path }) as z.core.$ZodIssue];
  const inside = issue.errors.find(
    (option) => option.length > 0 && option.every((inner) => inner.path.length > 0),
  );
  if (!inside) return [issue];
  return inside.flatMap((inner) =>
    simplestIssues(withFields(inner, { path: [...issue.path, ...inner.path] }) as z.core.$ZodIssue),
  );
}

/** "did you mean", with the shape of a list or mapping; or the field one level down that takes the key. */
function unknownKeyHint(schema: z.ZodType, path: PropertyKey[], key: string): string | undefined {
  const allowed = knownKeys(schema, path);
  const suggestion = didYouMean(key, allowed);
  if (suggestion) {
    // A list or mapping of fields is shown with its shape; a list of plain values needs no picture.
    const suggested = schemaAt(schema, [...path, suggestion]);
    const example = exampleOf(suggested);
    return example.includes("{")
      ? `did you mean "${suggestion}", ${kindOf(suggested)}: ${suggestion}: ${example}`
      : `did you mean "${suggestion}"?`;
  }
  const [holder] = fieldsHolding(schema, path, key);
  if (holder) {
    const inList = kindOf(schemaAt(schema, [...path, holder])) === "a list";
    return `"${key}" belongs ${inList ? "to each item of" : "under"} "${holder}": ${holder}: ${inList ? `[{ ${key}: … }]` : `{ ${key}: … }`}`;
  }
  return allowed.length > 0 ? `allowed here: ${allowed.join(", ")}` : undefined;
}

function describeIssue(
  issue: z.core.$ZodIssue,
  written: string | undefined,
  path: PropertyKey[],
  fieldSchema: z.ZodType | undefined,
  languages: readonly string[] = [],
): { message: string; hint?: string } {
  const field = String(path.at(-1) ?? "value");
  if (issue.code === "custom" && typeof issue.params?.country === "string") {
    const code = suggestCountryCode(issue.params.country, languages);
    return {
      message: issue.message,
      ...(code
        ? {
            hint: `did you mean "${code}"? (write it in quotes, "${code}", so no YAML reader takes it for anything else)`,
          }
        : {}),
    };
  }
  if (issue.code === "invalid_type") {
    if (issue.input === undefined && written === undefined) {
      return { message: "is required", hint: `add "${field}:"` };
    }
    if (issue.input === undefined && (written === "" || written === "~" || written === "null")) {
      return { message: "is empty", hint: `write a value after "${field}:"` };
    }
    // 1.5 where a count is wanted: a number, but not a whole one ("must be a number, but is a number").
    if (isFraction(issue, written)) return { message: `must be a whole number, not ${written}` };
    const expected = describeExpected(issue.expected);
    const got = describeWritten(written, issue.expected === "string");
    if (issue.expected === "string" && written !== undefined && !/^["']/.test(written)) {
      // Quoting helps only when the text as written would be valid; otherwise say what is expected.
      const asText = fieldSchema?.safeParse(written);
      if (asText && !asText.success) {
        return {
          message: `${asText.error.issues[0]?.message ?? `must be ${expected}`} (YAML reads ${written} as ${got})`,
        };
      }
      return {
        message: `must be ${expected}, but YAML reads ${written} as ${got}`,
        hint: `put it in quotes: ${field}: "${written.replace(/"/g, '\\"')}"`,
      };
    }
    const kind = kindOf(fieldSchema);
    return {
      message: `must be ${expected}, but is ${got}`,
      ...(kind ? { hint: `write ${kind}: ${field}: ${exampleOf(fieldSchema)}` } : {}),
    };
  }
  if (issue.code === "invalid_union") {
    return { message: "has the wrong form", hint: issue.message };
  }
  // A key of a free-named mapping (a custom field, a type in followup.by_type) that its rule refuses.
  if (issue.code === "invalid_key") {
    return { message: `the name "${field}" ${issue.issues[0]?.message ?? "cannot be used here"}` };
  }
  if (issue.code === "too_small" && issue.origin === "array") {
    return { message: `must list at least ${issue.minimum} item${issue.minimum === 1 ? "" : "s"}` };
  }
  if (issue.code === "too_small" && issue.origin === "number") {
    return { message: `must be at least ${issue.minimum}${written === undefined ? "" : `, not ${written}`}` };
  }
  if (issue.code === "too_big" && issue.origin === "number") {
    return { message: `must be at most ${issue.maximum}${written === undefined ? "" : `, not ${written}`}` };
  }
  return { message: issue.message };
}

const NOT_SHOWN = "(what is written there is not shown, in case it is a password)";

/** The same descriptions, for a value that may be a password pasted in the wrong place: never repeated. */
function describeHiddenIssue(
  issue: z.core.$ZodIssue,
  written: string | undefined,
  fieldSchema: z.ZodType | undefined,
): { message: string; hint?: string } {
  if (issue.code === "invalid_type") {
    if (issue.input === undefined && written === undefined) return { message: "is required" };
    if (issue.input === undefined && (written === "" || written === "~" || written === "null")) {
      return { message: "is empty" };
    }
    // `35` for a size: the field's own description of the form it wants (which never quotes the value).
    const asText =
      issue.expected === "string" && written !== undefined ? fieldSchema?.safeParse(written) : undefined;
    if (asText && !asText.success && asText.error.issues[0]) {
      return { message: `${asText.error.issues[0].message} ${NOT_SHOWN}` };
    }
    const expected = isFraction(issue, written) ? "a whole number" : describeExpected(issue.expected);
    return { message: `must be ${expected} ${NOT_SHOWN}` };
  }
  if (issue.code === "too_small" && issue.origin === "number") {
    return { message: `must be at least ${issue.minimum} ${NOT_SHOWN}` };
  }
  if (issue.code === "too_big" && issue.origin === "number") {
    return { message: `must be at most ${issue.maximum} ${NOT_SHOWN}` };
  }
  if (issue.code === "too_small" && issue.origin === "array") {
    return { message: `must list at least ${issue.minimum} item${issue.minimum === 1 ? "" : "s"}` };
  }
  // The schemas' own messages describe the expected form and never quote the value.
  return { message: `${issue.message} ${NOT_SHOWN}` };
}

/** A number written where a whole one is wanted (zod says only "expected int, received number"). */
function isFraction(issue: z.core.$ZodIssue, written: string | undefined): boolean {
  return (
    issue.code === "invalid_type" &&
    issue.expected === "int" &&
    written !== undefined &&
    describeWritten(written) === "a number"
  );
}

function describeExpected(expected: string): string {
  switch (expected) {
    case "string":
      return "text";
    case "object":
      return "a mapping (key: value lines)";
    case "array":
      return "a list";
    case "number":
    case "int":
      return "a number";
    case "boolean":
      return "true or false";
    default:
      return expected;
  }
}

function describeWritten(written: string | undefined, notText = false): string {
  if (written === undefined || written === "" || written === "~" || written === "null") return "empty";
  // Text, but not read as text: YAML 1.1 (a file that starts with %YAML 1.1) reads NO, off, y as true or false.
  if (notText && /^(y|yes|on)$/i.test(written)) return "true";
  if (notText && /^(n|no|off)$/i.test(written)) return "false";
  if (/^[-+]?(\d[\d_]*\.?\d*([eE][-+]?\d+)?|0x[0-9a-fA-F]+|0o[0-7]+|\.inf|\.nan)$/i.test(written))
    return "a number";
  if (/^(true|false)$/i.test(written)) return "true/false";
  if (written.startsWith("-") || written.startsWith("[")) return "a list";
  if (/^[^"'].*:\s/.test(written) || written.startsWith("{")) return "a mapping";
  return /^["']/.test(written) ? written : `"${written}"`;
}
