// Bench rows for `outreach import`: a 10,000-row CSV and a 10,000-row .xlsx (written with exceljs, as a
// spreadsheet would hold the list), each imported into a fresh campaign folder as a whole process, then
// `check` on the result. Alone: `npm run build && BENCH_RUNS=1 node bench/import.js`.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ExcelJS from "exceljs";
import { measureCli } from "./lib.js";

const here = dirname(fileURLToPath(import.meta.url));
const NOW = { OUTREACH_NOW: "2012-07-20" };
const ROWS = 10_000;
const HEADER = [
  "Organisation",
  "E-mail",
  "Name",
  "Title",
  "Country",
  "Language",
  "Salutation",
  "Type",
  "Tags",
  "Mandate",
];
const COUNTRIES = ["NO", "FR", "TJ", "DE", "Norway", "Switzerland"];

/** One contact per row; every fifth row is a second contact of the body above it. */
function rowsOf(count) {
  const rows = [];
  for (let index = 0; index < count; index++) {
    const body = index - (index % 5 === 4 ? 1 : 0);
    rows.push([
      `Permanent Mission number ${body} to the OSCE`,
      `contact${index}@mission${body}.example.org`,
      `Person ${index}`,
      index % 5 === 4 ? "Political adviser" : "Ambassador",
      COUNTRIES[body % COUNTRIES.length],
      ["en", "fr", "ru"][body % 3],
      "Your Excellency,",
      "embassy",
      "osce; vienna",
      `the mandate of mission ${body}`,
    ]);
  }
  return rows;
}

function campaign(folder) {
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(join(folder, "recipients"), { recursive: true });
  mkdirSync(join(folder, "templates"), { recursive: true });
  writeFileSync(
    join(folder, "outreach.yaml"),
    'sender: { name: Bench Sender, email: bench@example.org }\ncampaigns:\n  - id: bench\n    subject: "Appeal to {{recipient.organisation}}"\n    template: letter\n    date: 2012-07-25\n',
  );
  writeFileSync(
    join(folder, "templates", "letter.txt.hbs"),
    "{{recipient.salutation}}\n\nWe write to {{recipient.organisation}} in view of {{recipient.custom.mandate}}.\n",
  );
}

function csvOf(rows) {
  const cell = (value) => (/[",;\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  return `${[HEADER, ...rows].map((row) => row.map(cell).join(",")).join("\r\n")}\r\n`;
}

function row(name, size, { ms, peakMb }, budgetMs) {
  return [
    name,
    size.toLocaleString("en-GB"),
    `${ms.toFixed(0)} ms`,
    `${Math.round((size / ms) * 1000).toLocaleString("en-GB")}/s`,
    `${peakMb.toFixed(0)} MB`,
    budgetMs ? `≤ ${budgetMs} ms` : "-",
    budgetMs ? (ms > budgetMs ? "NO" : "yes") : "-",
  ];
}

/** The import rows, in bench/run.js's row format. */
export async function importRows({ runs = Number(process.env.BENCH_RUNS ?? 5) } = {}) {
  const data = join(here, ".data", "import");
  rmSync(data, { recursive: true, force: true });
  mkdirSync(data, { recursive: true });
  const rows = rowsOf(ROWS);
  writeFileSync(join(data, "missions.csv"), csvOf(rows));
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet("Missions");
  sheet.addRow(HEADER);
  for (const cells of rows) sheet.addRow(cells);
  await workbook.xlsx.writeFile(join(data, "missions.xlsx"));

  const results = [];
  for (const [kind, file, budgetMs] of [
    ["CSV", "missions.csv", 1000],
    [".xlsx", "missions.xlsx", 3000],
  ]) {
    const folder = join(data, `campaign-${kind.replace(".", "")}`);
    const fresh = () => campaign(folder);
    const imported = measureCli(["import", join(data, file)], folder, { env: NOW, before: fresh, runs });
    const written = readdirSync(join(folder, "recipients"))
      .map((name) => readFileSync(join(folder, "recipients", name), "utf8").match(/^- id: /gm)?.length ?? 0)
      .reduce((sum, count) => sum + count, 0);
    if (written !== ROWS - ROWS / 5) throw new Error(`import of ${file} wrote ${written} recipients`);
    const dropCache = () => rmSync(join(folder, ".outreach"), { recursive: true, force: true });
    const checked = measureCli(["check"], folder, { env: NOW, before: dropCache, runs });
    results.push(row(`import of a ${kind} list (${(ROWS / 5) * 4} recipients)`, ROWS, imported, budgetMs));
    results.push(row(`check after the ${kind} import, no cache`, ROWS - ROWS / 5, checked));
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const cells of await importRows()) console.log(cells.join("\t"));
}
