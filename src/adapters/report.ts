// How problems and tables look to a person. One format everywhere: "severity file:line:column field: message".
import type { ChalkInstance } from "chalk";
import { location, type Problem } from "../core/problems.js";
import { grouped, printable } from "../core/text-rules.js";

/**
 * A problem as lines for a terminal. Every part may hold text from the world (a file name, a key, a value
 * quoted by a library), so each passes through printable(): no escape sequence or text-direction control
 * reaches the terminal.
 */
export function formatProblem(problem: Problem, colour: ChalkInstance): string {
  const label = problem.severity === "error" ? colour.red.bold("error  ") : colour.yellow.bold("warning");
  const field = problem.field ? `${colour.bold(printable(problem.field))}: ` : "";
  const message = printable(problem.message, { keepLineBreaks: true });
  let text = `${label} ${colour.cyan(printable(location(problem)))}  ${field}${message}`;
  if (problem.hint)
    text += `\n        ${colour.dim(`→ ${printable(problem.hint, { keepLineBreaks: true })}`)}`;
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
  return `${grouped(count)} ${count === 1 ? word : pluralWord}`;
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
