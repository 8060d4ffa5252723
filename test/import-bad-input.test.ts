// Bad input to import and to the recipient files it writes: what a sweep of odd lists and odd files found.
// Each case failed before its fix; each says the file, the place and the field, and writes nothing wrong.
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { CLI, campaignFolder, NOW, run, tempFolder } from "./support.js";

const HEADER = "Organisation,Email,Type,Salutation\n";

function noStackTrace(text: string): void {
  expect(text).not.toMatch(/\n\s+at |unexpected error/);
}

describe("import writes", () => {
  it("a link in the place of a file it changes is refused, not replaced, and nothing is written", async () => {
    const folder = campaignFolder();
    mkdirSync(join(folder, "lists"));
    renameSync(join(folder, "recipients/example.yaml"), join(folder, "lists/example.yaml"));
    symlinkSync("../lists/example.yaml", join(folder, "recipients/example.yaml"));
    const before = readFileSync(join(folder, "lists/example.yaml"), "utf8");
    writeFileSync(
      join(folder, "up.csv"),
      `${HEADER}Example Human Rights Association,director@ngo.example.net,ngo,Hi\nNew Body,new@x.example.org,ngo,Hi\n`,
    );
    const result = await run(["import", "up.csv", "--update"], { cwd: folder });
    expect(result.stderr).toMatch(
      /recipients\/example\.yaml is a link to \.\.\/lists\/example\.yaml, and outreach does not write through links; nothing was imported/,
    );
    noStackTrace(result.stderr);
    expect(result.exitCode).toBe(1);
    expect(lstatSync(join(folder, "recipients/example.yaml")).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(folder, "lists/example.yaml"), "utf8")).toBe(before);
    expect(() => lstatSync(join(folder, "recipients/up.yaml"))).toThrow();
  });

  it("recipients/ as a link out of the campaign folder is refused, and nothing is written where it leads", async () => {
    const folder = campaignFolder({ "ok.csv": `${HEADER}A Org,a@x.example.org,ngo,Hi\n` });
    const outside = tempFolder();
    renameSync(join(folder, "recipients/example.yaml"), join(outside, "example.yaml"));
    rmdirSync(join(folder, "recipients"));
    symlinkSync(outside, join(folder, "recipients"));
    const result = await run(["import", "ok.csv"], { cwd: folder });
    expect(result.stderr).toMatch(/recipients is a link to .*, outside the campaign folder/);
    noStackTrace(result.stderr);
    expect(result.exitCode).toBe(1);
    expect(readdirSync(outside)).toEqual(["example.yaml"]);
  });

  it("text YAML would read as a document marker (---, ... x) is written so that check reads it back", async () => {
    const folder = campaignFolder();
    writeFileSync(
      join(folder, "marks.csv"),
      "Organisation,Email,Type,Salutation,Mandate\n---,a@x.example.org,ngo,Hi,m\n... x,b@x.example.org,ngo,--- Dear,m\n",
    );
    const imported = await run(["import", "marks.csv"], { cwd: folder });
    expect(imported.exitCode).toBe(0);
    const check = await run(["check"], { cwd: folder });
    expect(check.stdout + check.stderr).not.toMatch(/recipients\/marks\.yaml/);
    expect(check.exitCode).toBe(0);
    const shown = await run(["recipients", "--json"], { cwd: folder });
    expect(shown.stdout).toContain('"---"');
    expect(shown.stdout).toContain('"... x"');
  });
});

describe("import on a full disk", () => {
  it("a file that cannot be written whole (ulimit -f) is named, and nothing is left behind", async () => {
    const rows = Array.from({ length: 40 }, (_, index) => `Body ${index},b${index}@x.example.org,ngo,Hi,m`);
    const folder = campaignFolder({
      "many.csv": `Organisation,Email,Type,Salutation,Mandate\n${rows.join("\n")}\n`,
    });
    const before = readdirSync(join(folder, "recipients"));
    const result = await execa("bash", ["-c", 'ulimit -f 2; exec node "$0" import many.csv', CLI], {
      cwd: folder,
      reject: false,
      env: { NO_COLOR: "1", OUTREACH_NOW: NOW },
    });
    expect(result.stderr).toMatch(
      /recipients\/many\.yaml cannot be written: .*ulimit -f.*; nothing was imported/,
    );
    noStackTrace(String(result.stderr));
    expect(result.exitCode).toBe(1);
    expect(readdirSync(join(folder, "recipients"))).toEqual(before);
  });
});

