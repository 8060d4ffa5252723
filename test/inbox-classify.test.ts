// What `inbox` records by itself, against a real Dovecot: automatic replies in five languages, delivery
// reports (one of two addresses failed, a delay, a non-standard bounce), a mailbox recreated with a new
// UIDVALIDITY, and two team clones whose journals git merges.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { composeMail, dovecotPerFile } from "./dovecot.js";
import {
  dsn,
  inbox,
  letterId,
  letterSubject,
  ME,
  NGO,
  NGO_CC,
  probableBounce,
  received,
  responses,
  sentCampaign,
  UN,
} from "./inbox-support.js";
import { run, tempFolder } from "./support.js";

const dovecot = dovecotPerFile();
/** A day after the replies were written (the letters went on 2026-02-01, the replies on the 5th). */
const LATER = "2026-02-06T12:00:00Z";

describe("inbox: what is recorded by itself", () => {
  it("records automatic replies in English, French, German, Russian and Spanish as auto-reply; the recipient still waits", async () => {
    const account = await dovecot().account();
    const folder = await sentCampaign();
    const ours = letterId(folder, "un-special-rapporteur");
    const subjects = [
      "Out of Office: back on 10 February",
      "Réponse automatique : absent du bureau",
      "Abwesenheitsnotiz: Ihre Nachricht",
      "Автоматический ответ: Обращение",
      "Respuesta automática: fuera de la oficina",
    ];
    for (const [n, subject] of subjects.entries()) {
      await account.append(
        "INBOX",
        await composeMail({
          from: UN,
          to: account.user,
          subject,
          messageId: `<ooo-${n}@un.example.org>`,
          inReplyTo: ours,
        }),
      );
    }
    const result = await inbox(folder, account);
    expect(result.exitCode).toBe(0);
    expect(received(folder).map((event) => event.kind)).toEqual(Array(5).fill("auto-reply"));
    expect(responses(folder).map((event) => [event.recipient, event.outcome])).toEqual(
      Array(5).fill(["un-special-rapporteur", "auto-reply"]),
    );
    const outstanding = await run(["outstanding", "--json"], { cwd: folder });
    expect(JSON.parse(outstanding.stdout).map((row: { id: string }) => row.id)).toContain(
      "un-special-rapporteur",
    );
    const review = JSON.parse((await run(["review", "--json"], { cwd: folder })).stdout);
    expect(review.queue).toEqual([]);
  });

  it("a report where one of two addresses failed (5.1.1) notes that address; the letter still reached the other", async () => {
    const account = await dovecot().account();
    const folder = await sentCampaign();
    const ours = letterId(folder, "example-ngo");
    await account.append("INBOX", dsn(ours, [{ address: NGO, action: "failed", status: "5.1.1" }]));
    await account.append("INBOX", dsn(ours, [{ address: NGO_CC, action: "delayed", status: "4.4.1" }]));
    const result = await inbox(folder, account);
    expect(result.exitCode).toBe(0);
    const [failed, delayed] = received(folder);
    expect(failed).toMatchObject({
      kind: "bounce",
      match: "reply",
      recipient: "example-ngo",
      failures: [{ address: NGO, status: "5.1.1", action: "failed" }],
    });
    expect(failed?.note).toContain(`the letter still reached ${NGO_CC}`);
    expect(delayed).toMatchObject({ failures: [{ address: NGO_CC, status: "4.4.1", action: "delayed" }] });
    expect(delayed?.note).toMatch(/^delayed, not final/);
    // Neither is final for the recipient: no bounced outcome.
    expect(responses(folder)).toEqual([]);
  });

  it("a non-standard bounce (Exim style) of the only address records the recipient as bounced", async () => {
    const account = await dovecot().account();
    const folder = await sentCampaign();
    const ours = letterId(folder, "un-special-rapporteur");
    const report = [
      "From: Mail Delivery System <Mailer-Daemon@mx.un.example.org>",
      `To: ${ME}`,
      "Subject: Mail delivery failed: returning message to sender",
      "Date: Thu, 05 Feb 2026 10:00:00 +0000",
      "Message-ID: <exim-1@mx.un.example.org>",
      `X-Failed-Recipients: ${UN}`,
      "Content-Type: text/plain; charset=us-ascii",
      "",
      "This message was created automatically by mail delivery software.",
      "",
      "A message that you sent could not be delivered to one or more of its",
      "recipients. This is a permanent error. The following address(es) failed:",
      "",
      `  ${UN}`,
      `    SMTP error from remote mail server after RCPT TO:<${UN}>:`,
      "    550 5.1.1 User unknown",
      "",
      "------ This is a copy of the message, including all the headers. ------",
      "",
      `Message-ID: ${ours}`,
      `From: ${ME}`,
      "Subject: Appeal",
      "",
      "Dear Special Rapporteur,",
      "",
    ].join("\r\n");
    await account.append("INBOX", report);
    const result = await inbox(folder, account);
    expect(result.exitCode).toBe(0);
    expect(received(folder)[0]).toMatchObject({
      kind: "bounce",
      match: "reply",
      failures: [{ address: UN, status: "5.1.1" }],
    });
    expect(responses(folder).map((event) => [event.recipient, event.outcome])).toEqual([
      ["un-special-rapporteur", "bounced"],
    ]);
    const status = JSON.parse((await run(["status", "--json"], { cwd: folder })).stdout)[0];
    expect(status.bounced).toBe(1);
    const story = (await run(["history", "un-special-rapporteur"], { cwd: folder })).stdout;
    expect(story).toContain(`bounce (${UN} 5.1.1) from Mail Delivery System`);
    expect(story).toMatch(/answer: bounced by email/);
  });

  it("a report naming only a failed address of ours is a probable bounce: shown in review, recorded on one confirmation", async () => {
    // The report quotes some other Message-ID (a relay rewrote it): only the address says whose it is.
    const folder = await probableBounce(await dovecot().account(), UN, LATER);
    const [bounce] = received(folder);
    expect(bounce).toMatchObject({ kind: "bounce", match: "probable", recipient: "un-special-rapporteur" });
    expect(responses(folder)).toEqual([]);
    const listed = await run(["review"], { cwd: folder, env: { OUTREACH_NOW: LATER } });
    expect(listed.stdout).toContain("probable bounce of the letter to un-special-rapporteur (first-appeal)");
    expect(listed.stdout).toContain(`outreach review --confirm '${bounce?.message_id}'`);

    const confirmed = await run(["review", "--confirm", bounce?.message_id as string], {
      cwd: folder,
      env: { OUTREACH_NOW: LATER },
    });
    expect(confirmed.exitCode, confirmed.stderr).toBe(0);
    expect(confirmed.stdout).toContain(
      `Recorded: the letter to un-special-rapporteur (first-appeal) bounced (${UN} 5.1.1); no address of theirs is left.`,
    );
    expect(responses(folder).map((event) => [event.recipient, event.outcome])).toEqual([
      ["un-special-rapporteur", "bounced"],
    ]);
    expect(JSON.parse((await run(["review", "--json"], { cwd: folder })).stdout).queue).toEqual([]);
    const status = JSON.parse((await run(["status", "--json"], { cwd: folder })).stdout)[0];
    expect(status.bounced).toBe(1);
  });

  it("a bounce a person confirmed in review counts for inbox: the other address failing later leaves none, so bounced", async () => {
    const account = await dovecot().account();
    // First a relay's report naming only NGO's address (probable), confirmed by a person.
    const folder = await probableBounce(account, NGO, LATER);
    const [probable] = received(folder);
    expect(probable).toMatchObject({ match: "probable", recipient: "example-ngo" });
    const confirmed = await run(["review", "--confirm", probable?.message_id as string], {
      cwd: folder,
      env: { OUTREACH_NOW: LATER },
    });
    expect(confirmed.exitCode, confirmed.stderr).toBe(0);
    expect(confirmed.stdout).toContain(`the letter still reached ${NGO_CC}`);
    expect(responses(folder)).toEqual([]);
    // Then a report naming our letter, for the other address (its case changed by the relay).
    await account.append(
      "INBOX",
      dsn(letterId(folder, "example-ngo"), [
        { address: NGO_CC.toUpperCase(), action: "failed", status: "5.1.1" },
      ]),
    );
    expect((await inbox(folder, account, [], { OUTREACH_NOW: LATER })).exitCode).toBe(0);
    expect(responses(folder).map((event) => [event.recipient, event.outcome])).toEqual([
      ["example-ngo", "bounced"],
    ]);
  });

  it("a mailbox recreated with a new UIDVALIDITY is read again without recording anything twice", async () => {
    const account = await dovecot().account();
    const folder = await sentCampaign();
    // IMAP cannot delete INBOX, so this mailbox reads a folder that can be deleted and made again.
    const yaml = readFileSync(join(folder, "outreach.yaml"), "utf8").replace(
      "campaigns:",
      `transport:\n  imap:\n    host: 127.0.0.1\n    port: ${dovecot().port}\n    security: none\n    user: ${account.user}\n    folders: [Junk]\ncampaigns:`,
    );
    writeFileSync(join(folder, "outreach.yaml"), yaml);
    const reply = await composeMail({
      from: UN,
      to: account.user,
      subject: "Re: Appeal",
      messageId: "<before@un.example.org>",
      inReplyTo: letterId(folder, "un-special-rapporteur"),
    });
    await account.append("Junk", reply);
    const env = { OUTREACH_IMAP_PASSWORD: account.password };
    expect((await run(["inbox"], { cwd: folder, env })).exitCode).toBe(0);
    await account.recreate("Junk");
    await account.append("Junk", reply);
    await account.append(
      "Junk",
      await composeMail({
        from: NGO,
        to: account.user,
        subject: "Re: Appeal",
        messageId: "<after@ngo.example.net>",
        inReplyTo: letterId(folder, "example-ngo"),
      }),
    );
    const again = await run(["inbox"], { cwd: folder, env });
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain("Took in 1 message from Junk");
    expect(received(folder).map((event) => event.message_id)).toEqual([
      "<before@un.example.org>",
      "<after@ngo.example.net>",
    ]);
  });

  it("two team clones each run inbox; after git merges their journals, every answer is there once", async () => {
    const account = await dovecot().account();
    const first = await sentCampaign({ ".gitattributes": ".outreach/journal.jsonl merge=union\n" });
    const git = (cwd: string, ...args: string[]) =>
      execFileSync("git", ["-c", "user.name=T", "-c", "user.email=t@example.org", ...args], {
        cwd,
        stdio: "pipe",
      });
    git(first, "init", "-q", "-b", "main");
    git(
      first,
      "add",
      "outreach.yaml",
      "recipients",
      "templates",
      "attachments",
      ".gitattributes",
      ".outreach/journal.jsonl",
    );
    git(first, "commit", "-qm", "sent");
    const second = join(tempFolder(), "clone");
    execFileSync("git", ["clone", "-q", first, second]);
    await account.append(
      "INBOX",
      await composeMail({
        from: UN,
        to: account.user,
        subject: `Re: ${letterSubject(first, "un-special-rapporteur")}`,
        messageId: "<shared@un.example.org>",
        inReplyTo: letterId(first, "un-special-rapporteur"),
      }),
    );
    expect((await inbox(first, account)).exitCode).toBe(0);
    expect((await inbox(second, account)).exitCode).toBe(0);
    git(first, "commit", "-qam", "inbox, first");
    git(second, "commit", "-qam", "inbox, second");
    git(first, "pull", "-q", "--no-rebase", second, "main");
    expect(received(first)).toHaveLength(2);
    const review = JSON.parse((await run(["review", "--json"], { cwd: first })).stdout);
    expect(review.queue.map((entry: { message_id: string }) => entry.message_id)).toEqual([
      "<shared@un.example.org>",
    ]);
    expect(JSON.parse((await run(["status", "--json"], { cwd: first })).stdout)[0].to_review).toBe(1);
    // Logged once, in either clone, it is answered everywhere; logging it again is refused.
    const logged = await run(["log", "--reply", "<shared@un.example.org>", "--outcome", "acknowledged"], {
      cwd: first,
      env: { OUTREACH_NOW: LATER },
    });
    expect(logged.stderr).toBe("");
    expect(logged.exitCode).toBe(0);
    expect(JSON.parse((await run(["review", "--json"], { cwd: first })).stdout).queue).toEqual([]);
    const twice = await run(["log", "--reply", "<shared@un.example.org>", "--outcome", "meeting"], {
      cwd: first,
      env: { OUTREACH_NOW: LATER },
    });
    expect(twice.exitCode).toBe(1);
    expect(twice.stderr).toContain("was already logged");
  });
});
