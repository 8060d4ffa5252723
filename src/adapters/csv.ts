// CSV for spreadsheets: one way to write it. A cell that a spreadsheet would run as a formula (starting with
// = + - @) is written as text, and true/false as yes/no. For Excel, which reads a CSV without a byte-order
// mark in the legacy code page (Cyrillic turns to garbage), `excel` adds the UTF-8 BOM and CRLF line ends.
export async function toCsv(rows: readonly object[], options: { excel?: boolean } = {}): Promise<string> {
  const { stringify } = await import("csv-stringify/sync");
  return stringify(rows as Record<string, unknown>[], {
    header: true,
    ...(options.excel ? { bom: true, record_delimiter: "windows" as const } : {}),
    cast: {
      boolean: (value) => (value ? "yes" : "no"),
      string: (value) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value),
    },
  });
}
