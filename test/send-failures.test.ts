// Failure modes of `outreach send` against a real SMTP server in the test process: what arrives at the server,
// what the journal holds, what is printed and the exit code, when the server, the network, the disk, the user
// or a second run get in the way. The promises under test are in PRODUCT.md ("Promises", "The journal").
import { execFileSync } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import { parse, type Sink, type SinkOptions, startSink } from "./smtp-sink.js";
import { CLI, type CliResult, campaignFolder, NOW, STARTER } from "./support.js";

const UN = "urgent-appeals@un.example.org";
const NGO = "director@ngo.example.net";
const NGO_CC = "press@ngo.example.net";
const UN_SUBJECT = "Appeal: UN Special Rapporteur on an example mandate, please act now";
const STARTER_YAML = readFileSync(join(STARTER, "outreach.yaml"), "utf8");

/** Fast retries, and one connection so that letters go in file order (un-special-rapporteur first). */
const FAST_ONE_LANE = { retries: 2, retry_delay: "10ms", connections: 1 };

type JournalLine = Record<string, unknown> & { type: string; recipient: string; message_id?: string };

const sinks: Sink[] = [];
const children: ResultPromise[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null) child.kill("SIGKILL");
    await child.catch(() => undefined);
  }
  for (const sink of sinks.splice(0)) {
    sink.release();
    await Promise.race([sink.close(), sleep(2_000)]);
  }
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` for at most `ms`; fails at once if the watched send exits before it holds. */
async function waitFor(
  condition: () => boolean,
  what: string,
  running?: { exited(): boolean; stderr(): string },
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (running?.exited()) {
      throw new Error(`the send exited before ${what}; it printed:\n${running.stderr()}`);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(15);
  }
}

async function sink(options: SinkOptions = {}): Promise<Sink> {
  const started = await startSink(options);
  sinks.push(started);
  return started;
}

/** The starter campaign with a `transport:` block (and any other files). */
function folderWith(
  transport: Record<string, string | number> = {},
  files: Record<string, string | Buffer | null> = {},
): string {
  const entries = Object.entries(transport);
  const block = entries.length
    ? `\ntransport:\n${entries.map(([key, value]) => `  ${key}: ${value}`).join("\n")}\n`
    : "";
  return campaignFolder({ "outreach.yaml": `${STARTER_YAML}${block}`, ...files });
}

/**
 * Runs the built CLI as support.run() does (NO_COLOR, OUTREACH_NOW), but bounded by `ms` so that a hanging
 * command fails its test quickly instead of eating the file's time budget.
 */
async function run(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; ms?: number },
): Promise<CliResult & { timedOut: boolean }> {
  const result = await execa("node", [CLI, ...args], {
    cwd: options.cwd,
    reject: false,
    env: { NO_COLOR: "1", OUTREACH_NOW: NOW, ...options.env },
    extendEnv: true,
    stdin: "ignore",
    timeout: options.ms ?? 8_000,
  });
  return {
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
    timedOut: Boolean(result.timedOut),
  };
}

/** The exit code, with what was printed in the failure message. */
function expectExit(result: CliResult & { timedOut?: boolean }, code: number): void {
  const told = `${result.timedOut ? "[did not exit: killed by the test's timeout]\n" : ""}stdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
  expect.soft(result.exitCode, told).toBe(code);
}

function smtpEnv(server: Sink, extra: Record<string, string> = {}): Record<string, string> {
  return { OUTREACH_SMTP_URL: server.url, ...extra };
}

function send(folder: string, server: Sink, args: string[] = [], env: Record<string, string> = {}) {
  return run(["send", "--yes", ...args], { cwd: folder, env: smtpEnv(server, env) });
}

/** Every event of the journal; fails the test if any line is not JSON. */
function journal(folder: string): JournalLine[] {
  const path = join(folder, ".outreach", "journal.jsonl");
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as JournalLine);
}

function eventsFor(folder: string, recipient: string): JournalLine[] {
  return journal(folder).filter((event) => event.recipient === recipient);
}

/** Messages whose data reached the server and that the server did not refuse, addressed (envelope) to `address`. */
function arrivals(server: Sink, address: string) {
  return server.received.filter(
    (message) => typeof message.answer === "string" && message.to.includes(address),
  );
}

function offers(server: Sink, address: string): number {
  return server.recipients.filter((offered) => offered === address).length;
}

