// The fast YAML reader against the full loader: on every YAML text the tests hold (the bad-input ones
// included), the starter campaign, the bench's shape and generated tricky cases, the fast reader either
// declines or gives the very values, positions and source texts the full parser gives.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { nestingProblem } from "../src/adapters/yaml-checks.js";
import { fastValue, readFastYaml } from "../src/adapters/yaml-fast.js";
import { parseYaml, type YamlFile } from "../src/adapters/yaml-file.js";

const here = import.meta.dirname;

/** Every string and template literal in the test files (placeholders filled in), where it could be YAML. */
function literalsOfTests(): string[] {
  const texts = new Set<string>();
  for (const name of readdirSync(here).filter((file) => file.endsWith(".ts"))) {
    const source = ts.createSourceFile(name, readFileSync(join(here, name), "utf8"), ts.ScriptTarget.Latest);
    const visit = (node: ts.Node): void => {
      if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) texts.add(node.text);
      else if (ts.isTemplateExpression(node)) {
        texts.add(node.head.text + node.templateSpans.map((span) => `x1${span.literal.text}`).join(""));
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return [...texts].filter((text) => /[:\-[{]/.test(text));
}

function starterFiles(): string[] {
  const root = join(here, "..", "starter");
  return [
    readFileSync(join(root, "outreach.yaml"), "utf8"),
    ...readdirSync(join(root, "recipients")).map((file) =>
      readFileSync(join(root, "recipients", file), "utf8"),
    ),
  ];
}

/** The bench's recipient files (bench/generate.js), a few recipients long. */
function benchShaped(): string {
  let yaml = "";
  for (let index = 0; index < 5; index++) {
    yaml +=
      `- id: r${index}\n  organisation: Institution number ${index}\n  type: un\n  country: AD\n` +
      `  salutation: "Dear Colleague ${index},"\n  tags: [t${index}]\n` +
      `  contacts:\n    - name: Person ${index}\n      email: person${index}@r${index}.example.org\n` +
      `  custom:\n    topic: "the situation in region ${index % 7}"\n`;
  }
  return yaml;
}

/** Lines that each touch one subtle rule of YAML; the generated files combine them. */
const VALUES = [
  "plain text",
  "'single'",
  "'it''s'",
  '"double"',
  '"with # hash"',
  "a #comment",
  "a#b",
  "007",
  "-0",
  "12",
  "12.50",
  "1e3",
  "0x1F",
  "0o17",
  "+5",
  ".5",
  "1.",
  ".inf",
  "-.inf",
  ".nan",
  "~",
  "null",
  "Null",
  "NULL",
  "nUll",
  "true",
  "True",
  "TRUE",
  "tRue",
  "yes",
  "no",
  "on",
  "off",
  "y",
  "2012-07-25",
  "2012-07-25T08:00:00Z",
  "12:30",
  "1:20:30",
  "1_000",
  "[a, b]",
  "[a, b,]",
  "[]",
  "{}",
  "{ a: 1, b: [x, 'y'] }",
  "{a: 1}",
  "{a:1}",
  "[a: b]",
  "[a, [b, [c]]]",
  "[ 'a', \"b\" ]",
  "&anchor value",
  "*alias",
  "!!str 12",
  "!tag x",
  "!!binary aGVsbG8=",
  "|",
  ">",
  "- item",
  "b: c",
  "b:",
  "http://example.org/a?b=c",
  "user@example.org",
  "Dear Colleague,",
  "Madame, Monsieur:",
  "%percent",
  "@at",
  "`tick",
  "a: b",
  "'unclosed",
  '"unclosed',
  '"a" b',
  '"a"#b',
  "'a' # fine",
  "x   ",
  "Ünïcödé ✓",
  "x, [y",
  "a [b",
  "a ]b",
  "x -'y'",
  "x, 'y",
  "x,'y' and ,\"z",
  "O'Brien's",
  'say "hi"',
  "a - >",
  "a - |",
  `${"[".repeat(64)}x${"]".repeat(64)}`,
  `${"[".repeat(65)}x${"]".repeat(65)}`,
  `${"{ a: ".repeat(65)}x${" }".repeat(65)}`,
  "[x -'y']",
  "[a #b]",
  "[a, b] # c",
  "{ a: 'x' } #c",
  "__proto__",
  "constructor",
  "",
];
/** Values the fast reader reads: most of a generated file, so that it is read fast often enough. */
const READ_FAST = [
  "plain text",
  "'single'",
  "'it''s'",
  '"double"',
  "a #comment",
  "007",
  "-0",
  "12",
  "12.50",
  "true",
  "null",
  "~",
  "yes",
  "2012-07-25",
  "[a, b]",
  "[]",
  "{ a: 1, b: [x, 'y'] }",
  "user@example.org",
  "Dear Colleague,",
  "x   ",
];
const KEYS = [
  "id",
  "name",
  "__proto__",
  "constructor",
  "<<",
  "a b",
  "'q'",
  "1",
  "true",
  "null",
  "k-1",
  "k.2",
  "_u",
];

/** A deterministic pseudo-random sequence (so a failure can be replayed). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

/** A random block-style document: mappings and lists nested a few deep, values from VALUES. */
function randomDocument(next: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const lines: string[] = [];
  const step = () => pick([2, 2, 2, 4, 1, 3]);
  const scalar = () => (next() < 0.1 ? pick(VALUES) : pick(READ_FAST));
  const value = (indent: number, depth: number, prefix: string): void => {
    const form = next();
    if (depth > 3 || form < 0.45) lines.push(`${prefix} ${scalar()}`.trimEnd());
    else if (form < 0.7) {
      lines.push(prefix);
      mapping(indent + step(), depth + 1);
    } else {
      lines.push(prefix);
      list(next() < 0.3 ? indent : indent + step(), depth + 1);
    }
  };
  const mapping = (indent: number, depth: number, first = ""): void => {
    const count = 1 + Math.floor(next() * 4);
    for (let index = 0; index < count; index++) {
      const key = next() < 0.95 ? `k${index}` : pick(KEYS);
      const pad = index === 0 && first ? first : " ".repeat(indent);
      if (next() < 0.08) lines.push(`${" ".repeat(Math.floor(next() * 6))}# comment`);
      if (next() < 0.05) lines.push("");
      value(indent, depth, `${pad}${key}:`);
    }
  };
  const list = (indent: number, depth: number): void => {
    const count = 1 + Math.floor(next() * 3);
    for (let index = 0; index < count; index++) {
      const dash = `${" ".repeat(indent)}-${" ".repeat(next() < 0.8 ? 1 : 3)}`;
      const form = next();
      if (form < 0.5 && depth < 4) mapping(dash.length, depth + 1, dash);
      else if (form < 0.6 && depth < 4) {
        lines.push(dash.trimEnd());
        mapping(indent + step(), depth + 1);
      } else lines.push(`${dash}${scalar()}`.trimEnd());
    }
  };
  if (next() < 0.5) list(0, 0);
  else mapping(0, 0);
  return `${lines.join("\n")}${next() < 0.9 ? "\n" : ""}`;
}

function generated(count: number): string[] {
  const next = random(11);
  const texts: string[] = [];
  for (const value of VALUES) {
    texts.push(`id: ${value}\n`, `- ${value}\n- x\n`, `a:\n  b: ${value}\n  c: [${value}]\n`, `${value}\n`);
  }
  for (const key of KEYS) texts.push(`${key}: x\n`, `- ${key}: x\n  y: z\n`, `a: { ${key}: 1 }\n`);
  for (let index = 0; index < count; index++) {
    const text = randomDocument(next);
    texts.push(text);
    // The same with one character changed to a tricky one.
    const at = Math.floor(next() * text.length);
    const character = [" ", "\n", "-", ":", "#", "'", '"', "[", "{", "&", "\t", "\r", "\\"][index % 13];
    texts.push(text.slice(0, at) + character + text.slice(at + 1));
  }
  // Each character of the bench's shape in turn changed to a tricky one: every one in its first 400
  // characters, and four of them at each place after (positions far into a file count too).
  const base = benchShaped();
  const tricky = [" ", "\n", "-", ":", "#", "'", '"', "[", "&", "\t", "\r", "\\"];
  for (let index = 0; index < base.length; index++) {
    const characters = index < 400 ? tricky : [0, 1, 2, 3].map((shift) => tricky[(index + shift * 3) % 12]);
    for (const character of characters) texts.push(base.slice(0, index) + character + base.slice(index + 1));
  }
  return texts;
}

/** Every path into the value, with one missing path below each mapping and list. */
function pathsOf(value: unknown, path: PropertyKey[] = []): PropertyKey[][] {
  const paths: PropertyKey[][] = [path];
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      paths.push(...pathsOf(item, [...path, index]));
    });
    paths.push([...path, value.length], [...path, "id"]);
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) paths.push(...pathsOf(item, [...path, key]));
    paths.push([...path, "missing"], [...path, 0]);
  }
  return paths;
}

