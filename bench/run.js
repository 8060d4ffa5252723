// `npm run bench`: generates its own campaigns, runs each case as a whole process (as a user runs it),
// and prints one table: case, size, wall time (median of several runs), rate, peak memory, budget.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateCampaign, generateJournal } from "./generate.js";
import { importRows } from "./import.js";
import { reportRows } from "./report.js";

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, "..", "bin", "outreach.js");
const data = join(here, ".data");
const runs = Number(process.env.BENCH_RUNS ?? 5);

/** Runs the CLI `runs` times; wall time is the median, memory the largest peak resident set. */
function measure(args, cwd, { before, env } = {}) {
  const times = [];
  let peak = 0;
  const rssFile = join(data, "rss.txt");
  for (let run = 0; run < runs; run++) {
    before?.();
    const start = process.hrtime.bigint();
    const result = spawnSync(process.execPath, ["--import", join(here, "peak-memory.js"), cli, ...args], {
      cwd,
      env: { ...process.env, ...env, NO_COLOR: "1", BENCH_RSS_FILE: rssFile },
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
const tracked = join(data, "campaign-journal-100k");
generateCampaign(tracked, 10_000, 100);
generateJournal(tracked, "bench", 10_000, 100_000);

const dropCache = (folder) => () =>
  rmSync(join(folder, ".outreach", "cache"), { recursive: true, force: true });
const freshJournal = (folder) => () => {
  rmSync(join(folder, ".outreach", "journal.jsonl"), { force: true });
  rmSync(join(folder, ".outreach", "sent"), { recursive: true, force: true });
};

// The SMTP sink runs in its own process, as a real server would.
const sink = spawn(process.execPath, [join(here, "smtp-sink.js")], { stdio: ["ignore", "pipe", "inherit"] });
const sinkPort = await new Promise((resolve) =>
  sink.stdout.once("data", (chunk) => resolve(Number(String(chunk)))),
);
const smtp = { OUTREACH_SMTP_URL: `smtp://127.0.0.1:${sinkPort}` };

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
  {
    name: "send to a local SMTP sink (fsync)",
    size: 10_000,
    args: ["send", "--yes"],
    cwd: big,
    env: smtp,
    before: freshJournal(big),
    budgetRate: 1700,
  },
  {
    name: "send, journal without fsync",
    size: 10_000,
    args: ["send", "--yes"],
    cwd: big,
    env: { ...smtp, OUTREACH_UNSAFE_NO_FSYNC: "1" },
    before: freshJournal(big),
  },
  { name: "status, journal of 100,000 events", size: 100_000, args: ["status"], cwd: tracked, budgetMs: 500 },
  {
    name: "outstanding, journal of 100,000 events",
    size: 100_000,
    args: ["outstanding"],
    cwd: tracked,
    budgetMs: 500,
  },
];

const rows = [];
try {
  for (const entry of cases) {
    if (!entry.before) measure(entry.args, entry.cwd, { env: entry.env }); // warm caches and the file system
    const { ms, peakMb } = measure(entry.args, entry.cwd, { before: entry.before, env: entry.env });
    const perSecond = typeof entry.size === "number" ? (entry.size / ms) * 1000 : undefined;
    const budget = [
      entry.budgetMs ? `≤ ${entry.budgetMs} ms` : "",
      entry.budgetMb ? `≤ ${entry.budgetMb} MB` : "",
      entry.budgetRate ? `≥ ${entry.budgetRate.toLocaleString("en-GB")}/s` : "",
    ]
      .filter(Boolean)
      .join(", ");
    const within =
      (entry.budgetMs && ms > entry.budgetMs) ||
      (entry.budgetMb && peakMb > entry.budgetMb) ||
      (entry.budgetRate && (perSecond ?? 0) < entry.budgetRate)
        ? "NO"
        : budget
          ? "yes"
          : "-";
    rows.push([
      entry.name,
      typeof entry.size === "number" ? entry.size.toLocaleString("en-GB") : entry.size,
      `${ms.toFixed(0)} ms`,
      perSecond === undefined ? "-" : `${Math.round(perSecond).toLocaleString("en-GB")}/s`,
      `${peakMb.toFixed(0)} MB`,
      budget || "-",
      within,
    ]);
  }
  rows.push(...(await reportRows({ data, runs })));
  rows.push(...(await importRows({ runs })));
} finally {
  sink.kill();
}
rows.push(...(await (await import("./inbox.js")).inboxRows({ runs })));

const header = ["case", "size", "wall (median)", "rate", "peak memory", "budget", "within"];
const widths = header.map((title, column) =>
  Math.max(title.length, ...rows.map((row) => row[column].length)),
);
const line = (cells) => `| ${cells.map((cell, column) => cell.padEnd(widths[column])).join(" | ")} |`;
console.log(`outreach bench: Node ${process.version}, ${runs} runs per case, whole processes\n`);
console.log(line(header));
console.log(line(widths.map((width) => "-".repeat(width))));
for (const row of rows) console.log(line(row));
writeFileSync(join(data, "last-run.txt"), rows.map((row) => row.join("\t")).join("\n"));
