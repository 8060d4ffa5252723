import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import PostalMime from "postal-mime";
import { describe, expect, it } from "vitest";
import { parse, sinkPerTest } from "./smtp-sink.js";
import { campaignFolder, run, STARTER } from "./support.js";

const sink = sinkPerTest();

function journal(folder: string): Record<string, unknown>[] {
  const path = join(folder, ".outreach", "journal.jsonl");
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

const starterConfig = readFileSync(join(STARTER, "outreach.yaml"), "utf8");
/** The starter campaign with a non-ASCII subject, so encoding is tested end to end. */
function campaign(extra: Record<string, string | null> = {}) {
  return campaignFolder({
    "outreach.yaml": starterConfig.replace(
      'en: "Appeal: {{recipient.organisation}}, please act now"',
      'en: "Appeal — Хорог: {{recipient.organisation}}"',
    ),
    ...extra,
  });
}

describe("send over SMTP", () => {
  it("delivers every emailed letter once, as a mail client reads it, with the journal's Message-ID", async () => {
    const server = await sink();
    const folder = campaign();
    const result = await run(["send", "--yes"], { cwd: folder, env: { OUTREACH_SMTP_URL: server.url } });
    expect(result.stderr).toContain("via  smtp://127.0.0.1");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("Sent: 2");
    expect(result.stdout).toContain(
      "example-web-form-only: no email: deliver by web form https://www.example.org/contact",
    );
    expect(server.received).toHaveLength(2);

    const byRecipient = new Map(server.received.map((message) => [message.to[0], message]));
    const ngo = byRecipient.get("director@ngo.example.net");
    expect(ngo?.to).toEqual(["director@ngo.example.net", "press@ngo.example.net"]);
    expect(ngo?.from).toBe("you@example.org");
    const email = await parse(ngo as NonNullable<typeof ngo>);
    expect(email.to).toEqual([{ name: "Jeanne Exemple", address: "director@ngo.example.net" }]);
    expect(email.cc).toEqual([{ name: "", address: "press@ngo.example.net" }]);
    expect(email.text).toContain("Nous vous écrivons");
    expect(email.attachments.map((attachment) => attachment.filename)).toEqual(["appeal-summary.txt"]);

    const rapporteur = await parse(
      byRecipient.get("urgent-appeals@un.example.org") as NonNullable<typeof ngo>,
    );
    expect(rapporteur.subject).toBe("Appeal — Хорог: UN Special Rapporteur on an example mandate");
    expect(rapporteur.text).toContain("Dear Special Rapporteur,");

    const events = journal(folder);
    const sent = events.filter((event) => event.type === "sent");
    expect(sent.map((event) => event.recipient).sort()).toEqual(["example-ngo", "un-special-rapporteur"]);
    const attempt = events.find(
      (event) => event.type === "attempt" && event.recipient === "un-special-rapporteur",
    );
    expect(attempt?.message_id).toBe(rapporteur.messageId);
    expect(sent.find((event) => event.recipient === "un-special-rapporteur")?.response).toContain(
      "queued as",
    );
    expect(attempt?.at).toBeTypeOf("string");
  });

  it("sends nothing on a rerun, and says the letters were already sent", async () => {
    const server = await sink();
    const folder = campaign();
    const env = { OUTREACH_SMTP_URL: server.url };
    expect((await run(["send", "--yes"], { cwd: folder, env })).exitCode).toBe(0);
    const again = await run(["send", "--yes"], { cwd: folder, env });
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain("2 letters already sent");
    expect(again.stderr).toContain("Nothing to send.");
    expect(server.received).toHaveLength(2);
  });

  it("keeps a copy of every sent message in an owner-only mbox, and an owner-only journal", async () => {
    const server = await sink();
    const folder = campaign();
    await run(["send", "--yes"], { cwd: folder, env: { OUTREACH_SMTP_URL: server.url } });
    const mbox = readFileSync(join(folder, ".outreach", "sent", "first-appeal.mbox"), "latin1");
    const entries = mbox.split(/^From you@example\.org /m).filter(Boolean);
    expect(entries).toHaveLength(2);
    const copies = await Promise.all(
      entries.map((entry) => PostalMime.parse(Buffer.from(entry.slice(entry.indexOf("\n") + 1), "latin1"))),
    );
    expect(copies.map((copy) => copy.subject).sort()).toEqual([
      "Appeal — Хорог: UN Special Rapporteur on an example mandate",
      "Appel : Example Human Rights Association, agissez maintenant",
    ]);
    const sentIds = server.received.map((message) =>
      /^Message-ID: (.*)$/im.exec(message.raw.toString())?.[1]?.trim(),
    );
    expect(copies.map((copy) => copy.messageId).sort()).toEqual(sentIds.sort());
    expect(statSync(join(folder, ".outreach")).mode & 0o777).toBe(0o700);
    expect(statSync(join(folder, ".outreach", "journal.jsonl")).mode & 0o777).toBe(0o600);
    expect(statSync(join(folder, ".outreach", "sent", "first-appeal.mbox")).mode & 0o777).toBe(0o600);
  });

  it("sends one letter with --limit 1, and the rest on the next run", async () => {
    const server = await sink();
    const folder = campaign();
    const env = { OUTREACH_SMTP_URL: server.url };
    const first = await run(["send", "--yes", "--limit", "1"], { cwd: folder, env });
    expect(first.exitCode).toBe(0);
    expect(first.stderr).toContain("1 letter left for a later run (--limit)");
    expect(server.received).toHaveLength(1);
    await run(["send", "--yes"], { cwd: folder, env });
    expect(server.received).toHaveLength(2);
    expect(new Set(server.received.map((message) => message.to[0])).size).toBe(2);
  });

  it("sends only the recipients named on the command line", async () => {
    const server = await sink();
    const folder = campaign();
    const result = await run(["send", "--yes", "example-ngo"], {
      cwd: folder,
      env: { OUTREACH_SMTP_URL: server.url },
    });
    expect(result.exitCode).toBe(0);
    expect(server.received.map((message) => message.to[0])).toEqual(["director@ngo.example.net"]);
  });

  it("--dry-run lists what would go, sends nothing and records nothing", async () => {
    const server = await sink();
    const folder = campaign();
    const result = await run(["send", "--dry-run"], { cwd: folder, env: { OUTREACH_SMTP_URL: server.url } });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("would send  un-special-rapporteur  → urgent-appeals@un.example.org");
    expect(result.stderr).toContain("Dry run: nothing was sent and nothing was recorded.");
    expect(server.received).toHaveLength(0);
    expect(journal(folder)).toEqual([]);
  });

  it("--to-self sends every letter to one address with [TEST] in the subject and records nothing", async () => {
    const server = await sink();
    const folder = campaign();
    const result = await run(["send", "--yes", "--to-self", "me@example.org"], {
      cwd: folder,
      env: { OUTREACH_SMTP_URL: server.url },
    });
    expect(result.exitCode).toBe(0);
    expect(server.received.map((message) => message.to)).toEqual([["me@example.org"], ["me@example.org"]]);
    const subjects = await Promise.all(
      server.received.map(async (message) => (await parse(message)).subject),
    );
    expect(subjects.sort()).toEqual([
      "[TEST] Appeal — Хорог: UN Special Rapporteur on an example mandate",
      "[TEST] Appel : Example Human Rights Association, agissez maintenant",
    ]);
    expect(journal(folder)).toEqual([]);
    const real = await run(["send", "--yes"], { cwd: folder, env: { OUTREACH_SMTP_URL: server.url } });
    expect(real.stdout).toContain("Sent: 2");
  });

  it("needs --yes when there is no terminal to confirm on, and sends nothing without it", async () => {
    const server = await sink();
    const folder = campaign();
    const result = await run(["send"], { cwd: folder, env: { OUTREACH_SMTP_URL: server.url } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("sending needs a confirmation, and there is no terminal to ask on");
    expect(result.stderr).toContain("add --yes to send, or --dry-run to see what would go");
    expect(server.received).toHaveLength(0);
    expect(journal(folder)).toEqual([]);
  });

  it("refuses an SMTP URL that carries the password, without printing it", async () => {
    const folder = campaign();
    const result = await run(["send", "--yes"], {
      cwd: folder,
      env: { OUTREACH_SMTP_URL: "smtps://me:hunter2-secret@smtp.example.org:465" },
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("OUTREACH_SMTP_URL must not contain the password");
    expect(`${result.stdout}${result.stderr}`).not.toContain("hunter2-secret");
  });
});

describe("send to the outbox (no SMTP configured)", () => {
  it("writes one real .eml file per emailed letter to outbox/<campaign>/ and says where", async () => {
    const folder = campaign();
    const result = await run(["send", "--yes"], { cwd: folder });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("Wrote 2 letters to outbox/first-appeal/");
    const files = readdirSync(join(folder, "outbox", "first-appeal")).sort();
    expect(files).toEqual(["example-ngo.eml", "un-special-rapporteur.eml"]);
    const email = await PostalMime.parse(
      readFileSync(join(folder, "outbox", "first-appeal", "un-special-rapporteur.eml")),
    );
    expect(email.subject).toBe("Appeal — Хорог: UN Special Rapporteur on an example mandate");
    expect(email.to).toEqual([{ name: "", address: "urgent-appeals@un.example.org" }]);
    const events = journal(folder);
    expect(events.filter((event) => event.type === "sent")).toHaveLength(2);
    expect(events.every((event) => event.type !== "attempt" || event.transport === "outbox")).toBe(true);

    const again = await run(["send", "--yes"], { cwd: folder });
    expect(again.stderr).toContain("Nothing to send.");
    const status = JSON.parse((await run(["status", "--json"], { cwd: folder })).stdout);
    expect(status).toEqual([
      expect.objectContaining({
        campaign: "first-appeal",
        selected: 3,
        sent: 0,
        in_outbox: 2,
        not_sent: 2,
        other_channel: 1,
      }),
    ]);
  });

  it("letters already in the outbox wait for a decision before SMTP sends them, then go with --include-outbox", async () => {
    const folder = campaign();
    await run(["send", "--yes"], { cwd: folder });
    const server = await sink();
    const env = { OUTREACH_SMTP_URL: server.url };
    const held = await run(["send", "--yes"], { cwd: folder, env });
    expect(held.exitCode).toBe(3);
    expect(held.stderr).toContain(
      "un-special-rapporteur: written to the outbox earlier: if you sent that file yourself, record it (outreach log un-special-rapporteur --sent-by email); to send it now, add --include-outbox",
    );
    expect(server.received).toHaveLength(0);
    const logged = await run(["log", "example-ngo", "--sent-by", "email"], { cwd: folder });
    expect(logged.exitCode).toBe(0);
    const sent = await run(["send", "--yes", "--include-outbox"], { cwd: folder, env });
    expect(sent.exitCode).toBe(0);
    expect(server.received.map((message) => message.to[0])).toEqual(["urgent-appeals@un.example.org"]);
  });
});
