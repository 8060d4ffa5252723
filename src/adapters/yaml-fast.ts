// A fast reader for the plain YAML that recipient files are nearly always written in: block mappings and
// lists, one-line plain or quoted values, one-line flow lists and mappings, comments. It keeps the offsets
// of every node, as the `yaml` package does, so a file it reads needs no second parse for its positions.
//
// It reads only what it can read exactly as the full loader does (yaml-file.ts, YAML 1.2 core schema) and
// what the full loader would accept without a problem. Anything else (anchors, aliases, tags, merge keys,
// block text, multi-line values, empty values, document markers, directives, tabs, carriage returns,
// backslash escapes, duplicate or odd keys, numbers written other than in plain digits) makes it decline:
// it returns undefined and the full loader reads the file, problems and all. test/yaml-fast.test.ts
// compares both readings over every YAML fixture and generated tricky cases.
//
// It also reads nothing that yaml-checks.ts's nestingProblem would refuse (so a file it reads needs no such
// check): no tab, no indentation past MAX_INDENT, and no bracket or quote inside a plain value, so that
// the brackets that check counts are exactly the flow collections read here, at most MAX_FLOW_DEPTH deep.
import { BUILT_IN_NAMES } from "../core/text-rules.js";

export type FastNode =
  | { kind: "scalar"; start: number; end: number; value: unknown }
  | { kind: "map"; start: number; pairs: FastPair[] }
  | { kind: "seq"; start: number; items: FastNode[] };

export interface FastPair {
  key: string;
  keyStart: number;
  value: FastNode;
}

/** Thrown inside the reader when the text is not in the subset it reads exactly. */
class Decline extends Error {}
const decline = (): never => {
  throw new Decline();
};

interface Line {
  /** Offset of the line's first character in the text. */
  start: number;
  /** Offset just past its last character (before the line break). */
  end: number;
  indent: number;
}

const MAX_KEY_LENGTH = 1000; // the full parser refuses implicit keys over 1024 characters
const MAX_FLOW_DEPTH = 64; // as nestingProblem's
const MAX_INDENT = 300; // under nestingProblem's 400 columns
const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** Keys already found plain (the same few names in every recipient), up to a bound. */
const PLAIN_KEYS = new Set<string>();
const MAX_PLAIN_KEYS = 1000;
/** Characters a plain value may not start with (indicators); `[`, `{` and quotes are read separately. */
const INDICATORS = new Set([..."-?:,[]{}#&*!|>'\"%@`"]);
/** Where a plain value in a flow collection ends. */
const FLOW_STOPS = new Set([..."[]{},:#"]);

/**
 * A value's text of its own. A part of a longer text is, in V8, a view of it (from 13 characters on): each
 * value kept would keep its whole file's text alive as long as the recipient is, 28 MB of YAML beside a plan
 * of 100,000 recipients (peak memory of a cold check 222 -> 200 MB with copies, for about 5% more CPU).
 */
function ownText(part: string): string {
  return part.length < 13 ? part : Buffer.from(part, "utf8").toString("utf8");
}

/** The value of a plain scalar as the core schema resolves it, or a decline where it is not plain text. */
function plainValue(source: string): unknown {
  const first = source.charCodeAt(0);
  const digitLike = (first >= 48 && first <= 57) || first === 43 || first === 45 || first === 46; // 0-9 + - .
  if (digitLike) {
    if (/^-?[0-9]+$/.test(source)) return Number.parseInt(source, 10);
    if (/^-?[0-9]+\.[0-9]+$/.test(source)) return Number.parseFloat(source);
    // Any other number form (1e3, 0x1f, 0o7, +5, .5, 1., .inf) is one the full loader reports.
    if (
      /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(source) ||
      /^(?:0o[0-7]+|0x[0-9a-fA-F]+)$/.test(source) ||
      /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(source)
    ) {
      return decline();
    }
    return source;
  }
  if (source.length <= 5) {
    if (/^(?:~|[Nn]ull|NULL)$/.test(source)) return null;
    if (/^(?:[Tt]rue|TRUE)$/.test(source)) return true;
    if (/^(?:[Ff]alse|FALSE)$/.test(source)) return false;
  }
  return source;
}

/** Reads `text` into nodes with offsets, or undefined when the full loader must read it. */
export function readFastYaml(text: string): FastNode | undefined {
  // Tabs, carriage returns, escapes, control characters and a byte-order mark inside are left to the full loader.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this regex's job
  if (/[\t\r\\\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]/.test(text)) return undefined;
  try {
    return new Reader(text).document();
  } catch (error) {
    if (error instanceof Decline) return undefined;
    throw error;
  }
}

