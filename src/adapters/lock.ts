// One send at a time per campaign folder: .outreach/send.lock names the running process (its pid, boot and
// start: see process-identity.ts). A lock left by a process that no longer exists is taken over; the check
// is the process table, never a timer.
import { randomUUID } from "node:crypto";
import { existsSync, linkSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { withFields } from "../core/objects.js";
import { EXIT, ExitError, UserError } from "../errors.js";
import { describeFileFailure, fileError, readRegularFile } from "./file-system.js";
import { STATE_FOLDER, stateFolder } from "./journal-file.js";
import { isRunning, type ProcessIdentity, thisProcess } from "./process-identity.js";

export interface LockOwner extends ProcessIdentity {
  token: string;
  command: string;
  started: string;
}

function readOwner(path: string): LockOwner | undefined {
  try {
    return JSON.parse(readRegularFile(path).toString("utf8")) as LockOwner;
  } catch {
    return undefined;
  }
}

/** The send, follow-up or resolve that holds the lock now, if its process is alive on this machine. */
export function runningSend(root: string): LockOwner | undefined {
  const owner = readOwner(join(root, STATE_FOLDER, "send.lock"));
  if (!owner || owner.host !== hostname() || !isRunning(owner)) return undefined;
  return owner;
}

export class SendLock {
  private constructor(
    private readonly path: string,
    /** Unique to this run: written on its attempts, so that `status` knows which letters are in flight. */
    readonly token: string,
  ) {}

  static acquire(root: string, command: string): SendLock {
    stateFolder(root);
    const path = join(root, STATE_FOLDER, "send.lock");
    const owner: LockOwner = withFields(thisProcess(), {
      token: randomUUID(),
      command,
      started: new Date().toISOString(),
    });
    // The lock appears with its contents in one step (a complete file linked into place), so another run
    // never reads a lock that exists but is still empty.
    const draft = `${path}.${process.pid}.${owner.token}`;
    try {
      writeFileSync(draft, JSON.stringify(owner), { mode: 0o600 });
    } catch (error) {
      rmSync(draft, { force: true });
      throw cannotLock(error);
    }
    try {
      for (let round = 0; round < 5; round++) {
        try {
          linkSync(draft, path);
          return new SendLock(path, owner.token);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw cannotLock(error);
        }
        SendLock.takeOverIfStale(path);
      }
    } finally {
      rmSync(draft, { force: true });
    }
    throw new UserError("could not take the send lock: several runs are starting at once", {
      hint: "run one send at a time",
    });
  }

  /** Throws if a live process holds the lock; moves the lock of a process that is gone out of the way. */
  private static takeOverIfStale(path: string): void {
    const holder = readOwner(path);
    if (holder === undefined) {
      if (!existsSync(path)) return;
      throw new UserError(
        `${join(STATE_FOLDER, "send.lock")} cannot be read, so another run may be sending`,
        {
          hint: "if no outreach send, followup or resolve is running, delete that file and run this again",
        },
      );
    }
    if (isRunning(holder)) {
      throw new UserError(
        `another outreach ${holder.command} is running in this campaign folder (pid ${holder.pid} on ${holder.host}, started ${holder.started})`,
        {
          exitCode: EXIT.failed,
          hint:
            holder.host === hostname()
              ? "wait for it to finish, or stop it; then run this again"
              : `if no send runs on ${holder.host}, delete ${join(STATE_FOLDER, "send.lock")}`,
        },
      );
    }
    // The holder is gone. Move its lock aside under a name only this process uses, then make sure what
    // was moved is the dead holder's lock and not one a faster process took in the meantime.
    const aside = `${path}.stale-${process.pid}`;
    try {
      renameSync(path, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return; // another run took it over first
      throw new UserError(
        `${LOCK_FILE} was left by a run that has ended (pid ${holder.pid}), and it cannot be removed: ${describeFileFailure(error, "write").cause}`,
        {
          hint: `${describeFileFailure(error, "write").advice}; then run this again (or delete ${LOCK_FILE} yourself)`,
        },
      );
    }
    const moved = readOwner(aside);
    if (moved && moved.token !== holder.token) {
      try {
        linkSync(aside, path); // give the live lock back, unless yet another process holds the name now
      } catch {}
    }
    unlinkSync(aside);
  }

  /** Removes the lock; says why when it cannot (a folder made read-only during the run), never throws. */
  release(): string | undefined {
    try {
      const owner = readOwner(this.path);
      if (owner?.token === this.token) unlinkSync(this.path);
      return undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      return `${LOCK_FILE} could not be removed: ${describeFileFailure(error, "write").cause}`;
    }
  }

  /**
   * Removes the lock at the end of a command (call it from `finally`, with the error the command threw, if
   * any). When the lock cannot be removed, says so: after a command that finished, by throwing, so the exit
   * code shows it (`done` says what was recorded); after one that failed, beside that failure.
   */
  releaseAfter(io: { stderr: NodeJS.WritableStream }, failure: unknown, done: string): void {
    const problem = this.release();
    if (!problem) return;
    const left = lockLeft(problem, done);
    const finished = failure === undefined || (failure instanceof ExitError && failure.exitCode === EXIT.ok);
    if (finished) throw left;
    io.stderr.write(`error: ${left.message}\n  → ${left.hint}\n`);
  }
}

const LOCK_FILE = join(STATE_FOLDER, "send.lock");

function lockLeft(problem: string, done: string): UserError {
  return new UserError(`${done}; but ${problem}`, {
    hint: `no run is using it now: once ${STATE_FOLDER}/ is writable again, delete ${LOCK_FILE} (the next send would take it over, but cannot while the folder is read-only)`,
  });
}

function cannotLock(error: unknown): UserError {
  return fileError(error, STATE_FOLDER, "write", "nothing was sent");
}
