// `npm run bench`: generates its own campaigns, runs each case as a whole process (as a user runs it),
// and prints one table: case, size, wall time (median of several runs), rate, peak memory, budget.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, "..", "bin", "outreach.js");
const data = join(here, ".data");
const runs = Number(process.env.BENCH_RUNS ?? 5);

const WORDS = (
  "the security operation in the city left residents without communication and the roads were closed " +
  "while families waited for news and the institutions that could act were asked to speak and to help "
)
  .split(" ")
  .filter(Boolean);

/** A campaign of `count` recipients in files of `perFile`, with a 400-word letter using 5 fields. */
function generateCampaign(folder, count, perFile) {
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(join(folder, "recipients"), { recursive: true });
  mkdirSync(join(folder, "templates"), { recursive: true });
  writeFileSync(
    join(folder, "outreach.yaml"),
    [
      "sender: { name: Bench Sender, email: bench@example.org }",
      "campaigns:",
      "  - id: bench",
      '    subject: "Appeal to {{recipient.organisation}}"',
      "    template: letter",
      "    date: 2012-07-25",
      "",
    ].join("\n"),
  );
  let body = "";
  for (let index = 0; index < 400; index++) {
    body += WORDS[index % WORDS.length] + (index % 15 === 14 ? "\n" : " ");
  }
  writeFileSync(
    join(folder, "templates", "letter.txt.hbs"),
    `{{date campaign.date}}\n\n{{recipient.salutation}}\n\nWe write to {{recipient.organisation}} in {{recipient.country}} ` +
      `about {{recipient.custom.topic}}.\n\n${body}\n\n{{default recipient.complimentary_close "Yours sincerely,"}}\n{{sender.name}}\n`,
  );
  for (let file = 0; file * perFile < count; file++) {
    let yaml = "";
    for (let index = file * perFile; index < Math.min(count, (file + 1) * perFile); index++) {
      yaml +=
        `- id: r${index}\n  organisation: Institution number ${index}\n  type: ${["un", "osce", "eu", "embassy"][index % 4]}\n` +
        `  country: Country ${index % 50}\n  salutation: "Dear Colleague ${index},"\n  tags: [t${index % 10}]\n` +
        `  contacts:\n    - name: Person ${index}\n      email: person${index}@r${index}.example.org\n` +
        `  custom:\n    topic: "the situation in region ${index % 7}"\n`;
    }
    writeFileSync(join(folder, "recipients", `part-${String(file).padStart(4, "0")}.yaml`), yaml);
  }
}

/** Runs the CLI `runs` times; wall time is the median, memory the largest peak resident set. */
function measure(args, cwd, { before } = {}) {
  const times = [];
  let peak = 0;
  const rssFile = join(data, "rss.txt");
  for (let run = 0; run < runs; run++) {
    before?.();
    const start = process.hrtime.bigint();
    const result = spawnSync(process.execPath, ["--import", join(here, "peak-memory.js"), cli, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: "1", BENCH_RSS_FILE: rssFile },
      stdio: ["ignore", "ignore", "pipe"],
      maxBuffer: 1024 * 1024 * 1024,
    });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (result.status !== 0) {
      throw new Error(`outreach ${args.join(" ")} exited ${result.status}:\n${result.stderr}`);
    }
    peak = Math.max(peak, Number(readFileSync(rssFile, "utf8")));
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], peakMb: peak / 1024 / 1024 };
}

mkdirSync(data, { recursive: true });
const big = join(data, "campaign-10k");
generateCampaign(big, 10_000, 100);
const single = join(data, "campaign-10k-files");
generateCampaign(single, 10_000, 1);
const dropCache = (folder) => () => rmSync(join(folder, ".outreach"), { recursive: true, force: true });

const cases = [
  { name: "outreach --help", size: "-", args: ["--help"], cwd: data, budgetMs: 250 },
  { name: "check, no cache (first run)", size: 10_000, args: ["check"], cwd: big, before: dropCache(big) },
  { name: "check", size: 10_000, args: ["check"], cwd: big, budgetMs: 500, budgetMb: 250 },
  { name: "preview (to stdout)", size: 10_000, args: ["preview"], cwd: big, budgetMs: 500, budgetMb: 250 },
  {
    name: "check, one file per recipient",
    size: 10_000,
    args: ["check"],
    cwd: single,
    budgetMs: 500,
    budgetMb: 250,
  },
  {
    name: "preview --out (.eml + .txt)",
    size: 10_000,
    args: ["preview", "--out", join(data, "out")],
    cwd: big,
  },
];

const rows = [];
for (const entry of cases) {
  if (!entry.before) measure(entry.args, entry.cwd); // warm the cache and the file system
  const { ms, peakMb } = measure(entry.args, entry.cwd, { before: entry.before });
  const rate =
    typeof entry.size === "number"
      ? `${Math.round((entry.size / ms) * 1000).toLocaleString("en-GB")}/s`
      : "-";
  const budget = [
    entry.budgetMs ? `≤ ${entry.budgetMs} ms` : "",
    entry.budgetMb ? `≤ ${entry.budgetMb} MB` : "",
  ]
    .filter(Boolean)
    .join(", ");
  const within = !entry.budgetMs
    ? "-"
    : ms <= entry.budgetMs && (!entry.budgetMb || peakMb <= entry.budgetMb)
      ? "yes"
      : "NO";
  rows.push([
    entry.name,
    String(entry.size.toLocaleString?.("en-GB") ?? entry.size),
    `${ms.toFixed(0)} ms`,
    rate,
    `${peakMb.toFixed(0)} MB`,
    budget || "-",
    within,
  ]);
}

const header = ["case", "size", "wall (median)", "rate", "peak memory", "budget", "within"];
const widths = header.map((title, column) =>
  Math.max(title.length, ...rows.map((row) => row[column].length)),
);
const line = (cells) => `| ${cells.map((cell, column) => cell.padEnd(widths[column])).join(" | ")} |`;
console.log(`outreach bench: Node ${process.version}, ${runs} runs per case, whole processes\n`);
console.log(line(header));
console.log(line(widths.map((width) => "-".repeat(width))));
for (const row of rows) console.log(line(row));
