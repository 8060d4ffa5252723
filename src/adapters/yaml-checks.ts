// Checks the YAML loader makes around the parser: nesting the parser could not survive (before parsing), and
// what the parsed document may not hold (keys built into JavaScript, merge keys, tags, aliases that expand
// into far more data than the file holds). Every finding is a problem with its line and, where known, field.
import type { Document, Node } from "yaml";
import { formatFieldPath, type Problem } from "../core/problems.js";
import { BUILT_IN_NAMES } from "../core/text-rules.js";
import { yamlLibrary } from "./yaml-library.js";

const MAX_FLOW_DEPTH = 64;
const MAX_INDENT_COLUMN = 400;
/** What aliases may expand a file into, counted in characters of text plus one per value. */
export const MAX_EXPANDED_SIZE = 20_000_000;

type At = (offset: number) => { line: number; column: number };

function error(file: string, line: number | undefined, message: string, hint?: string, extra = {}): Problem {
  return { severity: "error", file, line, message, ...(hint ? { hint } : {}), ...extra };
}

/** A problem's column and field, where they are known. */
function placeOf(position: { column: number } | undefined, field: PropertyKey[]) {
  const place: { column?: number; field?: string } = {};
  if (position) place.column = position.column;
  if (field.length > 0) place.field = formatFieldPath(field);
  return place;
}

/**
 * Looks at the raw text before parsing. Rejects nesting that would exhaust the parser (deep flow brackets or
 * deep indentation), and finds tab indentation, which the parser reports confusingly inside lists. Quoted
 * text, comments and block text (| and >) are read as the parser reads them, so a bracket or a " #" in
 * them neither counts nor hides what follows. JSON (all brackets) may be indented with tabs.
 */
