// Preloaded into each measured Node process: records its peak resident memory (kB) and CPU (ms) at exit.
import { writeFileSync } from "node:fs";

process.on("exit", () => {
  if (!process.env.BENCH_USAGE_FILE) return;
  const usage = process.resourceUsage();
  writeFileSync(
    process.env.BENCH_USAGE_FILE,
    `${usage.maxRSS} ${usage.userCPUTime / 1000} ${usage.systemCPUTime / 1000}\n`,
  );
});
