// A disk that fills up during a send, on a real full file system (a small tmpfs, or `ulimit -f`) and with a
// write made short on purpose (an LD_PRELOAD shim built here with the machine's C compiler). What counts is
// what arrived at the real SMTP server in the test process: no address ever gets a letter twice, however
// often the send is run again, and every failure is a sentence, never "This is a bug" or a stack trace.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { type Sink, sinkPerTest } from "./smtp-sink.js";
import {
  CLI,
  type CliResult,
  campaignFolder,
  canMountTmpfs,
  fillUp,
  mountTmpfs,
  NOW,
  tempFolder,
  unBodies,
} from "./support.js";

const sink = sinkPerTest();
const COUNT = 24;

/** The starter campaign with COUNT more UN bodies, one address each. */
function bigCampaign(): string {
  return campaignFolder({ "recipients/many.yaml": unBodies(COUNT) });
}

const ADDRESSES = (): number => COUNT + 3; // the starter's UN address, the NGO's To and Cc

/** How many times each envelope address got a letter at the server; fails the test on any address twice. */
function expectNoneTwice(server: Sink): Map<string, number> {
  const counts = new Map<string, number>();
  for (const message of server.received) {
    for (const address of message.to) counts.set(address, (counts.get(address) ?? 0) + 1);
  }
  const twice = [...counts].filter(([, count]) => count > 1);
  expect(twice, "addresses that got the letter more than once").toEqual([]);
  return counts;
}