describe("import beside the folder cache", () => {
  it("after check (which caches the recipients), a recipient already in the folder, or added since, is not made again", async () => {
    const folder = campaignFolder({
      "again.csv": `${HEADER}Example Human Rights Association,director@ngo.example.net,ngo,Hi\nLater Body,later@x.example.org,ngo,Hi\nNew Body,new@x.example.org,ngo,Hi\n`,
    });
    expect((await run(["check"], { cwd: folder })).exitCode).toBe(0);
    expect(readdirSync(join(folder, ".outreach")).length).toBeGreaterThan(0);
    const cached = await run(["import", "again.csv", "--dry-run", "--json"], { cwd: folder });
    expect(JSON.parse(cached.stdout).created).toEqual(["later-body", "new-body"]);
    // A file changed since check is not taken from the cache.
    writeFileSync(
      join(folder, "recipients/later.yaml"),
      "- id: later-body\n  organisation: Later Body\n  type: ngo\n  salutation: Hi\n  contacts:\n    - email: later@x.example.org\n",
    );
    const changed = await run(["import", "again.csv", "--json"], { cwd: folder });
    const result = JSON.parse(changed.stdout);
    expect(result.created).toEqual(["new-body"]);
    expect(result.skipped.map(({ id }: { id: string }) => id).sort()).toEqual(["example-ngo", "later-body"]);
  });
});

describe("import reads columns", () => {
  it("two columns of one name cannot be told apart by --map or --id-from: the header is to be renamed", async () => {
    const folder = campaignFolder({
      "twice.csv": "Organisation,Organisation,Email,Type,Salutation\nA Org,B Org,a@x.example.org,ngo,Hi\n",
    });
    const plain = await run(["import", "twice.csv"], { cwd: folder });
    expect(plain.stderr).toMatch(
      /their names are the same \(columns 1 and 2\): rename one of them in the file's header row/,
    );
    const mapped = await run(["import", "twice.csv", "--map", "Organisation=skip"], { cwd: folder });
    expect(mapped.stderr).toMatch(
      /--map: the file has two columns named "Organisation" \(columns 1 and 2\), so which one is meant is unclear/,
    );
    for (const result of [plain, mapped]) {
      expect(result.exitCode).toBe(2);
      noStackTrace(result.stderr);
    }
    expect(() => lstatSync(join(folder, "recipients/twice.yaml"))).toThrow();
  });

  it("a row whose id cell is empty is refused, never given an id made from its organisation", async () => {
    const folder = campaignFolder({
      "ids.csv": `Key,${HEADER}mission-no,Mission of Norway,a@no.example.org,embassy,Hi\n,Mission of France,b@fr.example.org,embassy,Hi\n`,
    });
    const result = await run(["import", "ids.csv", "--id-from", "Key"], { cwd: folder });
    expect(result.stdout).toMatch(/row 3, column "Key": the id is empty/);
    expect(result.exitCode).toBe(1);
    noStackTrace(result.stderr);
    const written = readFileSync(join(folder, "recipients/ids.yaml"), "utf8");
    expect(written).toContain("id: mission-no");
    expect(written).not.toContain("Mission of France");
  });
});

describe("import reads text", () => {
  it("a NUL byte is placed at its line and column", async () => {
    const folder = campaignFolder({ "nul.csv": `${HEADER}A Org,a@x.example.org,ngo,Hi\0there\n` });
    const result = await run(["import", "nul.csv"], { cwd: folder });
    expect(result.stderr).toMatch(/nul\.csv is binary \(a NUL byte at line 2, column 29\)/);
    expect(result.exitCode).toBe(1);
  });
});