class Reader {
  private readonly lines: Line[] = [];
  private index = 0;

  constructor(private readonly text: string) {
    let start = 0;
    while (start <= text.length) {
      let end = text.indexOf("\n", start);
      if (end === -1) end = text.length;
      let indent = 0;
      while (text.charCodeAt(start + indent) === 32) indent++;
      if (indent > MAX_INDENT) decline();
      const first = start + indent;
      // Blank lines and comment lines are skipped wherever they are (no block text is read here).
      if (first < end && text.charCodeAt(first) !== 35) {
        // A document marker or directive: only a line starting with "-", "." or "%" can be one.
        const code = text.charCodeAt(first);
        if (
          indent === 0 &&
          (code === 45 || code === 46 || code === 37) &&
          /^(?:---|\.\.\.|%)/.test(text.slice(start, start + 3))
        )
          decline();
        this.lines.push({ start, end, indent });
      }
      start = end + 1;
    }
  }

  document(): FastNode {
    const first = this.lines[0];
    if (!first) return decline();
    const node = this.block(first.indent, first.start + first.indent, first);
    if (this.index !== this.lines.length) decline();
    return node;
  }

  /** The block node whose first token starts at `at` (column `column`) on `line`. */
  private block(column: number, at: number, line: Line): FastNode {
    const text = this.text;
    if (text.charCodeAt(at) === 45 && (at + 1 === line.end || text.charCodeAt(at + 1) === 32)) {
      return this.sequence(column, at, line);
    }
    return this.mapping(column, at, line);
  }

  /** A block list whose first "-" is at `at`; its later items are lines indented `column`. */
  private sequence(column: number, at: number, line: Line): FastNode {
    const items: FastNode[] = [];
    let dash = at;
    let current = line;
    for (;;) {
      let content = dash + 1;
      while (this.text.charCodeAt(content) === 32) content++;
      if (content >= current.end || this.text.charCodeAt(content) === 35) decline(); // "-" alone
      const itemColumn = column + (content - dash);
      if (itemColumn > MAX_INDENT) decline();
      const opensBlock = this.startsBlock(content, current);
      if (opensBlock) items.push(this.block(itemColumn, content, current));
      else {
        items.push(this.inlineValue(content, current));
        this.index++;
        this.expectBelow(column + 1);
      }
      const next = this.lines[this.index];
      if (!next || next.indent < column) break;
      if (next.indent > column) decline();
      dash = next.start + next.indent;
      if (
        !(
          this.text.charCodeAt(dash) === 45 &&
          (dash + 1 === next.end || this.text.charCodeAt(dash + 1) === 32)
        )
      )
        break; // the mapping this list is the value of goes on
      current = next;
    }
    return { kind: "seq", start: at, items };
  }

  /** Whether a nested block (a "- " list or a "key:" mapping) starts at `at`. */
  private startsBlock(at: number, line: Line): boolean {
    const text = this.text;
    if (text.charCodeAt(at) === 45 && (at + 1 === line.end || text.charCodeAt(at + 1) === 32)) {
      return decline(); // "- - x": a list in a list on one line
    }
    return this.keyEnd(at, line) !== undefined;
  }

  /** Where the key at `at` ends (at its colon) when the line holds "key:" there; undefined otherwise. */
  private keyEnd(at: number, line: Line): number | undefined {
    const text = this.text;
    let index = at;
    while (index < line.end) {
      const code = text.charCodeAt(index);
      if (code === 58) {
        const after = text.charCodeAt(index + 1);
        if (index + 1 === line.end || after === 32) return index;
      }
      if (code === 32) return undefined;
      index++;
    }
    return undefined;
  }

  /** A block mapping whose first key is at `at`; its later keys are lines indented `column`. */
  private mapping(column: number, at: number, line: Line): FastNode {
    const pairs: FastPair[] = [];
    let keyStart = at;
    let current = line;
    for (;;) {
      const colon = this.keyEnd(keyStart, current) ?? decline();
      const key = this.text.slice(keyStart, colon);
      this.checkKey(key, pairs);
      let content = colon + 1;
      while (this.text.charCodeAt(content) === 32) content++;
      let value: FastNode;
      if (content >= current.end || this.text.charCodeAt(content) === 35) {
        // "key:" with its value on the lines below: more indented, or a list at the same indentation.
        this.index++;
        const next = this.lines[this.index] ?? decline();
        const nextAt = next.start + next.indent;
        const dash =
          this.text.charCodeAt(nextAt) === 45 &&
          (nextAt + 1 === next.end || this.text.charCodeAt(nextAt + 1) === 32);
        if (next.indent > column) value = this.block(next.indent, nextAt, next);
        else if (next.indent === column && dash) value = this.sequence(column, nextAt, next);
        else value = decline(); // an empty value
      } else {
        value = this.inlineValue(content, current);
        this.index++;
        this.expectBelow(column + 1);
      }
      pairs.push({ key, keyStart, value });
      const next = this.lines[this.index];
      if (!next || next.indent < column) break;
      if (next.indent > column) decline();
      const nextAt = next.start + next.indent;
      if (
        this.text.charCodeAt(nextAt) === 45 &&
        (nextAt + 1 === next.end || this.text.charCodeAt(nextAt + 1) === 32)
      )
        decline(); // a list item among keys
      keyStart = nextAt;
      current = next;
    }
    return { kind: "map", start: at, pairs };
  }

