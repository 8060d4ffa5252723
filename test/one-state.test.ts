// A letter has one delivery state per campaign and stage, whatever carried it: SMTP, a file in the outbox, or
// the user by hand. Against the built CLI, a real SMTP server in the test process and real temp folders: what
// arrives at the server, what is written to outbox/, what the journal holds, what status says, the exit code.
import { appendFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { sinkPerTest } from "./smtp-sink.js";
import { CLI, campaignFolder, NOW, run } from "./support.js";

const sink = sinkPerTest();
const UN = "urgent-appeals@un.example.org";
const NGO = "director@ngo.example.net";
/** Past the starter's 14 days, so a follow-up is due. */
const LATER = "2026-02-20T12:00:00Z";

type Event = Record<string, unknown> & { type: string; recipient: string; transport?: string };

function journal(folder: string): Event[] {
  const path = join(folder, ".outreach", "journal.jsonl");
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Event);
}

function outboxFiles(folder: string): string[] {
  const path = join(folder, "outbox");
  if (!existsSync(path)) return [];
  return readdirSync(path, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name)
    .sort();
}

function arrivals(server: { received: { to: string[] }[] }, address: string): number {
  return server.received.filter((message) => message.to.includes(address)).length;
}

async function statusJson(folder: string, env: Record<string, string> = {}) {
  const result = await run(["status", "--json"], { cwd: folder, env });
  return { ...result, rows: JSON.parse(result.stdout || "[]") as Record<string, unknown>[] };
}