export function nestingProblem(text: string, file: string, tabsAllowed = false): Problem | undefined {
  let flowDepth = 0;
  let line = 0;
  let quote: string | undefined;
  let blockParent: number | undefined; // a | or > ended the previous line: its line's indentation
  let blockIndent: number | undefined; // inside block text: the indentation of its lines
  let lineIndent = 0;
  let previous = "";
  let index = 0;
  while (index < text.length) {
    // The start of a line.
    line++;
    const end = text.indexOf("\n", index) === -1 ? text.length : text.indexOf("\n", index);
    const rawLine = text.slice(index, end);
    const indent = /^ */.exec(rawLine)?.[0].length ?? 0;
    if (blockParent !== undefined && quote === undefined) {
      if (rawLine.trim() !== "") {
        blockIndent ??= indent > blockParent ? indent : -1;
        if (indent < blockIndent || blockIndent === -1) {
          blockParent = undefined;
          blockIndent = undefined;
        }
      }
      if (blockParent !== undefined) {
        index = end + 1;
        continue;
      }
    }
    if (quote === undefined) {
      const problem = tabsAllowed ? undefined : indentationProblem(rawLine, file, line);
      if (problem) return problem;
      lineIndent = indent;
      previous = "";
    }
    for (; index < end; index++) {
      const character = text[index] ?? "";
      if (quote === '"') {
        if (character === "\\") index++;
        else if (character === '"') quote = undefined;
        continue;
      }
      if (quote === "'") {
        if (character === "'" && text[index + 1] === "'") index++;
        else if (character === "'") quote = undefined;
        continue;
      }
      if (character === " " || character === "\t" || character === "\r") continue;
      if (character === "#" && (index === 0 || /\s/.test(text[index - 1] ?? ""))) break;
      const valueStarts = ["", ":", "-", "?", ",", "[", "{"].includes(previous);
      previous = character;
      if ((character === '"' || character === "'") && valueStarts) quote = character;
      else if ((character === "|" || character === ">") && valueStarts && flowDepth === 0) {
        if (/^[|>][-+0-9]*\s*(#.*)?$/.test(text.slice(index, end))) {
          blockParent = lineIndent;
          break;
        }
      } else if ((character === "[" || character === "{") && (valueStarts || flowDepth > 0)) {
        if (++flowDepth > MAX_FLOW_DEPTH) {
          return error(file, line, `nesting is too deep (more than ${MAX_FLOW_DEPTH} levels of [ or {)`);
        }
      } else if ((character === "]" || character === "}") && flowDepth > 0) flowDepth--;
    }
    index = end + 1;
  }
  return undefined;
}

function indentationProblem(rawLine: string, file: string, line: number): Problem | undefined {
  const indent = /^[ \t]*(?:[-?:][ \t]+)*/.exec(rawLine)?.[0].length ?? 0;
  if (indent > MAX_INDENT_COLUMN) {
    return error(
      file,
      line,
      `nesting is too deep (content starts at column ${indent + 1})`,
      `keep nesting under ${MAX_INDENT_COLUMN} columns`,
    );
  }
  const leading = /^[ \t]*/.exec(rawLine)?.[0] ?? "";
  const structural = /^(- |-$|[\w"'.-]+\s*:(\s|$))/.test(rawLine.slice(leading.length));
  if (leading.includes("\t") && (leading.startsWith("\t") || structural)) {
    return error(
      file,
      line,
      "a tab is used for indentation",
      "indent with spaces only (most editors can convert tabs to spaces)",
      { column: leading.indexOf("\t") + 1 },
    );
  }
  return undefined;
}

// The types a value may be written as; any other tag (!!binary, !!timestamp, !foo) is refused.
const PLAIN_TAGS = new Set(
  ["str", "int", "float", "bool", "null", "map", "seq"].map((t) => `tag:yaml.org,2002:${t}`),
);

/** The field path of a node from the ancestors `visit` hands over, e.g. [0, "contacts", 1, "email"]. */
function fieldPath(ancestors: readonly unknown[], node: unknown): PropertyKey[] {
  const { isCollection, isMap, isPair, isScalar } = yamlLibrary();
  const path: PropertyKey[] = [];
  const chain = [...ancestors, node];
  for (let index = 0; index < chain.length - 1; index++) {
    const parent = chain[index];
    const child = chain[index + 1];
    if (isPair(parent) && isScalar(parent.key) && child === parent.value) path.push(String(parent.key.value));
    else if (isCollection(parent) && !isMap(parent)) path.push(parent.items.indexOf(child as never));
  }
  return path;
}

/** Keys and values the data may not hold: names built into JavaScript, merge keys (<<), tags. */
export function nodeProblems(document: Document, file: string, at: At): Problem[] {
  const { isAlias, isMap, isScalar, isSeq, visit } = yamlLibrary();
  const problems: Problem[] = [];
  const report = (node: Node | undefined, field: PropertyKey[], message: string, hint: string) => {
    const position = node?.range ? at(node.range[0]) : undefined;
    problems.push(error(file, position?.line, message, hint, placeOf(position, field)));
  };
  const checkTag = (node: Node, ancestors: readonly unknown[]) => {
    if (isAlias(node) || !node.tag || PLAIN_TAGS.has(node.tag)) return;
    const tag = node.tag.replace(/^tag:yaml\.org,2002:/, "!!");
    const binary = tag === "!!binary";
    report(
      node,
      fieldPath(ancestors, node),
      binary
        ? "the tag !!binary marks base64-encoded bytes, which no field here holds"
        : `the tag ${tag} gives the value a special type, which no field here has`,
      binary
        ? "put the file in attachments/ and name it under the campaign's attachments"
        : `remove "${tag}" and write the value as plain text (quote it if YAML would read it as a number or a date)`,
    );
  };
  visit(document, {
    Pair(_, pair, ancestors) {
      if (!isScalar(pair.key)) {
        // "? [a, b]: x": JavaScript objects have only text keys, so the library would flatten it (and say
        // so on stderr). Said here instead, where the key is.
        report(
          (pair.key as Node | null) ?? undefined,
          fieldPath(ancestors, pair),
          `a key that is ${isSeq(pair.key) ? "a list" : isMap(pair.key) ? "a mapping" : "not plain text"} is not read here`,
          "write the key as a plain name or text, such as id:",
        );
        return;
      }
      const key = String(pair.key.value);
      const field = [...fieldPath(ancestors, pair), key];
      if (key === "<<" && pair.key.type === "PLAIN") {
        report(
          pair.key,
          field,
          'a merge key ("<<:"), which copies the fields of another mapping, is not read here',
          "write the fields out in each mapping; an alias (*name) may stand for one value, such as a whole list",
        );
      } else if (BUILT_IN_NAMES.has(key)) {
        report(
          pair.key,
          field,
          `the key "${key}" is not allowed: it is a name built into JavaScript objects`,
          "rename the key (a template could not use it either)",
        );
      }
    },
    Scalar(_, node, ancestors) {
      checkTag(node, ancestors);
      // 1e1, 0x10, 0o12, +5 and .inf are numbers to YAML, but no count here is meant to be written so:
      // a count must be what it looks like.
      if (typeof node.value !== "number" || node.type !== "PLAIN") return;
      const written = String(node.source ?? "");
      if (/^-?\d+(\.\d+)?$/.test(written)) return;
      report(
        node,
        fieldPath(ancestors, node),
        `${written} is read as the number ${String(node.value)}, written in a form no field here expects`,
        `write the number in plain digits, like ${Number.isFinite(node.value) ? String(node.value) : "14"}; or put text in quotes: "${written}"`,
      );
    },
    // A Scalar visitor replaces Node for scalars, so both check tags.
    Node(_, node, ancestors) {
      checkTag(node, ancestors);
    },
  });
  return problems;
}

/**
 * Measures what the document's aliases expand into, without expanding them: an alias costs what the value
 * it names costs. Many aliases of a small value are fine; a few that multiply (a billion laughs) are not.
 */
export function aliasProblem(document: Document, file: string, at: At): Problem | undefined {
  const { isAlias, isCollection, isPair, isScalar, visit } = yamlLibrary();
  let unresolved: Problem | undefined;
  visit(document, {
    Alias(_, node, ancestors) {
      if (node.resolve(document)) return undefined;
      const position = node.range ? at(node.range[0]) : undefined;
      const field = fieldPath(ancestors, node);
      unresolved = error(
        file,
        position?.line,
        `the alias *${node.source} refers to no anchor: nothing before it is marked &${node.source}`,
        `mark the value it stands for with &${node.source} (above this line), or write the value out`,
        placeOf(position, field),
      );
      return visit.BREAK;
    },
  });
  if (unresolved) return unresolved;
  const sizes = new Map<Node, number>();
  const measuring = new Set<Node>();
  let problem: Problem | undefined;
  const sizeOf = (node: unknown): number => {
    if (problem || node === null || node === undefined) return 0;
    if (isAlias(node)) {
      const target = node.resolve(document);
      const line = node.range ? at(node.range[0]).line : undefined;
      if (!target) return 0;
      if (measuring.has(target)) {
        problem = error(
          file,
          line,
          `the alias *${node.source} is used inside the value it names, which would never end`,
          "write the value out instead",
        );
        return 0;
      }
      return sizeOf(target);
    }
    const known = sizes.get(node as Node);
    if (known !== undefined) return known;
    let size = 1;
    if (isScalar(node)) size += String(node.value ?? "").length;
    else if (isCollection(node)) {
      measuring.add(node);
      for (const item of node.items) {
        size += isPair(item) ? sizeOf(item.key) + sizeOf(item.value) : sizeOf(item);
        if (size > MAX_EXPANDED_SIZE) break;
      }
      measuring.delete(node);
    }
    sizes.set(node as Node, size);
    return size;
  };
  const total = sizeOf(document.contents);
  if (problem) return problem;
  if (total <= MAX_EXPANDED_SIZE) return undefined;
  let firstAlias: number | undefined;
  visit(document, {
    Alias(_, node) {
      firstAlias = node.range ? at(node.range[0]).line : undefined;
      return visit.BREAK;
    },
  });
  return error(
    file,
    firstAlias,
    `the aliases (*name) in this file expand into more than ${MAX_EXPANDED_SIZE.toLocaleString("en")} characters of data: an alias bomb`,
    "write the values out instead of aliasing aliases",
  );
}
