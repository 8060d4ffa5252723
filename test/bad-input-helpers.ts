// Tools for the bad-input tests: break one file of the starter campaign, run `check` (and `preview`) on it,
// read the problems it prints, and prove that nothing was written.
import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ExpectStatic } from "vitest";
import { type CliResult, run, STARTER, snapshot, tempFolder } from "./support.js";

/** A file of the starter campaign, as text. */
export function starterText(path: string): string {
  return readFileSync(join(STARTER, path), "utf8");
}

/** The starter's file with `from` replaced by `to`; fails loudly when the starter no longer holds `from`. */
export function edited(path: string, from: string | RegExp, to: string): string {
  const text = starterText(path);
  const changed = text.replace(from, to);
  if (changed === text)
    throw new Error(`starter/${path} no longer contains ${String(from)}: update this test`);
  return changed;
}

/** The 1-based line on which `needle` occurs (the `occurrence`-th time) in `text`. */
export function lineOf(text: string | Buffer, needle: string, occurrence = 1): number {
  const source = typeof text === "string" ? text : text.toString("latin1");
  let index = -1;
  for (let found = 0; found < occurrence; found++) {
    index = source.indexOf(needle, index + 1);
    if (index === -1) throw new Error(`"${needle}" does not occur ${occurrence} time(s) in the test's file`);
  }
  return source.slice(0, index).split("\n").length;
}

/** A starter campaign inside a parent folder, so that tests can put files *outside* the campaign folder. */
export function nestedCampaign(): { parent: string; folder: string } {
  const parent = tempFolder("outreach-outside-");
  const folder = join(parent, "campaign");
  cpSync(STARTER, folder, { recursive: true });
  return { parent, folder };
}

export interface PrintedProblem {
  severity: "error" | "warning";
  file: string;
  line?: number;
  column?: number;
  field?: string;
  message: string;
  hint?: string;
  /** `file:line` (or just `file` when no line was printed). */
  at: string;
  /** The problem as printed, with its hint line. */
  text: string;
}

const PROBLEM_LINE = /^(error|warning) +(\S+?)(?::(\d+))?(?::(\d+))? {2}(.*)$/;
const FIELD = /^((?:\[\d+\]|[A-Za-z_][\w-]*)(?:\[\d+\]|\.[A-Za-z_][\w-]*)*): (.*)$/;

/** The problems printed as `error   FILE:LINE:COLUMN  FIELD: message` with an optional `  → hint` line. */
export function parseProblems(output: string): PrintedProblem[] {
  const lines = output.split("\n");
  const problems: PrintedProblem[] = [];
  lines.forEach((text, index) => {
    const match = PROBLEM_LINE.exec(text);
    if (!match) return;
    const [, severity, file = "", line, column, rest = ""] = match;
    const field = FIELD.exec(rest);
    const hint = /^\s+→ (.*)$/.exec(lines[index + 1] ?? "")?.[1];
    problems.push({
      severity: severity as PrintedProblem["severity"],
      file,
      line: line === undefined ? undefined : Number(line),
      column: column === undefined ? undefined : Number(column),
      field: field ? field[1] : undefined,
      message: field ? (field[2] ?? "") : rest,
      hint,
      at: line === undefined ? file : `${file}:${line}`,
      text: hint === undefined ? text : `${text}\n${lines[index + 1]}`,
    });
  });
  return problems;
}

/** What a crash looks like on stderr: a stack trace, a V8 abort, an out-of-memory report. */
export const CRASH =
  /\n\s+at |RangeError|TypeError|Maximum call stack|FATAL ERROR|heap out of memory|Aborted/;

export interface Checked extends CliResult {
  folder: string;
  problems: PrintedProblem[];
  /** Did the folder stay exactly as it was (no file written, changed or removed, no .outreach/)? */
  unchanged: boolean;
  written: string[];
}

/** The files that were added, changed or removed between two snapshots. */
function changedFiles(before: Record<string, string>, after: Record<string, string>): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (path) => before[path] !== after[path],
  );
}

/** Runs `outreach check` in `folder` and records what it printed and whether it wrote anything. */
export async function check(folder: string, args: string[] = []): Promise<Checked> {
  const before = snapshot(folder);
  const result = await run(["check", ...args], { cwd: folder });
  const written = changedFiles(before, snapshot(folder));
  return {
    ...result,
    folder,
    problems: parseProblems(result.stdout),
    unchanged: written.length === 0,
    written,
  };
}

/**
 * The promises every bad input must keep: exit code 1, no crash, one problem per line with the summary last,
 * and nothing written to the campaign folder (not even the .outreach/ cache).
 */
export function expectRefused(expect: ExpectStatic, result: Checked): void {
  const output = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
  expect.soft(result.exitCode, `exit code; ${output}`).toBe(1);
  expect.soft(result.stderr, "check must not crash").not.toMatch(CRASH);
  const summary = result.stdout.trimEnd().split("\n").at(-1) ?? "";
  expect.soft(summary, `the summary comes last; ${output}`).toMatch(/^[\d,]+ errors?, [\d,]+ warnings?\.$/);
  expect.soft(result.written, "check must write nothing when the input is invalid").toEqual([]);
}

export interface ExpectedProblem {
  /** `file:line`, or just `file` when the problem concerns the whole file; a list or pattern for alternatives. */
  at: string | string[] | RegExp;
  /** The field path exactly as printed, e.g. `[1].contacts[0].email`. */
  field?: string;
  message?: RegExp;
  hint?: RegExp;
}

function matchesAt(problem: PrintedProblem, at: ExpectedProblem["at"]): boolean {
  if (typeof at === "string") return problem.at === at;
  if (Array.isArray(at)) return at.includes(problem.at);
  return at.test(problem.at);
}

/** Finds the error at `at` and checks its field, message and hint; every mismatch is reported. */
export function expectProblem(
  expect: ExpectStatic,
  output: string,
  expected: ExpectedProblem,
): PrintedProblem | undefined {
  const errors = parseProblems(output).filter((problem) => problem.severity === "error");
  const here = errors.filter((problem) => matchesAt(problem, expected.at));
  const problem =
    here.find((candidate) => !expected.message || expected.message.test(candidate.message)) ?? here[0];
  expect.soft(problem, `no error at ${String(expected.at)} in:\n${output}`).toBeDefined();
  if (!problem) return undefined;
  if (expected.field !== undefined)
    expect.soft(problem.field, `field of:\n${problem.text}`).toBe(expected.field);
  if (expected.message)
    expect.soft(problem.message, `message of:\n${problem.text}`).toMatch(expected.message);
  if (expected.hint)
    expect.soft(problem.hint ?? "(no hint)", `hint of:\n${problem.text}`).toMatch(expected.hint);
  return problem;
}

/**
 * Runs `outreach preview` in a broken folder: exit 1, the error (with its location) on stderr,
 * nothing on stdout, nothing written.
 */
export async function expectPreviewRefused(
  expect: ExpectStatic,
  folder: string,
  expected: ExpectedProblem,
): Promise<CliResult> {
  const before = snapshot(folder);
  const result = await run(["preview"], { cwd: folder });
  const output = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
  expect.soft(result.exitCode, `preview exit code; ${output}`).toBe(1);
  expect.soft(result.stdout, "preview prints no letter when the input is invalid").toBe("");
  expect.soft(result.stderr, "preview must not crash").not.toMatch(CRASH);
  expectProblem(expect, result.stderr, expected);
  expect.soft(result.stderr).toMatch(/nothing was done/);
  expect
    .soft(changedFiles(before, snapshot(folder)), "preview must write nothing when the input is invalid")
    .toEqual([]);
  return result;
}