  /** A plain name, not built into JavaScript objects, not read as a number or a truth value, not repeated. */
  private checkKey(key: string, pairs: readonly FastPair[]): void {
    if (!PLAIN_KEYS.has(key)) {
      if (!KEY.test(key) || key.length > MAX_KEY_LENGTH || BUILT_IN_NAMES.has(key)) decline();
      if (typeof plainValue(key) !== "string") decline();
      if (PLAIN_KEYS.size < MAX_PLAIN_KEYS) PLAIN_KEYS.add(key);
    }
    for (const pair of pairs) if (pair.key === key) decline();
  }

  /** The next line must be indented less than `column`: more would continue a one-line value. */
  private expectBelow(column: number): void {
    const next = this.lines[this.index];
    if (next && next.indent >= column) decline();
  }

  /** A value that fits on its line from `at`: quoted, flow or plain, then only spaces or a comment. */
  private inlineValue(at: number, line: Line): FastNode {
    const text = this.text;
    const code = text.charCodeAt(at);
    let node: FastNode;
    let after: number;
    if (code === 34 || code === 39) {
      [node, after] = this.quoted(at, line.end);
    } else if (code === 91 || code === 123) {
      [node, after] = this.flow(at, line.end, 1);
    } else {
      let end = at;
      while (end < line.end && !(text.charCodeAt(end) === 35 && text.charCodeAt(end - 1) === 32)) end++;
      while (text.charCodeAt(end - 1) === 32) end--;
      const source = this.plain(at, end);
      if (source.includes(": ") || source.endsWith(":")) decline(); // "a: b: c", a key on a value's line
      return { kind: "scalar", start: at, end, value: plainValue(ownText(source)) };
    }
    this.expectEnd(after, line.end);
    return node;
  }

  /** Only spaces, or spaces and a comment, from `at` to the end of the line. */
  private expectEnd(at: number, end: number): void {
    let index = at;
    while (index < end && this.text.charCodeAt(index) === 32) index++;
    if (index === end) return;
    if (index > at && this.text.charCodeAt(index) === 35) return;
    decline();
  }

  /** A quoted text closed on its line (no escapes: a backslash declined the whole file). */
  private quoted(at: number, end: number): [FastNode, number] {
    const text = this.text;
    const quote = text[at];
    if (quote === '"') {
      const close = text.indexOf('"', at + 1);
      if (close === -1 || close >= end) decline();
      return [
        { kind: "scalar", start: at, end: close + 1, value: ownText(text.slice(at + 1, close)) },
        close + 1,
      ];
    }
    let value = "";
    let from = at + 1;
    for (;;) {
      const close = text.indexOf("'", from);
      if (close === -1 || close >= end) decline();
      value += text.slice(from, close);
      if (text.charCodeAt(close + 1) !== 39)
        return [{ kind: "scalar", start: at, end: close + 1, value: ownText(value) }, close + 1];
      value += "'";
      from = close + 2;
    }
  }

