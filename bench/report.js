// Bench rows for `outreach report`: the whole process over 10,000 recipients and 100,000 journal events,
// and the time Chromium takes to open the HTML it wrote. Runnable alone: `node bench/report.js`
// (BENCH_RUNS=1 for one run); bench/run.js adds its rows to the table.
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { generateCampaign, generateJournal } from "./generate.js";

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, "..", "bin", "outreach.js");
const CHROMIUM = "/usr/bin/chromium";
const OUTCOMES = ["acknowledged", "forwarded", "meeting", "declined", "auto-reply", "public-statement"];

/** 10,000 recipients, 90,000 send events and 10,000 answers: 100,000 events in all. */
function reportCampaign(data) {
  const folder = join(data, "campaign-report-100k");
  generateCampaign(folder, 10_000, 100);
  generateJournal(folder, "bench", 10_000, 90_000);
  const answers = [];
  for (let index = 0; index < 10_000; index++) {
    const day = `2012-08-${String(1 + (index % 28)).padStart(2, "0")}`;
    answers.push(
      JSON.stringify({
        v: 1,
        id: `answer-${index}`,
        at: `${day}T10:00:00Z`,
        campaign: "bench",
        recipient: `r${(index * 7) % 10_000}`,
        type: "response",
        outcome: OUTCOMES[index % OUTCOMES.length],
        date: day,
        channel: "email",
        from: `Person ${index} <person${index}@example.org>`,
        note: `Answer number ${index}, with a note of a few words.`,
      }),
    );
  }
  appendFileSync(join(folder, ".outreach", "journal.jsonl"), `${answers.join("\n")}\n`);
  return folder;
}

function measureReport(folder, output, runs) {
  const times = [];
  let peak = 0;
  const rssFile = join(folder, "..", "rss-report.txt");
  for (let run = 0; run < runs; run++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(
      process.execPath,
      ["--import", join(here, "peak-memory.js"), cli, "report", "-o", output],
      {
        cwd: folder,
        env: { ...process.env, NO_COLOR: "1", BENCH_RSS_FILE: rssFile, OUTREACH_NOW: "2012-09-15" },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (result.status !== 0) throw new Error(`outreach report exited ${result.status}:\n${result.stderr}`);
    peak = Math.max(peak, Number(readFileSync(rssFile, "utf8")));
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], peakMb: peak / 1024 / 1024 };
}

/** Milliseconds from asking Chromium for the file to its load event (the median of `runs` fresh pages). */
async function measureOpening(output, runs) {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
    ],
  });
  try {
    const times = [];
    for (let run = 0; run < runs; run++) {
      const page = await browser.newPage();
      const start = process.hrtime.bigint();
      await page.goto(pathToFileURL(output).href, { waitUntil: "load" });
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
      await page.close();
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  } finally {
    await browser.close();
  }
}

function row(name, size, ms, peakMb, budgetMs, budgetMb) {
  const budget = [`≤ ${budgetMs} ms`, budgetMb ? `≤ ${budgetMb} MB` : ""].filter(Boolean).join(", ");
  const within = ms > budgetMs || (budgetMb && peakMb > budgetMb) ? "NO" : "yes";
  return [
    name,
    size.toLocaleString("en-GB"),
    `${ms.toFixed(0)} ms`,
    `${Math.round((size / ms) * 1000).toLocaleString("en-GB")}/s`,
    peakMb === undefined ? "-" : `${peakMb.toFixed(0)} MB`,
    budget,
    within,
  ];
}

/** The rows in bench/run.js's columns: case, size, wall, rate, peak memory, budget, within. */
export async function reportRows({ data, runs }) {
  mkdirSync(data, { recursive: true });
  const folder = reportCampaign(data);
  const output = join(data, "report-100k.html");
  measureReport(folder, output, 1); // warm the file system and the folder cache
  const { ms, peakMb } = measureReport(folder, output, runs);
  const rows = [row("report, 10,000 recipients, 100,000 events", 100_000, ms, peakMb, 2000, 300)];
  const megabytes = (statSync(output).size / 1024 / 1024).toFixed(1);
  if (!existsSync(CHROMIUM)) {
    rows.push([
      `report opens in Chromium (${megabytes} MB)`,
      "10,000",
      "skipped: no /usr/bin/chromium",
      "-",
      "-",
      "≤ 2000 ms",
      "-",
    ]);
    return rows;
  }
  const opening = await measureOpening(output, runs);
  rows.push(row(`report opens in Chromium (${megabytes} MB)`, 10_000, opening, undefined, 2000));
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  const rows = await reportRows({ data: join(here, ".data"), runs });
  for (const cells of rows) console.log(`| ${cells.join(" | ")} |`);
}
