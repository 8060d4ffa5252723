// `npm run bench`: generates its own campaigns, runs each case as a whole process (as a user runs it), and
// prints one table: case, size, wall time (median of BENCH_RUNS runs), rate, CPU, peak memory, the ratio to
// the floor or the peer measured in the same run (alternating), and the budget.
//
//   node bench/run.js [--quick] [FILTER...]    e.g. `node bench/run.js --quick check preview`
//
// --quick: 1,000 and 10,000 only (no 100,000 or 1,000,000), one run each unless BENCH_RUNS says otherwise.
// A FILTER keeps the topics and cases whose name contains it. Each topic is a module bench/<topic>.js that
// exports `default async function (bench)`; add yours with one line below.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createBench, data, ensureData, table } from "./lib.js";

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const filters = argv.filter((arg) => !arg.startsWith("--"));
const runs = Number(process.env.BENCH_RUNS ?? (quick ? 1 : 5));
ensureData();
const bench = createBench({ runs, quick, filters });

const topics = {
  startup: () => import("./startup.js"),
  letters: () => import("./letters.js"),
  send: () => import("./send.js"),
  tracking: () => import("./tracking.js"),
  // report.js, inbox.js and import.js return finished cells in the older columns (case, size, wall, rate, peak, budget, within).
  report: async () => ({
    default: async (b) =>
      b.wants("report") && b.cells(await (await import("./report.js")).reportRows({ data, runs })),
  }),
  inbox: async () => ({
    default: async (b) => b.wants("inbox") && b.cells(await (await import("./inbox.js")).inboxRows({ runs })),
  }),
  import: async () => ({
    default: async (b) =>
      b.wants("import") && b.cells(await (await import("./import.js")).importRows({ runs })),
  }),
};

const started = Date.now();
for (const [name, load] of Object.entries(topics)) {
  bench.topic = name;
  await (await load()).default(bench);
}

console.log(
  `outreach bench: Node ${process.version}, ${runs} run(s) per case, whole processes, ${
    quick ? "--quick, " : ""
  }${((Date.now() - started) / 1000).toFixed(0)} s\n`,
);
console.log(table(bench.rows));
writeFileSync(join(data, "last-run.txt"), `${table(bench.rows)}\n`);
