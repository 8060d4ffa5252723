// CSV text as a table of rows numbered as a spreadsheet shows them (the header is row 1). csv-parse reads the
// file in one fast pass; only when a record is malformed does a second pass place every record (its bytes and
// line) and refuse each malformed one alone, at its row, line and column, so that the good rows go in.
import type { Table, TableRow } from "../core/import-table.js";
import { printable } from "../core/text-rules.js";

type Parse = typeof import("csv-parse/sync").parse;
type Fault = TableRow["faults"][number];

/** A record as read, where it starts in the file, and what is wrong with it (if anything). */
interface PlacedRecord {
  record: string[];
  line?: number;
  fault?: { column: number; line: number; reason: string };
}

const DELIMITERS = [",", ";", "\t", "|"] as const;

export async function csvTable(text: string, unreadable: (reason: string) => Error): Promise<Table> {
  const { parse } = await import("csv-parse/sync");
  const delimiter = delimiterOf(text);
  let skipped = 0;
  let records: string[][];
  try {
    records = parse(text, {
      delimiter,
      relax_column_count: true,
      skip_empty_lines: false,
      skip_records_with_error: true,
      on_skip: () => {
        skipped++;
      },
    }) as string[][];
  } catch (error) {
    throw unreadable(`cannot be read as CSV: ${(error as Error).message}`);
  }
  const width = records[0]?.length ?? 0;
  // Where each record starts is needed only to name the line of a malformed one: read again for it only then.
  const placed =
    skipped === 0 && !records.some((record) => lengthFault(record, width) !== undefined)
      ? records.map((record) => ({ record }))
      : placeRecords(Buffer.from(text, "utf8"), delimiter, parse);
  return csvRows(placed, unreadable);
}

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

/** Why a record's length does not fit the header's, if it does not: cells missing, or text beyond the last. */
function lengthFault(record: string[], width: number): string | undefined {
  if (record.length === width || record.every((cell) => cell.trim() === "")) return undefined;
  if (record.length >= width && record.slice(width).every((cell) => cell.trim() === "")) return undefined;
  return `has ${record.length} cells where the header has ${width} (a missing or extra delimiter)`;
}

/** The table of records numbered as rows; a malformed header makes the file unreadable. */
function csvRows(records: PlacedRecord[], unreadable: (reason: string) => Error): Table {
  const [header, ...body] = records;
  if (!header) return { rowName: "row", columns: [], rows: [], emptyRows: 0 };
  if (header.fault) {
    throw unreadable(
      `cannot be read as CSV: row 1 (the header), line ${header.fault.line}, column ${header.fault.column + 1} ${header.fault.reason}`,
    );
  }
  const columns = header.record.map((name) => name.trim());
  const rows: TableRow[] = [];
  let emptyRows = 0;
  body.forEach(({ record, line, fault }, index) => {
    const number = index + 2;
    if (fault) {
      const { column, ...rest } = fault;
      const faults: Fault[] = [column < columns.length ? { column, ...rest } : rest];
      rows.push({ number, values: record.slice(0, columns.length), faults });
      return;
    }
    if (record.every((cell) => cell.trim() === "")) {
      emptyRows++;
      return;
    }
    const length = lengthFault(record, columns.length);
    rows.push({
      number,
      values: record.length > columns.length ? record.slice(0, columns.length) : record,
      faults: length ? [{ reason: length, ...(line !== undefined ? { line } : {}) }] : [],
    });
  });
  return { rowName: "row", columns, rows, emptyRows };
}

/**
 * Every record with the line it starts at, and the fault of each malformed one. csv-parse with relax_quotes
 * finds where each record ends even when a quote is misplaced; a record with a quote left in a cell is then
 * read alone, strictly, to say what is wrong with it. A quote left open swallows what follows up to the next
 * quote (or the end of the file): its record is refused, and reading goes on at the line after it opened. A
 * cell over several lines whose next line is no row of its own is one record however its quotes go wrong,
 * refused once.
 */
function placeRecords(buffer: Buffer, delimiter: string, parse: Parse): PlacedRecord[] {
  const lineAt = lineCounter(buffer);
  const placed: PlacedRecord[] = [];
  let offset: number | undefined = 0;
  while (offset !== undefined && offset < buffer.length) {
    offset = placeFrom({ buffer, delimiter, parse, lineAt }, offset, placed);
  }
  return placed;
}

