// When reading the mailbox goes wrong, against a real Dovecot: a refused login, a server that is down, an
// untrusted certificate, settings that would leak the password; a malformed message and a 20 MB reply.
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { composeMail, dovecotPerFile } from "./dovecot.js";
import { events, inbox, letterId, NGO, received, sentCampaign, UN } from "./inbox-support.js";
import { campaignFolder, REPO, run, tempFolder } from "./support.js";

const dovecot = dovecotPerFile();

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address ? address.port : 0;
}

function withImap(folder: string, block: string): void {
  const path = join(folder, "outreach.yaml");
  writeFileSync(
    path,
    readFileSync(path, "utf8").replace("campaigns:", `transport:\n  imap:\n${block}campaigns:`),
  );
}

describe("inbox: errors stop with a sentence, and record nothing", () => {
  it("a refused login names host, port and user; nothing is recorded and the password is never shown", async () => {
    const account = await dovecot().account();
    const folder = await sentCampaign();
    const before = events(folder).length;
    const result = await inbox(folder, account, [], { OUTREACH_IMAP_PASSWORD: "wrong-Pw-1" });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      `the IMAP server 127.0.0.1:${dovecot().port} (user ${account.user}) refused the login`,
    );
    expect(result.stderr).toContain("nothing was recorded");
    expect(`${result.stdout}${result.stderr}`).not.toContain("wrong-Pw-1");
    expect(events(folder)).toHaveLength(before);
    expect(existsSync(join(folder, ".outreach", "inbox", "cursor.json"))).toBe(false);
  });

  it("a server that is down is tried again, then named in the error", async () => {
    const folder = await sentCampaign();
    const port = await closedPort();
    const result = await run(["inbox"], {
      cwd: folder,
      env: { OUTREACH_IMAP_URL: `imap://me%40example.org@127.0.0.1:${port}`, OUTREACH_IMAP_PASSWORD: "x" },
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      `cannot reach the IMAP server 127.0.0.1:${port} (user me@example.org): ECONNREFUSED (tried 3 times)`,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("refuses a certificate it cannot trust, and reads over TLS once the certificate is trusted", async () => {
    const account = await dovecot().account();
    const folder = await sentCampaign();
    await account.append(
      "INBOX",
      await composeMail({
        from: UN,
        to: account.user,
        subject: "Re",
        messageId: "<tls@un.example.org>",
        inReplyTo: letterId(folder, "un-special-rapporteur"),
      }),
    );
    const url = `imaps://${encodeURIComponent(account.user)}@localhost:${dovecot().tlsPort}`;
    const env = { OUTREACH_IMAP_URL: url, OUTREACH_IMAP_PASSWORD: account.password };
    const untrusted = await run(["inbox"], { cwd: folder, env });
    expect(untrusted.exitCode).toBe(1);
    expect(untrusted.stderr).toContain(
      `the IMAP server localhost:${dovecot().tlsPort} (user ${account.user}) offered a certificate that cannot be trusted`,
    );
    expect(received(folder)).toEqual([]);
    const trusted = await run(["inbox"], {
      cwd: folder,
      env: { ...env, NODE_EXTRA_CA_CERTS: dovecot().caFile },
    });
    expect(trusted.exitCode).toBe(0);
    expect(received(folder).map((event) => event.message_id)).toEqual(["<tls@un.example.org>"]);
  });

  it("STARTTLS from outreach.yaml: required, and it works against the real server", async () => {
    const account = await dovecot().account();
    const folder = await sentCampaign();
    withImap(
      folder,
      `    host: localhost\n    port: ${dovecot().port}\n    security: starttls\n    user: ${account.user}\n`,
    );
    const result = await run(["inbox"], {
      cwd: folder,
      env: { OUTREACH_IMAP_PASSWORD: account.password, NODE_EXTRA_CA_CERTS: dovecot().caFile },
    });
    expect(result.stderr).toContain("Nothing new in INBOX");
    expect(result.exitCode).toBe(0);
  });

  it("check validates transport.imap at its lines: security none to another machine, an unknown key", async () => {
    const folder = campaignFolder();
    withImap(
      folder,
      "    host: imap.example.org\n    security: none\n    user: me@example.org\n    folder: [INBOX]\n",
    );
    const result = await run(["check"], { cwd: folder });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/outreach\.yaml:\d+:\d+ +transport\.imap\.folder: unknown field "folder"/);
    expect(result.stdout).toContain('did you mean "folders"?');
    const fixed = campaignFolder();
    withImap(fixed, "    host: imap.example.org\n    security: none\n    user: me@example.org\n");
    const clear = await run(["check"], { cwd: fixed });
    expect(clear.exitCode).toBe(1);
    expect(clear.stdout).toMatch(
      /outreach\.yaml:\d+:\d+ +transport\.imap\.security: security: none would send the password for me@example.org to imap\.example\.org in clear text/,
    );
  });

  it("a password in the URL is refused; without a password and without a terminal it says where to put one", async () => {
    const folder = await sentCampaign();
    const withPassword = await run(["inbox"], {
      cwd: folder,
      env: { OUTREACH_IMAP_URL: "imaps://me:secret-9@imap.example.org" },
    });
    expect(withPassword.exitCode).toBe(2);
    expect(withPassword.stderr).toContain("OUTREACH_IMAP_URL must not contain the password");
    expect(withPassword.stderr).not.toContain("secret-9");
    const none = await run(["inbox"], {
      cwd: folder,
      env: { OUTREACH_IMAP_URL: "imaps://me@imap.example.org" },
    });
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain(
      "the IMAP user me at imap.example.org needs a password, and there is no terminal",
    );
    // From a password file named in outreach.yaml: read, used, never printed.
    const account = await dovecot().account();
    const secret = join(tempFolder(), "imap-password");
    writeFileSync(secret, `${account.password}\n`);
    withImap(
      folder,
      `    host: 127.0.0.1\n    port: ${dovecot().port}\n    security: none\n    user: ${account.user}\n    password_file: ${secret}\n`,
    );
    const fromFile = await run(["inbox"], { cwd: folder });
    expect(fromFile.exitCode).toBe(0);
    expect(`${fromFile.stdout}${fromFile.stderr}`).not.toContain(account.password);
    expect(readFileSync(join(folder, ".outreach", "journal.jsonl"), "utf8")).not.toContain(account.password);
  });
});

describe("inbox: hard messages", () => {
  it("a malformed message goes to the holding pen with a note, a broken-MIME reply is still taken in, and the run goes on", async () => {
    const account = await dovecot().account();
    const folder = await sentCampaign();
    const ours = letterId(folder, "un-special-rapporteur");
    await account.append(
      "INBOX",
      `In-Reply-To: ${ours}\r\nSubject: Re: Appeal\r\nContent-Type: multipart/mixed\r\n\r\n\u0000\u0001garbage without any structure\r\n`,
    );
    await account.append(
      "INBOX",
      [
        `From: ${NGO}`,
        "Message-ID: <broken-mime@ngo.example.net>",
        `In-Reply-To: ${letterId(folder, "example-ngo")}`,
        "Subject: Re: Appeal",
        "Date: Thu, 05 Feb 2026 10:00:00 +0000",
        "Content-Type: multipart/mixed",
        "",
        "--nowhere",
        "Content-Transfer-Encoding: base64",
        "",
        "!!!not base64!!!",
        "",
      ].join("\r\n"),
    );
    await account.append(
      "INBOX",
      await composeMail({
        from: UN,
        to: account.user,
        subject: "Re: Appeal",
        messageId: "<fine@un.example.org>",
        inReplyTo: ours,
      }),
    );
    const result = await inbox(folder, account);
    expect(result.exitCode).toBe(0);
    const all = received(folder);
    expect(all).toHaveLength(3);
    expect(all[0]).toMatchObject({ kind: "unreadable", match: "unmatched", recipient: "" });
    expect(all[0]?.note).toContain("could not be read as an email");
    expect(all[1]).toMatchObject({
      message_id: "<broken-mime@ngo.example.net>",
      recipient: "example-ngo",
      match: "reply",
    });
    expect(all[2]).toMatchObject({ message_id: "<fine@un.example.org>", match: "reply" });
    const review = await run(["review"], { cwd: folder });
    expect(review.exitCode).toBe(0);
    expect(review.stdout).toContain("1 message in the holding pen");
  });

  it("a 20 MB reply is taken in and saved whole, in bounded memory", async () => {
    const account = await dovecot().account();
    const folder = await sentCampaign();
    const big = Buffer.alloc(20 * 1024 * 1024, "a");
    await account.append(
      "INBOX",
      await composeMail({
        from: UN,
        to: account.user,
        subject: "Re: Appeal, with the documents",
        messageId: "<big@un.example.org>",
        inReplyTo: letterId(folder, "un-special-rapporteur"),
        attachments: [{ filename: "scan.pdf", content: big, contentType: "application/pdf" }],
      }),
    );
    const rssFile = join(tempFolder(), "rss");
    const result = await inbox(folder, account, [], {
      NODE_OPTIONS: `--import ${join(REPO, "bench", "peak-memory.js")}`,
      BENCH_RSS_FILE: rssFile,
    });
    expect(result.exitCode).toBe(0);
    const [event] = received(folder);
    expect(event).toMatchObject({ message_id: "<big@un.example.org>", kind: "answer" });
    expect(statSync(join(folder, (event as { eml: string }).eml)).size).toBeGreaterThan(27 * 1024 * 1024);
    const peak = Number(readFileSync(rssFile, "utf8"));
    expect(peak).toBeLessThan(150 * 1024 * 1024);
  });
});
