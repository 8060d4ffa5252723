// Edge cases of sending and tracking: each test names the way a letter could otherwise go twice, be
// recorded wrongly, leak a secret or give a wrong exit code.
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, sinkPerTest } from "./smtp-sink.js";
import { campaignFolder, liveProcess, run, STARTER } from "./support.js";

const sink = sinkPerTest();
const starterConfig = readFileSync(join(STARTER, "outreach.yaml"), "utf8");
const journalText = (folder: string) => readFileSync(join(folder, ".outreach", "journal.jsonl"), "utf8");

describe("the send lock", () => {
  it("treats a lock file it cannot read as held, and sends nothing", async () => {
    const server = await sink();
    const folder = campaignFolder();
    mkdirSync(join(folder, ".outreach"), { recursive: true });
    writeFileSync(join(folder, ".outreach", "send.lock"), "");
    const result = await run(["send", "--yes"], { cwd: folder, env: { OUTREACH_SMTP_URL: server.url } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(".outreach/send.lock cannot be read, so another run may be sending");
    expect(server.received).toHaveLength(0);
  });

  it("takes over a lock whose process's number now belongs to another process, and honours the one whose process runs", async () => {
    const server = await sink();
    // A process that runs now, under the number the lock names: it started at `start` ticks after boot.
    const live = liveProcess();
    const { pid, start, boot } = live;
    try {
      const lock = (startedAt: string) =>
        JSON.stringify({
          pid,
          host: hostname(),
          boot,
          start: startedAt,
          token: "t",
          command: "send",
          started: "2026-02-01T11:00:00.000Z",
        });
      const folder = campaignFolder();
      mkdirSync(join(folder, ".outreach"), { recursive: true });
      writeFileSync(join(folder, ".outreach", "send.lock"), lock(start));
      const env = { OUTREACH_SMTP_URL: server.url };
      const held = await run(["send", "--yes", "example-ngo"], { cwd: folder, env });
      expect(held.stderr).toContain(`another outreach send is running in this campaign folder (pid ${pid}`);
      expect(held.exitCode).toBe(1);
      expect(server.received).toHaveLength(0);
      // The same number, but a process that started earlier: the one that held the lock, gone.
      writeFileSync(join(folder, ".outreach", "send.lock"), lock("1"));
      const sent = await run(["send", "--yes", "example-ngo"], { cwd: folder, env });
      expect(sent.exitCode).toBe(0);
      expect(server.received).toHaveLength(1);
      expect(existsSync(join(folder, ".outreach", "send.lock"))).toBe(false);
    } finally {
      live.kill();
    }
  });
});

describe("addresses refused by the server", () => {
  it("reports a letter whose main addressee was refused while its Cc was accepted, with exit 1", async () => {
    const server = await sink({
      onRcpt: (address) =>
        address === "director@ngo.example.net" ? { code: 550, message: "5.1.1 No such user" } : undefined,
    });
    const folder = campaignFolder();
    const result = await run(["send", "--yes", "--json", "example-ngo"], {
      cwd: folder,
      env: { OUTREACH_SMTP_URL: server.url },
    });
    expect(result.exitCode).toBe(1);
    const summary = JSON.parse(result.stdout);
    expect(summary.sent).toEqual([
      {
        id: "example-ngo",
        to: ["press@ngo.example.net"],
        rejected: [{ address: "director@ngo.example.net", response: "550 5.1.1 No such user" }],
        response: expect.stringContaining("250"),
      },
    ]);
    const human = await run(["send", "--yes", "example-ngo"], {
      cwd: campaignFolder(),
      env: { OUTREACH_SMTP_URL: server.url },
    });
    expect(human.stdout).toContain("Partially delivered (the server refused some addresses): 1");
    expect(human.stdout).toContain(
      "director@ngo.example.net: 550 5.1.1 No such user (delivered to press@ngo.example.net)",
    );
  });
});

describe("the journal", () => {
  it("log sets a torn last line aside instead of gluing its event onto it", async () => {
    const server = await sink();
    const folder = campaignFolder();
    await run(["send", "--yes"], { cwd: folder, env: { OUTREACH_SMTP_URL: server.url } });
    appendFileSync(join(folder, ".outreach", "journal.jsonl"), '{"v":1,"id":"torn","at":"2026-');
    const logged = await run(["log", "example-ngo", "--outcome", "acknowledged"], { cwd: folder });
    expect(logged.exitCode).toBe(0);
    expect(logged.stderr).toMatch(
      /The journal's last line was cut off; it was kept in \.outreach\/journal\.torn-/,
    );
    for (const line of journalText(folder).trimEnd().split("\n"))
      expect(() => JSON.parse(line)).not.toThrow();
    const status = await run(["status", "--json"], { cwd: folder });
    expect(status.exitCode).toBe(0);
    expect(JSON.parse(status.stdout)[0]).toMatchObject({ sent: 2, responded: 1 });
  });
});

describe("the outbox", () => {
  it("keeps the appeal, each follow-up and test sends in files of their own", async () => {
    const folder = campaignFolder();
    expect(
      (await run(["send", "--yes"], { cwd: folder, env: { OUTREACH_NOW: "2026-02-01T09:00:00Z" } })).exitCode,
    ).toBe(0);
    await run(["send", "--yes", "--to-self", "me@example.org"], { cwd: folder });
    expect(readdirSync(join(folder, "outbox", "first-appeal")).sort()).toEqual([
      "example-ngo.eml",
      "test",
      "un-special-rapporteur.eml",
    ]);
    expect(readdirSync(join(folder, "outbox", "first-appeal", "test")).sort()).toEqual([
      "example-ngo.eml",
      "un-special-rapporteur.eml",
    ]);
    const appeal = readFileSync(join(folder, "outbox", "first-appeal", "un-special-rapporteur.eml"), "utf8");
    expect(appeal).not.toContain("[TEST]");
    expect(appeal).toContain("To: urgent-appeals@un.example.org");
  });
});

describe("SMTP settings", () => {
  it("refuses security: none with a login to another machine, at its line, before anything is sent", async () => {
    const folder = campaignFolder({
      "outreach.yaml": starterConfig.replace(
        "campaigns:",
        "transport:\n  smtp:\n    host: smtp.example.org\n    port: 25\n    security: none\n    user: me@example.org\ncampaigns:",
      ),
    });
    const result = await run(["check"], { cwd: folder });
    expect(result.exitCode).toBe(1);
    const line = starterConfig.split("\n").findIndex((text) => text.startsWith("campaigns:")) + 5;
    expect(result.stdout).toContain(
      `outreach.yaml:${line}:15  transport.smtp.security: security: none would send the password for me@example.org to smtp.example.org in clear text`,
    );
  });

  it("does not ask for the password on a dry run", async () => {
    const folder = campaignFolder();
    const result = await run(["send", "--dry-run"], {
      cwd: folder,
      env: { OUTREACH_SMTP_URL: "smtps://me%40example.org@smtp.example.org:465" },
    });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain("via  smtps://me%40example.org@smtp.example.org:465 (TLS)");
    expect(result.stdout).toContain("would send  un-special-rapporteur");
  });

  it("without a terminal, a send that needs a password says where to put it (exit 2), and records nothing", async () => {
    const server = await sink({ auth: { user: "me", pass: "right" } });
    const folder = campaignFolder();
    const result = await run(["send", "--yes"], {
      cwd: folder,
      env: { OUTREACH_SMTP_URL: `smtp://me@127.0.0.1:${server.port}` },
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      "the SMTP user me needs a password, and there is no terminal to ask for it",
    );
    expect(existsSync(join(folder, ".outreach", "journal.jsonl")) ? journalText(folder) : "").toBe("");
    expect(server.received).toHaveLength(0);
  });
});

describe("usage errors", () => {
  it("exit 2 for an unknown option or a missing argument of a command", async () => {
    const folder = campaignFolder();
    const unknown = await run(["send", "--bogus"], { cwd: folder });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
    expect((await run(["resolve"], { cwd: folder })).exitCode).toBe(2);
    expect((await run(["outstanding", "--json", "--csv"], { cwd: folder })).exitCode).toBe(2);
  });

  it("log refuses flags that mean nothing together, with exit 2", async () => {
    const folder = campaignFolder();
    const mixed = await run(
      ["log", "example-web-form-only", "--sent-by", "web-form", "--outcome", "meeting"],
      {
        cwd: folder,
      },
    );
    expect(mixed.exitCode).toBe(2);
    expect(mixed.stderr).toContain("--outcome belong to an answer");
    const lone = await run(["log", "example-ngo", "--followup", "--outcome", "meeting"], { cwd: folder });
    expect(lone.exitCode).toBe(2);
    expect(lone.stderr).toContain("--followup goes with --sent-by");
    expect(existsSync(join(folder, ".outreach", "journal.jsonl"))).toBe(false);
  });
});

describe("follow-ups, day by day", () => {
  it("on the day a follow-up is due, outstanding and followup agree from the first hour", async () => {
    const server = await sink();
    const folder = campaignFolder();
    const env = { OUTREACH_SMTP_URL: server.url };
    await run(["send", "--yes", "un-special-rapporteur"], {
      cwd: folder,
      env: { ...env, OUTREACH_NOW: "2026-02-01T18:00:00Z" },
    });
    const early = { ...env, OUTREACH_NOW: "2026-02-15T01:00:00Z" };
    const waiting = JSON.parse((await run(["outstanding", "--json"], { cwd: folder, env: early })).stdout);
    expect(waiting[0]).toMatchObject({ overdue: true, next_followup_due: "2026-02-15" });
    const followup = await run(["followup", "--yes"], { cwd: folder, env: early });
    expect(followup.exitCode).toBe(0);
    expect(server.received).toHaveLength(2);
    const sent = await parse(server.received[1] as NonNullable<(typeof server.received)[number]>);
    expect(sent.subject).toBe("Re: Appeal: UN Special Rapporteur on an example mandate, please act now");
  });

  it("an uncertain follow-up shows in status and outstanding, and is never resent by itself", async () => {
    const server = await sink({ onData: (index) => (index === 1 ? "drop" : "accept") });
    const folder = campaignFolder();
    const env = { OUTREACH_SMTP_URL: server.url };
    await run(["send", "--yes", "un-special-rapporteur"], {
      cwd: folder,
      env: { ...env, OUTREACH_NOW: "2026-02-01T09:00:00Z" },
    });
    const later = { ...env, OUTREACH_NOW: "2026-02-20" };
    const first = await run(["followup", "--yes"], { cwd: folder, env: later });
    expect(first.exitCode).toBe(3);
    const again = await run(["followup", "--yes"], { cwd: folder, env: later });
    expect(again.exitCode).toBe(3);
    expect(server.received).toHaveLength(2);
    const status = JSON.parse((await run(["status", "--json"], { cwd: folder, env: later })).stdout);
    expect(status[0].uncertain_ids).toEqual(["un-special-rapporteur (follow-up 1)"]);
    const outstanding = JSON.parse(
      (await run(["outstanding", "--json"], { cwd: folder, env: later })).stdout,
    );
    expect(outstanding[0].follow_up_problem).toBe("uncertain");
  });
});

describe("what a person reads", () => {
  it("a test send shows the test address in its progress lines, not the recipient's", async () => {
    const server = await sink();
    const folder = campaignFolder();
    const result = await run(["send", "--yes", "--to-self", "me@example.org", "example-ngo"], {
      cwd: folder,
      env: { OUTREACH_SMTP_URL: server.url },
    });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/sent\s+example-ngo → me@example\.org/);
    expect(result.stderr).not.toContain("→ director@ngo.example.net");
  });

  it("status exits 3 while an uncertain send waits for a decision, and 0 once it is resolved", async () => {
    const server = await sink({ onData: () => "drop" });
    const folder = campaignFolder();
    const env = { OUTREACH_SMTP_URL: server.url };
    expect((await run(["send", "--yes", "example-ngo"], { cwd: folder, env })).exitCode).toBe(3);
    const waiting = await run(["status"], { cwd: folder });
    expect(waiting.exitCode).toBe(3);
    expect(waiting.stdout).toContain("uncertain, needs your decision: example-ngo");
    expect((await run(["resolve", "example-ngo", "--sent"], { cwd: folder })).exitCode).toBe(0);
    expect((await run(["status"], { cwd: folder })).exitCode).toBe(0);
  });

  it("counts a letter in the outbox only until it is sent by SMTP or logged as sent by hand", async () => {
    const server = await sink();
    const folder = campaignFolder();
    await run(["send", "--yes"], { cwd: folder });
    const before = JSON.parse((await run(["status", "--json"], { cwd: folder })).stdout)[0];
    expect(before).toMatchObject({ in_outbox: 2, sent: 0 });
    await run(["send", "--yes", "--include-outbox", "un-special-rapporteur"], {
      cwd: folder,
      env: { OUTREACH_SMTP_URL: server.url },
    });
    await run(["log", "example-ngo", "--sent-by", "email"], { cwd: folder });
    const after = JSON.parse((await run(["status", "--json"], { cwd: folder })).stdout)[0];
    expect(after).toMatchObject({ in_outbox: 0, sent: 2, sent_by_email: 1, sent_by_hand: 1 });
  });

  it("export to a folder that does not exist says so, without a stack trace", async () => {
    const folder = campaignFolder();
    const result = await run(["export", "-o", "no/such/folder/state.csv"], { cwd: folder });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      "no/such/folder/state.csv cannot be written: the folder it goes in does not exist",
    );
    expect(result.stderr).not.toContain("This is a bug");
  });

  it("the same saved reply logged twice is refused the second time", async () => {
    const server = await sink();
    const folder = campaignFolder();
    await run(["send", "--yes", "example-ngo"], { cwd: folder, env: { OUTREACH_SMTP_URL: server.url } });
    const appealId = /^Message-ID: (.*)$/im.exec(server.received[0]?.raw.toString() ?? "")?.[1]?.trim() ?? "";
    const reply = join(folder, "reply.eml");
    writeFileSync(
      reply,
      [
        "From: Jeanne Exemple <director@ngo.example.net>",
        "To: you@example.org",
        "Subject: Re: Appel",
        "Date: Sun, 01 Feb 2026 11:00:00 +0000",
        "Message-ID: <reply-1@ngo.example.net>",
        `In-Reply-To: ${appealId}`,
        "",
        "Bien reçu.",
        "",
      ].join("\r\n"),
    );
    const first = await run(["log", "--from-eml", "reply.eml", "--outcome", "acknowledged"], { cwd: folder });
    expect(first.exitCode).toBe(0);
    const journalBefore = journalText(folder);
    const second = await run(["log", "--from-eml", "reply.eml", "--outcome", "acknowledged"], {
      cwd: folder,
    });
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toContain(
      'reply.eml was already logged on 2026-02-01 for "example-ngo" (acknowledged)',
    );
    expect(journalText(folder)).toBe(journalBefore);
  });
});

describe("bounces", () => {
  it("a saved bounce report is linked to the letter it quotes and recorded as bounced, without an id", async () => {
    const server = await sink();
    const folder = campaignFolder();
    await run(["send", "--yes", "un-special-rapporteur"], {
      cwd: folder,
      env: { OUTREACH_SMTP_URL: server.url },
    });
    const appealId = /^Message-ID: (.*)$/im.exec(server.received[0]?.raw.toString() ?? "")?.[1]?.trim() ?? "";
    const boundary = "report-boundary";
    writeFileSync(
      join(folder, "bounce.eml"),
      [
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>",
        "To: you@example.org",
        "Subject: Undelivered Mail Returned to Sender",
        "Date: Sun, 01 Feb 2026 11:30:00 +0000",
        "Message-ID: <dsn-1@mx.example.org>",
        `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
        "MIME-Version: 1.0",
        "",
        `--${boundary}`,
        "Content-Type: text/plain",
        "",
        "Your message could not be delivered to urgent-appeals@un.example.org.",
        `--${boundary}`,
        "Content-Type: message/delivery-status",
        "",
        "Final-Recipient: rfc822; urgent-appeals@un.example.org",
        "Action: failed",
        "Status: 5.1.1",
        `--${boundary}`,
        "Content-Type: text/rfc822-headers",
        "",
        "From: Your Name or Organisation <you@example.org>",
        "To: urgent-appeals@un.example.org",
        `Message-ID: ${appealId}`,
        `--${boundary}--`,
        "",
      ].join("\r\n"),
    );
    const logged = await run(["log", "--from-eml", "bounce.eml"], { cwd: folder });
    expect(logged.exitCode).toBe(0);
    expect(logged.stdout).toContain("Recorded: un-special-rapporteur bounced on 2026-02-01 by email");
    const status = JSON.parse((await run(["status", "--json"], { cwd: folder })).stdout)[0];
    expect(status).toMatchObject({ bounced: 1, waiting: 0 });
    const chase = await run(["followup", "--yes"], {
      cwd: folder,
      env: { OUTREACH_SMTP_URL: server.url, OUTREACH_NOW: "2026-03-01" },
    });
    expect(chase.exitCode).toBe(0);
    expect(server.received).toHaveLength(1);
  });
});

describe("a letter refused for its main address", () => {
  it("after the address is fixed, --retry-failed writes only to the addresses that did not get it", async () => {
    const server = await sink({
      onRcpt: (address) =>
        address === "director@ngo.example.net" ? { code: 550, message: "5.1.1 No such user" } : undefined,
    });
    const folder = campaignFolder();
    const env = { OUTREACH_SMTP_URL: server.url };
    const first = await run(["send", "--yes", "example-ngo"], { cwd: folder, env });
    expect(first.exitCode).toBe(1);
    expect(server.received.map((message) => message.to)).toEqual([["press@ngo.example.net"]]);

    const path = join(folder, "recipients", "example.yaml");
    writeFileSync(
      path,
      readFileSync(path, "utf8").replace("director@ngo.example.net", "jeanne@ngo.example.net"),
    );
    const held = await run(["send", "--yes", "example-ngo"], { cwd: folder, env });
    expect(held.exitCode).toBe(1);
    expect(held.stderr).toContain(
      "example-ngo: partially delivered: it reached press@ngo.example.net, but the server refused director@ngo.example.net (550 5.1.1 No such user), so jeanne@ngo.example.net did not get the letter",
    );
    expect(server.received).toHaveLength(1);

    const resent = await run(["send", "--yes", "--retry-failed", "example-ngo"], { cwd: folder, env });
    expect(resent.exitCode).toBe(0);
    expect(server.received.map((message) => message.to)).toEqual([
      ["press@ngo.example.net"],
      ["jeanne@ngo.example.net"],
    ]);
    const letter = await parse(server.received[1] as NonNullable<(typeof server.received)[1]>);
    expect(letter.to).toEqual([{ name: "Jeanne Exemple", address: "jeanne@ngo.example.net" }]);
    expect(letter.cc).toEqual([{ name: "", address: "press@ngo.example.net" }]);
    const again = await run(["send", "--yes", "--retry-failed", "example-ngo"], { cwd: folder, env });
    expect(again.exitCode).toBe(0);
    expect(server.received).toHaveLength(2);
  });
});

// Letters are rendered once to check them all, then again one at a time as they go: a template that fails
// for a later recipient must still stop the run before the first letter is handed over.
describe("a template that fails for a later recipient: nothing is sent or recorded", () => {
  const failingFor = (file: string) => {
    const text = readFileSync(join(STARTER, "templates", file), "utf8");
    return { [`templates/${file}`]: `${text}\n{{recipient.custom.minister}}\n` };
  };

  it("send stops before the first letter (whose own template renders) goes", async () => {
    const server = await sink();
    // Only example-ngo, the second recipient, gets the French letter.
    const folder = campaignFolder(failingFor("letter.fr.txt.hbs"));
    const result = await run(["send", "--yes"], { cwd: folder, env: { OUTREACH_SMTP_URL: server.url } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/recipient\.custom\.minister.*not defined.*example-ngo/s);
    expect(result.stderr).toContain("nothing was done");
    expect(server.received).toHaveLength(0);
    expect(existsSync(join(folder, ".outreach", "journal.jsonl"))).toBe(false);
  });

  it("followup stops before the first follow-up goes, and the journal is unchanged", async () => {
    const server = await sink();
    const folder = campaignFolder();
    const env = { OUTREACH_SMTP_URL: server.url };
    const appeal = await run(["send", "--yes"], { cwd: folder, env: { ...env, OUTREACH_NOW: "2026-02-01" } });
    expect(appeal.exitCode).toBe(0);
    expect(server.received).toHaveLength(2);
    const before = journalText(folder);
    const file = failingFor("followup.fr.txt.hbs");
    for (const [path, text] of Object.entries(file)) writeFileSync(join(folder, path), text);
    const chase = await run(["followup", "--yes"], {
      cwd: folder,
      env: { ...env, OUTREACH_NOW: "2026-03-01" },
    });
    expect(chase.exitCode).toBe(1);
    expect(chase.stderr).toMatch(/recipient\.custom\.minister.*not defined.*example-ngo/s);
    expect(server.received).toHaveLength(2);
    expect(journalText(folder)).toBe(before);
  });
});