interface Reading {
  buffer: Buffer;
  delimiter: string;
  parse: Parse;
  lineAt: LineCounter;
}

type LineCounter = ((offset: number) => number) & { startOf: (line: number) => number };

/** Places the records from `offset` on; where to go on reading after a quote left open, else undefined. */
function placeFrom(reading: Reading, offset: number, placed: PlacedRecord[]): number | undefined {
  const { buffer, delimiter, parse, lineAt } = reading;
  let unclosed: { bytes: number; column: number } | undefined;
  const records = parse(buffer.subarray(offset), {
    delimiter,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
    skip_records_with_error: true,
    info: true,
    on_skip: (error: { code?: string; bytes?: number; index?: number } | undefined) => {
      // The one error relax_quotes leaves: the end of the file inside a quoted cell.
      if (error?.code === "CSV_QUOTE_NOT_CLOSED") {
        unclosed ??= { bytes: error.bytes ?? 0, column: error.index ?? 0 };
      }
    },
  }) as unknown as { record: string[]; info: { bytes: number } }[];
  let start = offset;
  for (const { record, info } of records) {
    const end = offset + info.bytes;
    const line = lineAt(start);
    // Read with relax_quotes, a misplaced quote stays in its cell: only a record with one can be malformed.
    const fault = record.some((cell) => cell.includes('"'))
      ? diagnose(buffer.subarray(start, end), record, delimiter, parse)
      : undefined;
    const opened = fault ? line + fault.openLine - 1 : line;
    const through = fault ? cellEnd(reading, start, end) : end;
    if (fault && lineAt(through - 1) > opened) {
      // A quoted cell over several lines that goes wrong. When the line after the one it opens on is a row of
      // its own, the quote was left open there; otherwise the lines are one row (a cell with text after its
      // closing quote, or a quote inside it not doubled), refused once, and reading goes on after it.
      if (isWholeRow(reading, opened + 1, placed[0]?.record.length ?? record.length)) {
        if (fault.openLine < fault.line) {
          const closedAt = line + fault.line - 1;
          return leftOpen(
            reading,
            opened,
            fault.column,
            placed,
            `the next quote is on line ${closedAt}, with text after it`,
          );
        }
      } else {
        placed.push({
          record,
          line,
          fault: { column: fault.column, line: line + fault.line - 1, reason: fault.reason },
        });
        if (through !== end) return through;
        start = end;
        continue;
      }
    }
    placed.push({
      record,
      line,
      ...(fault
        ? { fault: { column: fault.column, line: line + fault.line - 1, reason: fault.reason } }
        : {}),
    });
    start = end;
  }
  if (!unclosed) return undefined;
  const opened = lineAt(offset + unclosed.bytes);
  return leftOpen(reading, opened, unclosed.column, placed, "the file ends before it is closed");
}

/**
 * Refuses the record whose quote opened on `line` and is not closed on it (`what` follows), and says where
 * reading goes on: the next line.
 */
function leftOpen(
  reading: Reading,
  line: number,
  column: number,
  placed: PlacedRecord[],
  what: string,
): number {
  const resume = reading.lineAt.startOf(line + 1);
  const more = reading.buffer.toString("utf8", resume).trim() !== "";
  placed.push({
    record: [],
    line,
    fault: {
      column,
      line,
      reason: `has a quote that opens its cell on line ${line} and is not closed on that line (${what}): close the quote, or take it out${more ? "; the lines after it were read as rows of their own" : ""}`,
    },
  });
  return resume;
}

/**
 * Where a record with a quoted cell gone wrong ends when a quote inside a cell counts as text unless it is
 * followed by a delimiter or the end of a line (as the one who wrote "a "b" c" meant it): past `end`, where
 * csv-parse ended it, when a quote not doubled made csv-parse end the cell early; `end` when the file ends
 * inside the cell so read.
 */
