// Text and paths that come from the world — a reply's From and Subject, the user name in a URL, a linked
// .env, a --to-self address — get the same one-line and inside-the-folder rules as the campaign's own files.
import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import { describe, expect, it } from "vitest";
import { writtenDay } from "../src/core/replies.js";
import { sinkPerTest } from "./smtp-sink.js";
import { campaignFolder, run, tempFolder } from "./support.js";

const sink = sinkPerTest();
const NOW = "2026-02-01T12:00:00Z";

function expectSentence(result: { stdout: string; stderr: string }) {
  expect(`${result.stdout}${result.stderr}`).not.toMatch(/This is a bug|^\s+at .+:\d+:\d+\)?$/m);
}

describe("the user name in OUTREACH_SMTP_URL and OUTREACH_IMAP_URL", () => {
  for (const variable of ["OUTREACH_SMTP_URL", "OUTREACH_IMAP_URL"]) {
    const scheme = variable === "OUTREACH_SMTP_URL" ? "smtp" : "imap";
    const command = variable === "OUTREACH_SMTP_URL" ? ["send", "--dry-run"] : ["inbox"];
    it(`${variable}: a malformed %-escape is a sentence, not a stack trace, and the user is not shown`, async () => {
      const folder = campaignFolder();
      const result = await run(command, {
        cwd: folder,
        env: { OUTREACH_NOW: NOW, [variable]: `${scheme}://u%zzS3cretPass@127.0.0.1:2601` },
      });
      expectSentence(result);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain(`${variable} has a malformed %-escape`);
      expect(result.stderr).not.toContain("S3cretPass");
    });

    it(`${variable}: a line break in the user name is refused, never echoed`, async () => {
      const folder = campaignFolder();
      const result = await run(command, {
        cwd: folder,
        env: { OUTREACH_NOW: NOW, [variable]: `${scheme}://u%0D%0AQUIT@127.0.0.1:2601` },
      });
      expectSentence(result);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(/user name contains a line break/);
      expect(result.stderr).not.toMatch(/\r|QUIT/);
    });
  }
});

describe(".env follows the folder's rule for links", () => {
  it("a .env that links out of the campaign folder is refused, and nothing is sent", async () => {
    const server = await sink();
    const outside = join(tempFolder(), "outside.env");
    writeFileSync(outside, `OUTREACH_SMTP_URL=${server.url}\n`);
    const folder = campaignFolder();
    symlinkSync(outside, join(folder, ".env"));
    const result = await run(["send", "--yes"], { cwd: folder, env: { OUTREACH_NOW: NOW } });
    expectSentence(result);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/\.env is a link to .*outside the campaign folder/);
    expect(server.received).toHaveLength(0);
  });

  it("a dangling .env link is named, not silently taken as no .env", async () => {
    const folder = campaignFolder();
    symlinkSync(join(tempFolder(), "gone.env"), join(folder, ".env"));
    const result = await run(["send", "--dry-run"], { cwd: folder, env: { OUTREACH_NOW: NOW } });
    expectSentence(result);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/\.env is a link to .*which does not exist/);
  });
});

describe("--to-self is one visible address", () => {
  for (const [name, address] of [
    ["a right-to-left override", "me@example.org\u202e"],
    ["a zero-width space", "me@exam\u200bple.org"],
    ["a line break", "me@example.org\r\nBcc: x@example.net"],
  ]) {
    it(`refuses ${name}, sends nothing`, async () => {
      const server = await sink();
      const folder = campaignFolder();
      const result = await run(["send", "--yes", "--to-self", address as string], {
        cwd: folder,
        env: { OUTREACH_NOW: NOW, OUTREACH_SMTP_URL: server.url },
      });
      expectSentence(result);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(/--to-self needs one email address/);
      expect(server.received).toHaveLength(0);
    });
  }
});

describe("a saved reply's From name and Subject reach the journal as one line of visible text", () => {
  it("log --from-eml drops text-direction controls and turns line breaks into spaces", async () => {
    const server = await sink();
    const folder = campaignFolder();
    const sent = await run(["send", "--yes", "example-ngo"], {
      cwd: folder,
      env: { OUTREACH_NOW: NOW, OUTREACH_SMTP_URL: server.url },
    });
    expect(sent.exitCode, sent.stderr).toBe(0);
    const journalPath = join(folder, ".outreach", "journal.jsonl");
    const attempt = readFileSync(journalPath, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .find((event) => event.type === "attempt");
    const reply = await new MailComposer({
      from: { name: "Evil\u202eAdmin", address: "director@ngo.example.net" },
      to: "appeal@example.org",
      subject: "Re: x\r\nBcc: y@evil.example",
      inReplyTo: attempt.message_id,
      references: [attempt.message_id],
      date: new Date("2026-02-03T10:00:00Z"),
      text: "Thank you, we will reply.",
    })
      .compile()
      .build();
    const file = join(folder, "reply.eml");
    writeFileSync(file, reply);
    const logged = await run(["log", "--from-eml", "reply.eml", "--outcome", "acknowledged"], {
      cwd: folder,
      env: { OUTREACH_NOW: "2026-02-04T12:00:00Z" },
    });
    expect(logged.exitCode, logged.stderr).toBe(0);
    const text = readFileSync(journalPath, "utf8");
    expect(text).not.toContain("\u202e");
    expect(text).not.toMatch(/\\r|\\n/);
    const response = text
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .find((event) => event.type === "response");
    expect(response.from).toBe("EvilAdmin <director@ngo.example.net>");
    expect(response.subject).toMatch(/^Re: x\s+Bcc: y@evil\.example$/);
  });
});

describe("a reply's Date header", () => {
  it("a day that does not exist is taken as no date, never as an impossible day", () => {
    expect(writtenDay("Fri, 31 Feb 2012 10:00:00 +0000")).toBeUndefined();
    expect(writtenDay("Wed, 25 Jul 2012 10:00:00 +0000")).toBe("2012-07-25");
  });
});
