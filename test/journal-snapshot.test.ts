// The snapshot of derived tracking state (.outreach/cache/journal-state.json) is a cache: every command that
// reports from the journal prints the same bytes with it, without it, and with any stale, foreign, damaged or
// unwritable one. To prove a snapshot is really read, a test forges a valid one that says something the
// journal does not: where it must be used the output shows the forgery, everywhere else it must not.
import { createHash } from "node:crypto";
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sinkPerTest } from "./smtp-sink.js";
import { campaignFolder, canMountTmpfs, fillUp, mountTmpfs, run, unBodies } from "./support.js";

const sink = sinkPerTest();
const NOW = "2026-03-01T12:00:00Z";
const CACHE = join(".outreach", "cache");
const SNAPSHOT = join(CACHE, "journal-state.json");
const JOURNAL = join(".outreach", "journal.jsonl");

/** Every command that reads the derived state, as a user runs it, with --json where it has one. */
const COMMANDS = [
  ["status"],
  ["status", "--json"],
  ["outstanding"],
  ["outstanding", "--json"],
  ["export"],
  ["export", "--format", "json"],
  ["report"],
  ["calendar"],
  ["calendar", "--json"],
];

const cli = (folder: string, args: string[], env: Record<string, string> = {}) =>
  run(args, { cwd: folder, env: { OUTREACH_NOW: NOW, ...env } });

/** A campaign with letters sent over SMTP on 1 February and one answer logged. */
async function trackedCampaign(): Promise<string> {
  const server = await sink();
  const folder = campaignFolder({ "recipients/many.yaml": unBodies(6) });
  const env = { OUTREACH_SMTP_URL: server.url, OUTREACH_NOW: "2026-02-01T09:00:00Z" };
  expect((await run(["send", "--yes"], { cwd: folder, env })).exitCode).toBe(0);
  const logged = await run(["log", "body-2", "--outcome", "acknowledged", "--date", "2026-02-05"], {
    cwd: folder,
    env: { OUTREACH_NOW: "2026-02-06T09:00:00Z" },
  });
  expect(logged.exitCode).toBe(0);
  return folder;
}

/** What every command prints (stdout, stderr and exit code), one string per command. */
async function outputs(folder: string, env: Record<string, string> = {}): Promise<string[]> {
  const all: string[] = [];
  for (const args of COMMANDS) {
    const result = await cli(folder, args, env);
    all.push(`${args.join(" ")}\n${result.exitCode}\n${result.stdout}\n--stderr--\n${result.stderr}`);
  }
  return all;
}

/** The outputs with no snapshot before each command (each writes one, which the next removes). */
async function withoutSnapshot(folder: string): Promise<string[]> {
  const all: string[] = [];
  for (const args of COMMANDS) {
    rmSync(join(folder, SNAPSHOT), { force: true });
    const result = await cli(folder, args);
    all.push(`${args.join(" ")}\n${result.exitCode}\n${result.stdout}\n--stderr--\n${result.stderr}`);
  }
  rmSync(join(folder, SNAPSHOT), { force: true });
  return all;
}

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("base64url");

/**
 * Rewrites the snapshot's body (keeping it whole and its hash right) so that body-0's letter, settled as sent,
 * reads as failed with the server's words "FORGED".
 */
function forge(folder: string): void {
  const path = join(folder, SNAPSHOT);
  const text = readFileSync(path, "utf8");
  const split = text.indexOf("\n");
  const header = JSON.parse(text.slice(0, split));
  // The body: a line of all but the letters, then a line per letter.
  const lines = text.slice(split + 1).split("\n");
  const at = lines.findIndex(
    (line, index) => index > 0 && JSON.parse(line)[0].includes("body-0\u0000appeal"),
  );
  const [key, letter] = JSON.parse(lines[at] as string);
  const { fold } = letter.settled;
  fold.sentByEmail = false;
  fold.delivery.copies = [];
  fold.latestFailure = {
    v: 1,
    id: "forged",
    at: "2026-02-01T09:00:00.000Z",
    campaign: fold.delivery.campaign,
    recipient: "body-0",
    type: "failed",
    attempt: "forged",
    message_id: "<forged@x>",
    kind: "permanent",
    code: 550,
    response: "550 FORGED",
  };
  lines[at] = JSON.stringify([key, letter]);
  const newBody = lines.join("\n");
  header.body = sha256(newBody);
  writeFileSync(path, `${JSON.stringify(header)}\n${newBody}`);
}

