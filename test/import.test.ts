// `outreach import`: lists as Excel, LibreOffice, Google Sheets and scripts save them become recipient files
// that `check` accepts and `preview` renders; bad rows are refused with row, column and reason while the
// others go in; what is already in the folder is never overwritten, only skipped or (--update) changed.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderRecipientFile } from "../src/adapters/recipient-yaml.js";
import { campaignFolder, run, snapshot } from "./support.js";

interface Summary {
  rows: number;
  created: string[];
  written: string[];
  refused: { row: number; column?: string; reason: string }[];
  skipped: { id: string; because: string; rows: number[] }[];
  updated: { id: string; changes: { field: string; from?: unknown; to: unknown }[] }[];
  columns: Record<string, string>;
  left_out: string[];
  countries: Record<string, string>;
  yaml?: string;
}

async function imported(folder: string, args: string[]) {
  const result = await run(["import", ...args, "--json"], { cwd: folder });
  expect(result.stderr).toBe("");
  return { exitCode: result.exitCode, summary: JSON.parse(result.stdout) as Summary };
}

/** A list as Excel saves "CSV UTF-8" where the decimal comma makes ; the delimiter: BOM, CRLF. */
const EXCEL_CSV = Buffer.concat([
  Buffer.from([0xef, 0xbb, 0xbf]),
  Buffer.from(
    [
      "Organisation;E-Mail;Name;Type;Language;Salutation;Country;Mandate",
      '"Association Exemple; Genève";contact@assoc.example.org;Marie Exemple;NGO;fr;"Madame, Monsieur,";Suisse;votre travail',
      "Правозащитный центр;info@centr.example.org;;ngo;ru;Уважаемые коллеги!;TJ;вашу работу",
      "",
    ].join("\r\n"),
  ),
]);

describe("the recipient files import writes", () => {
  it("read back as exactly what was written, whatever the text holds", () => {
    const tricky = [
      "yes",
      "No",
      "007",
      "1e3",
      "- dash",
      "a: b",
      "a #b",
      "#c",
      "@at",
      "trailing ",
      " lead",
      "it's",
      '"q"',
      "Ваше Превосходительство!",
      "x\ny",
      "~",
      "null",
      "2012-07-20",
      "[a]",
      "*star",
      "é",
      "a\tb",
    ];
    const recipients = tricky.map((text, index) => ({
      id: `r${index}`,
      organisation: text,
      country: "NO",
      tags: ["a", "b-c"],
      contacts: [{ name: text, email: `r${index}@example.org`, cc: true }],
      custom: { text, number: 3, flag: false, list: [text, 1], nested: { inner: text } },
      notes: text,
    }));
    expect(parse(renderRecipientFile(recipients, " a comment"))).toEqual(recipients);
  });
});