describe("import reads long cells", () => {
  it("a cell too long for its field (a megabyte on one line) is refused at its row and column; check refuses it too", async () => {
    const big = "x".repeat(1 << 20);
    const folder = campaignFolder({
      "big.csv": `${HEADER.trim()},Notes,Mandate\n${[
        `A Org ${big},a@x.example.org,ngo,Hi,,`,
        `B Org,b${big}@x.example.org,ngo,Hi,,`,
        `C Org,c@x.example.org,ngo,Hi ${big},,`,
        `D Org,d@x.example.org,ngo,Hi,${big}${big},`,
        `E Org,e@x.example.org,ngo,Hi,,${big}`,
        "F Org,f@x.example.org,ngo,Hi,,a mandate",
      ].join("\n")}\n`,
    });
    const result = await run(["import", "big.csv", "--json"], { cwd: folder });
    expect(result.exitCode).toBe(1);
    const summary = JSON.parse(result.stdout);
    expect(summary.created).toEqual(["f-org"]);
    expect(summary.refused).toEqual([
      {
        row: 2,
        column: "Organisation",
        reason: "is 1,048,582 characters long, more than the 2,000 a one-line field holds",
      },
      { row: 3, column: "Email", reason: "is longer than the 254 characters an email address can have" },
      {
        row: 4,
        column: "Salutation",
        reason: "is 1,048,579 characters long, more than the 2,000 a one-line field holds",
      },
      {
        row: 5,
        column: "Notes",
        reason: "is 2,097,152 characters long, more than the 100,000 a text field holds",
      },
      {
        row: 6,
        column: "Mandate",
        reason: "is 1,048,576 characters long, more than the 100,000 a text field holds",
      },
    ]);
    expect(result.stdout.length).toBeLessThan(10_000);
    writeFileSync(
      join(folder, "recipients/long.yaml"),
      `- id: long\n  organisation: Long\n  type: ngo\n  salutation: "${"y".repeat(2001)}"\n  contacts: [{ email: l@x.example.org }]\n`,
    );
    const checked = await run(["check"], { cwd: folder });
    expect(checked.exitCode).toBe(1);
    expect(checked.stdout + checked.stderr).toMatch(
      /recipients\/long\.yaml:4:\d+.*salutation.*is 2,001 characters long, more than the 2,000 a one-line field holds/,
    );
  });
});

describe("import reads JSON", () => {
  it("a fault is placed at its line and column; a comment is said to be one; a list of no objects is not 'empty'", async () => {
    const folder = campaignFolder({
      "comma.json": '[\n  {"Organisation": "A", "Email": "a@x.example.org",}\n]\n',
      "comment.json": '[\n  // the list\n  {"Organisation": "A"}\n]\n',
      "numbers.json": "[1, 2]\n",
    });
    const comma = await run(["import", "comma.json"], { cwd: folder });
    expect(comma.stderr).toMatch(
      /comma\.json is not valid JSON: .* at line 2, column 52; nothing was imported/,
    );
    const comment = await run(["import", "comment.json"], { cwd: folder });
    expect(comment.stderr).toMatch(
      /comment\.json is not valid JSON: a comment, which JSON does not have at line 2, column 3/,
    );
    const numbers = await run(["import", "numbers.json"], { cwd: folder });
    expect(numbers.stderr).toMatch(/numbers\.json holds no objects of fields \(item 1 is 1\)/);
    for (const result of [comma, comment, numbers]) {
      expect(result.exitCode).toBe(1);
      noStackTrace(result.stderr);
    }
  });
});

