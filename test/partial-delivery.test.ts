// A letter the server took for some addresses and refused for others is partially delivered: a 4xx for one
// address is retried like any temporary failure, and until the letter reached everyone (or is closed) it is
// its own visible state in send, status, outstanding, history and export, and no follow-up answers it.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, type Sink, sinkPerTest } from "./smtp-sink.js";
import { campaignFolder, run, STARTER } from "./support.js";

const DIRECTOR = "director@ngo.example.net";
const PRESS = "press@ngo.example.net";
const UN = "urgent-appeals@un.example.org";
const STARTER_YAML = readFileSync(join(STARTER, "outreach.yaml"), "utf8");
const sink = sinkPerTest();

type Event = Record<string, unknown> & { type: string; recipient: string };

function journal(folder: string): Event[] {
  const path = join(folder, ".outreach", "journal.jsonl");
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Event);
}

function fastFolder(): string {
  return campaignFolder({
    "outreach.yaml": `${STARTER_YAML}\ntransport:\n  retries: 2\n  retry_delay: 10ms\n  connections: 1\n`,
  });
}

function cli(folder: string, args: string[], server?: Sink, now = "2026-02-01T12:00:00Z") {
  return run(args, {
    cwd: folder,
    env: { OUTREACH_NOW: now, ...(server ? { OUTREACH_SMTP_URL: server.url } : {}) },
  });
}

/** Envelope deliveries to `address` whose data the server accepted. */
function arrivals(server: Sink, address: string) {
  return server.received.filter((message) => message.answer === "accept" && message.to.includes(address));
}

