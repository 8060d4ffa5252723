// status and outstanding over a journal of 100,000 (and 1,000,000 outside --quick) events, against the floor:
// Node reading the same journal and JSON.parse-ing every line.
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
    bench.compare([
      {
        name: "read + JSON.parse the journal (floor)",
        short: "floor",
        size: events,
        spec: nodeScript("read-journal.js", [join(folder, ".outreach", "journal.jsonl")]),
      },
      { name: "status", size: events, spec: outreach(["status"], folder), vs: 0, budgetRatio: 3, budgetMs },
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
}
