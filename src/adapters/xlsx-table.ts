// Reads the first worksheet (or a named one) of an .xlsx workbook with exceljs. A cell is taken as the text
// it shows, except where that text is not what the file holds: a formula (=HYPERLINK(…) shows one thing and
// links another) and merged cells (one value shown across several rows) refuse their rows.
import type { Table, TableRow } from "../core/import-table.js";
import { EXIT, UserError } from "../errors.js";

type ExcelJS = typeof import("exceljs");
type Cell = import("exceljs").Cell;
type Worksheet = import("exceljs").Worksheet;

export async function readWorkbook(buffer: Buffer, shown: string, sheetName?: string): Promise<Table> {
  const exceljs = ((await import("exceljs")) as unknown as { default: ExcelJS }).default;
  const workbook = new exceljs.Workbook();
  try {
    await workbook.xlsx.load(
      buffer as unknown as ArrayBuffer,
      {
        ignoreNodes: ["dataValidations", "conditionalFormatting", "extLst", "drawing", "picture"],
      } as never,
    );
  } catch (error) {
    throw new UserError(
      `${shown} is not an .xlsx workbook outreach can read (${(error as Error).message}); nothing was imported`,
      {
        exitCode: EXIT.failed,
        hint: "open it in a spreadsheet and save it as an Excel workbook (.xlsx) or as CSV UTF-8",
      },
    );
  }
  const sheets = workbook.worksheets;
  const sheet =
    sheetName === undefined ? sheets[0] : sheets.find((candidate) => candidate.name === sheetName);
  if (!sheet) {
    throw new UserError(
      sheetName === undefined
        ? `${shown} has no worksheet; nothing was imported`
        : `${shown} has no worksheet named "${sheetName}"`,
      {
        exitCode: sheetName === undefined ? EXIT.failed : EXIT.usage,
        hint: `its worksheets: ${sheets.map((candidate) => `"${candidate.name}"`).join(", ") || "none"}`,
      },
    );
  }
  return sheetTable(sheet, sheets.length > 1 ? sheet.name : undefined);
}

function sheetTable(sheet: Worksheet, name: string | undefined): Table {
  const merged = mergedRows(sheet);
  let columns: string[] | undefined;
  const rows: TableRow[] = [];
  let emptyRows = 0;
  sheet.eachRow({ includeEmpty: false }, (row, number) => {
    const values: unknown[] = [];
    const faults: TableRow["faults"] = [];
    row.eachCell({ includeEmpty: false }, (cell, column) => {
      const read = cellText(cell);
      if (read.fault) faults.push({ column: column - 1, reason: read.fault });
      else values[column - 1] = read.text;
    });
    if (!columns) {
      columns = Array.from({ length: values.length }, (_, index) => String(values[index] ?? "").trim());
      return;
    }
    if (values.every((value) => value === undefined || String(value).trim() === "") && faults.length === 0) {
      emptyRows++;
      return;
    }
    for (const range of merged.get(number) ?? []) {
      faults.push({ reason: `cells ${range} are merged: one value shown across several cells` });
    }
    const extra = values
      .slice(columns.length)
      .some((value) => value !== undefined && String(value).trim() !== "");
    if (extra)
      faults.push({ reason: `has values to the right of the last named column (${columns.length})` });
    rows.push({ number, values: values.slice(0, columns.length), faults });
  });
  return { rowName: "row", columns: columns ?? [], rows, emptyRows, ...(name ? { sheet: name } : {}) };
}

/** Row number → the merged ranges that touch it. */
function mergedRows(sheet: Worksheet): Map<number, string[]> {
  const byRow = new Map<number, string[]>();
  const ranges = ((sheet.model as { merges?: string[] }).merges ?? []) as string[];
  for (const range of ranges) {
    const match = /^[A-Z]+(\d+):[A-Z]+(\d+)$/.exec(range);
    if (!match) continue;
    for (let row = Number(match[1]); row <= Number(match[2]); row++) {
      byRow.set(row, [...(byRow.get(row) ?? []), range]);
    }
  }
  return byRow;
}

function cellText(cell: Cell): { text?: string; fault?: string } {
  const value = cell.value as unknown;
  if (value === null || value === undefined) return {};
  if (typeof value === "string") return { text: value };
  if (typeof value === "number" || typeof value === "boolean") return { text: String(value) };
  if (value instanceof Date) return { text: value.toISOString().slice(0, 10) };
  const object = value as {
    formula?: string;
    sharedFormula?: string;
    richText?: { text: string }[];
    text?: unknown;
    hyperlink?: string;
    error?: string;
  };
  if (object.formula !== undefined || object.sharedFormula !== undefined) {
    const formula = object.formula ?? `(shared with ${object.sharedFormula})`;
    return {
      fault: `is a formula (=${formula.length > 60 ? `${formula.slice(0, 60)}…` : formula}), not a value`,
    };
  }
  if (object.error !== undefined) return { fault: `shows the error ${object.error}` };
  if (object.richText) return { text: object.richText.map((part) => part.text).join("") };
  if (object.text !== undefined) {
    const text = object.text as string | { richText?: { text: string }[] };
    return {
      text: typeof text === "string" ? text : (text.richText ?? []).map((part) => part.text).join(""),
    };
  }
  return { text: cell.text };
}
