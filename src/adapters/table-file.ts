// Reads a list of contacts as people keep it: CSV or tab-separated text (any delimiter, UTF-8 with or without
// a byte-order mark, UTF-16 as Excel saves "Unicode text"), an .xlsx workbook, or JSON. What comes out is a
// table of text cells with row numbers as the user sees them; what is wrong with the file itself is a
// UserError naming it, before anything is written.
import type { Table, TableRow } from "../core/import-table.js";
import { jsonFault, jsonFaultText } from "../core/json-fault.js";
import { EXIT, UserError } from "../errors.js";
import { fileError, readRegularFileWithin } from "./file-system.js";

const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

export interface ReadTableOptions {
  /** The worksheet of a workbook to read (default: the first). */
  sheet?: string;
}

function badFile(shown: string, reason: string, hint?: string): UserError {
  return new UserError(`${shown} ${reason}; nothing was imported`, {
    exitCode: EXIT.failed,
    ...(hint ? { hint } : {}),
  });
}

export async function readTable(path: string, shown: string, options: ReadTableOptions = {}): Promise<Table> {
  let buffer: Buffer;
  try {
    const read = readRegularFileWithin(path, MAX_IMPORT_BYTES);
    if (!read.ok) {
      throw badFile(shown, `is ${(read.size / 1024 / 1024).toFixed(0)} MB, over the 64 MB an import reads`);
    }
    buffer = read.buffer;
  } catch (error) {
    throw fileError(error, shown, "read");
  }
  if (buffer.length === 0) throw badFile(shown, "is empty");
  const table = await tableOf(buffer, shown, options);
  if (table.columns.length === 0) throw badFile(shown, "is empty");
  if (table.rows.length === 0) {
    throw badFile(
      shown,
      "has a header row but no rows below it",
      "put one contact on each row below the header",
    );
  }
  return table;
}