/** A long-running `outreach send --yes` whose stderr can be watched while it runs. */
function startSend(folder: string, env: Record<string, string>, args: string[] = []) {
  const child = execa("node", [CLI, "send", "--yes", ...args], {
    cwd: folder,
    reject: false,
    env: { NO_COLOR: "1", OUTREACH_NOW: NOW, ...env },
    extendEnv: true,
    stdin: "ignore",
    timeout: 30_000,
  });
  children.push(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  return { child, stderr: () => stderr, exited };
}

async function finished(child: ResultPromise, ms = 15_000) {
  const result = await Promise.race([
    child,
    sleep(ms).then(() => {
      throw new Error(`the send did not finish within ${ms} ms`);
    }),
  ]);
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

function filesBelow(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe("send: transient and permanent refusals", () => {
  it("1. a 421 on the first try is retried: the letter arrives once, failed(transient 421) then sent, exit 0", async () => {
    const server = await sink({
      onMailFrom: (count) => (count === 0 ? { code: 421, message: "4.3.2 Try again later" } : undefined),
    });
    const folder = folderWith(FAST_ONE_LANE);
    const result = await send(folder, server);
    expectExit(result, 0);
    expect(result.stderr).toContain("421");
    expect(arrivals(server, UN)).toHaveLength(1);
    expect(arrivals(server, NGO)).toHaveLength(1);
    expect(server.received).toHaveLength(2);

    const events = eventsFor(folder, "un-special-rapporteur");
    expect(events.map((event) => event.type)).toEqual(["attempt", "failed", "attempt", "sent"]);
    expect(events[1]).toMatchObject({ kind: "transient", code: 421 });
    expect(events.map((event) => event.try)).toEqual([1, undefined, 2, undefined]);
    const messageIds = new Set(events.map((event) => event.message_id));
    expect(messageIds.size).toBe(1);

    const email = await parse(arrivals(server, UN)[0] as Sink["received"][number]);
    expect(email.subject).toBe(UN_SUBJECT);
    expect(email.messageId).toBe(events[0]?.message_id);
  });

  it("1b. a 421 answering the data is retried: one copy is accepted, the journal shows failed(transient 421) then sent, exit 0", async () => {
    const server = await sink({
      onData: (index) => (index === 0 ? { code: 421, message: "4.3.2 Service busy, closing" } : "accept"),
    });
    const folder = folderWith(FAST_ONE_LANE);
    const result = await send(folder, server);
    expectExit(result, 0);
    expect(arrivals(server, UN)).toHaveLength(1);
    expect(arrivals(server, NGO)).toHaveLength(1);
    const events = eventsFor(folder, "un-special-rapporteur");
    expect(events.map((event) => event.type)).toEqual(["attempt", "failed", "attempt", "sent"]);
    expect(events[1]).toMatchObject({ kind: "transient", code: 421 });
    expect(new Set(events.map((event) => event.message_id)).size).toBe(1);
  });

  it("2. a 550 at RCPT is recorded as permanent with the server's words, the rest arrive, exit 1; a rerun does not try it again", async () => {
    const server = await sink({
      onRcpt: (address) =>
        address === UN ? { code: 550, message: "5.1.1 Mailbox urgent-appeals does not exist" } : undefined,
    });
    const folder = folderWith({ retries: 2, retry_delay: "10ms" });
    const result = await send(folder, server);
    expectExit(result, 1);
    expect(`${result.stdout}${result.stderr}`).toContain("5.1.1 Mailbox urgent-appeals does not exist");
    expect(result.stdout).toMatch(/Failed: 1/);
    expect(offers(server, UN)).toBe(1); // permanent: not retried
    expect(arrivals(server, UN)).toHaveLength(0);
    expect(arrivals(server, NGO)).toHaveLength(1);
    const email = await parse(arrivals(server, NGO)[0] as Sink["received"][number]);
    expect(email.cc?.map((address) => address.address)).toEqual([NGO_CC]);

    const failed = eventsFor(folder, "un-special-rapporteur").filter((event) => event.type === "failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ kind: "permanent", code: 550 });
    expect(String(failed[0]?.response)).toContain("5.1.1 Mailbox urgent-appeals does not exist");

    const rerun = await send(folder, server);
    expect(rerun.stderr).toContain("refused earlier");
    expect(rerun.stderr).toContain("5.1.1 Mailbox urgent-appeals does not exist");
    expect(offers(server, UN)).toBe(1);
    expect(server.received).toHaveLength(1);
  });

  it("2b. after a 550 at RCPT the same connection still carries the next letter: it arrives, only the refused one fails", async () => {
    const server = await sink({
      onRcpt: (address) =>
        address === UN ? { code: 550, message: "5.1.1 Mailbox urgent-appeals does not exist" } : undefined,
    });
    const folder = folderWith(FAST_ONE_LANE);
    const result = await send(folder, server);
    expectExit(result, 1);
    expect(result.stdout).toMatch(/Failed: 1\n/);
    expect(arrivals(server, NGO)).toHaveLength(1);
    expect(eventsFor(folder, "example-ngo").map((event) => event.type)).toEqual(["attempt", "sent"]);
    const status = await run(["status", "--json"], { cwd: folder });
    expect(JSON.parse(status.stdout)[0]).toMatchObject({
      sent: 1,
      failed: 1,
      failed_ids: ["un-special-rapporteur"],
    });
  });

  it("3a. a 452 (mailbox full) at RCPT once, then accepted: the letter arrives once, exit 0", async () => {
    const server = await sink({
      onRcpt: (address, count) =>
        address === UN && count === 0 ? { code: 452, message: "4.2.2 Mailbox full" } : undefined,
    });
    const folder = folderWith(FAST_ONE_LANE);
    const result = await send(folder, server);
    expectExit(result, 0);
    expect(offers(server, UN)).toBe(2);
    expect(arrivals(server, UN)).toHaveLength(1);
    expect(arrivals(server, NGO)).toHaveLength(1);
    const types = eventsFor(folder, "un-special-rapporteur").map((event) => event.type);
    expect(types).toEqual(["attempt", "failed", "attempt", "sent"]);
  });

  it("3b. a 452 every time: after the retries it is failed (transient), exit 1, and a rerun tries again", async () => {
    const server = await sink({
      onRcpt: (address) => (address === UN ? { code: 452, message: "4.2.2 Mailbox full" } : undefined),
    });
    const folder = folderWith(FAST_ONE_LANE);
    const result = await send(folder, server);
    expectExit(result, 1);
    expect(result.stdout).toContain("4.2.2 Mailbox full");
    expect(offers(server, UN)).toBe(3); // the first try and 2 retries
    expect(arrivals(server, UN)).toHaveLength(0);
    expect(arrivals(server, NGO)).toHaveLength(1);
    const failed = eventsFor(folder, "un-special-rapporteur").filter((event) => event.type === "failed");
    expect(failed).toHaveLength(3);
    for (const event of failed) expect(event).toMatchObject({ kind: "transient", code: 452 });

    const rerun = await send(folder, server);
    expectExit(rerun, 1);
    expect(offers(server, UN)).toBe(6);
    expect(arrivals(server, NGO)).toHaveLength(1); // the letter that went is not sent again
  });

  it("4. a 554 after the data is a permanent failure with the server's text, not retried, exit 1", async () => {
    const server = await sink({
      onData: (index) => (index === 0 ? { code: 554, message: "5.7.1 Message rejected as spam" } : "accept"),
    });
    const folder = folderWith(FAST_ONE_LANE);
    const result = await send(folder, server);
    expectExit(result, 1);
    expect(result.stdout).toContain("5.7.1 Message rejected as spam");
    expect(result.stderr).toContain("5.7.1 Message rejected as spam");
    expect(server.received.filter((message) => message.to.includes(UN))).toHaveLength(1);
    expect(arrivals(server, NGO)).toHaveLength(1);
    const failed = eventsFor(folder, "un-special-rapporteur").filter((event) => event.type === "failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ kind: "permanent", code: 554 });
    expect(String(failed[0]?.response)).toContain("5.7.1 Message rejected as spam");
    expect(eventsFor(folder, "un-special-rapporteur").some((event) => event.type === "sent")).toBe(false);
  });
});

describe("send: login and connection failures", () => {
  it("5a. a refused login stops the run at once (one AUTH per connection, nothing handed over), exit 1, naming the refusal", async () => {
    const server = await sink({ auth: { user: "campaigner", pass: "right-secret-1" } });
    const folder = folderWith({ retries: 2, retry_delay: "10ms" });
    const refused = await run(["send", "--yes"], {
      cwd: folder,
      env: {
        OUTREACH_SMTP_URL: `smtp://campaigner@127.0.0.1:${server.port}`,
        OUTREACH_SMTP_PASSWORD: "wrong-secret-2",
      },
    });
    expectExit(refused, 1);
    expect(`${refused.stdout}${refused.stderr}`).toMatch(/refused the login/);
    expect(`${refused.stdout}${refused.stderr}`).toContain("535");
    expect(server.received).toHaveLength(0);
    expect(server.recipients).toHaveLength(0);
    // One AUTH per connection at most (2 letters, so at most 2 connections), and no retry of a refused login.
    expect(server.logins.length).toBeGreaterThanOrEqual(1);
    expect(server.logins.length).toBeLessThanOrEqual(2);
    expect(journal(folder).some((event) => event.type === "sent")).toBe(false);
    expect(journal(folder).every((event) => event.try === undefined || event.try === 1)).toBe(true);
  });

  it("5b. the right password from the campaign folder's .env file: every letter arrives, exit 0", async () => {
    const server = await sink({ auth: { user: "campaigner", pass: "right-secret-1" } });
    const folder = folderWith({}, { ".env": "OUTREACH_SMTP_PASSWORD=right-secret-1\n" });
    const sent = await run(["send", "--yes"], {
      cwd: folder,
      env: { OUTREACH_SMTP_URL: `smtp://campaigner@127.0.0.1:${server.port}` },
    });
    expectExit(sent, 0);
    expect(server.logins.length).toBeGreaterThanOrEqual(1);
    expect(server.logins.every((login) => login.pass === "right-secret-1")).toBe(true);
    expect(arrivals(server, UN)).toHaveLength(1);
    expect(arrivals(server, NGO)).toHaveLength(1);
  });

  it("6. a server that cannot be reached: exit 1, says so, nothing recorded as sent or uncertain", async () => {
    const closed = await startSink();
    const port = closed.port;
    await closed.close();
    const folder = folderWith({ retries: 2, retry_delay: "10ms" });
    const result = await run(["send", "--yes"], {
      cwd: folder,
      env: { OUTREACH_SMTP_URL: `smtp://127.0.0.1:${port}` },
    });
    expectExit(result, 1);
    expect.soft(`${result.stdout}${result.stderr}`).toMatch(/cannot be reached/);
    const types = journal(folder).map((event) => event.type);
    expect.soft(types).not.toContain("sent");
    expect.soft(types).not.toContain("uncertain");
    const status = await run(["status", "--json"], { cwd: folder });
    expectExit(status, 0);
    expect.soft(JSON.parse(status.stdout)[0]).toMatchObject({ sent: 0, uncertain: 0 });
  });
});

describe("send: a connection lost after the data (uncertain)", () => {
  async function droppedFirst() {
    let drop = true;
    const server = await sink({
      onData: () => {
        if (drop) {
          drop = false;
          return "drop";
        }
        return "accept";
      },
    });
    const folder = folderWith(FAST_ONE_LANE);
    const first = await send(folder, server);
    return { server, folder, first };
  }

  it("7a. a drop after the final '.' is uncertain (exit 3), is not resent by a rerun (exit 3), and status lists it", async () => {
    const { server, folder, first } = await droppedFirst();
    expectExit(first, 3);
    expect(first.stdout).toMatch(/Uncertain: 1/);
    expect(first.stdout).toContain("un-special-rapporteur");
    expect(first.stdout).toContain("outreach resolve");
    expect(arrivals(server, UN)).toHaveLength(1);
    expect(arrivals(server, NGO)).toHaveLength(1);
    const types = eventsFor(folder, "un-special-rapporteur").map((event) => event.type);
    expect(types).toEqual(["attempt", "uncertain"]);

    const rerun = await send(folder, server);
    expectExit(rerun, 3);
    expect(rerun.stderr).toContain("uncertain");
    expect(arrivals(server, UN)).toHaveLength(1);
    expect(offers(server, UN)).toBe(1);
    expect(server.received).toHaveLength(2);

    const status = await run(["status", "--json"], { cwd: folder });
    expect(JSON.parse(status.stdout)[0]).toMatchObject({
      uncertain: 1,
      uncertain_ids: ["un-special-rapporteur"],
      sent: 1,
    });
  });

  it("7b. `resolve ID --not-sent` makes the next send send it again (twice at the server, by the user's decision)", async () => {
    const { server, folder, first } = await droppedFirst();
    expectExit(first, 3);
    const resolved = await run(["resolve", "un-special-rapporteur", "--not-sent"], { cwd: folder });
    expectExit(resolved, 0);
    expect(journal(folder).filter((event) => event.type === "resolved")).toEqual([
      expect.objectContaining({ outcome: "not-sent", recipient: "un-special-rapporteur" }),
    ]);
    const again = await send(folder, server);
    expectExit(again, 0);
    expect(arrivals(server, UN)).toHaveLength(2);
    expect(arrivals(server, NGO)).toHaveLength(1);
    const status = await run(["status", "--json"], { cwd: folder });
    expect(JSON.parse(status.stdout)[0]).toMatchObject({ sent: 2, uncertain: 0 });
  });

  it("7c. `resolve ID --sent` settles it: the next send sends nothing and exits 0", async () => {
    const { server, folder, first } = await droppedFirst();
    expectExit(first, 3);
    const resolved = await run(["resolve", "un-special-rapporteur", "--sent"], { cwd: folder });
    expectExit(resolved, 0);
    const again = await send(folder, server);
    expectExit(again, 0);
    expect(again.stderr).toContain("Nothing to send");
    expect(server.received).toHaveLength(2);
    const status = await run(["status", "--json"], { cwd: folder });
    expect(JSON.parse(status.stdout)[0]).toMatchObject({ sent: 2, uncertain: 0 });
  });

  it("8. killed between hand-off and record: the rerun shows the letter uncertain and does not resend it, exit 3", async () => {
    let mode: "withhold" | "accept" = "withhold";
    const server = await sink({ onData: () => mode });
    const folder = folderWith(FAST_ONE_LANE);
    const running = startSend(folder, smtpEnv(server));
    await waitFor(() => server.received.length === 1, "the first letter to reach the server", running);
    running.child.kill("SIGKILL");
    const killed = await finished(running.child);
    expect(killed.exitCode).not.toBe(0);
    const types = eventsFor(folder, "un-special-rapporteur").map((event) => event.type);
    expect(types).toEqual(["attempt"]);

    mode = "accept";
    const rerun = await send(folder, server);
    expectExit(rerun, 3);
    expect(rerun.stderr).toMatch(/un-special-rapporteur: uncertain/);
    expect(server.received.filter((message) => message.to.includes(UN))).toHaveLength(1);
    expect(offers(server, UN)).toBe(1);
    expect(arrivals(server, NGO)).toHaveLength(1);
    const status = await run(["status", "--json"], { cwd: folder });
    expect(JSON.parse(status.stdout)[0]).toMatchObject({ uncertain_ids: ["un-special-rapporteur"], sent: 1 });
  });
});

describe("send: two runs, the lock", () => {
  it("9a. a second run while one is sending is refused naming the running one's pid, sends nothing; every letter arrives once", async () => {
    let withhold = true;
    const server = await sink({ onData: () => (withhold ? "withhold" : "accept") });
    const folder = folderWith(FAST_ONE_LANE);
    const a = startSend(folder, smtpEnv(server));
    await waitFor(() => server.received.length === 1, "run A's first letter to reach the server", a);

    const b = await send(folder, server);
    expectExit(b, 1);
    expect(b.stderr).toMatch(/another outreach send is running/);
    expect(b.stderr).toContain(`pid ${a.child.pid}`);
    expect(server.received).toHaveLength(1);
    expect(server.recipients).toEqual([UN]);

    withhold = false;
    server.release();
    const resultA = await finished(a.child);
    expectExit(resultA, 0);
    expect(arrivals(server, UN)).toHaveLength(1);
    expect(arrivals(server, NGO)).toHaveLength(1);
    expect(server.received).toHaveLength(2);
    expect(existsSync(join(folder, ".outreach", "send.lock"))).toBe(false);
  });

  it("9b. a stale lock (a pid that no longer exists on this host) is taken over and the send works", async () => {
    const server = await sink();
    const folder = folderWith(
      {},
      {
        ".outreach/send.lock": JSON.stringify({
          pid: 999999,
          host: hostname(),
          token: "left-by-a-crash",
          command: "send",
          started: "2026-01-31T10:00:00.000Z",
        }),
      },
    );
    const result = await send(folder, server);
    expectExit(result, 0);
    expect(arrivals(server, UN)).toHaveLength(1);
    expect(arrivals(server, NGO)).toHaveLength(1);
    expect(existsSync(join(folder, ".outreach", "send.lock"))).toBe(false);
  });
});

describe("send: a damaged or unwritable journal", () => {
  const TORN = '{"v":1,"id":"torn-0001","at":"2026-02-01T11:00:00.000Z","campaign":"first-ap';

  it("10a. a torn last line: status warns and still counts; the next send sets it aside and sends the rest once", async () => {
    const server = await sink();
    const folder = folderWith({ connections: 1 });
    const first = await send(folder, server, ["un-special-rapporteur"]);
    expectExit(first, 0);
    const path = join(folder, ".outreach", "journal.jsonl");
    const before = readFileSync(path, "utf8");
    appendFileSync(path, TORN);

    const status = await run(["status", "--json"], { cwd: folder });
    expectExit(status, 0);
    expect(status.stderr).toMatch(/cut off/);
    expect(JSON.parse(status.stdout)[0]).toMatchObject({ sent: 1 });

    const next = await send(folder, server);
    expectExit(next, 0);
    expect(next.stderr).toMatch(/\.outreach\/journal\.torn-[^ ]+\.txt/);
    const kept = readdirSync(join(folder, ".outreach")).filter((name) =>
      /^journal\.torn-.*\.txt$/.test(name),
    );
    expect(kept).toHaveLength(1);
    expect(readFileSync(join(folder, ".outreach", kept[0] as string), "utf8")).toContain(TORN);
    const after = readFileSync(path, "utf8");
    expect(after.startsWith(before)).toBe(true);
    expect(after).not.toContain("torn-0001");
    expect(after.endsWith("\n")).toBe(true);
    expect(() => journal(folder)).not.toThrow();
    expect(arrivals(server, UN)).toHaveLength(1);
    expect(arrivals(server, NGO)).toHaveLength(1);
    const statusAfter = await run(["status"], { cwd: folder });
    expect(statusAfter.stderr).not.toMatch(/cut off/);
  });

  it("10b. a torn last line after everything was sent: the next send still sets it aside, as status promised", async () => {
    const server = await sink();
    const folder = folderWith({ connections: 1 });
    expectExit(await send(folder, server), 0);
    const path = join(folder, ".outreach", "journal.jsonl");
    appendFileSync(path, TORN);
    const status = await run(["status"], { cwd: folder });
    expect(status.stderr).toMatch(/the next send sets it aside/);

    const next = await send(folder, server);
    expectExit(next, 0);
    expect(server.received).toHaveLength(2);
    expect(next.stderr).toMatch(/journal\.torn-[^ ]+\.txt/);
    expect(readFileSync(path, "utf8")).not.toContain("torn-0001");
    expect(() => journal(folder)).not.toThrow();
  });

  it("10c. damage in the middle of the journal: send exits 1 naming the line, sends nothing, changes nothing", async () => {
    const server = await sink();
    const folder = folderWith({ connections: 1 });
    expectExit(await send(folder, server, ["un-special-rapporteur"]), 0);
    const path = join(folder, ".outreach", "journal.jsonl");
    const good = readFileSync(path, "utf8");
    const lines = good.split("\n");
    const damaged = [lines[0], "<<<<<<< HEAD this is not an event", ...lines.slice(1)].join("\n");
    writeFileSync(path, damaged);
    const received = server.received.length;

    const result = await send(folder, server);
    expectExit(result, 1);
    expect(result.stderr).toMatch(/line 2/);
    expect(result.stderr).toContain("journal.jsonl");
    expect(server.received).toHaveLength(received);
    expect(server.recipients).toEqual([UN]);
    expect(readFileSync(path, "utf8")).toBe(damaged);
  });

  it("11. a journal that cannot be written (a directory in its place): nothing sent, exit 1, a message naming the journal", async () => {
    const server = await sink();
    const folder = folderWith();
    mkdirSync(join(folder, ".outreach", "journal.jsonl"), { recursive: true });
    const result = await send(folder, server);
    expectExit(result, 1);
    expect(result.stderr).toContain(".outreach/journal.jsonl");
    expect(result.stderr).not.toMatch(/^\s+at /m); // a message, not a stack trace
    expect(server.received).toHaveLength(0);
    expect(server.recipients).toHaveLength(0);
    expect(statSync(join(folder, ".outreach", "journal.jsonl")).isDirectory()).toBe(true);
  });
});

describe("send: Ctrl-C", () => {
  it("12a. Ctrl-C while the server withholds its reply: the letter in flight is recorded as sent, no new one starts, exit 130", async () => {
    let withhold = true;
    const server = await sink({ onData: () => (withhold ? "withhold" : "accept") });
    const folder = folderWith(FAST_ONE_LANE);
    const running = startSend(folder, smtpEnv(server));
    await waitFor(() => server.received.length === 1, "the first letter to reach the server", running);
    running.child.kill("SIGINT");
    await waitFor(() => running.stderr().includes("Stopping"), 'the "Stopping" notice', running);
    withhold = false;
    server.release();

    const result = await finished(running.child);
    expectExit(result, 130);
    expect(result.stdout).toMatch(/letters not started are still to send/);
    expect(result.stdout).toMatch(/Not started: 1/);
    expect(server.received).toHaveLength(1);
    expect(server.recipients).toEqual([UN]);
    expect(eventsFor(folder, "un-special-rapporteur").map((event) => event.type)).toEqual([
      "attempt",
      "sent",
    ]);
    expect(eventsFor(folder, "example-ngo")).toEqual([]);

    const rest = await send(folder, server);
    expectExit(rest, 0);
    expect(arrivals(server, UN)).toHaveLength(1);
    expect(arrivals(server, NGO)).toHaveLength(1);
  });

  it("12b. a double Ctrl-C quits at once with 130; the rerun shows that letter uncertain and does not resend it", async () => {
    let withhold = true;
    const server = await sink({ onData: () => (withhold ? "withhold" : "accept") });
    const folder = folderWith(FAST_ONE_LANE);
    const running = startSend(folder, smtpEnv(server));
    await waitFor(() => server.received.length === 1, "the first letter to reach the server", running);
    running.child.kill("SIGINT");
    await waitFor(() => running.stderr().includes("Stopping"), 'the "Stopping" notice', running);
    running.child.kill("SIGINT");
    const result = await finished(running.child, 5_000);
    expectExit(result, 130);
    expect(result.stderr).toMatch(/uncertain/);
    expect(existsSync(join(folder, ".outreach", "send.lock"))).toBe(false);

    withhold = false;
    server.release();
    const rerun = await send(folder, server);
    expectExit(rerun, 3);
    expect(rerun.stderr).toMatch(/un-special-rapporteur: uncertain/);
    expect(server.received.filter((message) => message.to.includes(UN))).toHaveLength(1);
    expect(arrivals(server, NGO)).toHaveLength(1);
  });
});

describe("send: rate limit", () => {
  it("13. --rate 120/minute spaces three letters ≥ ~450 ms apart at the server, even with 4 connections", async () => {
    const server = await sink();
    const folder = folderWith(
      {},
      {
        "recipients/third.yaml": [
          "- id: third-body",
          "  organisation: Third Example Body",
          "  type: un",
          '  salutation: "Dear Sir or Madam,"',
          "  contacts:",
          "    - email: office@third.example.org",
          "  custom:",
          "    mandate: your mandate",
          "",
        ].join("\n"),
      },
    );
    const started = Date.now();
    const result = await send(folder, server, ["--rate", "120/minute"]);
    const elapsed = Date.now() - started;
    expectExit(result, 0);
    expect(server.received).toHaveLength(3);
    // The limit spaces the starts of SMTP transactions (what a provider counts); when each message then
    // finishes arriving depends on the machine's load, so the gaps are measured between the MAIL FROMs.
    const times = server.received.map((message) => message.startedAt).sort((a, b) => a - b);
    const gaps = times.slice(1).map((time, index) => time - (times[index] as number));
    expect(
      Math.min(...gaps),
      `gaps between transaction starts: ${gaps.join(", ")} ms`,
    ).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeGreaterThanOrEqual(1_000);
  });
});

describe("send: secrets", () => {
  it("14. the password (right or wrong) never appears in output, journal, .outreach/ or outbox/", async () => {
    const right = "pw-Xy9-unique-7731";
    const wrong = "pw-Qz4-wrong-5518";
    const user = "campaigner";
    const forms = (password: string) => [
      password,
      Buffer.from(password).toString("base64"),
      Buffer.from(`\u0000${user}\u0000${password}`).toString("base64"),
    ];
    const secrets = [...forms(right), ...forms(wrong)];
    const server = await sink({ auth: { user, pass: right } });
    const folder = folderWith({ retries: 2, retry_delay: "10ms" });
    const url = `smtp://${user}@127.0.0.1:${server.port}`;

    const outputs: string[] = [];
    // The exit code of a refused login is case 5's business; here only what is printed and written counts.
    for (const args of [
      ["send", "--yes"],
      ["send", "--yes", "--json"],
    ]) {
      const failing = await run(args, {
        cwd: folder,
        env: { OUTREACH_SMTP_URL: url, OUTREACH_SMTP_PASSWORD: wrong },
        ms: 4_000,
      });
      expect(failing.exitCode).not.toBe(0);
      outputs.push(failing.stdout, failing.stderr);
    }
    expect(server.logins.some((login) => login.pass === wrong)).toBe(true);

    const passing = await run(["send", "--yes", "--json"], {
      cwd: folder,
      env: { OUTREACH_SMTP_URL: url, OUTREACH_SMTP_PASSWORD: right },
    });
    expectExit(passing, 0);
    outputs.push(passing.stdout, passing.stderr);
    expect(server.logins.some((login) => login.pass === right)).toBe(true);
    expect(server.received).toHaveLength(2);
    const status = await run(["status", "--json"], { cwd: folder });
    outputs.push(status.stdout, status.stderr);

    const files = [...filesBelow(join(folder, ".outreach")), ...filesBelow(join(folder, "outbox"))];
    expect(files.some((file) => file.endsWith("journal.jsonl"))).toBe(true);
    for (const secret of secrets) {
      for (const output of outputs) expect(output).not.toContain(secret);
      for (const file of files) {
        expect(readFileSync(file).toString("latin1"), `${file} holds the password`).not.toContain(secret);
      }
    }
  });
});

describe("send: CR/LF injection", () => {
  const smuggled = '"\\r\\nRCPT TO:<evil@example.com>"';
  const recipient = (name: string, email: string, organisation = "Smuggler Example Body") =>
    [
      "- id: smuggler",
      `  organisation: ${organisation}`,
      "  type: ngo",
      '  salutation: "Dear all,"',
      "  contacts:",
      `    - name: ${name}`,
      `      email: ${email}`,
      "  custom:",
      "    mandate: your mandate",
      "",
    ].join("\n");

  it.each([
    ["the contact's name", recipient(`"Jane Doe${smuggled.slice(1)}`, "jane@example.org")],
    ["the contact's email", recipient("Jane Doe", `"jane@example.org${smuggled.slice(1)}`)],
    ["the organisation (subject)", recipient("Jane Doe", "jane@example.org", `"Body${smuggled.slice(1)}`)],
  ])(
    "15a. CR/LF smuggled in %s: send refuses with exit 1 and nothing reaches the server",
    async (_where, yaml) => {
      const server = await sink();
      const folder = folderWith({}, { "recipients/smuggler.yaml": yaml });
      expect(readFileSync(join(folder, "recipients", "smuggler.yaml"), "utf8")).toContain("\\r\\n");
      const result = await send(folder, server);
      expectExit(result, 1);
      expect(result.stderr).toContain("smuggler.yaml");
      expect(server.received).toHaveLength(0);
      expect(server.recipients).toHaveLength(0);
      expect(server.recipients).not.toContain("evil@example.com");
      expect(journal(folder)).toEqual([]);
    },
  );

  it("15b. --to-self with CR/LF and a smuggled RCPT is refused with exit 2; nothing reaches the server", async () => {
    const server = await sink();
    const folder = folderWith();
    const result = await send(folder, server, ["--to-self", "me@example.org\r\nRCPT TO:<evil@example.com>"]);
    expectExit(result, 2);
    expect(result.stderr).toMatch(/--to-self/);
    expect(server.received).toHaveLength(0);
    expect(server.recipients).not.toContain("evil@example.com");
    expect(server.recipients).toHaveLength(0);
  });
});

describe("send: a team's journals in git", () => {
  it("16. two people's sends on two branches merge without conflict; the merged journal parses and status counts both", async () => {
    const server = await sink();
    const folder = folderWith({ connections: 1 });
    renameSync(join(folder, "gitignore"), join(folder, ".gitignore"));
    writeFileSync(join(folder, ".gitattributes"), ".outreach/journal.jsonl merge=union\n");
    const git = (...args: string[]) =>
      execFileSync(
        "git",
        [
          "-c",
          "user.name=Test",
          "-c",
          "user.email=test@example.org",
          "-c",
          "init.defaultBranch=main",
          ...args,
        ],
        { cwd: folder, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 10_000 },
      );
    git("init", "-q");

    const outbox = await run(["send", "--yes"], { cwd: folder });
    expectExit(outbox, 0);
    expect(outbox.stdout).toContain("outbox/");
    git("add", "-A");
    git("commit", "-q", "-m", "first send, to the outbox");
    expect(git("ls-files")).toContain(".outreach/journal.jsonl");
    git("branch", "bob");

    // The letters were in the outbox first: sending them by SMTP is an explicit decision.
    const alice = await send(folder, server, ["--include-outbox", "un-special-rapporteur"]);
    expectExit(alice, 0);
    git("commit", "-q", "-am", "alice writes to the UN");

    git("checkout", "-q", "bob");
    const bob = await send(folder, server, ["--include-outbox", "example-ngo"]);
    expectExit(bob, 0);
    git("commit", "-q", "-am", "bob writes to the NGO");

    git("checkout", "-q", "main");
    git("merge", "-q", "--no-edit", "bob");
    expect(git("status", "--porcelain")).toBe("");
    const text = readFileSync(join(folder, ".outreach", "journal.jsonl"), "utf8");
    expect(text).not.toMatch(/^(<<<<<<<|=======|>>>>>>>)/m);
    const events = journal(folder);
    expect(
      events.filter((event) => event.type === "sent" && event.response?.toString().startsWith("250")),
    ).toHaveLength(2);

    const status = await run(["status", "--json"], { cwd: folder });
    expectExit(status, 0);
    expect(JSON.parse(status.stdout)[0]).toMatchObject({ sent: 2, in_outbox: 0, uncertain: 0, not_sent: 0 });
    const rerun = await send(folder, server);
    expectExit(rerun, 0);
    expect(server.received).toHaveLength(2);
  });
});
