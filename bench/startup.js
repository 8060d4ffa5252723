// Start-up: `outreach --help` against bare Node, alternating, many times (each run is short and noisy).
import { data, outreach } from "./lib.js";

export default async function startup(bench) {
  const floor = {
    name: "node -e 0 (floor)",
    short: "node -e 0",
    size: "-",
    spec: { command: process.execPath, args: ["-e", "0"], node: true },
  };
  const help = {
    name: "outreach --help",
    size: "-",
    spec: outreach(["--help"], data),
    vs: 0,
    budgetMs: 250,
    budgetRatio: 1.3,
  };
  bench.compare([floor, help], { times: Math.max(bench.runs * 5, 10) });
}
