// After `inbox`: nobody who answered is chased, and `review` works through the answers — through its
// flags, and on a real terminal.
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { composeMail, dovecotPerFile } from "./dovecot.js";
import {
  inbox,
  letterId,
  letterSubject,
  NGO,
  probableBounce,
  received,
  responses,
  sentCampaign,
  UN,
} from "./inbox-support.js";
import { startSink } from "./smtp-sink.js";
import { CLI, NOW, run } from "./support.js";

const dovecot = dovecotPerFile();
const LATER = "2026-02-20T12:00:00Z";

describe("never chase someone who answered", () => {
  it("followup sends nothing to a recipient with an answer to review or a probable one, and says who and why", async () => {
    const account = await dovecot().account();
    const folder = await sentCampaign();
    await account.append(
      "INBOX",
      await composeMail({
        from: `Urgent Appeals <${UN}>`,
        to: account.user,
        subject: `Re: ${letterSubject(folder, "un-special-rapporteur")}`,
        messageId: "<answer@un.example.org>",
        inReplyTo: letterId(folder, "un-special-rapporteur"),
      }),
    );
    await account.append(
      "INBOX",
      await composeMail({
        from: NGO,
        to: account.user,
        subject: "Our reply",
        messageId: "<maybe@ngo.example.net>",
      }),
    );
    expect((await inbox(folder, account)).exitCode).toBe(0);

    const outstanding = await run(["outstanding"], { cwd: folder, env: { OUTREACH_NOW: LATER } });
    expect(outstanding.stdout).toMatch(/un-special-rapporteur .*answered, to review/);
    expect(outstanding.stdout).toMatch(/example-ngo .*answered, to review/);
    const json = JSON.parse(
      (await run(["outstanding", "--json"], { cwd: folder, env: { OUTREACH_NOW: LATER } })).stdout,
    );
    expect(json.filter((row: { state: string }) => row.state === "to-review")).toHaveLength(2);
    const status = await run(["status"], { cwd: folder, env: { OUTREACH_NOW: LATER } });
    expect(status.stdout).toContain("answered, to review 2 · in the holding pen 0");

    const sink = await startSink();
    try {
      const result = await run(["followup", "--yes"], {
        cwd: folder,
        env: { OUTREACH_SMTP_URL: sink.url, OUTREACH_NOW: LATER },
      });
      expect(result.exitCode).toBe(0);
      expect(sink.received).toEqual([]);
      const said = `${result.stdout}${result.stderr}`;
      expect(said).toContain(
        `un-special-rapporteur: an answer (Urgent Appeals <${UN}>, 2026-02-05) waits for review: outreach review`,
      );
      expect(said).toContain(
        `example-ngo: a message probably from them (${NGO}, 2026-02-05) waits for review`,
      );

      // Reviewed as an answer, the recipient is still not chased: they answered.
      const logged = await run(["log", "--reply", "<answer@un.example.org>", "--outcome", "acknowledged"], {
        cwd: folder,
        env: { OUTREACH_NOW: LATER },
      });
      expect(logged.exitCode).toBe(0);
      const again = await run(["followup", "--yes"], {
        cwd: folder,
        env: { OUTREACH_SMTP_URL: sink.url, OUTREACH_NOW: LATER },
      });
      expect(sink.received).toEqual([]);
      expect(`${again.stdout}${again.stderr}`).toContain(
        "un-special-rapporteur: they answered (acknowledged, 2026-02-05)",
      );
    } finally {
      await sink.close();
    }
  });
});

