// Faults around the journal and the lock, against the built CLI and a real SMTP server: an event with a field
// missing, a .outreach/ made read-only during a send, two clones that sent the same letter, a clock stepped
// back mid-send. What a user sees: a sentence and an exit code, never "This is a bug" or a stack trace.
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import { sinkPerTest } from "./smtp-sink.js";
import { CLI, type CliResult, campaignFolder, NOW, run, tempFolder } from "./support.js";

const sink = sinkPerTest();
const UN = "urgent-appeals@un.example.org";

function expectSentence(result: CliResult): void {
  const all = `${result.stdout}\n${result.stderr}`;
  expect(all).not.toMatch(/This is a bug/);
  expect(all).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
}

function journalPath(folder: string): string {
  return join(folder, ".outreach", "journal.jsonl");
}

describe("every journal event read is validated", () => {
  const cases: [string, (event: Record<string, unknown>) => void, RegExp][] = [
    [
      "an attempt with no `to`",
      (event) => delete event.to,
      /the attempt event has no "to" \(a list of addresses\)/,
    ],
    [
      "an attempt whose `cc` is text",
      (event) => (event.cc = "x@example.org"),
      /"cc" is not a list of addresses/,
    ],
    ["an attempt with no `message_id`", (event) => delete event.message_id, /has no "message_id"/],
    [
      "an attempt with an unknown transport",
      (event) => (event.transport = "pigeon"),
      /"transport" is not one of smtp, outbox/,
    ],
    ["an attempt with no campaign", (event) => delete event.campaign, /has no "campaign"/],
  ];
  for (const [what, damage, message] of cases) {
    it(`${what}: status, outstanding, export, history and send exit 1 naming the line; nothing is sent`, async () => {
      const server = await sink();
      const folder = campaignFolder();
      const env = { OUTREACH_SMTP_URL: server.url };
      expect((await run(["send", "--yes", "un-special-rapporteur"], { cwd: folder, env })).exitCode).toBe(0);
      const lines = readFileSync(journalPath(folder), "utf8").split("\n").filter(Boolean);
      const index = lines.findIndex((line) => JSON.parse(line).type === "attempt");
      const event = JSON.parse(lines[index] as string);
      damage(event);
      lines[index] = JSON.stringify(event);
      writeFileSync(journalPath(folder), `${lines.join("\n")}\n`);

      for (const args of [
        ["status"],
        ["outstanding"],
        ["export", "--format", "json"],
        ["history", "un-special-rapporteur"],
      ]) {
        const result = await run(args, { cwd: folder });
        expectSentence(result);
        expect(result.exitCode, `${args.join(" ")}: ${result.stderr}`).toBe(1);
        expect(result.stderr).toContain(`.outreach/journal.jsonl is damaged at line ${index + 1}`);
        expect(result.stderr).toMatch(message);
      }
      const sent = await run(["send", "--yes"], { cwd: folder, env });
      expectSentence(sent);
      expect(sent.exitCode).toBe(1);
      expect(sent.stderr).toMatch(message);
      expect(server.received).toHaveLength(1);
      const check = await run(["check"], { cwd: folder });
      expectSentence(check);
      expect(check.stdout).toMatch(message);
    });
  }

  it("a sent event whose `rejected` is not a list, and a response with an unknown outcome, are reported with their line", async () => {
    const folder = campaignFolder();
    const base = { v: 1, at: "2026-02-01T10:00:00.000Z", campaign: "first-appeal", recipient: "example-ngo" };
    mkdirSync(join(folder, ".outreach"), { recursive: true });
    const lines = [
      { ...base, id: "a1", type: "response", outcome: "acknowledged", date: "2026-02-01", channel: "email" },
      {
        ...base,
        id: "a2",
        type: "sent",
        attempt: "x",
        message_id: "<x@y>",
        response: "250",
        accepted: [],
        rejected: "none",
      },
    ];
    writeFileSync(journalPath(folder), `${lines.map((line) => JSON.stringify(line)).join("\n")}\n`);
    const first = await run(["status"], { cwd: folder });
    expect(first.exitCode).toBe(1);
    expect(first.stderr).toMatch(
      /line 2: the sent event's "rejected" is not a list of \{ address, response \}/,
    );
    const wrongOutcome = [{ ...lines[0], outcome: "delighted" }];
    writeFileSync(journalPath(folder), `${wrongOutcome.map((line) => JSON.stringify(line)).join("\n")}\n`);
    const second = await run(["export"], { cwd: folder });
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toMatch(/line 1: the response event's "outcome" is not one of acknowledged/);
  });
});

const mounts: string[] = [];
afterEach(() => {
  for (const point of mounts.splice(0)) spawnSync("umount", ["-l", point]);
});

const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = tempFolder("outreach-bind-probe-");
  const bind = spawnSync("mount", ["--bind", probe, probe]);
  if (bind.status !== 0) return false;
  const ro = spawnSync("mount", ["-o", "remount,bind,ro", probe]);
  spawnSync("umount", [probe]);
  return ro.status === 0;
})();