async function tableOf(buffer: Buffer, shown: string, options: ReadTableOptions): Promise<Table> {
  // What the file is, by its first bytes rather than its name.
  if (buffer.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) {
    const { readWorkbook } = await import("./xlsx-table.js");
    return readWorkbook(buffer, shown, options.sheet);
  }
  if (buffer.subarray(0, 4).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0]))) {
    throw badFile(
      shown,
      "is an old Excel workbook (.xls), which outreach does not read",
      "open it and save it as an Excel workbook (.xlsx) or as CSV UTF-8",
    );
  }
  const text = decode(buffer, shown);
  if (/\.json$/i.test(shown) || /^\s*[[{]/.test(text)) return jsonTable(text, shown);
  return csvTable(text, shown);
}

/** The file's text: UTF-16 with its byte-order mark (Excel's "Unicode text"), else UTF-8 (BOM or not). */
function decode(buffer: Buffer, shown: string): string {
  const utf16 =
    buffer[0] === 0xff && buffer[1] === 0xfe
      ? "utf-16le"
      : buffer[0] === 0xfe && buffer[1] === 0xff
        ? "utf-16be"
        : "";
  try {
    if (utf16) return new TextDecoder(utf16, { fatal: true }).decode(buffer.subarray(2));
    const nul = buffer.indexOf(0);
    if (nul !== -1) {
      const before = buffer.subarray(0, nul).toString("utf8").split("\n");
      throw badFile(
        shown,
        `is binary (a NUL byte at line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}): not a spreadsheet, CSV or JSON file`,
        "export the list as CSV or .xlsx",
      );
    }
    const start = buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
    return new TextDecoder("utf-8", { fatal: true }).decode(buffer.subarray(start));
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw badFile(
      shown,
      utf16 ? "is not valid UTF-16 text" : "is not UTF-8 or UTF-16 text (perhaps Latin-1 or Windows-1252)",
      'save it again as "CSV UTF-8" (Excel: Save As → CSV UTF-8; LibreOffice: character set Unicode (UTF-8))',
    );
  }
}

const DELIMITERS = [",", ";", "\t", "|"] as const;

/**
 * The delimiter: whichever of , ; tab | the header row holds most often outside quotes. (csv-parse's own
 * delimiter_auto takes any character, and fails on a quoted cell in the middle of a line.)
 */
function delimiterOf(text: string): string {
  const counts = new Map<string, number>(DELIMITERS.map((delimiter) => [delimiter, 0]));
  let quoted = false;
  for (const character of text) {
    if (character === '"') quoted = !quoted;
    else if (!quoted && (character === "\n" || character === "\r")) break;
    else if (!quoted && counts.has(character)) counts.set(character, (counts.get(character) ?? 0) + 1);
  }
  let best = ",";
  for (const [delimiter, count] of counts) if (count > (counts.get(best) ?? 0)) best = delimiter;
  return best;
}

async function csvTable(text: string, shown: string): Promise<Table> {
  const { parse } = await import("csv-parse/sync");
  const delimiter = delimiterOf(text);
  const read = (info: boolean) => {
    const skipped: { line: number; reason: string }[] = [];
    try {
      const records = parse(text, {
        delimiter,
        relax_column_count: true,
        skip_empty_lines: false,
        skip_records_with_error: true,
        info,
        on_skip: (error: { message: string; lines?: number } | undefined) => {
          if (error) skipped.push({ line: error.lines ?? 0, reason: csvReason(error.message) });
        },
      }) as unknown as (string[] | { record: string[]; info: { lines: number } })[];
      return { records, skipped };
    } catch (error) {
      throw badFile(shown, `cannot be read as CSV: ${(error as Error).message}`);
    }
  };
  // Where each record starts is needed only to place the records set aside for an error among the others:
  // read once without it, and again with it only when some record was set aside.
  const plain = read(false);
  if (plain.skipped.length === 0) {
    const records = plain.records as string[][];
    return csvRows(
      records.map((record, index) => ({ record, number: index + 1 })),
      [],
      records.length,
    );
  }
  const { records, skipped } = read(true) as {
    records: { record: string[]; info: { lines: number } }[];
    skipped: { line: number; reason: string }[];
  };
  // Row numbers as a spreadsheet shows the file (the header is row 1), counting the records csv-parse set
  // aside for an error where they were.
  const skippedBefore = (line: number) => skipped.filter((skip) => skip.line < line).length;
  const numbered = records.map(({ record, info }, index) => ({
    record,
    number: index + 1 + skippedBefore(info.lines),
  }));
  const refused = skipped.map(({ line, reason }) => ({
    number: records.filter((entry) => entry.info.lines < line).length + skippedBefore(line) + 1,
    reason: `(line ${line}) ${reason}`,
  }));
  return csvRows(numbered, refused, records.length);
}

/** The table of CSV records numbered as rows (the header is row 1), with the records refused as unreadable. */
function csvRows(
  records: { record: string[]; number: number }[],
  refused: { number: number; reason: string }[],
  count: number,
): Table {
  const [header, ...body] = records;
  if (!header || count === 0) return { rowName: "row", columns: [], rows: [], emptyRows: 0 };
  const columns = header.record.map((name) => name.trim());
  const rows: TableRow[] = [];
  let emptyRows = 0;
  for (const { record, number } of body) {
    if (record.every((cell) => cell.trim() === "")) {
      emptyRows++;
      continue;
    }
    const faults: TableRow["faults"] = [];
    if (record.length < columns.length || record.slice(columns.length).some((cell) => cell.trim() !== "")) {
      faults.push({
        reason: `has ${record.length} cells where the header has ${columns.length} (a missing or extra delimiter)`,
      });
    }
    rows.push({
      number,
      values: record.length > columns.length ? record.slice(0, columns.length) : record,
      faults,
    });
  }
  if (refused.length > 0) {
    for (const { number, reason } of refused) rows.push({ number, values: [], faults: [{ reason }] });
    rows.sort((a, b) => a.number - b.number);
  }
  return { rowName: "row", columns, rows, emptyRows };
}

function csvReason(message: string): string {
  if (/quote/i.test(message))
    return `a quoted cell is not closed or has text after its closing quote (${message})`;
  return message;
}

function jsonTable(text: string, shown: string): Table {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badFile(shown, `is not valid JSON: ${jsonFaultText(jsonFault(text, (error as Error).message))}`);
  }
  let items: unknown[] | undefined;
  if (Array.isArray(value)) items = value;
  else if (value && typeof value === "object") {
    const lists = Object.entries(value).filter(([, inner]) => Array.isArray(inner));
    if (lists.length > 1) {
      throw badFile(
        shown,
        `holds several lists (${lists.map(([key]) => key).join(", ")}), so which one to import is unclear`,
        "keep one list of contacts in the file",
      );
    }
    items = lists[0]?.[1] as unknown[] | undefined;
  }
  if (!items) {
    throw badFile(shown, "holds no list of contacts", 'write [{ "organisation": …, "email": … }, …]');
  }
  const columns: string[] = [];
  const seen = new Map<string, number>();
  for (const item of items) {
    if (!item || typeof item !== "object" || Array.isArray(item)) continue;
    for (const key of Object.keys(item)) {
      if (!seen.has(key)) {
        seen.set(key, columns.length);
        columns.push(key);
      }
    }
  }
  if (columns.length === 0 && items.length > 0) {
    throw badFile(
      shown,
      `holds no objects of fields (item 1 is ${JSON.stringify(items[0])})`,
      'write [{ "organisation": …, "email": … }, …]',
    );
  }
  const rows = items.map((item, index): TableRow => {
    if (!item || typeof item !== "object" || Array.isArray(item)) {
      return { number: index + 1, values: [], faults: [{ reason: "is not an object of fields" }] };
    }
    const values: unknown[] = [];
    for (const [key, inner] of Object.entries(item)) values[seen.get(key) ?? 0] = inner;
    return { number: index + 1, values, faults: [] };
  });
  return { rowName: "item", columns, rows, emptyRows: 0 };
}