describe("outreach review, by flags", () => {
  it("assigns a holding-pen message, records its outcome with log --reply, dismisses another", async () => {
    const account = await dovecot().account();
    const folder = await sentCampaign();
    const subject = `Re: ${letterSubject(folder, "example-ngo")}`;
    await account.append(
      "INBOX",
      await composeMail({
        from: "assistant@other.example.com",
        to: account.user,
        subject,
        messageId: "<assist@other.example.com>",
      }),
    );
    await account.append(
      "INBOX",
      await composeMail({
        from: "noise@other.example.com",
        to: account.user,
        subject,
        messageId: "<noise@other.example.com>",
      }),
    );
    expect((await inbox(folder, account)).exitCode).toBe(0);
    const env = { OUTREACH_NOW: LATER };
    const listed = JSON.parse((await run(["review", "--json"], { cwd: folder, env })).stdout);
    expect(listed.holding_pen).toHaveLength(2);

    const assign = await run(["review", "--assign", "<assist@other.example.com>", "example-ngo"], {
      cwd: folder,
      env,
    });
    expect(assign.exitCode).toBe(0);
    expect(assign.stdout).toContain("Assigned <assist@other.example.com> to example-ngo (first-appeal)");
    const dismiss = await run(["review", "--dismiss", "noise@other.example.com"], { cwd: folder, env });
    expect(dismiss.exitCode).toBe(0);
    const after = JSON.parse((await run(["review", "--json"], { cwd: folder, env })).stdout);
    expect(after.holding_pen).toEqual([]);
    expect(after.queue).toMatchObject([
      { message_id: "<assist@other.example.com>", recipient: "example-ngo", match: "assigned" },
    ]);

    const logged = await run(
      [
        "log",
        "example-ngo",
        "--reply",
        "<assist@other.example.com>",
        "--outcome",
        "meeting",
        "--note",
        "Call on Monday",
      ],
      { cwd: folder, env },
    );
    expect(logged.exitCode).toBe(0);
    expect(responses(folder)).toMatchObject([
      {
        recipient: "example-ngo",
        outcome: "meeting",
        note: "Call on Monday",
        message_id: "<assist@other.example.com>",
      },
    ]);
    expect(JSON.parse((await run(["review", "--json"], { cwd: folder, env })).stdout).queue).toEqual([]);
    // The recipient's history tells the whole story: the message, the decision, the outcome.
    const story = (await run(["history", "example-ngo"], { cwd: folder, env })).stdout;
    expect(story).toMatch(
      /2026-02-05 {2}first-appeal {2}answer received from assistant@other\.example\.com: "Re: [^"]+"; assigned to them in review\n/,
    );
    expect(story).toContain("decided in review: <assist@other.example.com> is theirs");
    expect(story).toMatch(/answer: meeting by email .*— Call on Monday/);
    expect(story).not.toContain("noise@other.example.com");
    const unknown = await run(["review", "--dismiss", "<nope@x>"], { cwd: folder, env });
    expect(unknown.exitCode).toBe(2);
  });
});