describe("a letter sent by SMTP is never written again on another transport", () => {
  it("a later send without SMTP (the variable lost) writes nothing to the outbox and records no new attempt", async () => {
    const server = await sink();
    const folder = campaignFolder();
    const smtp = await run(["send", "--yes"], { cwd: folder, env: { OUTREACH_SMTP_URL: server.url } });
    expect(smtp.exitCode, smtp.stderr).toBe(0);
    const before = journal(folder).length;

    const again = await run(["send", "--yes"], { cwd: folder });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toContain("2 letters already sent");
    expect(again.stderr).toContain("Nothing to send.");
    expect(again.stdout).not.toMatch(/Wrote/);
    expect(outboxFiles(folder)).toEqual([]);
    expect(journal(folder)).toHaveLength(before);
    expect(server.received).toHaveLength(2);

    const { rows } = await statusJson(folder);
    expect(rows[0]).toMatchObject({ sent: 2, in_outbox: 0, not_sent: 0 });
  });

  it("--outbox with SMTP configured, and `npm start`'s send --outbox, write nothing for letters already sent", async () => {
    const server = await sink();
    const folder = campaignFolder();
    const env = { OUTREACH_SMTP_URL: server.url };
    expect((await run(["send", "--yes", "un-special-rapporteur"], { cwd: folder, env })).exitCode).toBe(0);

    const outbox = await run(["send", "--yes", "--outbox"], { cwd: folder, env });
    expect(outbox.exitCode, outbox.stderr).toBe(0);
    // Only the letter never sent goes to the outbox.
    expect(outboxFiles(folder)).toEqual(["example-ngo.eml"]);
    expect(outbox.stderr).toContain("1 letter already sent");
    const outboxAttempts = journal(folder).filter(
      (event) => event.type === "attempt" && event.transport === "outbox",
    );
    expect(outboxAttempts.map((event) => event.recipient)).toEqual(["example-ngo"]);
    expect(arrivals(server, UN)).toBe(1);
  });

  it("a follow-up sent by SMTP is not written to the outbox by a later followup without SMTP", async () => {
    const server = await sink();
    const folder = campaignFolder();
    const env = { OUTREACH_SMTP_URL: server.url };
    expect((await run(["send", "--yes"], { cwd: folder, env })).exitCode).toBe(0);
    const first = await run(["followup", "--yes"], { cwd: folder, env: { ...env, OUTREACH_NOW: LATER } });
    expect(first.exitCode, first.stderr).toBe(0);
    expect(server.received).toHaveLength(4);

    const again = await run(["followup", "--yes"], { cwd: folder, env: { OUTREACH_NOW: LATER } });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(outboxFiles(folder)).toEqual([]);
    expect(journal(folder).filter((event) => event.transport === "outbox")).toEqual([]);
  });

  it("a follow-up in the outbox waits for a decision before SMTP sends it, and goes once with --include-outbox", async () => {
    const server = await sink();
    const folder = campaignFolder();
    const env = { OUTREACH_SMTP_URL: server.url };
    expect((await run(["send", "--yes"], { cwd: folder, env })).exitCode).toBe(0);
    const written = await run(["followup", "--yes"], { cwd: folder, env: { OUTREACH_NOW: LATER } });
    expect(written.exitCode, written.stderr).toBe(0);
    expect(outboxFiles(folder)).toEqual([
      "example-ngo.followup-1.eml",
      "un-special-rapporteur.followup-1.eml",
    ]);

    const held = await run(["followup", "--yes"], { cwd: folder, env: { ...env, OUTREACH_NOW: LATER } });
    expect(held.exitCode, held.stderr).toBe(3);
    expect(held.stderr).toMatch(/un-special-rapporteur: written to the outbox earlier.*--include-outbox/);
    expect(server.received).toHaveLength(2);

    const sent = await run(["followup", "--yes", "--include-outbox"], {
      cwd: folder,
      env: { ...env, OUTREACH_NOW: LATER },
    });
    expect(sent.exitCode, sent.stderr).toBe(0);
    expect(arrivals(server, UN)).toBe(2);
    const rerun = await run(["followup", "--yes", "--include-outbox"], {
      cwd: folder,
      env: { ...env, OUTREACH_NOW: LATER },
    });
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    expect(arrivals(server, UN)).toBe(2);
    expect(arrivals(server, NGO)).toBe(2);
  });

  it("a letter sent by SMTP after the outbox (--include-outbox) counts as sent everywhere: no rewrite, no resend", async () => {
    const server = await sink();
    const folder = campaignFolder();
    const env = { OUTREACH_SMTP_URL: server.url };
    expect((await run(["send", "--yes"], { cwd: folder })).exitCode).toBe(0);
    expect((await run(["send", "--yes", "--include-outbox"], { cwd: folder, env })).exitCode).toBe(0);
    const attempts = journal(folder).filter((event) => event.type === "attempt").length;

    const outbox = await run(["send", "--yes"], { cwd: folder });
    expect(outbox.exitCode, outbox.stderr).toBe(0);
    expect(outbox.stderr).toContain("2 letters already sent");
    const smtp = await run(["send", "--yes", "--include-outbox"], { cwd: folder, env });
    expect(smtp.exitCode, smtp.stderr).toBe(0);
    expect(journal(folder).filter((event) => event.type === "attempt")).toHaveLength(attempts);
    expect(server.received).toHaveLength(2);
    const { rows } = await statusJson(folder);
    expect(rows[0]).toMatchObject({ sent: 2, sent_by_email: 2, in_outbox: 0 });
  });

  it("a letter delivered by hand is written neither to the outbox nor sent by SMTP", async () => {
    const server = await sink();
    const folder = campaignFolder();
    expect((await run(["log", "example-ngo", "--sent-by", "web-form"], { cwd: folder })).exitCode).toBe(0);
    await run(["send", "--yes"], { cwd: folder });
    expect(outboxFiles(folder)).toEqual(["un-special-rapporteur.eml"]);
    const smtp = await run(["send", "--yes", "--include-outbox"], {
      cwd: folder,
      env: { OUTREACH_SMTP_URL: server.url },
    });
    expect(smtp.exitCode, smtp.stderr).toBe(0);
    expect(arrivals(server, NGO)).toBe(0);
    expect(arrivals(server, UN)).toBe(1);
  });

  it("a journal left by the old bug (sent by SMTP, then written to the outbox) reads as sent, not as in the outbox", async () => {
    const server = await sink();
    const folder = campaignFolder();
    const env = { OUTREACH_SMTP_URL: server.url };
    expect((await run(["send", "--yes", "un-special-rapporteur"], { cwd: folder, env })).exitCode).toBe(0);
    const attempt = {
      v: 1,
      id: "old-bug-attempt",
      at: "2026-02-01T13:00:00.000Z",
      campaign: "first-appeal",
      recipient: "un-special-rapporteur",
      type: "attempt",
      message_id: "<old-bug@example.org>",
      transport: "outbox",
      to: [UN],
      cc: [],
      subject: "Appeal",
      try: 1,
    };
    const sent = {
      v: 1,
      id: "old-bug-sent",
      at: "2026-02-01T13:00:01.000Z",
      campaign: "first-appeal",
      recipient: "un-special-rapporteur",
      type: "sent",
      attempt: "old-bug-attempt",
      message_id: "<old-bug@example.org>",
      response: "written to outbox/first-appeal/un-special-rapporteur.eml",
      accepted: [UN],
      rejected: [],
    };
    appendFileSync(
      join(folder, ".outreach", "journal.jsonl"),
      `${JSON.stringify(attempt)}\n${JSON.stringify(sent)}\n`,
    );
    const { rows } = await statusJson(folder);
    expect(rows[0]).toMatchObject({ sent: 1, in_outbox: 0 });
    const again = await run(["send", "--yes", "--include-outbox"], { cwd: folder, env });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(arrivals(server, UN)).toBe(1);
  });
});

