// CSV for spreadsheets: one way to write it. A cell that a spreadsheet would run as a formula (starting with
// = + - @) is written as text, and true/false as yes/no.
export async function toCsv(rows: readonly object[]): Promise<string> {
  const { stringify } = await import("csv-stringify/sync");
  return stringify(rows as Record<string, unknown>[], {
    header: true,
    cast: {
      boolean: (value) => (value ? "yes" : "no"),
      string: (value) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value),
    },
  });
}
