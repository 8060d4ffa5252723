// The one loader for YAML: reads a file safely (size, encoding, nesting, aliases, odd keys) and keeps
// positions so that every later problem can name the file, line and column.
import type { Node } from "yaml";
import { type JsonFault, jsonFault } from "../core/json-fault.js";
import { withFields } from "../core/objects.js";
import type { Problem } from "../core/problems.js";
import { readTextFile } from "./text-file.js";
import { aliasProblem, nestingProblem, nodeProblems } from "./yaml-checks.js";
import { fastNodeAt, fastValue, lineCounter, readFastYaml } from "./yaml-fast.js";
import { yamlLibrary } from "./yaml-library.js";

export interface Position {
  line: number;
  column: number;
}

export interface YamlFile {
  file: string;
  value: unknown;
  /** Position of the value at `path` (or of its key, when `key` is set); the nearest existing parent otherwise. */
  locate(path: readonly PropertyKey[], key?: boolean): Position | undefined;
  /** The text of the value at `path` exactly as written in the file. */
  sourceAt(path: readonly PropertyKey[]): string | undefined;
  /** Whether the file itself holds a value at `path`. */
  has(path: readonly PropertyKey[]): boolean;
  /**
   * Set when the fast reader read the file (yaml-fast.ts). Its values and positions are the full loader's,
   * but a caller that finds a problem in the file reads it again with `full()`, so that every message is
   * made from the full parser's reading.
   */
  full?: () => LoadResult;
}

export type LoadResult = { ok: true; yaml: YamlFile } | { ok: false; problems: Problem[] };

/**
 * The line where a double-quoted text that never closes was probably opened (the parser reports the end of
 * the file): the first quote that runs past the end of its line, since one-line values are the norm here.
 */
function openingQuoteLine(text: string): number | undefined {
  let inQuote = false;
  let openedAt = 0;
  let firstSpanning: number | undefined;
  let line = 1;
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (character === "\n") {
      if (inQuote) firstSpanning ??= openedAt;
      line++;
    } else if (inQuote && character === "\\") index++;
    else if (!inQuote && character === "#" && (index === 0 || /\s/.test(text[index - 1] ?? ""))) {
      const end = text.indexOf("\n", index);
      index = end === -1 ? text.length : end - 1;
    } else if (!inQuote && character === "'") {
      // A single-quoted text may hold a double quote; an apostrophe inside a plain word is not a quote.
      if (/[\s:[{,-]/.test(text[index - 1] ?? " ")) {
        const end = text.indexOf("'", index + 1);
        if (end !== -1 && !text.slice(index, end).includes("\n")) index = end;
      }
    } else if (character === '"') {
      inQuote = !inQuote;
      if (inQuote) openedAt = line;
    }
  }
  return firstSpanning ?? (inQuote ? openedAt : undefined);
}

/**
 * Parses one YAML file into plain data with positions, or the problems that stop it. The parser recurses
 * into nesting; the checks before it keep nesting shallow, and should one be fooled, a stack that runs out
 * is still reported as nesting, never as a crash.
 */
export function parseYaml(text: string, file: string, options: { full?: boolean } = {}): LoadResult {
  try {
    return parseChecked(text, file, options.full === true);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return {
      ok: false,
      problems: [
        {
          severity: "error",
          file,
          message: "nesting is too deep to read",
          hint: "keep lists and mappings a few levels deep",
        },
      ],
    };
  }
}

/** What is wrong with a .json file as JSON (YAML would take comments and trailing commas), if anything. */
function jsonProblem(text: string): JsonFault | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    const fault = jsonFault(text, (error as Error).message);
    return withFields(fault, { message: `is not valid JSON: ${fault.message}` });
  }
}