function cellEnd(reading: Reading, start: number, end: number): number {
  const { buffer } = reading;
  const delimiter = reading.delimiter.charCodeAt(0);
  const QUOTE = 0x22;
  let quoted = false;
  let cellStart = true;
  for (let at = start; at < buffer.length; at++) {
    const byte = buffer[at];
    if (quoted) {
      if (byte !== QUOTE) continue;
      if (buffer[at + 1] === QUOTE) {
        at++;
        continue;
      }
      const next = buffer[at + 1];
      if (next === undefined || next === delimiter || next === 0x0a || next === 0x0d) quoted = false;
      continue;
    }
    if (byte === QUOTE && cellStart) quoted = true;
    else if (byte === 0x0a) return Math.max(at + 1, end);
    else if (byte === 0x0d) return Math.max(buffer[at + 1] === 0x0a ? at + 2 : at + 1, end);
    cellStart = byte === delimiter;
  }
  return quoted ? end : Math.max(buffer.length, end);
}

/** Whether a line of the file, read alone and strictly, is a row of the header's width. */
function isWholeRow(reading: Reading, line: number, width: number): boolean {
  const { buffer, lineAt } = reading;
  const from = lineAt.startOf(line);
  if (line > lineAt(buffer.length) || from >= buffer.length) return false;
  const to = lineAt.startOf(line + 1);
  const text = buffer.toString("utf8", from, to > from ? to : buffer.length).replace(/\r?\n$|\r$/, "");
  try {
    const records = reading.parse(text, {
      delimiter: reading.delimiter,
      relax_column_count: true,
    }) as string[][];
    return records.length === 1 && lengthFault(records[0] as string[], width) === undefined;
  } catch {
    return false;
  }
}

interface Diagnosis {
  column: number;
  /** Lines within the record, from 1: where the fault is, and where its cell opened. */
  line: number;
  openLine: number;
  reason: string;
}

/** What is wrong with one record's text, read alone and strictly by csv-parse; undefined when nothing is. */
function diagnose(slice: Buffer, record: string[], delimiter: string, parse: Parse): Diagnosis | undefined {
  // csv-parse counts a CRLF inside a quoted cell as two lines: it reads the record with LF alone.
  const text = Buffer.from(slice.toString("utf8").replaceAll("\r\n", "\n"), "utf8");
  try {
    parse(text, { delimiter, relax_column_count: true, skip_empty_lines: false });
    return undefined;
  } catch (error) {
    const {
      code,
      lines = 1,
      index = 0,
      bytes = 0,
    } = error as {
      code?: string;
      lines?: number;
      index?: number;
      bytes?: number;
    };
    // `bytes` is where the cell before the faulty one ended: the faulty one opens on that line.
    let openLine = 1;
    for (let at = text.indexOf(0x0a); at !== -1 && at < bytes; at = text.indexOf(0x0a, at + 1)) openLine++;
    return { column: index, line: lines, openLine, reason: quoteReason(code, record[index] ?? "") };
  }
}

function quoteReason(code: string | undefined, cell: string): string {
  if (code === "CSV_INVALID_CLOSING_QUOTE") {
    return `has text after the closing quote of its cell (it reads ${shown(cell)}): put the quotes around the whole cell, and write a quote inside it twice ("")`;
  }
  if (code === "INVALID_OPENING_QUOTE") {
    return `has a quote in a cell that does not start with one (it reads ${shown(cell)}): put the whole cell in quotes, and write each quote inside it twice ("")`;
  }
  return `cannot be read as CSV (${code ?? "an unknown error"})`;
}

/** A cell as it stands in the file, on one line and not too long to read. */
function shown(cell: string): string {
  return printable(cell.length > 60 ? `${cell.slice(0, 60)}…` : cell);
}

/**
 * Line numbers of byte offsets, as an editor counts them (LF, or CR alone in a file without LF), and the
 * offset where a line starts.
 */
function lineCounter(buffer: Buffer): LineCounter {
  const mark = buffer.includes(0x0a) ? 0x0a : 0x0d;
  const breaks: number[] = [];
  for (let at = buffer.indexOf(mark); at !== -1; at = buffer.indexOf(mark, at + 1)) breaks.push(at);
  const lineAt = (offset: number) => {
    let low = 0;
    let high = breaks.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((breaks[middle] ?? 0) < offset) low = middle + 1;
      else high = middle;
    }
    return low + 1;
  };
  return Object.assign(lineAt, {
    startOf: (line: number) => (line <= 1 ? 0 : (breaks[line - 2] ?? buffer.length - 1) + 1),
  });
}