/** What a reading says at every path: the values, positions (of values and keys), source texts. */
function reading(yaml: YamlFile): unknown[] {
  return pathsOf(yaml.value).map((path) => [
    path,
    yaml.locate(path),
    yaml.locate(path, true),
    yaml.sourceAt(path),
    yaml.has(path),
  ]);
}

function compare(text: string): "fast" | "declined" {
  const fast = readFastYaml(text);
  if (!fast) return "declined";
  const full = parseYaml(text, "recipients/x.yaml", { full: true });
  if (!full.ok) throw new Error(`the fast reader took a file the full loader refuses:\n${text}`);
  // The fast path skips the nesting check, so what it reads must pass it.
  expect(nestingProblem(text, "recipients/x.yaml"), text).toBeUndefined();
  expect(fastValue(fast), text).toStrictEqual(full.yaml.value);
  const quick = parseYaml(text, "recipients/x.yaml");
  if (!quick.ok || !quick.yaml.full) throw new Error(`parseYaml did not take the fast path:\n${text}`);
  expect(reading(quick.yaml), text).toStrictEqual(reading(full.yaml));
  return "fast";
}

describe("the fast YAML reader", () => {
  it("reads every YAML text of the tests as the full loader does, or declines", () => {
    const texts = literalsOfTests();
    const outcomes = texts.map(compare);
    // The corpus must hold both kinds, or the comparison proves nothing.
    expect(outcomes.filter((outcome) => outcome === "fast").length).toBeGreaterThan(100);
    expect(outcomes.filter((outcome) => outcome === "declined").length).toBeGreaterThan(100);
  });

  it("reads the starter campaign and the bench's files, and so takes the fast path on them", () => {
    for (const text of [...starterFiles(), benchShaped()]) expect(compare(text), text).toBe("fast");
  });

  it("agrees with the full loader on generated tricky files", () => {
    const outcomes = generated(3000).map(compare);
    expect(outcomes.filter((outcome) => outcome === "fast").length).toBeGreaterThan(1000);
    expect(outcomes.filter((outcome) => outcome === "declined").length).toBeGreaterThan(1000);
  });

  it("declines what only the full loader reads exactly", () => {
    const declined = [
      "a: &x 1\nb: *x\n",
      "a: !!str 1\n",
      "<<: {a: 1}\n",
      "---\na: 1\n",
      "%YAML 1.2\n---\na: 1\n",
      "a: 1\n---\nb: 2\n",
      "a: |\n  text\n",
      "a: >\n  text\n",
      "a: long\n  text\n",
      "a: 1\na: 2\n",
      "__proto__: 1\n",
      "a:\n",
      "a:\tb\n",
      "a: b\r\n",
      'a: "\\u0041"\n',
      "a: 0x10\n",
      "a: 1e3\n",
      "a: .nan\n",
      "",
      "# only a comment\n",
    ];
    for (const text of declined) expect(readFastYaml(text), text).toBeUndefined();
  });
});