describe("a 4xx for one address while the others are accepted", () => {
  it("is retried in the same run for that address only: everyone gets the letter once, exit 0", async () => {
    const server = await sink({
      onRcpt: (address, count) =>
        address === DIRECTOR && count === 0 ? { code: 452, message: "4.2.2 Mailbox full" } : undefined,
    });
    const folder = fastFolder();
    const sent = await cli(folder, ["send", "--yes", "example-ngo"], server);
    expect(sent.exitCode, sent.stderr).toBe(0);
    expect(arrivals(server, PRESS)).toHaveLength(1);
    expect(arrivals(server, DIRECTOR)).toHaveLength(1);
    const [first, second] = [
      await parse(server.received[0] as never),
      await parse(server.received[1] as never),
    ];
    expect(second.messageId).toBe(first.messageId); // the same letter, completed
    const attempts = journal(folder).filter((event) => event.type === "attempt");
    expect(attempts.map((event) => [event.to, event.cc])).toEqual([
      [[DIRECTOR], [PRESS]],
      [[DIRECTOR], []],
    ]);
    const status = await cli(folder, ["status", "--json"]);
    expect(status.exitCode, status.stdout).toBe(0);
    expect(JSON.parse(status.stdout)[0]).toMatchObject({ partial: 0, partial_ids: [] });
  });

  it("still refused after the retries: partial in send (exit 1), status (exit 3), outstanding, history and export; no follow-up; the next send completes it", async () => {
    let full = true;
    const server = await sink({
      onRcpt: (address) =>
        address === DIRECTOR && full ? { code: 452, message: "4.2.2 Mailbox full" } : undefined,
    });
    const folder = fastFolder();
    const sent = await cli(folder, ["send", "--yes", "example-ngo"], server);
    expect(sent.exitCode, sent.stdout).toBe(1);
    expect(sent.stdout).toContain("Partially delivered (the server refused some addresses): 1");
    expect(sent.stdout).toContain(`${DIRECTOR}: 452 4.2.2 Mailbox full (delivered to ${PRESS})`);
    expect(arrivals(server, PRESS)).toHaveLength(1);
    expect(arrivals(server, DIRECTOR)).toHaveLength(0);

    const status = await cli(folder, ["status"]);
    expect(status.exitCode).toBe(3);
    expect(status.stdout).toContain("partially delivered 1");
    expect(status.stdout).toContain(
      `example-ngo: reached ${PRESS}; not ${DIRECTOR} (452 4.2.2 Mailbox full)`,
    );
    const statusJson = JSON.parse((await cli(folder, ["status", "--json"])).stdout)[0];
    expect(statusJson).toMatchObject({ partial: 1, partial_ids: ["example-ngo"], failed: 0 });
    expect(statusJson.partial_details).toEqual([
      {
        id: "example-ngo",
        reached: [PRESS],
        not_reached: [{ address: DIRECTOR, response: "452 4.2.2 Mailbox full" }],
      },
    ]);

    const outstanding = JSON.parse((await cli(folder, ["outstanding", "--json"])).stdout);
    expect(outstanding).toEqual([
      expect.objectContaining({
        id: "example-ngo",
        delivery: "partial",
        not_reached: [expect.objectContaining({ address: DIRECTOR })],
      }),
    ]);
    const history = await cli(folder, ["history", "example-ngo"]);
    expect(history.stdout).toContain(`partially delivered: not to ${DIRECTOR}`);
    const exported = JSON.parse((await cli(folder, ["export", "--format", "json"])).stdout);
    expect(exported.find((row: { id: string }) => row.id === "example-ngo")).toMatchObject({
      status: "partial",
      delivered_to: PRESS,
      not_delivered_to: DIRECTOR,
    });

    // Weeks later: no "Re:" to a letter the director never had, and none to the press office either.
    const received = server.received.length;
    const chased = await cli(folder, ["followup", "--yes", "example-ngo"], server, "2026-03-01T12:00:00Z");
    expect(server.received).toHaveLength(received);
    expect(chased.stderr).toContain(`no follow-up: the letter never reached ${DIRECTOR}`);
    expect(chased.exitCode).toBe(1);

    // The mailbox has room again: a plain send completes the letter, for the director only.
    full = false;
    const completed = await cli(folder, ["send", "--yes", "example-ngo"], server);
    expect(completed.exitCode, completed.stderr).toBe(0);
    expect(arrivals(server, DIRECTOR)).toHaveLength(1);
    expect(arrivals(server, PRESS)).toHaveLength(1);
    const after = await cli(folder, ["status", "--json"]);
    expect(after.exitCode).toBe(0);
    expect(JSON.parse(after.stdout)[0]).toMatchObject({ partial: 0 });
  });

  it("a 5xx for the To while the Cc is accepted: partial until send --retry-failed completes it, never resent to the Cc", async () => {
    let refuse = true;
    const server = await sink({
      onRcpt: (address) =>
        address === DIRECTOR && refuse ? { code: 550, message: "5.1.1 No such user" } : undefined,
    });
    const folder = fastFolder();
    expect((await cli(folder, ["send", "--yes", "example-ngo"], server)).exitCode).toBe(1);
    const rerun = await cli(folder, ["send", "--yes", "example-ngo"], server);
    expect(rerun.exitCode).toBe(1);
    expect(rerun.stderr).toContain("partially delivered");
    expect(server.received).toHaveLength(1);
    expect((await cli(folder, ["status"])).exitCode).toBe(3);
    refuse = false;
    const fixed = await cli(folder, ["send", "--yes", "--retry-failed", "example-ngo"], server);
    expect(fixed.exitCode, fixed.stderr).toBe(0);
    expect(arrivals(server, DIRECTOR)).toHaveLength(1);
    expect(arrivals(server, PRESS)).toHaveLength(1);
  });

  it("closing a partial letter settles it: status exits 0 and lists it as closed", async () => {
    const server = await sink({
      onRcpt: (address) => (address === DIRECTOR ? { code: 550, message: "5.1.1 No such user" } : undefined),
    });
    const folder = fastFolder();
    await cli(folder, ["send", "--yes", "example-ngo"], server);
    expect((await cli(folder, ["log", "example-ngo", "--outcome", "closed"])).exitCode).toBe(0);
    const status = await cli(folder, ["status", "--json"]);
    expect(status.exitCode).toBe(0);
    expect(JSON.parse(status.stdout)[0]).toMatchObject({ partial: 0, closed: 1 });
  });
});

