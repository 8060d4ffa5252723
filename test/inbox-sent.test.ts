// transport.imap.save_sent against a real Dovecot: each letter sent by SMTP is also appended to Sent; a copy
// that cannot be saved is reported, and the letter is still sent and recorded as sent.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ImapFlow } from "imapflow";
import { describe, expect, it } from "vitest";
import { dovecotPerFile } from "./dovecot.js";
import { events } from "./inbox-support.js";
import { sinkPerTest } from "./smtp-sink.js";
import { campaignFolder, run } from "./support.js";

const dovecot = dovecotPerFile();
const sink = sinkPerTest();

function withSaveSent(folder: string, user: string): void {
  const path = join(folder, "outreach.yaml");
  writeFileSync(
    path,
    readFileSync(path, "utf8").replace(
      "campaigns:",
      `transport:\n  imap:\n    host: 127.0.0.1\n    port: ${dovecot().port}\n    security: none\n    user: ${user}\n    save_sent: Sent\ncampaigns:`,
    ),
  );
}

async function messageIdsIn(user: string, password: string, folder: string): Promise<string[]> {
  const client = new ImapFlow({
    host: "127.0.0.1",
    port: dovecot().port,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass: password },
    logger: false,
  });
  await client.connect();
  const lock = await client.getMailboxLock(folder, { readOnly: true });
  const ids: string[] = [];
  try {
    if ((client.mailbox as { exists: number }).exists > 0) {
      for await (const message of client.fetch("1:*", { envelope: true }))
        ids.push(message.envelope?.messageId ?? "");
    }
  } finally {
    lock.release();
    await client.logout();
  }
  return ids.sort();
}

describe("transport.imap.save_sent", () => {
  it("appends every letter the server accepted to Sent", async () => {
    const account = await dovecot().account();
    const server = await sink();
    const folder = campaignFolder();
    withSaveSent(folder, account.user);
    const result = await run(["send", "--yes"], {
      cwd: folder,
      env: { OUTREACH_SMTP_URL: server.url, OUTREACH_IMAP_PASSWORD: account.password },
    });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain("Saved 2 copies in Sent.");
    const sent = events(folder)
      .filter((event) => event.type === "sent")
      .map((event) => (event as { message_id: string }).message_id)
      .sort();
    expect(await messageIdsIn(account.user, account.password, "Sent")).toEqual(sent);
    // Reading Sent too, our own letters are not taken for answers, though they name our Message-IDs.
    const path = join(folder, "outreach.yaml");
    writeFileSync(
      path,
      readFileSync(path, "utf8").replace("    save_sent: Sent\n", "    folders: [INBOX, Sent]\n"),
    );
    const read = await run(["inbox"], { cwd: folder, env: { OUTREACH_IMAP_PASSWORD: account.password } });
    expect(read.exitCode).toBe(0);
    expect(read.stderr).toContain("Nothing new in INBOX, Sent");
    expect(events(folder).filter((event) => event.type === "received")).toEqual([]);
  });

  it("a copy that cannot be saved is reported; the letters are still sent and recorded as sent", async () => {
    const account = await dovecot().account();
    const server = await sink();
    const folder = campaignFolder();
    withSaveSent(folder, account.user);
    const result = await run(["send", "--yes"], {
      cwd: folder,
      env: { OUTREACH_SMTP_URL: server.url, OUTREACH_IMAP_PASSWORD: "not-the-password" },
    });
    expect(result.exitCode).toBe(0);
    expect(server.received).toHaveLength(2);
    expect(events(folder).filter((event) => event.type === "sent")).toHaveLength(2);
    expect(result.stderr).toContain("2 sent letters could not be copied to Sent");
    expect(result.stderr).toContain("refused the login");
    expect(result.stderr).toContain(".outreach/sent/first-appeal.mbox");
    expect(result.stderr).not.toContain("not-the-password");
    const again = await run(["send", "--yes"], { cwd: folder, env: { OUTREACH_SMTP_URL: server.url } });
    expect(again.stderr).toContain("Nothing to send.");
  });
});
