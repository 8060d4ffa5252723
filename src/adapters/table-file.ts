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
  const { csvTable } = await import("./csv-table.js");
  return csvTable(text, (reason) => badFile(shown, reason));
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