describe("a follow-up goes only where the appeal went", () => {
  it("a contact added after the appeal gets no 'Re:' to a letter it never had", async () => {
    const server = await sink();
    const folder = fastFolder();
    expect((await cli(folder, ["send", "--yes", "un-special-rapporteur"], server)).exitCode).toBe(0);
    const file = join(folder, "recipients", "example.yaml");
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace(
        "      email: urgent-appeals@un.example.org\n",
        "      email: urgent-appeals@un.example.org\n    - email: new-desk@un.example.org\n      cc: true\n",
      ),
    );
    const chased = await cli(folder, ["followup", "--yes"], server, "2026-03-01T12:00:00Z");
    expect(chased.exitCode, chased.stderr).toBe(0);
    const followup = server.received[1];
    expect(followup?.to).toEqual([UN]);
    expect((await parse(followup as never)).cc ?? []).toEqual([]);
  });
});

describe("a partly delivered letter never crosses to the outbox", () => {
  it("send without SMTP does not write it to the outbox (the file would reach again those it reached); SMTP completes it once", async () => {
    const server = await sink({
      onRcpt: (address) => (address === PRESS ? { code: 550, message: "5.1.1 No such user" } : undefined),
    });
    const folder = fastFolder();
    const first = await cli(folder, ["send", "--yes", "example-ngo"], server);
    expect(first.exitCode, first.stderr).toBe(1);
    expect(arrivals(server, DIRECTOR)).toHaveLength(1);

    const outbox = await cli(folder, ["send", "--yes", "--retry-failed", "example-ngo"]);
    expect(outbox.exitCode, outbox.stderr).toBe(1);
    expect(outbox.stderr).toMatch(/completing it needs SMTP/);
    expect(existsSync(join(folder, "outbox", "first-appeal", "example-ngo.eml"))).toBe(false);

    const fixed = await sink();
    const completed = await cli(folder, ["send", "--yes", "--retry-failed", "example-ngo"], fixed);
    expect(completed.exitCode, completed.stderr).toBe(0);
    expect(arrivals(fixed, PRESS)).toHaveLength(1);
    expect(arrivals(fixed, DIRECTOR)).toHaveLength(0);
  });

  it("a completion an earlier version wrote to the outbox waits for --include-outbox before SMTP sends it", async () => {
    const server = await sink({
      onRcpt: (address) => (address === PRESS ? { code: 452, message: "4.2.2 Mailbox full" } : undefined),
    });
    const folder = fastFolder();
    await cli(folder, ["send", "--yes", "example-ngo"], server);
    const attempt = journal(folder).find((event) => event.type === "attempt") as Event;
    // What that version journaled: the completion written to the outbox for the refused address.
    const at = "2026-02-01T12:30:00.000Z";
    const lines = [
      {
        ...attempt,
        id: "completion-attempt",
        at,
        transport: "outbox",
        message_id: "<completion@example.org>",
      },
      {
        v: attempt.v,
        id: "completion-written",
        at,
        type: "sent",
        campaign: attempt.campaign,
        recipient: attempt.recipient,
        attempt: "completion-attempt",
        message_id: "<completion@example.org>",
        response: "written to outbox/first-appeal/example-ngo.eml",
        accepted: [PRESS],
        rejected: [],
      },
    ];
    const path = join(folder, ".outreach", "journal.jsonl");
    writeFileSync(
      path,
      `${readFileSync(path, "utf8")}${lines.map((line) => JSON.stringify(line)).join("\n")}\n`,
    );

    const fixed = await sink();
    const held = await cli(folder, ["send", "--yes", "example-ngo"], fixed);
    expect(held.stderr).toMatch(/written to the outbox earlier.*--include-outbox/);
    expect(arrivals(fixed, PRESS)).toHaveLength(0);
    const sent = await cli(folder, ["send", "--yes", "--include-outbox", "example-ngo"], fixed);
    expect(sent.exitCode, sent.stderr).toBe(0);
    expect(arrivals(fixed, PRESS)).toHaveLength(1);
    expect(arrivals(fixed, DIRECTOR)).toHaveLength(0);
  });
});