function parseChecked(text: string, file: string, full: boolean): LoadResult {
  const problem = (
    line: number | undefined,
    column: number | undefined,
    message: string,
    hint?: string,
  ): Problem => ({
    severity: "error",
    file,
    line,
    column,
    message,
    hint,
  });
  // What the fast reader reads, nestingProblem passes (yaml-fast.ts): it need not be run first.
  if (!full && !file.endsWith(".json")) {
    const fast = fastYamlFile(text, file);
    if (fast) return { ok: true, yaml: fast };
  }
  const tooDeep = nestingProblem(text, file, file.endsWith(".json"));
  if (tooDeep) return { ok: false, problems: [tooDeep] };
  const notJson = file.endsWith(".json") ? jsonProblem(text) : undefined;
  if (notJson) {
    const hint =
      "a .json file is strict JSON (no comments, no comma after the last item): or write it as .yaml";
    return { ok: false, problems: [problem(notJson.line, notJson.column, notJson.message, hint)] };
  }

  const { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } = yamlLibrary();
  const lineCounter = new LineCounter();
  const document = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    strict: true,
    // Every warning is one of the file's located problems above: the library never prints its own.
    logLevel: "error",
  });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const problems: Problem[] = [];
  for (const error of [...document.errors, ...document.warnings]) {
    // An unknown tag is reported with its field by nodeProblems.
    if (error.code === "TAG_RESOLVE_FAILED") continue;
    const at = position(error.pos[0]);
    const unclosedQuote = /^Missing closing "quote/.test(error.message);
    const opened = unclosedQuote ? openingQuoteLine(text) : undefined;
    problems.push(
      problem(
        opened ?? at.line,
        opened === undefined ? at.column : undefined,
        yamlMessage(error.code, error.message),
        yamlHint(error.code, error.message),
      ),
    );
  }
  if (problems.length > 0) return { ok: false, problems: dedupeByLine(problems) };
  if (document.contents === null) {
    return {
      ok: false,
      problems: [problem(undefined, undefined, "file is empty", "add content or delete the file")],
    };
  }
  problems.push(...nodeProblems(document, file, position));
  if (problems.length > 0) return { ok: false, problems };
  const bomb = aliasProblem(document, file, position);
  if (bomb) return { ok: false, problems: [bomb] };
  // The aliases' expanded size was measured above, which is the bound that matters, not how often one is used.
  const value: unknown = document.toJS({ maxAliasCount: -1 });

  // The node at `path`, or the nearest existing parent (then `exact` is false).
  const nodeAt = (path: readonly PropertyKey[], key: boolean): { node: Node | undefined; exact: boolean } => {
    let node: unknown = document.contents;
    let keyNode: unknown;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isPair(item) && isScalar(item.key) && item.key.value === segment,
        );
        if (!pair) return { node: node as Node, exact: false };
        keyNode = pair.key;
        node = pair.value ?? pair.key;
      } else if (isSeq(node) && typeof segment === "number" && node.items[segment] !== undefined) {
        keyNode = undefined;
        node = node.items[segment];
      } else {
        return { node: node as Node, exact: false };
      }
    }
    return { node: (key && keyNode ? keyNode : node) as Node, exact: true };
  };

  return {
    ok: true,
    yaml: {
      file,
      value,
      locate(path, key = false) {
        const { node } = nodeAt(path, key);
        return node?.range ? position(node.range[0]) : undefined;
      },
      sourceAt(path) {
        const { node, exact } = nodeAt(path, false);
        return exact && node?.range ? text.slice(node.range[0], node.range[1]).trim() : undefined;
      },
      has(path) {
        return nodeAt(path, false).exact;
      },
    },
  };
}

/** The file as the fast reader reads it, or undefined when only the full parser can. */
function fastYamlFile(text: string, file: string): YamlFile | undefined {
  const root = readFastYaml(text);
  if (!root) return undefined;
  let position: ((offset: number) => Position) | undefined;
  let exact: LoadResult | undefined;
  const full = () => {
    exact ??= parseYaml(text, file, { full: true });
    return exact;
  };
  return {
    file,
    value: fastValue(root),
    locate(path, key = false) {
      const { node, keyStart } = fastNodeAt(root, path, key);
      position ??= lineCounter(text);
      return position(keyStart ?? node.start);
    },
    sourceAt(path) {
      const { node, exact: found } = fastNodeAt(root, path, false);
      if (!found) return undefined;
      if (node.kind === "scalar") return text.slice(node.start, node.end).trim();
      const reread = full();
      return reread.ok ? reread.yaml.sourceAt(path) : undefined;
    },
    has(path) {
      return fastNodeAt(root, path, false).exact;
    },
    full,
  };
}

export function loadYamlFile(absolutePath: string, file: string): LoadResult {
  const read = readTextFile(absolutePath, file);
  return read.ok ? parseYaml(read.text, file) : read;
}

function dedupeByLine(problems: Problem[]): Problem[] {
  const seen = new Set<number | undefined>();
  return problems.filter((problem) => {
    if (seen.has(problem.line)) return false;
    seen.add(problem.line);
    return true;
  });
}

function yamlMessage(code: string, message: string): string {
  const first = message.split("\n")[0] ?? message;
  switch (code) {
    case "MULTIPLE_DOCS":
      return "file holds several YAML documents (separated by ---)";
    case "DUPLICATE_KEY":
      return "the same key appears twice in one mapping";
    case "TAB_AS_INDENT":
      return "a tab is used for indentation";
    case "MISSING_CHAR":
      return first.replace(/^Missing closing "quote$/, 'a quoted text is not closed (missing ")');
    default:
      return `invalid YAML: ${first}`;
  }
}

function yamlHint(code: string, message: string): string | undefined {
  switch (code) {
    case "MULTIPLE_DOCS":
      return "put one document in each file, or one list of recipients";
    case "DUPLICATE_KEY":
      return "remove or rename one of them";
    case "TAB_AS_INDENT":
      return "indent with spaces only";
    case "BAD_INDENT":
    case "BLOCK_AS_IMPLICIT_KEY":
    case "MULTILINE_IMPLICIT_KEY":
      return "check the indentation: keys of one mapping must line up, and values sit after ': '";
    case "MISSING_CHAR":
      return /quote/.test(message)
        ? "close the quote, or write the text without quotes"
        : "check the indentation: items of one list must line up, each starting with '- '";
    default:
      return undefined;
  }
}
