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

/** Rewrites the snapshot's body (keeping it whole and its hash right) so that body-0's letter reads as failed. */
function forge(folder: string): void {
  const path = join(folder, SNAPSHOT);
  const text = readFileSync(path, "utf8");
  const split = text.indexOf("\n");
  const header = JSON.parse(text.slice(0, split));
  const body = JSON.parse(text.slice(split + 1));
  const entry = body.deliveries.find(([key]: [string]) => key.includes("body-0"));
  entry[1].status = "failed";
  entry[1].error = "FORGED";
  const newBody = JSON.stringify(body);
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

  it("is not used for a truncated journal, a torn last line, or events appended by another run", async () => {
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

    writeFileSync(path, whole);
    await cli(folder, ["status"]);
    forge(folder);
    // Another process (a clone's answer, merged in) appends an event.
    const logged = await run(["log", "body-3", "--outcome", "declined", "--date", "2026-02-07"], {
      cwd: folder,
      env: { OUTREACH_NOW: "2026-02-08T09:00:00Z" },
    });
    expect(logged.exitCode).toBe(0);
    const appended = await outputs(folder);
    expect(appended.join("")).not.toContain("FORGED");
    expect(appended).toEqual(await withoutSnapshot(folder));
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
