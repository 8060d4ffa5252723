// Shared test tools: real temporary campaign folders, and the built CLI run as a user runs it.
import { spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  cpSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, afterEach } from "vitest";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const CLI = join(REPO, "bin", "outreach.js");
export const STARTER = join(REPO, "starter");
/** "Now" for every test run, so stale-date warnings and dates do not depend on the day the tests run. */
export const NOW = "2026-02-01T12:00:00Z";

const made: string[] = [];
afterAll(() => {
  for (const folder of made) rmSync(folder, { recursive: true, force: true });
});

export function tempFolder(prefix = "outreach-test-"): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  made.push(folder);
  return folder;
}

/**
 * A campaign folder: the starter campaign (unless `starter: false`), with `files` written over it.
 * A value of null deletes that file.
 */
export function campaignFolder(
  files: Record<string, string | Buffer | null> = {},
  options: { starter?: boolean } = {},
): string {
  const folder = tempFolder();
  if (options.starter !== false) {
    cpSync(STARTER, folder, { recursive: true });
  }
  for (const [path, content] of Object.entries(files)) {
    const target = join(folder, path);
    if (content === null) {
      rmSync(target, { force: true });
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  return folder;
}

/** A recipient file of `count` UN bodies (body-0, body-1, …), one address each. */
export function unBodies(count: number): string {
  const bodies = Array.from({ length: count }, (_, index) =>
    [
      `- id: body-${index}`,
      `  organisation: Example Body ${index}`,
      "  type: un",
      '  salutation: "Dear Sir or Madam,"',
      "  contacts:",
      `    - email: office${index}@body.example.org`,
      "  custom:",
      "    mandate: your mandate",
    ].join("\n"),
  );
  return `${bodies.join("\n")}\n`;
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function run(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; input?: string },
): Promise<CliResult> {
  const result = await execa("node", [CLI, ...args], {
    cwd: options.cwd,
    reject: false,
    env: { NO_COLOR: "1", OUTREACH_NOW: NOW, ...options.env },
    extendEnv: true,
    ...(options.input === undefined ? { stdin: "ignore" as const } : { input: options.input }),
    timeout: 30_000,
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Every file below `folder` with its size and modification time, to prove a command wrote nothing. */
export function snapshot(folder: string): Record<string, string> {
  const files: Record<string, string> = {};
  const visit = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) visit(path);
      else {
        const stat = statSync(path);
        files[relative(folder, path)] = `${stat.size}:${stat.mtimeMs}`;
      }
    }
  };
  visit(folder);
  return files;
}

/** Writes `path` until its disk is full, then gives `leave` bytes back. */
export function fillUp(path: string, leave: number): void {
  const chunk = Buffer.alloc(4096, 120);
  const descriptor = openSync(path, "w");
  let size = 0;
  try {
    for (;;) size += writeSync(descriptor, chunk);
  } catch {}
  ftruncateSync(descriptor, Math.max(0, size - leave));
  closeSync(descriptor);
}

const mounted: string[] = [];
afterEach(() => {
  for (const point of mounted.splice(0)) spawnSync("umount", ["-l", point]);
});

/** Mounts a tmpfs of `kilobytes` on `folder` until the test ends; false when this machine does not let the test do that. */
export function mountTmpfs(folder: string, kilobytes: number): boolean {
  mkdirSync(folder, { recursive: true });
  const result = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${kilobytes}k,mode=0700`, "tmpfs", folder]);
  if (result.status !== 0) return false;
  mounted.push(folder);
  return true;
}

let mountable: boolean | undefined;
/** Whether the tests may mount a small file system here (as root, where the kernel allows it). */
export function canMountTmpfs(): boolean {
  if (mountable === undefined) {
    mountable = false;
    if (process.getuid?.() === 0) {
      const probe = tempFolder("outreach-mount-probe-");
      const result = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe]);
      mountable = result.status === 0;
      if (mountable) spawnSync("umount", [probe]);
    }
  }
  return mountable;
}

/**
 * A process that runs now (`sleep`), named as a lock or a record names it: its pid, its start in clock ticks
 * since boot (field 22 of /proc/PID/stat, read here apart from the code under test) and the machine's boot id.
 */
export function liveProcess(): { pid: number; start: string; boot: string; kill: () => void } {
  const child = spawn("sleep", ["60"], { stdio: "ignore" });
  const pid = child.pid as number;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] as string;
  const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  return { pid, start, boot, kill: () => child.kill() };
}

/** A small seeded generator (mulberry32), so that a failure of a generated case can be replayed. */
export function seededRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  return { next, pick, chance: (p: number) => next() < p };
}
