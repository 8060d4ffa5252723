// status and outstanding over a journal of 100,000 (and 1,000,000 outside --quick) events, against the floor:
// Node reading the same journal and JSON.parse-ing every line.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { cached, generateCampaign, generateJournal } from "./generate.js";
import { data, nodeScript, outreach } from "./lib.js";

export default async function tracking(bench) {
  for (const events of bench.quick ? [100_000] : [100_000, 1_000_000]) {
    const folder = join(data, `campaign-journal-${events}`);
    cached(folder, "v1", () => {
      generateCampaign(folder, 10_000, 100);
      generateJournal(folder, "bench", 10_000, events);
    });
    const budgetMs = events === 100_000 ? 500 : undefined;
    // The first run after the journal changed derives the state from all of it (and keeps a snapshot);
    // later runs read the snapshot. Both are rows: a user meets the first one after every send or log.
    const noSnapshot = () =>
      rmSync(join(folder, ".outreach", "cache", "journal-state.json"), { force: true });
    bench.compare([
      {
        name: "read + JSON.parse the journal (floor)",
        short: "floor",
        size: events,
        spec: nodeScript("read-journal.js", [join(folder, ".outreach", "journal.jsonl")]),
      },
      {
        name: "status, first run (journal changed)",
        size: events,
        spec: outreach(["status"], folder, { before: noSnapshot }),
        vs: 0,
        budgetRatio: 3,
        budgetMs,
      },
      { name: "status", size: events, spec: outreach(["status"], folder), vs: 0, budgetRatio: 3, budgetMs },
      {
        name: "outstanding, first run (journal changed)",
        size: events,
        spec: outreach(["outstanding"], folder, { before: noSnapshot }),
        vs: 0,
        budgetRatio: 3,
        budgetMs,
      },
      {
        name: "outstanding",
        size: events,
        spec: outreach(["outstanding"], folder),
        vs: 0,
        budgetRatio: 3,
        budgetMs,
      },
    ]);
  }
  // The same events over 10 recipients (thousands of letters each): anything quadratic per recipient shows.
  const few = join(data, "campaign-journal-100000-10-recipients");
  cached(few, "v1", () => {
    generateCampaign(few, 10, 100);
    generateJournal(few, "bench", 10, 100_000);
  });
  bench.compare([
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
  ]);
}