describe("outreach import", { timeout: 60_000 }, () => {
  it("reads Excel's CSV (BOM, CRLF, semicolons): the recipients pass check and preview renders each letter", async () => {
    const folder = campaignFolder({ "lists/excel.csv": EXCEL_CSV });
    const { exitCode, summary } = await imported(folder, ["lists/excel.csv"]);
    expect(exitCode).toBe(0);
    expect(summary.created).toEqual(["association-exemple-geneve", "info-at-centr-example-org"]);
    expect(summary.columns).toMatchObject({ "E-Mail": "email", Mandate: "custom.mandate", Name: "name" });
    expect(summary.countries).toEqual({ Suisse: "CH" });
    expect(summary.written).toEqual(["recipients/excel.yaml"]);
    const written = readFileSync(join(folder, "recipients", "excel.yaml"), "utf8");
    expect(written).toContain('country: "CH"');
    expect(written).toContain("source: lists/excel.csv");
    expect(written).toContain("verified_on: 2026-02-01");
    expect(written).toContain("salutation: Уважаемые коллеги!");

    const check = await run(["check"], { cwd: folder });
    expect(check.stdout).toContain("No errors");
    expect(check.exitCode).toBe(0);
    const preview = await run(["preview", "association-exemple-geneve", "info-at-centr-example-org"], {
      cwd: folder,
    });
    expect(preview.exitCode).toBe(0);
    expect(preview.stdout).toContain("Madame, Monsieur,");
    expect(preview.stdout).toContain("Уважаемые коллеги!");
    expect(preview.stdout).toMatch(/To: +Marie Exemple <contact@assoc\.example\.org>/);
  });

  it("reads UTF-16 BE with its byte-order mark as it reads UTF-16 LE, and refuses UTF-16 cut mid-character", async () => {
    const text = [
      "Organization\tEmail Address\tType\tSalutation\tMandate",
      "Центр прав человека 𝄞\tcentre@rights.example.org\tngo\tУважаемые коллеги!\tвашу работу",
      "",
    ].join("\r\n");
    const little = Buffer.from(text, "utf16le");
    // Big-endian: each UTF-16 unit's two bytes the other way round.
    const big = Buffer.from(little).swap16();
    const folder = campaignFolder({
      "le.txt": Buffer.concat([Buffer.from([0xff, 0xfe]), little]),
      "be.txt": Buffer.concat([Buffer.from([0xfe, 0xff]), big]),
      "cut.txt": Buffer.concat([Buffer.from([0xfe, 0xff]), big.subarray(0, big.length - 1)]),
    });
    const read = async (file: string) => {
      const result = await run(["import", file, "--dry-run", "--json"], { cwd: folder });
      expect(result.exitCode, result.stderr).toBe(0);
      const summary = JSON.parse(result.stdout) as Summary;
      return (summary.yaml ?? "").replace(`source: ${file}`, "source: FILE").split("\n").slice(2).join("\n");
    };
    const fromBig = await read("be.txt");
    expect(fromBig).toContain("organisation: Центр прав человека 𝄞");
    expect(fromBig).toContain("salutation: Уважаемые коллеги!");
    expect(fromBig).toBe(await read("le.txt"));
    const cut = await run(["import", "cut.txt"], { cwd: folder });
    expect(cut.stderr).toMatch(/cut\.txt is not valid UTF-16 text; nothing was imported/);
    expect(cut.exitCode).toBe(1);
  });

  it("reads Excel's Unicode text (UTF-16 LE with BOM, tabs) and a Google Sheets CSV, and refuses bad rows", async () => {
    const unicode = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from(
        [
          "Organization\tEmail Address\tType\tSalutation\tMandate",
          "Центр прав человека\tcentre@rights.example.org\tngo\tУважаемые коллеги!\tвашу работу",
          "",
        ].join("\r\n"),
        "utf16le",
      ),
    ]);
    // Google Sheets: UTF-8 without BOM, commas, CRLF, quotes only where needed.
    const sheets = [
      "Organization,Email Address,cc,Type,Salutation,Notes,Mandate,Extra",
      'Rights Watch Example,office@rw.example.org,press@rw.example.org,ngo,"Dear Colleagues,","First line\nsecond line",your work,kept',
      'Rights Watch Example,desk@rw.example.org,,ngo,"Dear Colleagues,",,your work,',
      "Empty Mail Org,,,ngo,Dear Sir or Madam,,your work,",
      "Two Mail Org,a@two.example.org; b@two.example.org,,ngo,Dear Sir or Madam,,your work,",
      'Formula Org,"=HYPERLINK(""mailto:f@example.org"",""write"")",,ngo,Dear Sir or Madam,,your work,',
      "Short Row Org,short@example.org,,ngo",
      "Bad Address Org,not-an-address,,ngo,Dear Sir or Madam,,your work,",
      'Line Break Org,lb@example.org,,ngo,"Dear\nSir",,your work,',
      "Duplicate Org,office@rw.example.org,,ngo,Dear Sir or Madam,,your work,",
      "Existing By Address,director@ngo.example.net,,ngo,Dear Director,,your work,",
      "",
    ].join("\r\n");
    const folder = campaignFolder({ "unicode.txt": unicode, "sheets.csv": sheets });
    const before = readFileSync(join(folder, "recipients", "example.yaml"), "utf8");

    const first = await imported(folder, ["unicode.txt"]);
    expect(first.summary.created).toEqual(["centre-at-rights-example-org"]);
    expect(readFileSync(join(folder, "recipients", "unicode.yaml"), "utf8")).toContain(
      "organisation: Центр прав человека",
    );

    const { exitCode, summary } = await imported(folder, ["sheets.csv"]);
    expect(exitCode).toBe(1);
    expect(summary.created).toEqual(["rights-watch-example"]);
    expect(summary.columns.Extra).toBe("custom.extra");
    const refused = summary.refused.map(({ row, column, reason }) => [row, column, reason.split(":")[0]]);
    expect(refused).toEqual([
      [4, "Email Address", "the email is empty, and there is no web form, post or fax to write to instead"],
      [5, "Email Address", "holds 2 addresses (a@two.example.org, b@two.example.org)"],
      [6, "Email Address", 'is a formula (=HYPERLINK("mailto'],
      [7, undefined, "has 4 cells where the header has 8 (a missing or extra delimiter)"],
      [8, "Email Address", "must be one email address, like name@example.org (no display name, no list)"],
      [9, "Salutation", "must be one line of text, but contains a line break (U+000A)"],
      [10, "Email Address", "duplicate"],
    ]);
    expect(summary.skipped).toEqual([
      expect.objectContaining({
        id: "example-ngo",
        because: "the same address director@ngo.example.net",
        rows: [11],
      }),
    ]);
    // Two rows of one organisation: one recipient, its contacts in row order, the cc column copied.
    const written = readFileSync(join(folder, "recipients", "sheets.yaml"), "utf8");
    expect(written).toMatch(
      /email: office@rw\.example\.org\n\s+- email: press@rw\.example\.org\n\s+cc: true\n\s+- email: desk@rw\.example\.org\n/,
    );
    expect(written).toContain("  notes: |-\n    First line\n    second line\n");
    expect(readFileSync(join(folder, "recipients", "example.yaml"), "utf8")).toBe(before);

    const check = await run(["check"], { cwd: folder });
    expect(check.stdout).toContain("No errors");
  });

  it("reads an .xlsx workbook: a formula cell and merged cells refuse their rows, dates and links read as shown", async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet("Missions");
    sheet.addRow(["Organisation", "Email", "Type", "Salutation", "Verified on", "Mandate", "Website"]);
    sheet.addRow([
      "Mission A",
      "a@mission.example.org",
      "ngo",
      "Dear Colleagues,",
      new Date("2025-12-01"),
      "your work",
      { text: "https://a.example.org", hyperlink: "https://a.example.org" },
    ]);
    sheet.addRow([
      "Mission B",
      { formula: 'HYPERLINK("mailto:b@mission.example.org","b@mission.example.org")' },
      "ngo",
      "Dear Colleagues,",
      null,
      "your work",
    ]);
    sheet.addRow(["Mission C", "c1@mission.example.org", "ngo", "Dear Colleagues,", null, "your work"]);
    sheet.addRow([null, "c2@mission.example.org", "ngo", "Dear Colleagues,", null, "your work"]);
    sheet.mergeCells("A4:A5");
    sheet.addRow(["Mission D", "d@mission.example.org", 42, "Dear Colleagues,", null, "your work"]);
    const folder = campaignFolder();
    await workbook.xlsx.writeFile(join(folder, "missions.xlsx"));

    const { summary } = await imported(folder, ["missions.xlsx", "--map", "Website=custom.site"]);
    expect(summary.created).toEqual(["mission-a", "mission-d"]);
    expect(summary.refused).toEqual([
      expect.objectContaining({
        row: 3,
        column: "Email",
        reason: expect.stringMatching(/^is a formula \(=HYPERLINK/),
      }),
      { row: 4, reason: "cells A4:A5 are merged: one value shown across several cells" },
      { row: 5, reason: "cells A4:A5 are merged: one value shown across several cells" },
    ]);
    const written = readFileSync(join(folder, "recipients", "missions.yaml"), "utf8");
    expect(written).toContain("verified_on: 2025-12-01");
    expect(written).toContain("site: https://a.example.org");
    expect(written).toContain('type: "42"');
    expect((await run(["check"], { cwd: folder })).stdout).toContain("No errors");
  });

  it("reads every kind of cell a workbook holds as the text it shows, or refuses its row at its column", async () => {
    const link = "https://a.example.org";
    // Each row: what the Note cell holds, and the notes it gives or the refusal.
    const kinds: [unknown, { notes: string } | { reason: RegExp }][] = [
      ["plain", { notes: "plain" }],
      [
        { richText: [{ font: { bold: true }, text: "bold " }, { text: "and plain" }] },
        { notes: "bold and plain" },
      ],
      [{ text: link, hyperlink: link }, { notes: link }],
      [
        { text: "the site", hyperlink: link },
        { reason: /^shows "the site" but links to https:\/\/a\.example\.org: / },
      ],
      [
        { text: { richText: [{ text: "ri" }, { text: "ch" }] }, hyperlink: link },
        { reason: /^shows "rich" but links to https:\/\/a\.example\.org/ },
      ],
      [
        { formula: 'LOWER("ABC")', result: "abc" },
        { reason: /^is a formula \(=LOWER\("ABC"\)\) showing "abc", not a value/ },
      ],
      [{ formula: "1+1", result: 2 }, { reason: /^is a formula \(=1\+1\) showing "2"/ }],
      [{ sharedFormula: "E7", result: 2 }, { reason: /^is a formula \(=\(shared with E7\)\) showing "2"/ }],
      [{ error: "#N/A" }, { reason: /^shows the error #N\/A$/ }],
      [new Date("2025-12-01T00:00:00Z"), { notes: "2025-12-01" }],
      [new Date("2025-12-01T14:30:00Z"), { notes: "2025-12-01 14:30" }],
      [new Date("1899-12-30T09:15:00Z"), { notes: "09:15" }],
      [1234.5, { notes: "1234.5" }],
      [true, { notes: "TRUE" }],
      [false, { notes: "FALSE" }],
    ];
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet("Missions");
    sheet.addRow(["Organisation", "Email", "Type", "Salutation", "Note"]);
    kinds.forEach(([note], index) => {
      sheet.addRow([`Mission ${index}`, `m${index}@mission.example.org`, "ngo", "Hi", note]);
    });
    // The address as Excel writes one typed in a cell: a mailto: link showing the address.
    sheet.addRow([
      "Mission mailto",
      { text: "mt@mission.example.org", hyperlink: "mailto:mt@mission.example.org" },
      "ngo",
      "Hi",
      "x",
    ]);
    const folder = campaignFolder();
    // Text as a shared string (as Excel writes it) and inline (as some writers do): read alike.
    await workbook.xlsx.writeFile(join(folder, "shared.xlsx"));
    await workbook.xlsx.writeFile(join(folder, "inline.xlsx"), { useSharedStrings: false } as never);
    const results: Summary[] = [];
    for (const file of ["shared.xlsx", "inline.xlsx"]) {
      const result = await run(["import", file, "--json", "--dry-run"], { cwd: folder });
      expect(result.stdout).not.toMatch(/\[object|object Object/);
      results.push(JSON.parse(result.stdout) as Summary);
    }
    const [summary] = results as [Summary];
    expect(JSON.stringify(results[1]).replaceAll("inline.xlsx", "shared.xlsx")).toBe(JSON.stringify(summary));
    const recipients = parse(summary.yaml ?? "") as {
      organisation: string;
      notes?: string;
      contacts: { email: string }[];
    }[];
    kinds.forEach(([, expected], index) => {
      const row = index + 2;
      if ("notes" in expected) {
        expect(recipients.find((recipient) => recipient.organisation === `Mission ${index}`)?.notes).toBe(
          expected.notes,
        );
        expect(summary.refused.some((refusal) => refusal.row === row)).toBe(false);
      } else {
        expect(summary.refused.filter((refusal) => refusal.row === row)).toEqual([
          { row, column: "Note", reason: expect.stringMatching(expected.reason) },
        ]);
      }
    });
    expect(recipients.find((recipient) => recipient.organisation === "Mission mailto")?.contacts).toEqual([
      { email: "mt@mission.example.org" },
    ]);
  });

  it("reads a number as its cell's number format shows it (percent, thousands, zero-padded, currency), and refuses one its format cannot show whole", async () => {
    // Each row: the Note cell's value, its number format (none: General), and the notes it gives or the refusal.
    const numbers: [number | string, string | undefined, { notes: string } | { reason: string }][] = [
      [0.25, "0%", { notes: "25%" }],
      [0.255, "0.00%", { notes: "25.50%" }],
      [1234567, "#,##0", { notes: "1,234,567" }],
      [7, "000", { notes: "007" }],
      [41221234567, "0000000000000", { notes: "0041221234567" }],
      [1234.5, '"$"#,##0.00', { notes: "$1,234.50" }],
      [1234.5, undefined, { notes: "1234.5" }],
      [0.1 + 0.2, "General", { notes: "0.3" }],
      ["007", "@", { notes: "007" }],
      [
        412212345678,
        undefined,
        {
          reason:
            "shows 4.12212E+11, the number 412212345678 cut short by its format (General): format the column as text (Format Cells → Text) and type its values again, or give it a format that shows every digit, such as 0",
        },
      ],
      [
        3,
        "0;0;0;0;0",
        {
          reason:
            "holds the number 3 in a number format outreach cannot show as the spreadsheet does (0;0;0;0;0): format the column as text (Format Cells → Text) and type its values again",
        },
      ],
    ];
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet("Missions");
    sheet.addRow(["Organisation", "Email", "Type", "Salutation", "Mandate", "Note", "Verified on"]);
    numbers.forEach(([value, format], index) => {
      const row = sheet.addRow([
        `Mission ${index}`,
        `m${index}@mission.example.org`,
        "ngo",
        "Hi",
        "your work",
        value,
        new Date("2025-12-01"),
      ]);
      if (format) row.getCell(6).numFmt = format;
      row.getCell(7).numFmt = "dd/mm/yyyy";
    });
    const folder = campaignFolder();
    await workbook.xlsx.writeFile(join(folder, "numbers.xlsx"));
    const result = await run(["import", "numbers.xlsx", "--json", "--map", "Note=notes"], { cwd: folder });
    expect(result.exitCode).toBe(1);
    const summary = JSON.parse(result.stdout) as Summary;
    const written = parse(readFileSync(join(folder, "recipients", "numbers.yaml"), "utf8")) as {
      organisation: string;
      notes?: string;
      provenance?: { verified_on?: string };
    }[];
    numbers.forEach(([, , expected], index) => {
      const row = index + 2;
      const recipient = written.find(({ organisation }) => organisation === `Mission ${index}`);
      if ("notes" in expected) {
        expect(recipient?.notes, `row ${row}`).toBe(expected.notes);
        expect(recipient?.provenance?.verified_on).toBe("2025-12-01");
      } else {
        expect(recipient).toBeUndefined();
        expect(summary.refused.filter((refusal) => refusal.row === row)).toEqual([
          { row, column: "Note", reason: expected.reason },
        ]);
      }
    });
    expect(summary.refused).toHaveLength(2);
    const check = await run(["check"], { cwd: folder });
    expect(check.stdout).toContain("No errors");
    expect(check.exitCode).toBe(0);
  });

  it("reads a cell whose style names a built-in number format by its id alone (no format in the file) as that format shows it", async () => {
    // Each row: the id of ECMA-376 (Part 1, 18.8.30), the Note cell's number, and the notes it gives. A date
    // format gives the day as a date; a time or a duration, its text.
    const builtIn: [number, number, string][] = [
      [5, 1234.5, "$1,235"],
      [6, -1234.5, "($1,235)"],
      [7, 1234.5, "$1,234.50"],
      [8, -1234.5, "($1,234.50)"],
      [9, 0.25, "25%"],
      [10, 0.255, "25.50%"],
      [11, 12345, "1.23E+04"],
      [12, 1.5, "1 1/2"],
      [13, 0.3, "3/10"],
      [14, 45000, "2023-03-15"],
      [15, 45000, "2023-03-15"],
      [16, 45000, "2023-03-15"],
      [17, 45000, "2023-03-15"],
      [18, 0.75, "6:00 PM"],
      [19, 0.75, "6:00:00 PM"],
      [20, 0.75, "18:00"],
      [21, 0.75, "18:00:00"],
      [22, 45000.5, "2023-03-15 12:00"],
      [37, 1234, "1,234"],
      [38, -1234, "(1,234)"],
      [39, 1234.5, "1,234.50"],
      [40, -1234.5, "(1,234.50)"],
      [41, -1234, "(1,234)"],
      [42, 1234, "$1,234"],
      [43, 1234.5, "1,234.50"],
      [44, 1234.5, "$1,234.50"],
      [45, 0.01, "14:24"],
      [46, 1.5, "36:00:00"],
      [47, 0.01, "14:24.0"],
      [48, 12345, "12.3E+3"],
      [49, 7, "7"],
    ];
    // exceljs writes a format of the standard's table as its id alone, as Excel does; it is taught here the
    // ids it has no format for (the currency and accounting ones), which other writers (openpyxl) write so.
    const require = createRequire(import.meta.url);
    const writerTable = require("exceljs/lib/xlsx/xform/style/numfmt-xform.js") as {
      getDefaultFmtId: (code: string) => number | undefined;
    };
    const ownIds = writerTable.getDefaultFmtId;
    const written = new Set<number>();
    writerTable.getDefaultFmtId = (code) => {
      const id = /^built-in (\d+)$/.exec(code) ? Number(code.slice("built-in ".length)) : ownIds(code);
      if (id !== undefined) written.add(id);
      return id;
    };
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet("Missions");
    sheet.addRow(["Organisation", "Email", "Type", "Salutation", "Mandate", "Note"]);
    for (const [id, value] of builtIn) {
      sheet
        .addRow([`Mission ${id}`, `m${id}@mission.example.org`, "ngo", "Hi", "your work", value])
        .getCell(6).numFmt = `built-in ${id}`;
    }
    const folder = campaignFolder();
    try {
      await workbook.xlsx.writeFile(join(folder, "built-in.xlsx"));
    } finally {
      writerTable.getDefaultFmtId = ownIds;
    }
    expect([...written].sort((a, b) => a - b)).toEqual([0, ...builtIn.map(([id]) => id)]);
    const { summary } = await imported(folder, ["built-in.xlsx", "--map", "Note=notes", "--dry-run"]);
    expect(summary.refused).toEqual([]);
    const recipients = parse(summary.yaml ?? "") as { organisation: string; notes: string }[];
    expect(recipients.map(({ organisation, notes }) => [organisation, notes])).toEqual(
      builtIn.map(([id, , notes]) => [`Mission ${id}`, notes]),
    );
  });

  it("reads a duration under [h], [m] or [s] as the hours, minutes or seconds it adds up to, not a time of day", async () => {
    // Each row: the Note cell's number (days), its format, and the notes it gives or the refusal.
    const durations: [number, string, { notes: string } | { reason: string }][] = [
      [1.5, "[h]:mm", { notes: "36:00" }],
      [2.25, "[hh]:mm:ss", { notes: "54:00:00" }],
      [1.5, "[m]:ss", { notes: "2160:00" }],
      [0.05, "[mm]:ss", { notes: "72:00" }],
      [1.5, "[s]", { notes: "129600" }],
      [0.0001, "[ss].00", { notes: "08.64" }],
      [1.5, "h:mm", { notes: "12:00" }],
      [
        -0.5,
        "[h]:mm",
        { reason: "holds a negative time (-0.5), which a spreadsheet shows as ####: write it as text" },
      ],
    ];
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet("Missions");
    sheet.addRow(["Organisation", "Email", "Type", "Salutation", "Mandate", "Note"]);
    durations.forEach(([value, format], index) => {
      sheet
        .addRow([`Mission ${index}`, `m${index}@mission.example.org`, "ngo", "Hi", "your work", value])
        .getCell(6).numFmt = format;
    });
    const folder = campaignFolder();
    await workbook.xlsx.writeFile(join(folder, "durations.xlsx"));
    const { summary } = await imported(folder, ["durations.xlsx", "--map", "Note=notes", "--dry-run"]);
    const recipients = parse(summary.yaml ?? "") as { organisation: string; notes: string }[];
    durations.forEach(([, format, expected], index) => {
      const row = index + 2;
      if ("notes" in expected) {
        expect(
          recipients.find(({ organisation }) => organisation === `Mission ${index}`)?.notes,
          format,
        ).toBe(expected.notes);
      } else {
        expect(summary.refused).toEqual([{ row, column: "Note", reason: expected.reason }]);
      }
    });
  });

  it("refuses a workbook whose header row holds a formula for a column's name, naming the cell", async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet("Missions");
    sheet.addRow(["Organisation", { formula: 'LOWER("EMAIL")', result: "email" }, "Type", "Salutation"]);
    sheet.addRow(["Mission A", "a@mission.example.org", "ngo", "Hi"]);
    const folder = campaignFolder();
    await workbook.xlsx.writeFile(join(folder, "header.xlsx"));
    const result = await run(["import", "header.xlsx"], { cwd: folder });
    expect(result.stderr).toMatch(
      /header\.xlsx, row 1 \(the header\), column 2: the column's name is a formula \(=LOWER\("EMAIL"\)\) showing "email", not a value/,
    );
    expect(result.exitCode).toBe(1);
    expect(readdirSync(join(folder, "recipients"))).toEqual(["example.yaml"]);
  });

  it("reads JSON (an object holding one list), prints the YAML with --dry-run and writes nothing", async () => {
    const json = JSON.stringify({
      contacts: [
        {
          organisation: "Json Body",
          email: "j@json.example.org",
          type: "ngo",
          salutation: "Dear Colleagues,",
          tags: ["Human rights", "geneva"],
          mandate: "your work",
          seats: 3,
        },
      ],
    });
    const folder = campaignFolder({ "list.json": json });
    const before = snapshot(folder);
    const { summary } = await imported(folder, ["list.json", "--dry-run", "--tag", "json-import"]);
    expect(summary.created).toEqual(["json-body"]);
    expect(summary.written).toEqual([]);
    expect(summary.yaml).toContain("tags: [human-rights, geneva, json-import]");
    expect(summary.yaml).toContain("seats: 3");
    expect(snapshot(folder)).toEqual(before);
    const plain = await run(["import", "list.json", "--dry-run"], { cwd: folder });
    expect(plain.stdout).toMatch(/^# Imported by outreach import from list\.json/);
    expect(plain.stderr).toContain("Nothing was written (--dry-run).");
  });

  it("--update changes recipients in place, showing each change, and keeps the rest of the file as written", async () => {
    const list = (salutation: string, role: string) =>
      `Organisation,Email,Role,Type,Salutation,Mandate\nExample Human Rights Association,director@ngo.example.net,${role},ngo,"${salutation}",votre travail de documentation\nNew Body,new@body.example.org,,ngo,Dear Colleagues,your work\n`;
    const folder = campaignFolder({
      "a.csv": list("Madame, Monsieur,", "Director"),
      "b.csv": list("Chère Madame,", "Head"),
    });
    await imported(folder, ["a.csv"]);
    const original = readFileSync(join(folder, "recipients", "example.yaml"), "utf8");
    const { summary } = await imported(folder, ["b.csv", "--update"]);
    expect(summary.created).toEqual([]);
    expect(
      summary.updated.map(({ id, changes }) => [id, changes.map(({ field, from, to }) => [field, from, to])]),
    ).toEqual([
      [
        "example-ngo",
        [
          ["salutation", "Madame, Monsieur,", "Chère Madame,"],
          ["contacts[0].role", "Director", "Head"],
          ["provenance.source", undefined, "b.csv"],
          ["provenance.verified_on", undefined, "2026-02-01"],
        ],
      ],
    ]);
    const edited = readFileSync(join(folder, "recipients", "example.yaml"), "utf8");
    expect(edited).toContain('salutation: "Chère Madame,"');
    expect(edited).toContain("language: fr                           # gets templates/letter.fr.txt.hbs");
    // Only the lines of what changed differ.
    const changed = edited.split("\n").filter((line) => !original.split("\n").includes(line));
    expect(changed).toEqual([
      '  salutation: "Chère Madame,"',
      "      role: Head",
      "    source: b.csv",
      "    verified_on: 2026-02-01",
    ]);
    expect(edited).toContain(
      "    mandate: votre travail de documentation\n  provenance:\n    source: b.csv\n    verified_on: 2026-02-01\n\n- id: example-web-form-only",
    );
    expect((await run(["check"], { cwd: folder })).stdout).toContain("No errors");
  });

  it("a file it cannot read, and columns it cannot place, are errors naming the file; nothing is written", async () => {
    const folder = campaignFolder({
      "latin1.csv": Buffer.from("Organisation,Email\nAssociation Genève,a@example.org\n", "latin1"),
      "nomail.csv": "Organisation,Phone\nA,123\n",
      "empty.csv": "",
      "ok.csv":
        "Organisation,Email,Type,Salutation,Mandate\nA Body,a@body.example.org,ngo,Dear Colleagues,your work\n",
    });
    const before = snapshot(folder);
    const latin = await run(["import", "latin1.csv"], { cwd: folder });
    expect(latin.exitCode).toBe(1);
    expect(latin.stderr).toContain(
      "latin1.csv is not UTF-8 or UTF-16 text (perhaps Latin-1 or Windows-1252)",
    );
    const noMail = await run(["import", "nomail.csv"], { cwd: folder });
    expect(noMail.stderr).toContain('nomail.csv has no email column (its columns: "Organisation", "Phone")');
    expect((await run(["import", "empty.csv"], { cwd: folder })).stderr).toContain("empty.csv is empty");
    const badMap = await run(["import", "ok.csv", "--map", "Mandate=mandat"], { cwd: folder });
    expect(badMap.exitCode).toBe(2);
    expect(badMap.stderr).toContain('--map: no recipient field is called "mandat"');
    const noColumn = await run(["import", "ok.csv", "--map", "Remarks=notes"], { cwd: folder });
    expect(noColumn.stderr).toContain('--map: the file has no column "Remarks"');
    expect(snapshot(folder)).toEqual(before);

    // --strict names the columns it leaves out; a second import of the same name gets a file of its own.
    const strict = await imported(folder, ["ok.csv", "--strict", "--type", "un"]);
    expect(strict.summary.left_out).toEqual(["Mandate"]);
    expect(strict.summary.refused).toEqual([]);
    writeFileSync(
      join(folder, "ok.csv"),
      "Organisation,Email,Type,Salutation,Mandate\nB Body,b@body.example.org,ngo,Dear Colleagues,your work\n",
    );
    expect((await imported(folder, ["ok.csv"])).summary.written).toEqual(["recipients/ok-2.yaml"]);
    expect(readdirSync(join(folder, "recipients")).sort()).toEqual(["example.yaml", "ok-2.yaml", "ok.yaml"]);
  });
});
