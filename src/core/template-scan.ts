// What a template's text says before it is rendered: which partials it includes (and where), names that can
// never be the data's own fields, and nesting too deep for the template engine's recursive parser.
import Handlebars from "handlebars";
import { BUILT_IN_NAMES } from "./text-rules.js";

// Far beyond any letter, and far below what exhausts the parser (about 1,500 levels).
const MAX_BLOCK_DEPTH = 100;
const MAX_PARENTHESIS_DEPTH = 50;

export type IncludeTarget =
  | { kind: "name"; name: string }
  | { kind: "paragraph"; base: string }
  | { kind: "block" }
  | { kind: "dynamic" };

export interface IncludeSite {
  /** 1-based line and column inside the template text. */
  line: number;
  column: number;
  target: IncludeTarget;
  /** As written, e.g. `{{> legal/un}}`. */
  written: string;
}

export interface TemplateScan {
  includes: IncludeSite[];
  /** Errors shaped like the template engine's own (lineNumber, 0-based column, hint), to be located later. */
  errors: Error[];
}

interface Position {
  line: number;
  column: number;
}
interface AstNode {
  type: string;
  loc?: { start: Position };
  [key: string]: unknown;
}

/** An error the way Handlebars reports one: line and 0-based column as properties. */
export function engineError(message: string, at: Position | undefined, hint?: string): Error {
  return Object.assign(
    new Error(message),
    at ? { lineNumber: at.line, column: at.column } : {},
    hint ? { hint } : {},
  );
}

export function builtInNameError(expression: string, name: string, at?: Position): Error {
  return engineError(
    `uses {{${expression}}}: "${name}" is built into JavaScript${Object.hasOwn(Object.prototype, name) ? " objects" : ""}, it is not a field of the campaign's data`,
    at,
    "use only fields written in the recipient files and outreach.yaml (see the README's table of what a template sees)",
  );
}

/**
 * Refuses nesting the template parser would recurse into until the stack runs out: blocks ({{#if}}…) and
 * parentheses inside one {{…}}. Counting is approximate (it ignores quotes), which only errs on the safe side
 * for texts that no letter needs.
 */
export function nestingError(text: string): Error | undefined {
  const open: number[] = [];
  let depth = 0;
  let parentheses = 0;
  let inside = false;
  let line = 1;
  let lineStart = 0;
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (character === "\n") {
      line++;
      lineStart = index + 1;
    } else if (!inside && character === "{" && text[index + 1] === "{") {
      inside = true;
      parentheses = 0;
      const tag = /^\{\{\{?~?\s*(?:([#^/])(?!\s*~?\}\})|(else\s+[^\s}~]))/.exec(
        text.slice(index, index + 40),
      );
      if (tag?.[1] === "/") depth -= open.pop() ?? 0;
      else if (tag) {
        // `{{else if …}}` nests one more block inside the one it continues, closed by the same {{/if}}.
        if (tag[1]) open.push(1);
        else if (open.length > 0) open[open.length - 1] = (open.at(-1) ?? 0) + 1;
        if (++depth > MAX_BLOCK_DEPTH) {
          return engineError(
            `blocks are nested more than ${MAX_BLOCK_DEPTH} deep`,
            { line, column: index - lineStart },
            "a letter needs a few levels of {{#if}} or {{#each}}; close blocks before opening new ones",
          );
        }
      }
      index++;
    } else if (inside && character === "}" && text[index + 1] === "}") {
      inside = false;
      index++;
    } else if (inside && character === "(" && ++parentheses > MAX_PARENTHESIS_DEPTH) {
      return engineError(
        `(…) are nested more than ${MAX_PARENTHESIS_DEPTH} deep inside one {{…}}`,
        { line, column: index - lineStart },
        "split the expression into simpler ones",
      );
    } else if (inside && character === ")" && parentheses > 0) parentheses--;
  }
  return undefined;
}

/** Parses `text` (already checked by nestingError) and lists its partial includes and built-in names. */
export function scanTemplate(text: string): TemplateScan {
  const scan: TemplateScan = { includes: [], errors: [] };
  visit(Handlebars.parse(text) as unknown as AstNode, scan);
  return scan;
}

function visit(node: AstNode, scan: TemplateScan): void {
  const at = node.loc?.start;
  if (node.type === "PathExpression") {
    const parts = (node.parts as string[] | undefined) ?? [];
    const builtIn = parts.find((part) => BUILT_IN_NAMES.has(part));
    if (builtIn) scan.errors.push(builtInNameError(String(node.original), builtIn, at));
  }
  if (isCall(node) && pathName(node.path) === "lookup") {
    const key = (node.params as AstNode[] | undefined)?.[1];
    if (key?.type === "StringLiteral" && BUILT_IN_NAMES.has(String(key.value))) {
      const object = (node.params as AstNode[])[0];
      const expression = `lookup ${object ? String(object.original ?? "…") : "…"} "${String(key.value)}"`;
      scan.errors.push(builtInNameError(expression, String(key.value), key.loc?.start ?? at));
    }
  }
  if ((node.type === "PartialStatement" || node.type === "PartialBlockStatement") && at) {
    const target = includeTarget(node.name as AstNode);
    scan.includes.push({
      line: at.line,
      column: at.column + 1,
      target,
      written: describeInclude(target, node.name as AstNode),
    });
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === "loc") continue;
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) visit(item, scan);
    } else if (isNode(value)) visit(value, scan);
  }
}

function isNode(value: unknown): value is AstNode {
  return typeof value === "object" && value !== null && typeof (value as AstNode).type === "string";
}

function isCall(node: AstNode): boolean {
  return ["MustacheStatement", "SubExpression", "BlockStatement"].includes(node.type);
}

function pathName(node: unknown): string | undefined {
  return isNode(node) && node.type === "PathExpression" ? String(node.original) : undefined;
}

function includeTarget(name: AstNode): IncludeTarget {
  if (name.type === "PathExpression") {
    return name.data ? { kind: "block" } : { kind: "name", name: String(name.original) };
  }
  if (name.type === "StringLiteral" || name.type === "NumberLiteral") {
    return { kind: "name", name: String(name.value) };
  }
  if (name.type === "SubExpression" && pathName(name.path) === "paragraph") {
    const base = (name.params as AstNode[] | undefined)?.[0];
    if (base?.type === "StringLiteral") return { kind: "paragraph", base: String(base.value) };
  }
  return { kind: "dynamic" };
}

function describeInclude(target: IncludeTarget, name: AstNode): string {
  switch (target.kind) {
    case "name":
      return `{{> ${target.name}}}`;
    case "paragraph":
      return `{{> (paragraph "${target.base}")}}`;
    case "block":
      return `{{> ${String(name.original)}}}`;
    default:
      return "{{> (…)}}";
  }
}
