// The bench's row API. A topic module (bench/<topic>.js) exports `default async function (bench)` and calls
// `bench.row(...)` or `bench.compare(...)`; run.js calls it with one line. Each case runs as a whole process,
// A B A B when compared, so that a loaded machine slows both sides alike and the ratio holds.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const here = dirname(fileURLToPath(import.meta.url));
export const data = join(here, ".data");
export const cliPath = join(here, "..", "bin", "outreach.js");
const usage = join(here, "usage.js");
const timeTool = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;

/**
 * One process to measure: `node: true` runs a Node script with the usage preload (peak memory and CPU);
 * any other command runs under /usr/bin/time when it exists (else without memory and CPU).
 */
export function outreach(args, cwd, extra = {}) {
  return { command: process.execPath, args: [cliPath, ...args], cwd, node: true, ...extra };
}
export function nodeScript(script, args, extra = {}) {
  return { command: process.execPath, args: [join(here, script), ...args], cwd: data, node: true, ...extra };
}

function runOnce(spec) {
  spec.before?.();
  const usageFile = join(data, `usage-${process.pid}.txt`);
  rmSync(usageFile, { force: true });
  let command = spec.command;
  let args = spec.args;
  if (spec.node) {
    args = ["--import", usage, ...args];
  } else if (timeTool) {
    args = ["-f", "%M %U %S", "-o", usageFile, command, ...args];
    command = timeTool;
  }
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, {
    cwd: spec.cwd ?? data,
    env: { ...process.env, ...spec.env, NO_COLOR: "1", BENCH_USAGE_FILE: usageFile },
    stdio: ["ignore", "ignore", "pipe"],
    maxBuffer: 1024 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) {
    throw new Error(`${spec.command} ${spec.args.join(" ")} exited ${result.status}:\n${result.stderr}`);
  }
  const measured = { ms, peakMb: undefined, cpuMs: undefined };
  if (existsSync(usageFile)) {
    const [kb, user, system] = readFileSync(usageFile, "utf8")
      .trim()
      .split("\n")
      .pop()
      .split(" ")
      .map(Number);
    measured.peakMb = kb / 1024;
    measured.cpuMs = spec.node ? user + system : (user + system) * 1000;
  }
  return measured;
}

const median = (values) => {
  const sorted = values.filter((value) => value !== undefined).sort((a, b) => a - b);
  return sorted.length === 0 ? undefined : sorted[Math.floor(sorted.length / 2)];
};

/** Runs the CLI `runs` times, each a whole process: the median wall time and the largest peak memory. */
export function measureCli(args, cwd, { env, before, runs }) {
  mkdirSync(data, { recursive: true });
  const all = Array.from({ length: runs }, () => runOnce({ ...outreach(args, cwd), env, before }));
  return { ms: median(all.map((one) => one.ms)), peakMb: Math.max(...all.map((one) => one.peakMb ?? 0)) };
}

/** A port on 127.0.0.1 that was free a moment ago, for a server the bench starts. */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function createBench({ runs, quick, filters }) {
  const rows = [];
  let topic = "";
  // Whether the filters keep any of the named cases (a case is kept when its topic or its name contains a
  // filter). A topic that sets up something costly first asks with the names of all the cases it measures.
  const wants = (...names) =>
    filters.length === 0 ||
    filters.some((filter) => topic.includes(filter) || names.some((name) => name.includes(filter)));

  /** Measures the specs `runs` times each, alternating; the medians for each, in order. */
  function measureAll(specs, warm, times = runs) {
    if (warm) for (const spec of specs) if (!spec.before) runOnce(spec);
    const samples = specs.map(() => []);
    for (let run = 0; run < times; run++) {
      for (const [index, spec] of specs.entries()) samples[index].push(runOnce(spec));
    }
    return samples.map((list) => ({
      ms: median(list.map((sample) => sample.ms)),
      cpuMs: median(list.map((sample) => sample.cpuMs)),
      peakMb: list.some((sample) => sample.peakMb !== undefined)
        ? Math.max(...list.map((sample) => sample.peakMb ?? 0))
        : undefined,
    }));
  }

  function push(entry, result, reference) {
    rows.push({ ...entry, ...result, reference });
  }

  return {
    quick,
    runs,
    /** The sizes a case runs at: 1,000 and 10,000, and 100,000 outside --quick. */
    sizes: (full = [1_000, 10_000, 100_000]) => (quick ? full.filter((size) => size <= 10_000) : full),
    set topic(name) {
      topic = name;
    },
    wants,
    /** A row of its own: { name, size, spec, budgetMs?, budgetMb?, budgetRate?, perLetter?, warm? }. */
    row(entry) {
      if (!wants(entry.name)) return undefined;
      const [result] = measureAll([entry.spec], entry.warm ?? !entry.spec.before);
      push(entry, result);
      return result;
    },
    /**
     * Rows measured together, alternating; each may name `vs` (the index of another entry) to show the ratio
     * of its wall time to that one's. A filter that selects any of them runs them all.
     */
    compare(entries, { times = runs } = {}) {
      // The cases the filter wants, and the ones they are compared with.
      const wanted = entries.filter((entry) => entry && wants(entry.name));
      const needed = new Set(
        wanted.flatMap((entry) => [entry.vs ?? []].flat().map((index) => entries[index])),
      );
      const present = entries.filter((entry) => entry && (wanted.includes(entry) || needed.has(entry)));
      if (wanted.length === 0) return [];
      const results = measureAll(
        present.map((entry) => entry.spec),
        present.every((entry) => entry.warm ?? !entry.spec.before),
        times,
      );
      present.forEach((entry, index) => {
        const others = [entry.vs ?? []]
          .flat()
          .map((position) => present.indexOf(entries[position]))
          .filter((position) => position >= 0);
        push(
          entry,
          results[index],
          others.map((other) => ({
            name: present[other].short ?? present[other].name,
            ms: results[other].ms,
            cpuMs: results[other].cpuMs,
          })),
        );
      });
      return results;
    },
    /** Rows measured elsewhere, as cells: case, size, wall, rate, peak memory, budget, within. */
    cells(list) {
      for (const [name, size, wall, rate, peak, budget, within] of list) {
        rows.push({ name, cells: [name, size, wall, rate, "-", peak, "-", budget, within] });
      }
    },
    /** A row that could not be measured, with the reason. */
    skip(name, why) {
      if (wants(name)) rows.push({ name, size: "-", skipped: why });
    },
    rows,
  };
}