describe("recipient files", () => {
  it("a per-language value of the wrong kind is named at its language, line and column", async () => {
    const folder = campaignFolder({
      "recipients/odd.yaml": [
        "id: odd",
        "organisation: { en: [A, B] }",
        "type: ngo",
        'salutation: { en: "Dear", fr: 3 }',
        "contacts:",
        "  - email: odd@x.example.org",
        "",
      ].join("\n"),
    });
    const result = await run(["check"], { cwd: folder });
    expect(result.stdout + result.stderr).toMatch(
      /recipients\/odd\.yaml:2:21 +organisation\.en: must be text, but YAML reads \[A, B\] as a list/,
    );
    expect(result.stdout + result.stderr).toMatch(
      /recipients\/odd\.yaml:4:31 +salutation\.fr: must be text, but YAML reads 3 as a number/,
    );
    expect(result.stdout + result.stderr).not.toMatch(/has the wrong form/);
    expect(result.exitCode).toBe(1);
  });

  it("a .json recipient file with a comment or a comma after its last item is refused at its line and column", async () => {
    const recipient =
      '{"id": "j", "organisation": "J", "type": "ngo", "salutation": "Hi", "contacts": [{"email": "j@x.example.org"}]';
    const folder = campaignFolder({
      "recipients/commented.json": `[\n  // the list\n  ${recipient}}\n]\n`,
      "recipients/trailing.json": `[\n  ${recipient},}\n]\n`,
    });
    const result = await run(["check"], { cwd: folder });
    const said = result.stdout + result.stderr;
    expect(said).toMatch(
      /recipients\/commented\.json:2:3 +is not valid JSON: a comment, which JSON does not have/,
    );
    expect(said).toMatch(/recipients\/trailing\.json:2:\d+ +is not valid JSON/);
    expect(said).toMatch(/a \.json file is strict JSON/);
    expect(result.exitCode).toBe(1);
  });
});

