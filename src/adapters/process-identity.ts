// Which process left a lock or a record, and whether it still runs. A pid alone cannot say: once a process is
// gone its number is given to the next, so a lock of a process long gone would look held by whatever runs
// under that number now. The machine's boot id and the process's start (in clock ticks since boot, from
// /proc/PID/stat) are never the same for two processes, so a pid with them names one process only.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";

export interface ProcessIdentity {
  pid: number;
  host: string;
  /** The machine's boot id (Linux): a record from before the last boot names a process that is gone. */
  boot?: string;
  /** When the process started, in clock ticks since boot (Linux): another process under its pid started later. */
  start?: string;
}

/** This process, as a lock or a record names it. */
export function thisProcess(): ProcessIdentity {
  const boot = bootId();
  const start = startOf(process.pid);
  return {
    pid: process.pid,
    host: hostname(),
    ...(boot ? { boot } : {}),
    ...(start ? { start } : {}),
  };
}

/**
 * Whether the process a lock or a record names runs now. One of another machine is taken to run (it cannot be
 * told from here); without a boot id and a start (a record of an older outreach, or a system without /proc),
 * the pid alone decides.
 */
export function isRunning(owner: Pick<ProcessIdentity, "pid"> & Partial<ProcessIdentity>): boolean {
  if (owner.host !== undefined && owner.host !== hostname()) return true;
  // This process's own number on a record it did not write (it has no start, or another): an earlier one's.
  if (owner.pid === process.pid) return owner.start !== undefined && owner.start === startOf(process.pid);
  const boot = bootId();
  if (owner.boot !== undefined && boot !== undefined && owner.boot !== boot) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  if (owner.start === undefined) return true;
  const start = startOf(owner.pid);
  return start === undefined || start === owner.start;
}

let boot: string | null | undefined;

function bootId(): string | undefined {
  if (boot === undefined) {
    try {
      boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() || null;
    } catch {
      boot = null;
    }
  }
  return boot ?? undefined;
}

/** Field 22 of /proc/PID/stat, counted after the command name, which is in parentheses and may hold spaces. */
function startOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] || undefined;
  } catch {
    return undefined;
  }
}
