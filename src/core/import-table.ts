// A list of contacts as read from a spreadsheet, CSV or JSON file: named columns, and rows numbered as the
// user sees them, with what the reader already found wrong in a row (a formula, a merged cell, its length).

export interface TableRow {
  /** The row number a spreadsheet shows (the header is row 1), or the item's place in a JSON list (from 1). */
  number: number;
  /** One value per column: text from a spreadsheet or CSV, any JSON value from JSON; undefined when empty. */
  values: unknown[];
  /** Found by the reader: each refuses the row (`line`: where in a text file, when it is not the row's number). */
  faults: { column?: number; line?: number; reason: string }[];
}

export interface Table {
  /** What a row is called in messages: a spreadsheet's "row", a JSON list's "item". */
  rowName: "row" | "item";
  columns: string[];
  rows: TableRow[];
  /** Rows with nothing in them, left out. */
  emptyRows: number;
  /** The worksheet read, for a workbook with several. */
  sheet?: string;
}
