// Reads the first worksheet (or a named one) of an .xlsx workbook with exceljs. A cell is taken as the text
// it shows (a number as its number format shows it, through numfmt; a date as its day), except where that
// text is not what the file holds: a formula (=HYPERLINK(…) shows one thing and links another) and merged
// cells (one value shown across several rows) refuse their rows.
import type { Table, TableRow } from "../core/import-table.js";
import { withFields } from "../core/objects.js";
import { EXIT, UserError } from "../errors.js";

type ExcelJS = typeof import("exceljs");
type Cell = import("exceljs").Cell;
type Worksheet = import("exceljs").Worksheet;
type Numfmt = typeof import("numfmt");
/** exceljs's table of built-in number formats, by id: what a style that names an id without a format reads as. */
type BuiltInFormats = Record<string, { f?: string } & Record<string, string>>;

/** The ids ECMA-376 (Part 1, 18.8.30) reserves for built-in formats: 0–163; a workbook's own start at 164. */
const BUILT_IN_IDS = 164;

export async function readWorkbook(buffer: Buffer, shown: string, sheetName?: string): Promise<Table> {
  // The Workbook alone: exceljs's own entry loads its streaming reader and writer too, which cost a third of
  // its load time and are never used here.
  const Workbook = (
    (await import("exceljs/lib/doc/workbook.js" as string)) as { default: ExcelJS["Workbook"] }
  ).default;
  const numfmt = await import("numfmt");
  await knowBuiltInFormats(numfmt);
  const workbook = new Workbook();
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
  const reading: Reading = { numfmt, date1904: Boolean(workbook.properties?.date1904) };
  return sheetTable(sheet, shown, sheets.length > 1 ? sheet.name : undefined, reading);
}

/**
 * A style may name a built-in format by its id alone, with no format of its own in the file (Excel does for
 * 0–22 and 37–49, other writers for the currency formats 5–8 too). exceljs's table of them lacks 5–8, 23–36
 * and 41–44 (such a cell read as General: 1234.5, not $1,234.50) and misspells 22, 37–40 and 47; numfmt's
 * table is the standard's (in its en-US form for the ids whose format depends on the locale), so exceljs is
 * given numfmt's before it reads. exceljs makes its table of ids to write from its own when it loads, so
 * writing a workbook is not changed by this.
 */
async function knowBuiltInFormats(numfmt: Numfmt): Promise<void> {
  const table = (
    (await import("exceljs/lib/xlsx/defaultnumformats.js" as string)) as { default: BuiltInFormats }
  ).default;
  for (let id = 1; id < BUILT_IN_IDS; id++) {
    const format = numfmt.getFormatFromId(id);
    // numfmt gives General for an id it knows no format for: left as exceljs has it.
    if (format !== "General") table[id] = withFields(table[id] ?? {}, { f: format });
  }
}

interface Reading {
  numfmt: Numfmt;
  /** The workbook counts its days from 1904 (as old Mac Excel did), not from 1900. */
  date1904: boolean;
}