async function send(
  folder: string,
  server: Sink,
  options: { env?: Record<string, string>; ulimitBlocks?: number } = {},
): Promise<CliResult> {
  const env = { NO_COLOR: "1", OUTREACH_NOW: NOW, OUTREACH_SMTP_URL: server.url, ...options.env };
  const args = [CLI, "send", "--yes"];
  const result =
    options.ulimitBlocks === undefined
      ? await execa("node", args, { cwd: folder, env, reject: false, stdin: "ignore", timeout: 30_000 })
      : await execa("bash", ["-c", `ulimit -f ${options.ulimitBlocks}; exec node "$@"`, "bash", ...args], {
          cwd: folder,
          env,
          reject: false,
          stdin: "ignore",
          timeout: 30_000,
        });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

async function status(folder: string): Promise<CliResult & { json: Record<string, unknown>[] }> {
  const result = await execa("node", [CLI, "status", "--json"], {
    cwd: folder,
    env: { NO_COLOR: "1", OUTREACH_NOW: NOW },
    reject: false,
    stdin: "ignore",
  });
  return {
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
    json: result.stdout ? JSON.parse(String(result.stdout)) : [],
  };
}

/** A user-facing failure: a sentence, no "This is a bug", no stack trace. */
function expectSentence(result: CliResult): void {
  const all = `${result.stdout}\n${result.stderr}`;
  expect(all).not.toMatch(/This is a bug/);
  expect(all).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
}

function journalLines(folder: string): string[] {
  const path = join(folder, ".outreach", "journal.jsonl");
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").filter(Boolean) : [];
}

/**
 * After the disk trouble is over: runs send until nothing is left, then checks that every address got its
 * letter exactly once, except letters recorded as uncertain (handed over, answer not recorded), which
 * outreach never resends by itself: those got it at most once.
 */
async function finishAndCount(folder: string, server: Sink): Promise<void> {
  const rerun = await send(folder, server);
  expectSentence(rerun);
  expect([0, 3], rerun.stderr).toContain(rerun.exitCode);
  const again = await send(folder, server);
  expect(again.stderr).toContain("Nothing to send.");
  const counts = expectNoneTwice(server);
  const { json } = await status(folder);
  const uncertain = (json[0]?.uncertain_ids as string[]) ?? [];
  expect(counts.size + uncertain.length).toBeGreaterThanOrEqual(ADDRESSES() - 1);
  expect(json[0]).toMatchObject({ sent: COUNT + 2 - uncertain.length });
}

describe("a disk that fills up during a send", () => {
  it.skipIf(!canMountTmpfs())(
    "a tmpfs .outreach/ that fills mid-send: stops with a sentence naming the full disk, a rerun on the full disk says so, and after space is freed no address has the letter twice",
    async () => {
      const server = await sink();
      const folder = bigCampaign();
      const state = join(folder, ".outreach");
      expect(mountTmpfs(state, 256)).toBe(true);
      // The folder cache first (it is written before sending), then fill the disk and leave room for a few
      // letters' worth of journal and sent-mail copies.
      await execa("node", [CLI, "check"], { cwd: folder, env: { OUTREACH_NOW: NOW }, reject: false });
      fillUp(join(state, "filler"), 12 * 1024);

      const first = await send(folder, server);
      expectSentence(first);
      expect(first.exitCode).toBe(1);
      expect(`${first.stdout}${first.stderr}`).toMatch(/full|only \d+ of \d+ bytes/);
      expect(first.stdout + first.stderr).toContain(".outreach");
      expect(server.received.length).toBeGreaterThan(0);
      expect(server.received.length).toBeLessThan(ADDRESSES());
      const afterFirst = server.received.length;
      expectNoneTwice(server);

      // Still full: fill the last bytes too, then try again.
      fillUp(join(state, "filler-2"), 0);
      const stillFull = await send(folder, server);
      expectSentence(stillFull);
      expect(stillFull.exitCode).toBe(1);
      expect(`${stillFull.stdout}${stillFull.stderr}`).toMatch(/full|only \d+ of \d+ bytes/);
      expect(server.received.length).toBe(afterFirst);
      const statusFull = await status(folder);
      expectSentence(statusFull);

      rmSync(join(state, "filler"));
      rmSync(join(state, "filler-2"), { force: true });
      await finishAndCount(folder, server);
    },
    120_000,
  );

  it.skipIf(!canMountTmpfs())(
    "a torn attempt left on a disk that is full: send says the disk is full and sends nothing; status still calls the letter uncertain",
    async () => {
      const server = await sink();
      const folder = campaignFolder();
      const state = join(folder, ".outreach");
      expect(mountTmpfs(state, 128)).toBe(true);
      expect((await send(folder, server)).exitCode).toBe(0);
      const path = join(state, "journal.jsonl");
      const lines = readFileSync(path, "utf8").split("\n").filter(Boolean);
      const ngo = lines.filter((line) => line.includes('"recipient":"example-ngo"'));
      const rest = lines.filter((line) => !line.includes('"recipient":"example-ngo"'));
      const attempt = ngo.find((line) => line.startsWith('{"type":"attempt"')) as string;
      writeFileSync(path, `${rest.join("\n")}\n${attempt.slice(0, 90)}`);
      fillUp(join(state, "filler"), 0);

      const blocked = await send(folder, server);
      expectSentence(blocked);
      expect(blocked.exitCode).toBe(1);
      expect(blocked.stderr).toMatch(/the disk (that holds it )?is full/);
      expect(server.received).toHaveLength(2);
      const stillTorn = await status(folder);
      expectSentence(stillTorn);
      expect(stillTorn.json[0]).toMatchObject({ uncertain_ids: ["example-ngo"] });

      rmSync(join(state, "filler"));
      const after = await send(folder, server);
      expect(after.exitCode, after.stderr).toBe(3);
      expect(after.stderr).toMatch(/example-ngo: uncertain/);
      expectNoneTwice(server);
    },
    60_000,
  );

  it("a file-size limit (ulimit -f) reached mid-send: the run stops, a rerun under the limit says so, and no address gets the letter twice", async () => {
    const server = await sink();
    const folder = bigCampaign();
    // 8 KiB: the journal and the copy of sent letters outgrow it after a few letters.
    const first = await send(folder, server, { ulimitBlocks: 8 });
    expectSentence(first);
    expect(first.exitCode).toBe(1);
    expect(`${first.stdout}${first.stderr}`).toMatch(/file-size limit|only \d+ of \d+ bytes/);
    expect(server.received.length).toBeLessThan(ADDRESSES());
    expectNoneTwice(server);
    const received = server.received.length;

    // Still over the limit: at most the letters whose attempt still fit go, recorded as uncertain.
    const again = await send(folder, server, { ulimitBlocks: 8 });
    expectSentence(again);
    expect(again.exitCode).toBe(1);
    expect(`${again.stdout}${again.stderr}`).toMatch(/file-size limit/);
    expect(server.received.length - received).toBeLessThanOrEqual(4);
    expectNoneTwice(server);
    for (const line of journalLines(folder)) expect(() => JSON.parse(line)).not.toThrow();

    await finishAndCount(folder, server);
  }, 120_000);
});

const SHIM = `
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* Writes to a file named journal.jsonl, when SHIM_WHOLE is set: the first SHIM_WHOLE go through whole; the
   next one writes half of what it was asked and says so (a short write, no error); after it, every write
   fails with ENOSPC, unless SHIM_ONCE is set, in which case only that one write is short.
   Syncs of journal.jsonl (fdatasync): while the file SHIM_SYNC_HOLD names exists, each waits; with
   SHIM_SYNC_FAIL set, the first one fails with EIO. */
static int journal(int fd) {
  char link[64], target[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, target, sizeof target - 1);
  if (n < 14) return 0;
  target[n] = 0;
  return strcmp(target + n - 14, "/journal.jsonl") == 0;
}
ssize_t write(int fd, const void *buf, size_t count) {
  static ssize_t (*real)(int, const void *, size_t);
  static int seen = 0;
  if (!real) real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
  if (!journal(fd) || !getenv("SHIM_WHOLE")) return real(fd, buf, count);
  int whole = atoi(getenv("SHIM_WHOLE") ? getenv("SHIM_WHOLE") : "0");
  seen++;
  if (seen <= whole) return real(fd, buf, count);
  if (seen == whole + 1 && count > 1) return real(fd, buf, count / 2);
  if (getenv("SHIM_ONCE")) return real(fd, buf, count);
  errno = ENOSPC;
  return -1;
}
int fdatasync(int fd) {
  static int (*real)(int);
  static int failed = 0;
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  if (journal(fd)) {
    const char *hold = getenv("SHIM_SYNC_HOLD");
    if (hold) while (access(hold, F_OK) == 0) usleep(10000);
    if (getenv("SHIM_SYNC_FAIL") && !failed) {
      failed = 1;
      errno = EIO;
      return -1;
    }
  }
  return real(fd);
}
`;

/** The shim compiled with this machine's cc, or why it cannot be. */
const shim = (() => {
  const folder = tempFolder("outreach-shim-");
  writeFileSync(join(folder, "short-write.c"), SHIM);
  try {
    execFileSync(
      "cc",
      ["-shared", "-fPIC", "-o", join(folder, "short-write.so"), join(folder, "short-write.c"), "-ldl"],
      {
        stdio: "pipe",
      },
    );
    return { path: join(folder, "short-write.so") };
  } catch (error) {
    return {
      skip: `no C compiler to build the short-write shim (${(error as Error).message.split("\n")[0]})`,
    };
  }
})();

describe("a short write injected into the journal (LD_PRELOAD)", () => {
  if (shim.skip) it.skip(shim.skip, () => {});

  it.skipIf(!shim.path)(
    "a short write followed by a full disk: the run stops before handing over anything more; the journal holds no torn line; no address ever gets the letter twice",
    async () => {
      const server = await sink();
      const folder = bigCampaign();
      const env = { LD_PRELOAD: shim.path as string, SHIM_WHOLE: "9" };
      const first = await send(folder, server, { env });
      expectSentence(first);
      expect(first.exitCode).toBe(1);
      // Half of a line reached the file, then the disk was full: said in words, with the folder.
      expect(first.stdout + first.stderr).toMatch(
        /cannot write to the journal \.outreach\/journal\.jsonl: the disk that holds it is full/,
      );
      expect(first.stderr).toContain(`Free some space on that disk (${join(folder, ".outreach")})`);
      const received = server.received.length;
      expect(received).toBeLessThan(ADDRESSES());
      expectNoneTwice(server);
      // Nothing printed as sent that the journal does not hold as sent.
      const sentLines = journalLines(folder)
        .map((line) => JSON.parse(line))
        .filter((event) => event.type === "sent").length;
      const printedSent = (first.stderr.match(/\] sent /g) ?? []).length;
      expect(printedSent).toBeLessThanOrEqual(sentLines);
      for (const line of journalLines(folder)) expect(() => JSON.parse(line)).not.toThrow();

      const stillFull = await send(folder, server, { env: { ...env, SHIM_WHOLE: "0" } });
      expectSentence(stillFull);
      expect(stillFull.exitCode).toBe(1);
      expect(server.received.length).toBe(received);

      await finishAndCount(folder, server);
    },
    120_000,
  );

  it.skipIf(!shim.path)(
    "one short write and then the disk is fine: the rest of the line is written, every letter arrives once, exit 0",
    async () => {
      const server = await sink();
      const folder = bigCampaign();
      const result = await send(folder, server, {
        env: { LD_PRELOAD: shim.path as string, SHIM_WHOLE: "5", SHIM_ONCE: "1" },
      });
      expect(result.exitCode, result.stderr).toBe(0);
      const counts = expectNoneTwice(server);
      expect(counts.size).toBe(ADDRESSES());
      const lines = journalLines(folder);
      for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
      expect(lines.filter((line) => JSON.parse(line).type === "sent")).toHaveLength(COUNT + 2);
    },
    60_000,
  );
});

