// Objects made one per letter, event, recipient or row share V8's hidden classes (src/core/objects.ts): on
// Node 20 a literal that starts with a spread and goes on gets a class of its own each time, and 100,000
// letters made 100,000 classes. Each object is made in a process of its own with --allow-natives-syntax,
// where %HaveSameMap says whether two objects share their class; and no such literal is left in src.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { withFields } from "../src/core/objects.js";
import { REPO, tempFolder } from "./support.js";

const built = (path: string) => JSON.stringify(pathToFileURL(join(REPO, "dist", path)).href);

/**
 * Runs `make(i)` for i = 0 … count - 1 in a process of its own and says how many of the objects it returned
 * have the class of the one before. `imports` are the lines that give `make` what it needs.
 */
function sharedClasses(imports: string, make: string, count = 400): number {
  const script = `
    ${imports}
    const make = ${make};
    let shared = 0;
    let last;
    for (let i = 0; i < ${count}; i++) {
      const made = make(i);
      if (last !== undefined && %HaveSameMap(made, last)) shared++;
      last = made;
    }
    process.stdout.write(String(shared));
  `;
  const file = join(tempFolder(), "classes.mjs");
  writeFileSync(file, script);
  return Number(execFileSync(process.execPath, ["--allow-natives-syntax", file], { encoding: "utf8" }));
}

describe("objects made per item share their hidden classes", () => {
  it("on this Node, a literal that starts with a spread does not, and withFields does", () => {
    const base = `(i) => ({ id: "r" + i, organisation: "Organisation " + i })`;
    // The premise: if a later Node shares these classes, this fails, and objects.ts can say so.
    expect(sharedClasses("", `(i) => ({ ...(${base})(i), language: "ru" })`)).toBeLessThan(100);
    expect(
      sharedClasses(
        `import { withFields } from ${built("core/objects.js")};`,
        `(i) => withFields((${base})(i), { language: "ru" })`,
      ),
    ).toBe(399);
  });

  it("a letter's context: the recipient a template sees", () => {
    const prepared = JSON.stringify({
      campaign: { id: "khorog-2012", date: "2012-07-30", signatories: [{ name: "A. Citizen" }] },
      config: { defaults: { language: "en" }, sender: { name: "Citizens", email: "appeal@example.org" } },
    });
    const recipient = `(i) => ({
      id: "r" + i, organisation: "Organisation " + i, type: "un",
      contacts: [{ name: "Desk " + i, email: "desk" + i + "@example.org" }],
    })`;
    const shared = sharedClasses(
      `import { letterContext } from ${built("core/letters.js")};`,
      `(i) => letterContext(${prepared}, (${recipient})(i), "en").context.recipient`,
    );
    expect(shared).toBe(399);
  });
});

describe("withFields", () => {
  it("makes what the spread makes, an own __proto__ key included", () => {
    const base = { id: "osce", organisation: "OSCE" };
    const spread = { ...base, organisation: "OSCE Office in Dushanbe", language: "ru" };
    const made = withFields(base, { organisation: "OSCE Office in Dushanbe", language: "ru" });
    expect(Object.entries(made)).toEqual(Object.entries(spread));
    // A key named so by a spreadsheet's column stays a key, as with the spread; the prototype stays too.
    const column = JSON.parse('{"__proto__": "x", "mandate": "y"}') as object;
    for (const fields of [withFields(base, column), withFields(column, base)]) {
      expect(Object.hasOwn(fields, "__proto__")).toBe(true);
      expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
      expect(Object.keys(fields)).toHaveLength(4);
    }
  });
});

/** Every literal in src that starts with a spread and goes on, as `file:line`; objects.ts has the one it needs. */
function spreadFirstLiterals(): string[] {
  const found: string[] = [];
  const visitFolder = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) visitFolder(path);
      else if (entry.name.endsWith(".ts") && path !== join(REPO, "src", "core", "objects.ts"))
        visitFile(path);
    }
  };
  const visitFile = (path: string) => {
    const source = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node) => {
      const [first, ...rest] = ts.isObjectLiteralExpression(node) ? node.properties : [];
      if (first && rest.length > 0 && ts.isSpreadAssignment(first)) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
        found.push(`${relative(REPO, path)}:${line + 1}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  };
  visitFolder(join(REPO, "src"));
  return found;
}

describe("src", () => {
  it("has no object literal that starts with a spread and goes on (use withFields, or a key first)", () => {
    expect(spreadFirstLiterals()).toEqual([]);
  });
});
