// Shared steps of the inbox tests: a campaign really sent through the SMTP sink, replies built as mail
// clients build them, and the built CLI's `inbox` run against the test file's Dovecot.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { JournalEvent } from "../src/core/journal.js";
import type { Account } from "./dovecot.js";
import { startSink } from "./smtp-sink.js";
import { campaignFolder, run } from "./support.js";

export const UN = "urgent-appeals@un.example.org";
export const NGO = "director@ngo.example.net";
export const NGO_CC = "press@ngo.example.net";
export const ME = "you@example.org";

export function events(folder: string): JournalEvent[] {
  let text = "";
  try {
    text = readFileSync(join(folder, ".outreach", "journal.jsonl"), "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as JournalEvent);
}

/** The Message-ID of the letter (or follow-up) that went to a recipient. */
export function letterId(folder: string, recipient: string, stage?: string): string {
  const attempt = events(folder).find(
    (event) => event.type === "attempt" && event.recipient === recipient && event.stage === stage,
  );
  if (attempt?.type !== "attempt") throw new Error(`no letter to ${recipient} ${stage ?? ""}`);
  return attempt.message_id;
}

export function letterSubject(folder: string, recipient: string): string {
  const attempt = events(folder).find((event) => event.type === "attempt" && event.recipient === recipient);
  return attempt?.type === "attempt" ? attempt.subject : "";
}

/** The starter campaign, sent by SMTP (to the sink) on 2026-02-01, or into `folder` when given. */
export async function sentCampaign(
  files: Record<string, string | null> = {},
  command: string[] = ["send", "--yes"],
  folder?: string,
  now?: string,
): Promise<string> {
  const target = folder ?? campaignFolder(files);
  const sink = await startSink();
  try {
    const result = await run(command, {
      cwd: target,
      env: { OUTREACH_SMTP_URL: sink.url, ...(now ? { OUTREACH_NOW: now } : {}) },
    });
    if (result.exitCode !== 0)
      throw new Error(`${command.join(" ")} failed: ${result.stderr}${result.stdout}`);
  } finally {
    await sink.close();
  }
  return target;
}

/**
 * The starter campaign sent, then a relay's report that `address` failed, quoting a Message-ID the relay
 * rewrote, so that only the address says whose letter it was; taken in by `inbox` at `now`, it waits in
 * review as a probable bounce. Returns the campaign folder.
 */
export async function probableBounce(account: Account, address: string, now: string): Promise<string> {
  const folder = await sentCampaign();
  await account.append(
    "INBOX",
    dsn("<rewritten-by-relay@relay.example.com>", [{ address, action: "failed", status: "5.1.1" }]),
  );
  const result = await inbox(folder, account, [], { OUTREACH_NOW: now });
  if (result.exitCode !== 0) throw new Error(`inbox failed: ${result.stderr}${result.stdout}`);
  return folder;
}

export function inbox(
  folder: string,
  server: Account,
  args: string[] = [],
  env: Record<string, string> = {},
) {
  return run(["inbox", ...args], { cwd: folder, env: server.env(env) });
}

export function received(folder: string) {
  return events(folder).filter((event) => event.type === "received");
}

export function responses(folder: string) {
  return events(folder).filter((event) => event.type === "response");
}

/** A delivery status notification as an MTA writes it (RFC 3464), quoting the headers of our letter. */
export function dsn(ours: string, recipients: { address: string; action: string; status: string }[]): string {
  const fields = recipients
    .map((r) => `Final-Recipient: rfc822; ${r.address}\r\nAction: ${r.action}\r\nStatus: ${r.status}\r\n`)
    .join("\r\n");
  return [
    "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>",
    `To: ${ME}`,
    "Subject: Undelivered Mail Returned to Sender",
    "Date: Thu, 05 Feb 2026 10:00:00 +0000",
    `Message-ID: <dsn-${Math.random().toString(36).slice(2)}@mx.example.net>`,
    "Auto-Submitted: auto-replied",
    "MIME-Version: 1.0",
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"',
    "",
    "--B1",
    "Content-Type: text/plain; charset=us-ascii",
    "",
    "I'm sorry to have to inform you that your message could not be delivered.",
    "",
    "--B1",
    "Content-Type: message/delivery-status",
    "",
    "Reporting-MTA: dns; mx.example.net",
    "",
    fields,
    "--B1",
    "Content-Type: text/rfc822-headers",
    "",
    `From: Your Name or Organisation <${ME}>`,
    `Message-ID: ${ours}`,
    "Subject: Appeal",
    "",
    "--B1--",
    "",
  ].join("\r\n");
}