describe("a .outreach/ made read-only during a send", () => {
  it.skipIf(!canMount)(
    "the send finishes, exits 1 saying the lock could not be removed and that every letter was recorded; once writable, the next send takes the lock over",
    async () => {
      let withhold = true;
      const server = await sink({ onData: () => (withhold ? "withhold" : "accept") });
      const folder = campaignFolder();
      const state = join(folder, ".outreach");
      const child = execa("node", [CLI, "send", "--yes"], {
        cwd: folder,
        reject: false,
        env: { NO_COLOR: "1", OUTREACH_NOW: NOW, OUTREACH_SMTP_URL: server.url },
        stdin: "ignore",
        timeout: 30_000,
      });
      const deadline = Date.now() + 15_000;
      while (server.received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(spawnSync("mount", ["--bind", state, state]).status).toBe(0);
      mounts.push(state);
      expect(spawnSync("mount", ["-o", "remount,bind,ro", state]).status).toBe(0);
      withhold = false;
      server.release();
      const result = await child;
      const printed = {
        exitCode: result.exitCode ?? -1,
        stdout: String(result.stdout),
        stderr: String(result.stderr),
      };
      expectSentence(printed);
      expect(printed.exitCode).toBe(1);
      expect(printed.stdout).toMatch(/Sent: 2 in/);
      expect(printed.stderr).toContain(
        "every letter of this run is recorded in the journal; but .outreach/send.lock could not be removed: the file system that holds it is read-only",
      );
      const events = readFileSync(journalPath(folder), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line));
      expect(events.filter((event) => event.type === "sent")).toHaveLength(2);

      // Still read-only: the next send says what stands in its way, in words.
      const blocked = await run(["send", "--yes"], { cwd: folder, env: { OUTREACH_SMTP_URL: server.url } });
      expectSentence(blocked);
      expect(blocked.exitCode).toBe(1);
      expect(blocked.stderr).toMatch(/\.outreach.*read-only/);
      expect(blocked.stderr).not.toMatch(/several runs are starting at once/);

      spawnSync("umount", [state]);
      mounts.splice(0);
      const next = await run(["send", "--yes"], { cwd: folder, env: { OUTREACH_SMTP_URL: server.url } });
      expect(next.exitCode, next.stderr).toBe(0);
      expect(next.stderr).toContain("Nothing to send.");
      expect(existsSync(join(state, "send.lock"))).toBe(false);
      expect(server.received.filter((message) => message.to.includes(UN))).toHaveLength(1);
    },
    60_000,
  );
});

describe("two clones that sent the same letter", () => {
  it("after their journals are merged, status and check point out the recipient who got it twice, and only them", async () => {
    const server = await sink();
    const alice = campaignFolder();
    const bob = tempFolder();
    cpSync(alice, bob, { recursive: true });
    const env = { OUTREACH_SMTP_URL: server.url };
    expect((await run(["send", "--yes"], { cwd: alice, env })).exitCode).toBe(0);
    expect((await run(["send", "--yes", "un-special-rapporteur"], { cwd: bob, env })).exitCode).toBe(0);
    // git's union merge keeps both sides' lines.
    appendFileSync(journalPath(alice), readFileSync(journalPath(bob)));

    const status = await run(["status"], { cwd: alice });
    expect(status.stdout).toMatch(
      /sent twice \(the same letter reached them more than once\): un-special-rapporteur \(appeal\)\n/,
    );
    const json = JSON.parse((await run(["status", "--json"], { cwd: alice })).stdout);
    expect(json[0]).toMatchObject({ sent: 2, sent_twice_ids: ["un-special-rapporteur (appeal)"] });
    const check = await run(["check"], { cwd: alice });
    expect(check.exitCode).toBe(0);
    expect(check.stdout).toMatch(
      /"un-special-rapporteur" got the appeal of first-appeal 2 times: 2026-02-01 to urgent-appeals@un\.example\.org; 2026-02-01 to urgent-appeals@un\.example\.org/,
    );
    expect(check.stdout).not.toMatch(/example-ngo" got/);
  });

  it("a letter sent by email and also logged as delivered by web form counts as twice", async () => {
    const server = await sink();
    const folder = campaignFolder();
    expect(
      (await run(["send", "--yes"], { cwd: folder, env: { OUTREACH_SMTP_URL: server.url } })).exitCode,
    ).toBe(0);
    appendFileSync(
      journalPath(folder),
      `${JSON.stringify({ v: 1, id: "by-hand", at: "2026-02-01T15:00:00.000Z", campaign: "first-appeal", recipient: "example-ngo", type: "delivered", channel: "web-form", date: "2026-02-01" })}\n`,
    );
    const json = JSON.parse((await run(["status", "--json"], { cwd: folder })).stdout);
    expect(json[0].sent_twice_ids).toEqual(["example-ngo (appeal)"]);
  });
});

describe("a clock stepped back mid-send", () => {
  it("the summary's duration is measured on a monotonic clock: never negative", async () => {
    let withhold = true;
    const server = await sink({ onData: () => (withhold ? "withhold" : "accept") });
    const folder = campaignFolder();
    const shim = join(tempFolder("outreach-clock-"), "step-back.mjs");
    const marker = join(folder, ".step-back");
    // Once the marker exists, the wall clock reads an hour earlier, as after an NTP step.
    writeFileSync(
      shim,
      `import { existsSync } from "node:fs";\nconst real = Date.now;\nDate.now = () => (existsSync(${JSON.stringify(marker)}) ? real() - 3_600_000 : real());\n`,
    );
    const child = execa("node", [CLI, "send", "--yes"], {
      cwd: folder,
      reject: false,
      env: {
        NO_COLOR: "1",
        OUTREACH_NOW: NOW,
        OUTREACH_SMTP_URL: server.url,
        NODE_OPTIONS: `--import=${shim}`,
      },
      stdin: "ignore",
      timeout: 30_000,
    });
    const deadline = Date.now() + 15_000;
    while (server.received.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    writeFileSync(marker, "");
    withhold = false;
    server.release();
    const result = await child;
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const seconds = Number(/Sent: 2 in (-?[\d.]+) s/.exec(String(result.stdout))?.[1]);
    expect(seconds).toBeGreaterThanOrEqual(0);
    expect(seconds).toBeLessThan(60);
  });
});
