// A problem found in the user's files: where it is (file, line, column, field), what is wrong, what to do.
import { withFields } from "./objects.js";

export type Severity = "error" | "warning";

export interface Problem {
  severity: Severity;
  /** Path relative to the campaign folder, with forward slashes. */
  file: string;
  line?: number;
  column?: number;
  /** Dotted path of the field inside the file, e.g. `contacts[0].email`. */
  field?: string;
  message: string;
  hint?: string;
}

export function formatFieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

export function location(problem: Pick<Problem, "file" | "line" | "column">): string {
  if (problem.line === undefined) return problem.file;
  if (problem.column === undefined) return `${problem.file}:${problem.line}`;
  return `${problem.file}:${problem.line}:${problem.column}`;
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === "error");
}

export function sortProblems(problems: Problem[]): Problem[] {
  // Errors first: they are what stops the work, and a long list of warnings must not bury them.
  return problems.sort(
    (a, b) =>
      (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1) ||
      a.file.localeCompare(b.file) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      a.message.localeCompare(b.message),
  );
}

/** The first few of a long list and how many there are: "a, b, c, d, e, … (12 in all)". */
export function firstFew(items: readonly string[], shown = 5): string {
  return items.length > shown
    ? `${items.slice(0, shown).join(", ")}, … (${items.length} in all)`
    : items.join(", ");
}

/**
 * The same problem in many recipients of one file (`[3].country`, `[4].country`, …) as one problem: the
 * first, with the next lines and the count. Problems that differ only in a quoted value count as the same.
 */
export function groupRepeated(problems: readonly Problem[], atLeast = 3): Problem[] {
  const groups = new Map<string, Problem[]>();
  for (const problem of problems) {
    const field = problem.field?.replace(/^(recipients)?\[\d+\]\.?/, "") ?? "";
    const shape = (text = "") => text.replace(/"[^"]*"/g, '""');
    const key = [problem.severity, problem.file, field, shape(problem.message), shape(problem.hint)].join(
      "\n",
    );
    const group = groups.get(key) ?? [];
    group.push(problem);
    groups.set(key, group);
  }
  return [...groups.values()].flatMap((group) => {
    const [first, ...others] = group;
    if (!first || group.length < atLeast) return group;
    const lines = others.map((problem) => problem.line).filter((line) => line !== undefined);
    const more = lines.length
      ? `, at lines ${firstFew(lines.map(String), 3).replace(/ \(\d+ in all\)$/, "")}`
      : "";
    return [
      withFields(first, {
        message: `${first.message} (and ${others.length} more recipients in this file${more})`,
      }),
    ];
  });
}