const number = (value) => Math.round(value).toLocaleString("en-GB");

export function table(rows) {
  const cells = rows.map((row) => {
    if (row.cells) return row.cells;
    if (row.skipped) return [row.name, "-", "skipped", "-", "-", "-", row.skipped, "-", "-"];
    const letters = typeof row.size === "number" ? row.size : undefined;
    const rate = letters === undefined ? undefined : (letters / row.ms) * 1000;
    const budget = [
      row.budgetMs ? `≤ ${row.budgetMs} ms` : "",
      row.budgetMb ? `≤ ${row.budgetMb} MB` : "",
      row.budgetRate ? `≥ ${number(row.budgetRate)}/s` : "",
      row.budgetRatio ? `≤ ${row.budgetRatio}×` : "",
      row.budgetCpuRatio ? `CPU ≤ ${row.budgetCpuRatio}×` : "",
    ]
      .filter(Boolean)
      .join(", ");
    const references = row.reference ?? [];
    const ratio = references.length > 0 ? row.ms / references[0].ms : undefined;
    const cpuRatio =
      references.length > 0 && row.cpuMs && references[0].cpuMs ? row.cpuMs / references[0].cpuMs : undefined;
    const ratios = references.map((reference, index) => {
      const cpu =
        row.perLetter && row.cpuMs && reference.cpuMs
          ? `, CPU ${(row.cpuMs / reference.cpuMs).toFixed(2)}×`
          : "";
      return `${(row.ms / reference.ms).toFixed(2)}× ${reference.name}${index === 0 ? cpu : ""}`;
    });
    const over =
      (row.budgetMs && row.ms > row.budgetMs) ||
      (row.budgetMb && (row.peakMb ?? 0) > row.budgetMb) ||
      (row.budgetRate && (rate ?? 0) < row.budgetRate) ||
      (row.budgetRatio && ratio !== undefined && ratio > row.budgetRatio) ||
      (row.budgetCpuRatio && cpuRatio !== undefined && cpuRatio > row.budgetCpuRatio);
    return [
      row.name,
      letters === undefined ? String(row.size ?? "-") : number(letters),
      `${number(row.ms)} ms`,
      rate === undefined ? "-" : `${number(rate)}/s`,
      row.cpuMs === undefined
        ? "-"
        : row.perLetter && letters
          ? `${((row.cpuMs / letters) * 1000).toFixed(0)} µs/letter`
          : `${number(row.cpuMs)} ms`,
      row.peakMb === undefined ? "-" : `${row.peakMb.toFixed(0)} MB`,
      ratios.length === 0 ? "-" : ratios.join("; "),
      budget || "-",
      budget ? (over ? "NO" : "yes") : "-",
    ];
  });
  const header = ["case", "size", "wall (median)", "rate", "CPU", "peak memory", "ratio", "budget", "within"];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((row) => row[column].length)),
  );
  const line = (row) => `| ${row.map((cell, column) => cell.padEnd(widths[column])).join(" | ")} |`;
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...cells.map(line)].join("\n");
}

export function ensureData() {
  mkdirSync(data, { recursive: true });
}