describe("status while a send is running", () => {
  it("calls the letters handed over by the running send 'in flight (pid N)', exits 0; an old uncertain one stays uncertain", async () => {
    let withhold = true;
    const server = await sink({ onData: () => (withhold ? "withhold" : "accept") });
    const folder = campaignFolder();
    // An attempt left without an answer by an earlier run that was killed: genuinely uncertain.
    const extra = {
      "recipients/third.yaml": [
        "- id: third-body",
        "  organisation: Third Example Body",
        "  type: un",
        '  salutation: "Dear Sir or Madam,"',
        "  contacts:",
        "    - email: office@third.example.org",
        "  custom:",
        "    mandate: your mandate",
        "",
      ].join("\n"),
    };
    for (const [path, text] of Object.entries(extra)) appendFileSync(join(folder, path), text);
    const orphan = {
      v: 1,
      id: "orphan-attempt",
      at: "2026-01-31T10:00:00.000Z",
      campaign: "first-appeal",
      recipient: "third-body",
      type: "attempt",
      message_id: "<orphan@example.org>",
      transport: "smtp",
      to: ["office@third.example.org"],
      cc: [],
      subject: "Appeal",
      try: 1,
    };
    const { mkdirSync } = await import("node:fs");
    mkdirSync(join(folder, ".outreach"), { recursive: true });
    appendFileSync(join(folder, ".outreach", "journal.jsonl"), `${JSON.stringify(orphan)}\n`);

    const child = execa("node", [CLI, "send", "--yes"], {
      cwd: folder,
      reject: false,
      env: { NO_COLOR: "1", OUTREACH_NOW: NOW, OUTREACH_SMTP_URL: server.url },
      stdin: "ignore",
      timeout: 30_000,
    });
    try {
      const deadline = Date.now() + 15_000;
      while (server.received.length < 2 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(server.received).toHaveLength(2);

      const status = await run(["status"], { cwd: folder });
      expect(status.stdout).toContain(`in flight (a send is running, pid ${child.pid}):`);
      expect(status.stdout).toMatch(/in flight[^\n]*un-special-rapporteur/);
      expect(status.stdout).toMatch(/in flight[^\n]*example-ngo/);
      expect(status.stdout).toMatch(/uncertain, needs your decision: third-body\n/);
      expect(status.exitCode).toBe(3); // for third-body alone
      const json = await statusJson(folder);
      expect(json.rows[0]).toMatchObject({
        in_flight: 2,
        uncertain: 1,
        uncertain_ids: ["third-body"],
        running_pid: child.pid,
      });
      // history says it in the same words as status.
      const inFlight = await run(["history", "un-special-rapporteur"], { cwd: folder });
      expect(inFlight.stdout).toContain(`: in flight (a send is running, pid ${child.pid})`);
      expect(inFlight.stdout).not.toContain("uncertain");
      const orphaned = await run(["history", "third-body"], { cwd: folder });
      expect(orphaned.stdout).toContain("(uncertain, needs your decision)");
    } finally {
      withhold = false;
      server.release();
      await child;
    }
    expect(arrivals(server, UN)).toBe(1);
    const after = await run(["status"], { cwd: folder });
    expect(after.stdout).not.toContain("in flight");
  });

  it("with only the running send's letters unanswered, status exits 0 and never says 'needs your decision'", async () => {
    let withhold = true;
    const server = await sink({ onData: () => (withhold ? "withhold" : "accept") });
    const folder = campaignFolder();
    const child = execa("node", [CLI, "send", "--yes"], {
      cwd: folder,
      reject: false,
      env: { NO_COLOR: "1", OUTREACH_NOW: NOW, OUTREACH_SMTP_URL: server.url },
      stdin: "ignore",
      timeout: 30_000,
    });
    try {
      const deadline = Date.now() + 15_000;
      while (server.received.length < 2 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const status = await run(["status"], { cwd: folder });
      expect(status.exitCode, status.stdout).toBe(0);
      expect(status.stdout).not.toContain("needs your decision");
      expect(status.stdout).toContain("in flight (a send is running");
    } finally {
      withhold = false;
      server.release();
      await child;
    }
  });
});