describe('the attempt\'s sync overlaps the envelope; the final "." waits for it (LD_PRELOAD)', () => {
  if (shim.skip) it.skip(shim.skip, () => {});

  /** send in the background with the journal's syncs held while `hold` exists. */
  function startHeld(folder: string, server: Sink, hold: string) {
    writeFileSync(hold, "");
    return execa("node", [CLI, "send", "--yes"], {
      cwd: folder,
      env: {
        NO_COLOR: "1",
        OUTREACH_NOW: NOW,
        OUTREACH_SMTP_URL: server.url,
        LD_PRELOAD: shim.path as string,
        SHIM_SYNC_HOLD: hold,
      },
      reject: false,
      stdin: "ignore",
      timeout: 30_000,
    });
  }

  /** Polls `condition` for at most 10 s. */
  async function until(condition: () => boolean, what: string): Promise<void> {
    for (let waited = 0; !condition(); waited += 20) {
      if (waited > 10_000) throw new Error(`gave up waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it.skipIf(!shim.path)(
    "while the sync is held the server gets every envelope and no message; once it is done each letter arrives once",
    async () => {
      const server = await sink();
      const folder = campaignFolder();
      const hold = join(folder, "hold-sync");
      const child = startHeld(folder, server, hold);
      // Both letters (three addresses) are offered while their attempts are written but not yet synced.
      await until(() => server.recipients.length === 3, "the envelopes to reach the server");
      expect(
        journalLines(folder).filter((line) => line.startsWith('{"type":"attempt"')).length,
      ).toBeGreaterThan(0);
      expect(server.received).toHaveLength(0);
      const released = Date.now();
      rmSync(hold);
      const result = await child;
      expect(result.exitCode, String(result.stderr)).toBe(0);
      const counts = expectNoneTwice(server);
      expect(counts.size).toBe(3);
      for (const message of server.received) expect(message.at).toBeGreaterThanOrEqual(released);
    },
    60_000,
  );

  it.skipIf(!shim.path)(
    "killed while the sync is held, after the envelopes went: no message arrived; the rerun shows the letters whose attempt was written as uncertain and sends the others once",
    async () => {
      const server = await sink();
      const folder = campaignFolder();
      const hold = join(folder, "hold-sync");
      const child = startHeld(folder, server, hold);
      await until(() => server.recipients.length === 3, "the envelopes to reach the server");
      child.kill("SIGKILL");
      await child;
      rmSync(hold);
      expect(server.received).toHaveLength(0);
      // Written before the kill (the page cache keeps them), never known to be synced or handed over.
      const attempted = journalLines(folder)
        .map((line) => JSON.parse(line))
        .filter((event) => event.type === "attempt")
        .map((event) => event.recipient as string)
        .sort();
      expect(attempted.length).toBeGreaterThan(0);

      const rerun = await send(folder, server);
      expectSentence(rerun);
      expect(rerun.exitCode, rerun.stderr).toBe(3);
      const { json } = await status(folder);
      expect([...((json[0]?.uncertain_ids as string[]) ?? [])].sort()).toEqual(attempted);
      expectNoneTwice(server);
      // What arrived is exactly the letters that were not in doubt.
      const ngoArrived = server.received.some((message) => message.to.includes("director@ngo.example.net"));
      expect(ngoArrived).toBe(!attempted.includes("example-ngo"));
      expect(server.received).toHaveLength(2 - attempted.length);
    },
    60_000,
  );

  it.skipIf(!shim.path)(
    'the attempt\'s sync fails: that letter never gets its final ".", nothing more is handed over, and the rerun sends every letter once',
    async () => {
      const server = await sink();
      const folder = campaignFolder();
      const first = await send(folder, server, {
        env: { LD_PRELOAD: shim.path as string, SHIM_SYNC_FAIL: "1" },
      });
      expectSentence(first);
      expect(first.exitCode).toBe(1);
      expect(first.stdout + first.stderr).toContain("cannot write to the journal .outreach/journal.jsonl");
      expect(server.received).toHaveLength(0);
      // The attempt that never reached the disk was cut off again: the letters are not in doubt.
      expect(journalLines(folder).filter((line) => line.startsWith('{"type":"attempt"'))).toEqual([]);

      const rerun = await send(folder, server);
      expect(rerun.exitCode, rerun.stderr).toBe(0);
      expect(expectNoneTwice(server).size).toBe(3);
    },
    60_000,
  );
});

describe("a torn line that holds the start of an attempt", () => {
  it("counts as 'maybe sent' for its recipient: status says uncertain (exit 3), send does not resend it, resolve settles it", async () => {
    const server = await sink();
    const folder = campaignFolder();
    const first = await send(folder, server);
    expect(first.exitCode, first.stderr).toBe(0);
    const path = join(folder, ".outreach", "journal.jsonl");
    // Keep the journal as it was before the UN letter's attempt, and a cut-off start of that attempt:
    // as an old version left it when a partial write was taken for a whole one.
    const lines = readFileSync(path, "utf8").split("\n").filter(Boolean);
    const events = lines.map((line) => JSON.parse(line));
    const attemptIndex = events.findIndex(
      (event) => event.type === "attempt" && event.recipient === "un-special-rapporteur",
    );
    const attempt = events[attemptIndex];
    const others = lines.filter(
      (_, index) => events[index].recipient !== "un-special-rapporteur" || index < attemptIndex,
    );
    const oldOrder = JSON.stringify({
      v: 1,
      id: attempt.id,
      at: attempt.at,
      campaign: attempt.campaign,
      recipient: attempt.recipient,
      type: "attempt",
      message_id: attempt.message_id,
    });
    writeFileSync(path, `${others.join("\n")}\n${oldOrder.slice(0, oldOrder.indexOf('"type"') + 5)}`);

    const before = await status(folder);
    expect(before.exitCode).toBe(3);
    expect(before.json[0]).toMatchObject({ uncertain_ids: ["un-special-rapporteur"] });

    const rerun = await send(folder, server);
    expect(rerun.exitCode, rerun.stderr).toBe(3);
    expect(rerun.stderr).toMatch(/un-special-rapporteur: uncertain: its record in the journal was cut off/);
    expect(rerun.stderr).toMatch(/journal\.torn-[^ ]+\.txt/);
    expect(
      server.received.filter((message) => message.to.includes("urgent-appeals@un.example.org")),
    ).toHaveLength(1);
    // The journal is whole again, and the letter is still uncertain for every command.
    for (const line of journalLines(folder)) expect(() => JSON.parse(line)).not.toThrow();
    expect((await status(folder)).json[0]).toMatchObject({ uncertain_ids: ["un-special-rapporteur"] });
    const kept = readdirSync(join(folder, ".outreach")).filter((name) => name.startsWith("journal.torn-"));
    expect(kept).toHaveLength(1);

    const resolved = await execa("node", [CLI, "resolve", "un-special-rapporteur", "--sent"], {
      cwd: folder,
      env: { NO_COLOR: "1", OUTREACH_NOW: NOW },
      reject: false,
    });
    expect(resolved.exitCode, String(resolved.stderr)).toBe(0);
    const after = await status(folder);
    expect(after.exitCode).toBe(0);
    expect(after.json[0]).toMatchObject({ sent: 2, uncertain: 0 });
    expect(
      server.received.filter((message) => message.to.includes("urgent-appeals@un.example.org")),
    ).toHaveLength(1);
  });

  it("a line cut off by this version, even just after the recipient, names its recipient and stage", async () => {
    const server = await sink();
    const folder = campaignFolder();
    expect((await send(folder, server, {})).exitCode).toBe(0);
    const path = join(folder, ".outreach", "journal.jsonl");
    const text = readFileSync(path, "utf8");
    const lines = text.split("\n").filter(Boolean);
    const ngoAttempt = lines.find(
      (line) => line.includes('"recipient":"example-ngo"') && line.includes('"type":"attempt"'),
    ) as string;
    expect(
      ngoAttempt.startsWith('{"type":"attempt","campaign":"first-appeal","recipient":"example-ngo"'),
    ).toBe(true);
    const kept = lines.filter((line) => !line.includes('"recipient":"example-ngo"'));
    writeFileSync(path, `${kept.join("\n")}\n${ngoAttempt.slice(0, ngoAttempt.indexOf('"recipient"') + 26)}`);
    const result = await status(folder);
    expect(result.exitCode).toBe(3);
    expect(result.json[0]).toMatchObject({ uncertain_ids: ["example-ngo"] });
  });
});