/** A folder whose state commands read a forged snapshot of its journal as it is now. */
async function forgedFolder(): Promise<{ folder: string; forgedStatus: string }> {
  const folder = await trackedCampaign();
  const plain = await cli(folder, ["status", "--json"]);
  forge(folder);
  const forged = await cli(folder, ["status", "--json"]);
  // The forgery shows: the snapshot is what the command read.
  expect(forged.stdout).not.toBe(plain.stdout);
  return { folder, forgedStatus: forged.stdout };
}

// Each test runs every reporting command several times over: minutes on a loaded machine, not a timing.
describe("the journal-state snapshot", { timeout: 240_000 }, () => {
  it("is written by the first run and read by later ones, and every command prints the same either way", async () => {
    const folder = await trackedCampaign();
    const cold = await withoutSnapshot(folder);
    expect(existsSync(join(folder, SNAPSHOT))).toBe(false);
    await cli(folder, ["status"]);
    expect(existsSync(join(folder, SNAPSHOT))).toBe(true);
    expect(await outputs(folder)).toEqual(cold);
    // And it was read, not rebuilt: a forged one shows in every command's output.
    forge(folder);
    const forged = await outputs(folder);
    for (const [index, output] of forged.entries())
      expect(output, COMMANDS[index]?.join(" ")).not.toBe(cold[index]);
  });

  it("is not used for a journal rewritten to the same length", async () => {
    const { folder } = await forgedFolder();
    const journal = readFileSync(join(folder, JOURNAL), "utf8");
    // The same length, other bytes: the logged answer's date moves a day.
    const rewritten = journal.replace('"date":"2026-02-05"', '"date":"2026-02-04"');
    expect(rewritten).not.toBe(journal);
    expect(rewritten.length).toBe(journal.length);
    writeFileSync(join(folder, JOURNAL), rewritten);
    const warm = await outputs(folder);
    expect(warm.join("")).not.toContain("FORGED");
    expect(warm).toEqual(await withoutSnapshot(folder));
  });

  it("is not used for a truncated journal or a torn last line", async () => {
    const { folder } = await forgedFolder();
    const path = join(folder, JOURNAL);
    const whole = readFileSync(path);
    const lines = whole.toString("utf8").split("\n");
    const keep = Buffer.byteLength(`${lines.slice(0, -2).join("\n")}\n`);

    truncateSync(path, keep); // the last event gone
    const truncated = await outputs(folder);
    expect(truncated.join("")).not.toContain("FORGED");
    expect(truncated).toEqual(await withoutSnapshot(folder));

    writeFileSync(path, whole);
    await cli(folder, ["status"]);
    forge(folder);
    appendFileSync(path, '{"type":"response","id":"cut'); // a torn last line
    const torn = await outputs(folder);
    expect(torn.join("")).not.toContain("FORGED");
    expect(torn.join("")).toContain("is cut off");
    expect(torn).toEqual(await withoutSnapshot(folder));
    expect(existsSync(join(folder, SNAPSHOT))).toBe(false); // a torn journal's state is never kept
  });

  it("is not used when corrupt, hand-edited, of another code version, or of another campaign's journal", async () => {
    const { folder } = await forgedFolder();
    const other = await trackedCampaign();
    await cli(other, ["status"]);
    const path = join(folder, SNAPSHOT);
    const forged = readFileSync(path, "utf8");
    const split = forged.indexOf("\n");
    const header = JSON.parse(forged.slice(0, split));
    const cases: [string, string][] = [
      ["corrupt", "not json at all\n{"],
      ["cut short", forged.slice(0, forged.length - 10)],
      ["empty", ""],
      ["hand-edited body", forged.replace("FORGED", "EDITED")],
      ["another code version", `${JSON.stringify({ ...header, code: "older" })}\n${forged.slice(split + 1)}`],
      ["another format", `${JSON.stringify({ ...header, format: 0 })}\n${forged.slice(split + 1)}`],
      ["another journal", readFileSync(join(other, SNAPSHOT), "utf8")],
    ];
    const cold = await withoutSnapshot(folder);
    for (const [name, text] of cases) {
      writeFileSync(path, text);
      const warm = await outputs(folder);
      expect(warm, name).toEqual(cold);
    }
  });

  it("a cache folder that cannot be written changes nothing and says nothing", async () => {
    const folder = await trackedCampaign();
    const cold = await withoutSnapshot(folder);
    // Where the cache folder should be is a file: neither the snapshot nor its draft can be made (as root too).
    rmSync(join(folder, CACHE), { recursive: true, force: true });
    writeFileSync(join(folder, CACHE), "in the way");
    expect(await outputs(folder)).toEqual(cold);
    expect(readFileSync(join(folder, CACHE), "utf8")).toBe("in the way");
  });

  it.runIf(canMountTmpfs())("a full disk leaves no snapshot and no draft, and changes nothing", async () => {
    const folder = await trackedCampaign();
    const cold = await withoutSnapshot(folder);
    const cache = join(folder, CACHE);
    const kept = join(folder, "kept-cache");
    cpSync(cache, kept, { recursive: true });
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(cache);
    expect(mountTmpfs(cache, 64)).toBe(true);
    cpSync(join(kept, "folder.json"), join(cache, "folder.json"));
    fillUp(join(cache, "filler"), 200); // room for the start of a snapshot, not all of it
    expect(await outputs(folder)).toEqual(cold);
    expect(readdirSync(cache).sort()).toEqual(["filler", "folder.json"]);
  });

  it("keeps uncertain letters uncertain (no send running)", async () => {
    const folder = await trackedCampaign();
    // A letter handed over with no answer recorded: uncertain with no send running.
    const journal = readFileSync(join(folder, JOURNAL), "utf8").split("\n");
    const sentLine = journal.findIndex((line) => line.includes('"type":"sent"') && line.includes("body-1"));
    const attemptOf = JSON.parse(journal[sentLine] as string).attempt;
    expect(attemptOf).toBeTruthy();
    journal.splice(sentLine, 1);
    writeFileSync(join(folder, JOURNAL), journal.join("\n"));
    const cold = await withoutSnapshot(folder);
    expect(cold.join("")).toContain("uncertain");
    await cli(folder, ["status"]);
    expect(await outputs(folder)).toEqual(cold);
  });
});