function sheetTable(sheet: Worksheet, shown: string, name: string | undefined, reading: Reading): Table {
  const merged = mergedRows(sheet);
  let columns: string[] | undefined;
  const rows: TableRow[] = [];
  let emptyRows = 0;
  sheet.eachRow({ includeEmpty: false }, (row, number) => {
    const values: unknown[] = [];
    const faults: TableRow["faults"] = [];
    row.eachCell({ includeEmpty: false }, (cell, column) => {
      const read = cellText(cell, reading);
      if (read.fault) faults.push({ column: column - 1, reason: read.fault });
      else values[column - 1] = read.text;
    });
    if (!columns) {
      const [fault] = faults;
      if (fault) {
        // A header the file holds only as a formula or a link names no column: the file is to be fixed.
        throw new UserError(
          `${shown}, row ${number} (the header), column ${(fault.column ?? 0) + 1}: the column's name ${fault.reason}; nothing was imported`,
          { exitCode: EXIT.failed },
        );
      }
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

type CellRead = { text?: string; fault?: string };

/**
 * The text a cell shows, or why its row is refused: never an object. A formula (its shown result is not what
 * the file holds), an error value, a link that shows one text and leads elsewhere, and a value of a kind not
 * read here are refused; a date is the day (and time) it shows, a time or a duration as its format shows it,
 * and TRUE or FALSE as a spreadsheet shows them.
 */
function cellText(cell: Cell, reading: Reading): CellRead {
  const value = cell.value as unknown;
  if (value === null || value === undefined) return {};
  if (typeof value === "string") return { text: value };
  if (typeof value === "number") return numberText(value, cell.numFmt, reading.numfmt);
  if (typeof value === "boolean") return { text: value ? "TRUE" : "FALSE" };
  if (value instanceof Date) return dateOrTimeText(value, cell.numFmt, reading);
  const object = value as {
    formula?: string;
    sharedFormula?: string;
    result?: unknown;
    richText?: unknown;
    text?: unknown;
    hyperlink?: unknown;
    error?: unknown;
  };
  if (object.formula !== undefined || object.sharedFormula !== undefined) return formulaFault(object);
  if (object.error !== undefined) return { fault: `shows the error ${String(object.error)}` };
  if (object.richText !== undefined) return richText(object.richText);
  if (object.hyperlink !== undefined) return linkText(object.text, object.hyperlink);
  return { fault: `holds a value of a kind outreach does not read (${kindOf(value)}): write it as text` };
}

function formulaFault(object: { formula?: string; sharedFormula?: string; result?: unknown }): CellRead {
  const formula = object.formula ?? `(shared with ${object.sharedFormula})`;
  const result = object.result;
  const shows =
    typeof result === "string" || typeof result === "number" || typeof result === "boolean"
      ? ` showing ${JSON.stringify(String(result).length > 40 ? `${String(result).slice(0, 40)}…` : String(result))}`
      : "";
  return {
    fault: `is a formula (=${formula.length > 60 ? `${formula.slice(0, 60)}…` : formula})${shows}, not a value: copy the cells and paste them as values`,
  };
}

function richText(parts: unknown): CellRead {
  if (!Array.isArray(parts))
    return { fault: "holds formatted text outreach cannot read: write it as plain text" };
  return { text: parts.map((part) => String((part as { text?: unknown })?.text ?? "")).join("") };
}

/** A link's shown text, when it is the address it leads to (mailto: aside); else which one is meant is unclear. */
function linkText(shown: unknown, target: unknown): CellRead {
  const read: CellRead =
    shown === undefined || shown === null
      ? { text: "" }
      : typeof shown === "object" && "richText" in shown
        ? richText((shown as { richText: unknown }).richText)
        : typeof shown === "object"
          ? {
              fault: `holds a link (to ${String(target)}) whose text outreach cannot read: write it as plain text`,
            }
          : { text: String(shown) };
  if (read.text === undefined) return read;
  const link = String(target);
  const text = read.text.trim();
  if (text === "" || text === link || `mailto:${text}`.toLowerCase() === link.toLowerCase()) {
    return { text: text === "" ? link.replace(/^mailto:/i, "") : text };
  }
  return {
    fault: `shows ${JSON.stringify(text)} but links to ${link}: write the one you mean in the cell as plain text`,
  };
}

/**
 * A number as its cell shows it: 25% for 0.25, 007 for 7 under 000, $1,234.50 under "$"#,##0.00. A format
 * numfmt cannot read, a General number too long to show whole (4.12212E+11) and a date exceljs did not take
 * as one are refused: which text is meant is then unclear.
 */
function numberText(value: number, format: string | undefined, numfmt: Numfmt): CellRead {
  const pattern = format || "General";
  const asText = "format the column as text (Format Cells → Text) and type its values again";
  let text: string;
  try {
    if (numfmt.isDateFormat(pattern)) {
      // exceljs takes [s] and [ss].0 (elapsed seconds) for numbers: shown as their format shows them.
      if (!showsDay(pattern, numfmt)) return timeText(value, pattern, numfmt);
      return {
        fault: `holds the number ${String(value)} shown as a date or time in a format outreach does not read as one (${pattern}): format the column as a date (yyyy-mm-dd) or as text`,
      };
    }
    text = numfmt.format(pattern, value).trim();
  } catch {
    return {
      fault: `holds the number ${String(value)} in a number format outreach cannot show as the spreadsheet does (${pattern}): ${asText}`,
    };
  }
  if (/^General$/i.test(pattern) && /E[+-]\d/.test(text) && !/e/i.test(String(value))) {
    return {
      fault: `shows ${text}, the number ${String(value)} cut short by its format (General): ${asText}, or give it a format that shows every digit, such as 0`,
    };
  }
  return { text };
}

/**
 * A number exceljs read as a date, by its format: one that shows a day (or a month, or a year) is the day it
 * shows, written as a date (2025-12-01, with the time if it has one), what a recipient's date fields take; one
 * that shows only a time of day or a duration is the text its format shows: 6:00 PM, 14:24 under mm:ss, and
 * 36:00 for a day and a half under [h]:mm (elapsed hours, minutes [m] or seconds [s], not a time of day).
 */
function dateOrTimeText(date: Date, format: string | undefined, reading: Reading): CellRead {
  const { numfmt } = reading;
  if (!format || showsDay(format, numfmt) || Number.isNaN(date.getTime())) return dateText(date);
  // The number the cell holds, as exceljs made the date from it (days since 30 December 1899, or 1904).
  const serial = date.getTime() / 86_400_000 + 25_569 - (reading.date1904 ? 1_462 : 0);
  return timeText(serial, format, numfmt);
}

/** A time of day or a duration as its format shows it (numfmt); a negative one shows as #### and is refused. */
function timeText(serial: number, format: string, numfmt: Numfmt): CellRead {
  if (serial < 0) {
    return {
      fault: `holds a negative time (${String(serial)}), which a spreadsheet shows as ####: write it as text`,
    };
  }
  try {
    return { text: numfmt.format(format, serial).trim() };
  } catch {
    return {
      fault: `holds the time ${String(serial)} in a format outreach cannot show as the spreadsheet does (${format}): format the column as text (Format Cells → Text) and type its values again`,
    };
  }
}

/** Whether a date format shows a day of the calendar: its day, month or year (mm in mm:ss is minutes). */
function showsDay(format: string, numfmt: Numfmt): boolean {
  const shows = numfmt.getFormatDateInfo(format);
  return shows.year || shows.day || (shows.month && !shows.hours && !shows.minutes && !shows.seconds);
}

/** A date as it reads: the day, with the time when it has one; a time alone (a day of 1899 or 1900) as the time. */
function dateText(date: Date): CellRead {
  if (Number.isNaN(date.getTime())) return { fault: "holds a date that is not a day of the calendar" };
  const iso = date.toISOString();
  const day = iso.slice(0, 10);
  const time = iso.slice(11, 19).replace(/:00$/, "");
  if (time === "00:00") return { text: day };
  // Excel's time of day alone is a date of 0 or 1 (30 or 31 December 1899, or "0 January 1900").
  if (day < "1900-01-01") return { text: time };
  return { text: `${day} ${time}` };
}

function kindOf(value: unknown): string {
  const keys = value && typeof value === "object" ? Object.keys(value) : [];
  return keys.length > 0 ? `fields ${keys.slice(0, 4).join(", ")}` : typeof value;
}
