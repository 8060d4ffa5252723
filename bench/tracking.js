// status and outstanding over a journal of 100,000 (and 1,000,000 outside --quick) events, against the floor:
// Node reading the same journal and JSON.parse-ing every line. Three runs of each: with no snapshot of the
// derived state (the first run of a new version), the first run after a send appended events to a journal
// whose snapshot was kept (what a user meets after every send or log), and a later run (nothing changed).

import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cached, generateAppend, generateCampaign, generateJournal } from "./generate.js";
import { cliPath, data, nodeScript, outreach } from "./lib.js";

const APPENDED_LETTERS = 1_000;

export default async function tracking(bench) {
  for (const events of bench.quick ? [100_000] : [100_000, 1_000_000]) {
    const folder = join(data, `campaign-journal-${events}`);
    const journal = join(folder, ".outreach", "journal.jsonl");
    const snapshot = join(folder, ".outreach", "cache", "journal-state.json");
    const appended = join(folder, "appended.jsonl");
    const baseLength = join(folder, "journal-length.txt");
    const baseSnapshot = join(folder, "journal-state.base.json");
    let base = 0; // the generated journal's length, read below
    const budgetMs = events === 100_000 ? 500 : undefined;
    const noSnapshot = () => rmSync(snapshot, { force: true });
    // The base journal with its snapshot, then a follow-up round and ten answers appended after it.
    const afterAppend = () => {
      truncateSync(journal, base);
      mkdirSync(join(folder, ".outreach", "cache"), { recursive: true });
      copyFileSync(baseSnapshot, snapshot);
      writeFileSync(journal, readFileSync(appended), { flag: "a" });
    };
    const rows = (command) => [
      {
        name: `${command}, no snapshot (first run of this version)`,
        size: events,
        spec: outreach([command], folder, { before: noSnapshot }),
        vs: 0,
        budgetRatio: 3,
        budgetMs,
      },
      {
        name: `${command}, first run after ${APPENDED_LETTERS * 2 + 10} events appended`,
        size: events,
        spec: outreach([command], folder, { before: afterAppend }),
        vs: 0,
        budgetRatio: 3,
        budgetMs,
      },
      { name: command, size: events, spec: outreach([command], folder), vs: 0, budgetRatio: 3, budgetMs },
    ];
    const entries = [
      {
        name: "read + JSON.parse the journal (floor)",
        short: "floor",
        size: events,
        spec: nodeScript("read-journal.js", [journal]),
      },
      ...rows("status"),
      ...rows("outstanding"),
    ];
    // Generating a journal of 1,000,000 events takes a while: only when the filter keeps one of these.
    if (!entries.some((entry) => bench.wants(entry.name))) continue;
    cached(folder, "v2", () => {
      generateCampaign(folder, 10_000, 100);
      generateJournal(folder, "bench", 10_000, events);
      writeFileSync(appended, generateAppend("bench", APPENDED_LETTERS));
      writeFileSync(baseLength, String(readFileSync(journal).length));
    });
    // The journal as generated, and a snapshot of it made by this build.
    base = Number(readFileSync(baseLength, "utf8"));
    truncateSync(journal, base);
    rmSync(snapshot, { force: true });
    spawnSync(process.execPath, [cliPath, "status"], { cwd: folder, stdio: "ignore" });
    copyFileSync(snapshot, baseSnapshot);
    bench.compare(entries);
  }
  // The same events over 10 recipients (thousands of letters each): anything quadratic per recipient shows.
  const few = join(data, "campaign-journal-100000-10-recipients");
  const entries = [
    {
      name: "read + JSON.parse the journal (floor), 10 recipients",
      short: "floor",
      size: 100_000,
      spec: nodeScript("read-journal.js", [join(few, ".outreach", "journal.jsonl")]),
    },
    {
      name: "status, 10 recipients",
      size: 100_000,
      spec: outreach(["status"], few),
      vs: 0,
      budgetRatio: 3,
      budgetMs: 500,
    },
  ];
  if (!entries.some((entry) => bench.wants(entry.name))) return;
  cached(few, "v1", () => {
    generateCampaign(few, 10, 100);
    generateJournal(few, "bench", 10, 100_000);
  });
  bench.compare(entries);
}