/** Runs the CLI on a real pseudo-terminal (util-linux `script`), answering prompts as they appear. */
function onTerminal(cwd: string, args: string[], env: Record<string, string>) {
  const command = ["node", CLI, ...args].map((part) => `'${part.replace(/'/g, "'\\''")}'`).join(" ");
  const child = spawn("script", ["-qefc", command, "/dev/null"], {
    cwd,
    env: { ...process.env, NO_COLOR: "1", OUTREACH_NOW: NOW, TERM: "xterm", COLUMNS: "120", ...env },
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? -1)));
  return {
    get output() {
      return output;
    },
    async answer(waitFor: string, keys: string) {
      const deadline = Date.now() + 15_000;
      const seen = output.length;
      while (!output.slice(seen > 200 ? seen - 200 : 0).includes(waitFor) && !output.includes(waitFor)) {
        if (Date.now() > deadline) throw new Error(`no "${waitFor}" on the terminal:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
      const shown = output;
      output = "";
      child.stdin.write(keys);
      return shown;
    },
    exited,
  };
}

describe("outreach review, on a terminal", () => {
  it("records an answer's outcome and note; assigns messages no letter claims by searching id, organisation or address; dismisses a stranger's", async () => {
    const account = await dovecot().account();
    const folder = await sentCampaign();
    await account.append(
      "INBOX",
      await composeMail({
        from: `Urgent Appeals <${UN}>`,
        to: account.user,
        subject: "Re: Appeal",
        messageId: "<tty@un.example.org>",
        inReplyTo: letterId(folder, "un-special-rapporteur"),
        text: "We can meet on 12 February.\n\nOn 1 Feb 2026, Your Name wrote:\n> Dear Special Rapporteur,\n> the quoted appeal",
      }),
    );
    // Three messages no letter claims, from a colleague of the NGO's, each to be found another way.
    const searches = [
      ["by address", "press@ngo"],
      ["by organisation", "Human Rights"],
      ["by id", "example-n"],
    ];
    for (const [n] of searches.entries()) {
      await account.append(
        "INBOX",
        await composeMail({
          from: `colleague${n}@elsewhere.example.com`,
          to: account.user,
          subject: `Re: ${letterSubject(folder, "example-ngo")}`,
          messageId: `<colleague-${n}@elsewhere.example.com>`,
        }),
      );
    }
    await account.append(
      "INBOX",
      await composeMail({
        from: "x@stranger.example.com",
        to: account.user,
        subject: `Re: ${letterSubject(folder, "example-ngo")}`,
        messageId: "<stranger@stranger.example.com>",
      }),
    );
    expect((await inbox(folder, account)).exitCode).toBe(0);
    expect(received(folder)).toHaveLength(5);

    const DOWN = "\u001b[B";
    const terminal = onTerminal(folder, ["review"], { OUTREACH_NOW: LATER });
    await terminal.answer("What is it?", "\r");
    await terminal.answer("What was the answer?", `${DOWN}${DOWN}${DOWN}\r`);
    await terminal.answer("A note", "Meeting on 12 February\r");
    for (const [, term] of searches) {
      // Assign it: the search lists the recipients whose id, organisation or address holds what is typed;
      // unfiltered, the first would be un-special-rapporteur.
      await terminal.answer("What is it?", "\r");
      await terminal.answer("Which recipient sent it?", term as string);
      const listed = await terminal.answer("example-ngo — Example Human Rights Association", "\r");
      expect(listed).toContain(term);
      await terminal.answer("What was the answer?", "\r");
      await terminal.answer("A note", "\r");
    }
    await terminal.answer("What is it?", `${DOWN}\r`);
    const code = await terminal.exited;
    expect(code).toBe(0);
    expect(responses(folder)).toMatchObject([
      {
        recipient: "un-special-rapporteur",
        outcome: "meeting",
        note: "Meeting on 12 February",
        message_id: "<tty@un.example.org>",
      },
      ...searches.map((_, n) => ({
        recipient: "example-ngo",
        outcome: "acknowledged",
        message_id: `<colleague-${n}@elsewhere.example.com>`,
      })),
    ]);
    expect(JSON.parse((await run(["review", "--json"], { cwd: folder })).stdout)).toEqual({
      queue: [],
      holding_pen: [],
    });
  });

  it("a probable bounce is recorded with one choice: the first, which says it is their letter that bounced", async () => {
    // A relay rewrote the quoted Message-ID: only the failed address says whose letter it was.
    const folder = await probableBounce(await dovecot().account(), UN, LATER);
    expect(responses(folder)).toEqual([]);
    const terminal = onTerminal(folder, ["review"], { OUTREACH_NOW: LATER });
    // Wait for the last choice: the list is drawn whole by then (the first wraps at the terminal's width).
    const shown = await terminal.answer("stop reviewing", "\r");
    expect(shown).toContain(
      "❯ yes, it is their letter that bounced: record the bounce for un-special-rapport",
    );
    expect(shown).toContain("probably un-special-rapporteur (first-appeal): a probable bounce");
    expect(shown).toContain("answers  no letter named\r\n");
    expect(await terminal.exited).toBe(0);
    expect(terminal.output).toContain("no address of theirs is left");
    expect(responses(folder).map((event) => [event.recipient, event.outcome])).toEqual([
      ["un-special-rapporteur", "bounced"],
    ]);
    expect(JSON.parse((await run(["review", "--json"], { cwd: folder })).stdout).queue).toEqual([]);
  });

  it("shows the reply's own words without the quoted original", async () => {
    const account = await dovecot().account();
    const folder = await sentCampaign();
    await account.append(
      "INBOX",
      await composeMail({
        from: UN,
        to: account.user,
        subject: "Re: Appeal",
        messageId: "<words@un.example.org>",
        inReplyTo: letterId(folder, "un-special-rapporteur"),
        text: "Noted, thank you.\n\nOn 1 Feb 2026, Your Name wrote:\n> QUOTED-ORIGINAL",
      }),
    );
    expect((await inbox(folder, account)).exitCode).toBe(0);
    const terminal = onTerminal(folder, ["review"], { OUTREACH_NOW: LATER });
    const DOWN = "\u001b[B";
    // Left for later (the fourth choice): nothing is recorded.
    const shown = await terminal.answer("What is it?", `${DOWN}${DOWN}${DOWN}\r`);
    expect(shown).toContain("Noted, thank you.");
    expect(shown).not.toContain("QUOTED-ORIGINAL");
    expect(shown).toContain(`from     ${UN}`);
    expect(shown).toMatch(/answers {2}the appeal to un-special-rapporteur of 2026-02-01/);
    expect(await terminal.exited).toBe(0);
    expect(responses(folder)).toEqual([]);
  });
});
