// `inbox --watch` against a real Dovecot: an answer arriving while it runs is recorded and shown at once,
// a server that goes away and comes back is connected to again, and Ctrl-C ends it with exit code 130.
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { composeMail, dovecotPerFile } from "./dovecot.js";
import { letterId, NGO, received, sentCampaign, UN } from "./inbox-support.js";
import { CLI, NOW } from "./support.js";

const dovecot = dovecotPerFile();

async function until(check: () => boolean, what: () => string, timeout = 20_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("outreach inbox --watch", () => {
  it("records a reply that arrives while it runs, reconnects after the server restarts, and exits 130 on Ctrl-C", async () => {
    const server = dovecot();
    const account = await server.account();
    const folder = await sentCampaign();
    const child = spawn("node", [CLI, "inbox", "--watch"], {
      cwd: folder,
      env: { ...process.env, ...account.env(), NO_COLOR: "1", OUTREACH_NOW: NOW },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      await until(
        () => stderr.includes("Watching INBOX"),
        () => stderr,
      );
      await account.append(
        "INBOX",
        await composeMail({
          from: UN,
          to: account.user,
          subject: "Re: Appeal",
          messageId: "<live@un.example.org>",
          inReplyTo: letterId(folder, "un-special-rapporteur"),
        }),
      );
      await until(
        () => stdout.includes("un-special-rapporteur"),
        () => `${stdout}\n${stderr}`,
      );
      expect(stdout).toMatch(/un-special-rapporteur +answer received, to review/);
      expect(received(folder).map((event) => event.message_id)).toEqual(["<live@un.example.org>"]);

      await server.stop();
      await until(
        () => stderr.includes("was lost; connecting again"),
        () => stderr,
      );
      await server.start();
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      await account.append(
        "INBOX",
        await composeMail({
          from: NGO,
          to: account.user,
          subject: "Re: Appeal",
          messageId: "<after-restart@ngo.example.net>",
          inReplyTo: letterId(folder, "example-ngo"),
        }),
      );
      await until(
        () => stdout.includes("example-ngo"),
        () => `${stdout}\n${stderr}`,
        40_000,
      );
      child.kill("SIGINT");
      expect(await exited).toBe(130);
      expect(received(folder).map((event) => event.message_id)).toEqual([
        "<live@un.example.org>",
        "<after-restart@ngo.example.net>",
      ]);
    } finally {
      child.kill("SIGKILL");
    }
  }, 90_000);
});
