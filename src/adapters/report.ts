// How problems and tables look to a person. One format everywhere: "severity file:line:column field: message".
import type { ChalkInstance } from "chalk";
import { location, type Problem } from "../core/problems.js";

export function formatProblem(problem: Problem, colour: ChalkInstance): string {
  const label = problem.severity === "error" ? colour.red.bold("error  ") : colour.yellow.bold("warning");
  const field = problem.field ? `${colour.bold(problem.field)}: ` : "";
  let text = `${label} ${colour.cyan(location(problem))}  ${field}${problem.message}`;
  if (problem.hint) text += `\n        ${colour.dim(`→ ${problem.hint}`)}`;
  return text;
}

export function formatProblems(problems: readonly Problem[], colour: ChalkInstance): string {
  return problems.map((problem) => `${formatProblem(problem, colour)}\n`).join("");
}

export function countProblems(problems: readonly Problem[]): { errors: number; warnings: number } {
  let errors = 0;
  for (const problem of problems) if (problem.severity === "error") errors++;
  return { errors, warnings: problems.length - errors };
}

export function plural(count: number, word: string, pluralWord = `${word}s`): string {
  return `${count.toLocaleString("en-GB")} ${count === 1 ? word : pluralWord}`;
}

/** A plain column-aligned table; the last column is never padded. */
export function formatTable(header: string[], rows: string[][], colour: ChalkInstance): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join("  ")
      .trimEnd();
  return `${[colour.bold(line(header)), ...rows.map(line)].join("\n")}\n`;
}