  /** A flow list or mapping closed on its line, of plain or quoted values and flow collections. */
  private flow(at: number, end: number, depth: number): [FastNode, number] {
    if (depth > MAX_FLOW_DEPTH) decline();
    const text = this.text;
    const isMap = text.charCodeAt(at) === 123;
    const close = isMap ? 125 : 93;
    const items: FastNode[] = [];
    const pairs: FastPair[] = [];
    let index = this.skipSpaces(at + 1, end);
    if (text.charCodeAt(index) === close) {
      const node: FastNode = isMap ? { kind: "map", start: at, pairs } : { kind: "seq", start: at, items };
      return [node, index + 1];
    }
    for (;;) {
      if (isMap) {
        const keyStart = index;
        while (index < end && /[A-Za-z0-9_.-]/.test(text[index] ?? "")) index++;
        const key = text.slice(keyStart, index);
        if (text.charCodeAt(index) !== 58 || text.charCodeAt(index + 1) !== 32) decline();
        this.checkKey(key, pairs);
        index = this.skipSpaces(index + 1, end);
        const [value, after] = this.flowValue(index, end, depth);
        pairs.push({ key, keyStart, value });
        index = after;
      } else {
        const [value, after] = this.flowValue(index, end, depth);
        items.push(value);
        index = after;
      }
      index = this.skipSpaces(index, end);
      const code = text.charCodeAt(index);
      if (code === close) {
        const node: FastNode = isMap ? { kind: "map", start: at, pairs } : { kind: "seq", start: at, items };
        return [node, index + 1];
      }
      if (code !== 44) decline();
      index = this.skipSpaces(index + 1, end);
      if (index >= end || text.charCodeAt(index) === close || text.charCodeAt(index) === 44) decline(); // [a, ]
    }
  }

  private flowValue(at: number, end: number, depth: number): [FastNode, number] {
    const text = this.text;
    const code = text.charCodeAt(at);
    if (code === 34 || code === 39) return this.quoted(at, end);
    if (code === 91 || code === 123) return this.flow(at, end, depth + 1);
    if (at >= end) decline();
    let index = at;
    while (index < end && !FLOW_STOPS.has(text[index] ?? "")) index++;
    let valueEnd = index;
    while (text.charCodeAt(valueEnd - 1) === 32) valueEnd--;
    const source = ownText(this.plain(at, valueEnd));
    return [{ kind: "scalar", start: at, end: valueEnd, value: plainValue(source) }, index];
  }

  /**
   * The text of a plain value from `at` to `end`. It may not start with an indicator ("-", "&", "*", "!",
   * "|", ">", "%"... begin a list item, anchor, alias, tag or block text), nor hold a bracket, nor a quote
   * where nestingProblem would take it for the start of a quoted text.
   */
  private plain(at: number, end: number): string {
    const source = this.text.slice(at, end);
    if (INDICATORS.has(source[0] ?? "") || /[[\]{}]|[-?:,] *['"]/.test(source)) decline();
    return source;
  }

  private skipSpaces(at: number, end: number): number {
    let index = at;
    while (index < end && this.text.charCodeAt(index) === 32) index++;
    return index;
  }
}

/** The plain data of a node, as the full loader's toJS gives it. */
export function fastValue(node: FastNode): unknown {
  if (node.kind === "scalar") return node.value;
  if (node.kind === "seq") {
    const { items } = node;
    const list = new Array(items.length);
    for (let index = 0; index < items.length; index++) list[index] = fastValue(items[index] as FastNode);
    return list;
  }
  const object: Record<string, unknown> = {};
  const { pairs } = node;
  for (let index = 0; index < pairs.length; index++) {
    const pair = pairs[index] as FastPair;
    object[pair.key] = fastValue(pair.value);
  }
  return object;
}

/** Line and column (both from 1) of each offset, as the `yaml` package's LineCounter gives them. */
export function lineCounter(text: string): (offset: number) => { line: number; column: number } {
  const starts = [0];
  for (let index = text.indexOf("\n"); index !== -1; index = text.indexOf("\n", index + 1)) {
    starts.push(index + 1);
  }
  return (offset) => {
    let low = 0;
    let high = starts.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (offset < (starts[middle] ?? 0)) high = middle;
      else low = middle + 1;
    }
    return { line: low, column: offset - (starts[low - 1] ?? 0) + 1 };
  };
}

/**
 * The node at `path` (its key's offset when `key` is set), or the nearest existing parent, exactly as
 * yaml-file.ts finds it in the full parser's document.
 */
export function fastNodeAt(
  root: FastNode,
  path: readonly PropertyKey[],
  key: boolean,
): { node: FastNode; keyStart?: number; exact: boolean } {
  let node = root;
  let keyStart: number | undefined;
  for (const segment of path) {
    if (node.kind === "map") {
      let pair: FastPair | undefined;
      for (const item of node.pairs) {
        if (item.key === segment) {
          pair = item;
          break;
        }
      }
      if (!pair) return { node, exact: false };
      keyStart = pair.keyStart;
      node = pair.value;
    } else if (node.kind === "seq" && typeof segment === "number" && node.items[segment] !== undefined) {
      keyStart = undefined;
      node = node.items[segment] as FastNode;
    } else {
      return { node, exact: false };
    }
  }
  return key && keyStart !== undefined ? { node, keyStart, exact: true } : { node, exact: true };
}