describe("import reads malformed CSV rows", () => {
  const HEAD = "Organisation,Email,Type,Salutation,Mandate";
  const good = (name: string) => `${name} Org,${name.toLowerCase()}@x.example.org,ngo,Hi,m`;

  it("each malformed row in the middle of a file is refused alone, at its row, line and column; the rows after it go in and pass check", async () => {
    const lines = [
      HEAD, // line 1, row 1
      'A Org,a@x.example.org,ngo,Hi,"your\nwork"', // lines 2–3, row 2: a cell over two lines, good
      '"B Org"x,b@x.example.org,ngo,Hi,m', // line 4, row 3: text after the closing quote
      good("C"), // line 5, row 4
      'D "Org",d@x.example.org,ngo,Hi,m', // line 6, row 5: a quote in an unquoted cell
      good("E"), // line 7, row 6
      "F Org,f@x.example.org,ngo", // line 8, row 7: too few cells
      good("G"), // line 9, row 8
      'H Org,"h@x.example.org,ngo,Hi,m', // line 10, row 9: a quote left open, up to the next quote
      good("I"), // line 11, row 10
      'J Org,j@x.example.org,ngo,"Dear, all",m', // line 12, row 11: holds that next quote
      good("K"), // line 13, row 12
    ];
    const folder = campaignFolder({ "bad.csv": `${lines.join("\n")}\n` });
    const result = await run(["import", "bad.csv", "--json"], { cwd: folder });
    noStackTrace(result.stderr);
    expect(result.exitCode).toBe(1);
    const summary = JSON.parse(result.stdout);
    expect(summary.refused).toEqual([
      {
        row: 3,
        line: 4,
        column: "Organisation",
        reason:
          'has text after the closing quote of its cell (it reads "B Org"x): put the quotes around the whole cell, and write a quote inside it twice ("")',
      },
      {
        row: 5,
        line: 6,
        column: "Organisation",
        reason:
          'has a quote in a cell that does not start with one (it reads D "Org"): put the whole cell in quotes, and write each quote inside it twice ("")',
      },
      {
        row: 7,
        line: 8,
        reason: "has 3 cells where the header has 5 (a missing or extra delimiter)",
      },
      {
        row: 9,
        line: 10,
        column: "Email",
        reason:
          "has a quote that opens its cell on line 10 and is not closed on that line (the next quote is on line 12, with text after it): close the quote, or take it out; the lines after it were read as rows of their own",
      },
    ]);
    expect(summary.created).toEqual(["a-org", "c-org", "e-org", "g-org", "i-org", "j-org", "k-org"]);
    const printed = await run(["import", "bad.csv", "--dry-run"], { cwd: folder });
    expect(printed.stderr).toContain(
      'row 3 (line 4), column "Organisation": has text after the closing quote of its cell',
    );
    const check = await run(["check"], { cwd: folder });
    expect(check.stdout).toContain("No errors");
    expect(check.exitCode).toBe(0);
  });

  it("a quote never closed (the file ends inside it) refuses that row alone at its line, in a file of CRLF line ends with a cell over two lines as Excel writes it", async () => {
    // Remarks (left out) holds a CRLF inside a cell, which csv-parse alone would count as two lines.
    const lines = [
      `${HEAD},Remarks`,
      `${good("A")},`,
      'B Org,b@x.example.org,ngo,Hi,"your\nwork","one\r\ntwo"',
      `${good("C")},`,
      '"D Org,d@x.example.org,ngo,Hi,m,',
      `${good("E")},`,
    ];
    const folder = campaignFolder({ "open.csv": `${lines.join("\r\n")}\r\n` });
    const result = await run(["import", "open.csv", "--json", "--map", "Remarks=skip"], {
      cwd: folder,
    });
    noStackTrace(result.stderr);
    expect(result.exitCode).toBe(1);
    const summary = JSON.parse(result.stdout);
    expect(summary.refused).toEqual([
      {
        row: 5,
        line: 7,
        column: "Organisation",
        reason:
          "has a quote that opens its cell on line 7 and is not closed on that line (the file ends before it is closed): close the quote, or take it out; the lines after it were read as rows of their own",
      },
    ]);
    expect(summary.created).toEqual(["a-org", "b-org", "c-org", "e-org"]);
    const check = await run(["check"], { cwd: folder });
    expect(check.stdout).toContain("No errors");
  });

  it("a cell over several lines with a quote gone wrong inside it is one row, refused once at its row, line and column: its lines never make rows of their own", async () => {
    // Each case: the cell over lines 3–4 (row 3), and the line and column where it goes wrong.
    const cells: [string, string, number, string][] = [
      ["text after its closing quote", '"your\nwork"x', 4, "Mandate"],
      ["text after its closing quote, in the first column", '"B\nOrg"x', 4, "Organisation"],
      ["a quote not doubled on its second line", '"your\nwork, "as" agreed"', 4, "Mandate"],
      ["a quote not doubled on its first line", '"your "own" \nwork"', 3, "Mandate"],
      ["a quote not doubled, then text after the closing quote", '"your\nwork"x"', 4, "Mandate"],
    ];
    const row = (cell: string) =>
      cell.startsWith('"B') ? `${cell},b@x.example.org,ngo,Hi,m` : `B Org,b@x.example.org,ngo,Hi,${cell}`;
    for (const [what, cell, line, column] of cells) {
      // As Excel saves CSV (BOM, CRLF between rows, LF inside a cell) and as Google Sheets does (LF).
      const excel = `\uFEFF${[HEAD, good("A"), row(cell), good("C"), good("D")].join("\r\n")}\r\n`;
      const sheets = `${[HEAD, good("A"), row(cell), good("C"), good("D")].join("\n")}\n`;
      for (const [name, text] of [
        ["excel.csv", excel],
        ["sheets.csv", sheets],
      ]) {
        const folder = campaignFolder({ [name as string]: text as string });
        const result = await run(["import", name as string, "--json", "--dry-run"], { cwd: folder });
        noStackTrace(result.stderr);
        const summary = JSON.parse(result.stdout);
        expect(summary.refused, `${what} (${name})`).toEqual([
          {
            row: 3,
            line,
            column,
            reason: expect.stringMatching(/^has text after the closing quote of its cell/),
          },
        ]);
        expect(summary.created, `${what} (${name})`).toEqual(["a-org", "c-org", "d-org"]);
        expect(summary.rows, `${what} (${name})`).toBe(4);
      }
    }
  });

  it("a header with text after a closing quote names its line and column; nothing is imported", async () => {
    const folder = campaignFolder({ "head.csv": `"Organisation"s,Email,Type,Salutation\n${good("A")}\n` });
    const result = await run(["import", "head.csv"], { cwd: folder });
    expect(result.stderr).toContain(
      'head.csv cannot be read as CSV: row 1 (the header), line 1, column 1 has text after the closing quote of its cell (it reads "Organisation"s)',
    );
    noStackTrace(result.stderr);
    expect(result.exitCode).toBe(1);
    expect(readdirSync(join(folder, "recipients"))).toEqual(["example.yaml"]);
  });
});