/** The commands that show all of the derived state, to compare after each kind of appended event. */
const STATE_COMMANDS = [
  ["status"],
  ["status", "--json"],
  ["outstanding", "--json"],
  ["export", "--format", "json"],
  ["calendar", "--json"],
];

async function stateOutputs(folder: string, fresh = false): Promise<string[]> {
  const all: string[] = [];
  for (const args of STATE_COMMANDS) {
    if (fresh) rmSync(join(folder, SNAPSHOT), { force: true });
    const result = await cli(folder, args);
    all.push(`${args.join(" ")}\n${result.exitCode}\n${result.stdout}\n--stderr--\n${result.stderr}`);
  }
  if (fresh) rmSync(join(folder, SNAPSHOT), { force: true });
  return all;
}

type Line = Record<string, unknown>;
const journalLines = (folder: string): Line[] =>
  readFileSync(join(folder, JOURNAL), "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line));
const lineOf = (folder: string, type: string, recipient: string): Line => {
  const line = journalLines(folder).find((event) => event.type === type && event.recipient === recipient);
  if (!line) throw new Error(`no ${type} for ${recipient}`);
  return line;
};
const followupAttempt = (folder: string, recipient: string): Line =>
  journalLines(folder).find(
    (line) => line.type === "attempt" && line.recipient === recipient && line.stage === "followup-1",
  ) as Line;
const appendLines = (folder: string, lines: Line[]) =>
  appendFileSync(join(folder, JOURNAL), lines.map((line) => `${JSON.stringify(line)}\n`).join(""));

let added = 0;
/** An event as outreach would write it, for a recipient of the tracked campaign, on 20 February. */
function event(folder: string, type: string, recipient: string, fields: Line = {}): Line {
  const { campaign } = journalLines(folder)[0] as { campaign: string };
  added++;
  return { type, v: 1, id: `added-${added}`, at: "2026-02-20T09:00:00.000Z", campaign, recipient, ...fields };
}
function attempt(folder: string, recipient: string, fields: Line = {}): Line {
  return event(folder, "attempt", recipient, {
    stage: "followup-1",
    message_id: `<added-${added + 1}@example.org>`,
    transport: "smtp",
    to: [`${recipient}@example.org`],
    cc: [],
    subject: "Re: the appeal",
    try: 1,
    ...fields,
  });
}
const answer = (folder: string, type: string, of: Line, fields: Line = {}) =>
  event(folder, type, of.recipient as string, { attempt: of.id, message_id: of.message_id, ...fields });
const sent = (folder: string, of: Line) =>
  answer(folder, "sent", of, { response: "250 ok", accepted: of.to, rejected: [] });

/**
 * A change to a tracked folder whose snapshot is up to date, made on it and on a copy whose snapshot is forged
 * (body-0's letter failed): afterwards every command prints on the folder what it prints with no snapshot,
 * and on the copy the forgery shows when the snapshot was carried over the change (`carried`), and does not
 * when the journal was read again.
 */
async function afterChange(
  prepare: (folder: string) => Promise<void> | void,
  change: (folder: string) => Promise<void> | void,
  carried: boolean,
): Promise<string> {
  const folder = await trackedCampaign();
  await prepare(folder);
  await cli(folder, ["status"]);
  const twin = join(folder, "..", `${folder.split("/").pop()}-twin`);
  cpSync(folder, twin, { recursive: true });
  forge(twin);
  await change(folder);
  await change(twin);
  const warm = await stateOutputs(folder);
  expect(warm).toEqual(await stateOutputs(folder, true));
  // The forged letter reads as failed on the copy when its snapshot was carried, and as sent when it was not.
  const forged = await cli(twin, ["status", "--json"]);
  const real = await cli(folder, ["status", "--json"]);
  if (carried) {
    expect(forged.stdout).not.toBe(real.stdout);
    expect(JSON.parse(forged.stdout)[0].failed).toBe(JSON.parse(real.stdout)[0].failed + 1);
    // And kept for the longer journal: the next run reads it as it is.
    const header = JSON.parse(readFileSync(join(twin, SNAPSHOT), "utf8").split("\n")[0] as string);
    expect(header.length).toBe(readFileSync(join(twin, JOURNAL)).length);
  } else {
    expect(forged.stdout).toBe(real.stdout);
  }
  return folder;
}

const nothing = () => {};
/** A follow-up to body-5 handed over with no answer recorded: uncertain, and open in the snapshot. */
const unanswered = (folder: string) => appendLines(folder, [attempt(folder, "body-5")]);
/** A follow-up to body-1 that failed: settled in the snapshot. */
const failedFollowup = (folder: string) => {
  const tried = attempt(folder, "body-1");
  appendLines(folder, [
    tried,
    answer(folder, "failed", tried, { kind: "transient", code: 421, response: "421 try later" }),
  ]);
};

describe("the snapshot carried over appended events", { timeout: 240_000 }, () => {
  it("a follow-up round sent by followup", async () => {
    const server = await sink();
    const env = { OUTREACH_SMTP_URL: server.url };
    await afterChange(
      nothing,
      async (folder) => {
        expect((await cli(folder, ["followup", "--yes"], env)).exitCode).toBe(0);
      },
      true,
    );
  });

  it("attempts answered sent, failed and uncertain, and one with no answer", async () => {
    await afterChange(
      nothing,
      (folder) => {
        const [one, two, three, four] = ["body-1", "body-3", "body-4", "body-5"].map((id) =>
          attempt(folder, id),
        );
        appendLines(folder, [
          one as Line,
          two as Line,
          three as Line,
          four as Line,
          sent(folder, one as Line),
          answer(folder, "failed", two as Line, {
            kind: "permanent",
            code: 550,
            response: "550 no such user",
          }),
          answer(folder, "uncertain", three as Line, { reason: "the connection dropped after the data" }),
        ]);
      },
      true,
    );
  });

  it("an answer logged, and a letter delivered by hand", async () => {
    await afterChange(
      nothing,
      async (folder) => {
        const env = { OUTREACH_NOW: "2026-02-20T09:00:00Z" };
        const logged = await run(["log", "body-3", "--outcome", "meeting", "--date", "2026-02-19"], {
          cwd: folder,
          env,
        });
        expect(logged.exitCode).toBe(0);
        const byHand = await run(
          ["log", "body-4", "--sent-by", "web-form", "--followup", "--date", "2026-02-19"],
          { cwd: folder, env },
        );
        expect(byHand.exitCode).toBe(0);
      },
      true,
    );
  });

  it("messages inbox took in, and a person's decision about one", async () => {
    await afterChange(
      nothing,
      (folder) => {
        const letter = lineOf(folder, "attempt", "body-1");
        appendLines(folder, [
          event(folder, "received", "body-1", {
            message_id: "<answer-1@un.example.org>",
            kind: "answer",
            match: "reply",
            in_reply_to: letter.message_id,
            date: "2026-02-19",
            from: "desk@un.example.org",
          }),
          {
            ...event(folder, "received", ""),
            campaign: "",
            message_id: "<stray@x>",
            kind: "answer",
            match: "unmatched",
          },
          event(folder, "triaged", "body-4", { message_id: "<stray@x>", action: "assign" }),
        ]);
      },
      true,
    );
  });

  it("a decision about an uncertain letter (resolve)", async () => {
    await afterChange(
      unanswered,
      async (folder) => {
        expect((await cli(folder, ["resolve", "body-5", "--sent"])).exitCode).toBe(0);
      },
      true,
    );
  });

  it("the server's answer to an attempt the snapshot holds without one", async () => {
    await afterChange(
      unanswered,
      (folder) => appendLines(folder, [sent(folder, followupAttempt(folder, "body-5"))]),
      true,
    );
  });

  it("a retry of a letter that failed, sent", async () => {
    await afterChange(
      failedFollowup,
      (folder) => {
        const failed = followupAttempt(folder, "body-1");
        const retry = attempt(folder, "body-1", {
          message_id: failed.message_id,
          try: 2,
          at: "2026-02-21T09:00:00.000Z",
        });
        appendLines(folder, [retry, sent(folder, retry)]);
      },
      true,
    );
  });

  it("is not carried over a second answer to a settled attempt (a line copied by a merge)", async () => {
    await afterChange(nothing, (folder) => appendLines(folder, [lineOf(folder, "sent", "body-1")]), false);
  });

  it("is not carried over an attempt older than the settled ones of its letter", async () => {
    await afterChange(
      nothing,
      (folder) => {
        const older = attempt(folder, "body-1", { stage: undefined, at: "2026-01-15T09:00:00.000Z" });
        delete older.stage;
        appendLines(folder, [older, sent(folder, older)]);
      },
      false,
    );
  });

  it("is not carried over a decision about a letter that failed", async () => {
    await afterChange(
      failedFollowup,
      (folder) => {
        const failed = followupAttempt(folder, "body-1");
        appendLines(folder, [
          event(folder, "resolved", "body-1", { message_id: failed.message_id, outcome: "sent" }),
        ]);
      },
      false,
    );
  });

  it("is not carried when the journal's first bytes changed (same length) and events were appended", async () => {
    await afterChange(
      nothing,
      (folder) => {
        const path = join(folder, JOURNAL);
        const journal = readFileSync(path, "utf8");
        const rewritten = journal.replace('"date":"2026-02-05"', '"date":"2026-02-04"');
        expect(rewritten).not.toBe(journal);
        writeFileSync(path, rewritten);
        appendLines(folder, [
          event(folder, "response", "body-3", { outcome: "declined", date: "2026-02-19", channel: "email" }),
        ]);
      },
      false,
    );
  });

  it("is not carried over a damaged appended line: the error names its line in the journal", async () => {
    const folder = await afterChange(
      nothing,
      (folder) => {
        appendLines(folder, [
          event(folder, "response", "body-3", { outcome: "declined", date: "2026-02-19", channel: "email" }),
          { type: "nonsense" },
          event(folder, "response", "body-4", { outcome: "meeting", date: "2026-02-19", channel: "email" }),
        ]);
      },
      false,
    );
    const lines = readFileSync(join(folder, JOURNAL), "utf8").split("\n").length - 1;
    const status = await cli(folder, ["status"]);
    expect(status.exitCode).toBe(1);
    expect(status.stderr).toContain(`damaged at line ${lines - 1}`);
  });
});
