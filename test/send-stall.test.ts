// A server that goes silent must not hold a run for hours: every step before the message data gets a short
// wait (shortened further here through transport.timeout), the retries wait 2, 4, 8 s as the README says,
// repeated silence stops the run naming the server, and a first Ctrl-C stops waiting for letters the server
// has not taken. Against a raw SMTP server in the test process that stalls at a chosen step.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import { type SilentServer, type SilentStep, startSilentServer } from "./silent-smtp.js";
import { CLI, campaignFolder, NOW, run, STARTER } from "./support.js";

const STARTER_YAML = readFileSync(join(STARTER, "outreach.yaml"), "utf8");
const servers: SilentServer[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function silentServer(options: Parameters<typeof startSilentServer>[0]): Promise<SilentServer> {
  const server = await startSilentServer(options);
  servers.push(server);
  return server;
}

function folderWith(transport: Record<string, string | number>): string {
  const block = Object.entries(transport)
    .map(([key, value]) => `  ${key}: ${value}`)
    .join("\n");
  return campaignFolder({ "outreach.yaml": `${STARTER_YAML}\ntransport:\n${block}\n` });
}

type JournalLine = Record<string, unknown> & { type: string; recipient: string };

function journal(folder: string): JournalLine[] {
  const path = join(folder, ".outreach", "journal.jsonl");
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as JournalLine);
}

async function timedSend(folder: string, env: Record<string, string>, args: string[] = []) {
  const started = Date.now();
  const result = await run(["send", "--yes", ...args], { cwd: folder, env });
  return { ...result, seconds: (Date.now() - started) / 1000, output: `${result.stdout}${result.stderr}` };
}

describe("send: a server that goes silent", () => {
  it("a server that greets and then ignores EHLO: retried after 2 and 4 s (not 10 minutes), then the run stops naming host and port; nothing is written", async () => {
    const server = await silentServer({ silentAt: "EHLO" });
    const folder = folderWith({ timeout: "300ms", retries: 2 });
    const result = await timedSend(folder, { OUTREACH_SMTP_URL: server.url });
    expect(result.exitCode, result.output).toBe(1);
    expect(server.connections).toHaveLength(3);
    const gaps = server.connections
      .slice(1)
      .map((at, index) => (at - (server.connections[index] as number)) / 1000);
    // Each gap is the 300 ms wait for the answer plus the retry wait of 2 s, then 4 s.
    expect(gaps[0]).toBeGreaterThanOrEqual(2.2);
    expect(gaps[0]).toBeLessThan(3.5);
    expect(gaps[1]).toBeGreaterThanOrEqual(4.2);
    expect(gaps[1]).toBeLessThan(5.5);
    expect(result.stderr).toContain("trying again in 2.0 s");
    expect(result.stderr).toContain("trying again in 4.0 s");
    expect(result.output).toContain(`127.0.0.1:${server.port}`);
    expect(result.output).toMatch(/does not answer/);
    expect(result.output).toContain("EHLO");
    expect(existsSync(join(folder, ".outreach", "journal.jsonl"))).toBe(false);
    expect(existsSync(join(folder, ".outreach", "sent"))).toBe(false);
  }, 20_000);

  const steps: { step: SilentStep; handedOver: boolean; auth?: boolean }[] = [
    { step: "greeting", handedOver: false },
    { step: "EHLO", handedOver: false },
    { step: "STARTTLS", handedOver: false },
    { step: "AUTH", handedOver: false, auth: true },
    { step: "MAIL", handedOver: true },
    { step: "RCPT", handedOver: true },
    { step: "DATA", handedOver: true },
  ];
  for (const { step, handedOver, auth } of steps) {
    it(`silent at ${step}: the short wait applies, the run stops within seconds naming the server, no letter arrives and none is uncertain`, async () => {
      const server = await silentServer({ silentAt: step, auth: auth ?? false });
      const folder = folderWith({ timeout: "300ms", retries: 1, retry_delay: "10ms", connections: 1 });
      const url = auth ? `smtp://campaigner@127.0.0.1:${server.port}` : server.url;
      const result = await timedSend(folder, { OUTREACH_SMTP_URL: url, OUTREACH_SMTP_PASSWORD: "pw" });
      expect(result.exitCode, result.output).toBe(1);
      expect(result.seconds).toBeLessThan(6);
      expect(result.output).toContain(`127.0.0.1:${server.port}`);
      expect(result.output).toMatch(/within 0\.3 s/);
      expect(server.accepted).toBe(0);
      const events = journal(folder);
      expect(events.some((event) => event.type === "uncertain" || event.type === "sent")).toBe(false);
      if (handedOver) {
        // Only the first letter was tried (twice); the second was never started.
        const failed = events.filter((event) => event.type === "failed");
        expect(failed.map((event) => event.recipient)).toEqual([
          "un-special-rapporteur",
          "un-special-rapporteur",
        ]);
        expect(failed.every((event) => event.kind === "transient")).toBe(true);
        expect(events.some((event) => event.recipient === "example-ngo")).toBe(false);
        expect(result.output).toMatch(/stopped answering/);
      } else {
        expect(existsSync(join(folder, ".outreach", "journal.jsonl"))).toBe(false);
      }
    }, 15_000);
  }

  it("silent after the final '.': the letter waits data_timeout, becomes uncertain, and nothing more is handed over; the rerun does not resend it", async () => {
    const server = await silentServer({ silentAt: "dot", silentConnections: 1 });
    const folder = folderWith({ timeout: "300ms", data_timeout: "1s", connections: 1, retry_delay: "10ms" });
    const result = await timedSend(folder, { OUTREACH_SMTP_URL: server.url });
    expect(result.exitCode, result.output).toBe(1);
    expect(result.seconds).toBeLessThan(6);
    expect(result.output).toContain(`127.0.0.1:${server.port}`);
    const events = journal(folder);
    expect(events.filter((event) => event.type === "uncertain").map((event) => event.recipient)).toEqual([
      "un-special-rapporteur",
    ]);
    expect(events.some((event) => event.recipient === "example-ngo")).toBe(false);
    expect(server.commands.filter((command) => command === "DATA")).toHaveLength(1);
    const rerun = await timedSend(folder, { OUTREACH_SMTP_URL: server.url });
    expect(rerun.exitCode, rerun.output).toBe(3);
    expect(rerun.output).toContain("un-special-rapporteur: uncertain");
    expect(server.commands.filter((command) => command === "DATA")).toHaveLength(2); // example-ngo only
  }, 20_000);

  it("a slow answer after the data is waited for: 600 ms with a 300 ms step wait still ends as sent", async () => {
    // The long wait applies after the final "."; the short one must not cut a slow but answering server.
    const server = await silentServer({ silentAt: "dot", silentConnections: 0, dotDelayMs: 600 });
    const folder = folderWith({ timeout: "300ms", connections: 1 });
    const result = await timedSend(folder, { OUTREACH_SMTP_URL: server.url });
    expect(result.exitCode, result.output).toBe(0);
    expect(server.accepted).toBe(2);
  }, 15_000);

  it("a first Ctrl-C while connecting to a server that ignores EHLO stops at once: exit 130, nothing written", async () => {
    const server = await silentServer({ silentAt: "EHLO" });
    const folder = folderWith({ connections: 1 });
    const child = execa("node", [CLI, "send", "--yes"], {
      cwd: folder,
      reject: false,
      env: { NO_COLOR: "1", OUTREACH_NOW: NOW, OUTREACH_SMTP_URL: server.url },
      stdin: "ignore",
      timeout: 20_000,
    });
    const deadline = Date.now() + 10_000;
    while (!server.commands.some((command) => command.startsWith("EHLO")) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const interruptedAt = Date.now();
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode, String(result.stderr)).toBe(130);
    expect(Date.now() - interruptedAt).toBeLessThan(2_000);
    expect(existsSync(join(folder, ".outreach", "journal.jsonl"))).toBe(false);
  }, 30_000);

  it("a first Ctrl-C while the server ignores RCPT stops at once: exit 130, the letter is recorded as not sent, and the next run sends it", async () => {
    const server = await silentServer({ silentAt: "RCPT", silentConnections: 1 });
    const folder = folderWith({ connections: 1 }); // the default 30 s wait: only Ctrl-C ends it early
    const child = execa("node", [CLI, "send", "--yes"], {
      cwd: folder,
      reject: false,
      env: { NO_COLOR: "1", OUTREACH_NOW: NOW, OUTREACH_SMTP_URL: server.url },
      stdin: "ignore",
      timeout: 20_000,
    });
    const deadline = Date.now() + 10_000;
    while (!server.commands.some((command) => command.startsWith("RCPT")) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    const interruptedAt = Date.now();
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode, String(result.stderr)).toBe(130);
    expect(Date.now() - interruptedAt).toBeLessThan(2_000);
    const events = journal(folder);
    const outcomes = events.filter((event) => event.type !== "attempt");
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({
      type: "failed",
      kind: "transient",
      recipient: "un-special-rapporteur",
      interrupted: true,
    });
    // Stopped before the hand-off: not sent, never "failed", until the next send.
    const status = await run(["status"], { cwd: folder });
    expect(status.stdout).toMatch(/failed 0/);
    const history = await run(["history", "un-special-rapporteur"], { cwd: folder });
    expect(history.stdout).toMatch(/not sent: the run was stopped before the server took it/);
    expect(history.stdout).not.toMatch(/failed/);
    const rerun = await run(["send", "--yes"], { cwd: folder, env: { OUTREACH_SMTP_URL: server.url } });
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    expect(server.accepted).toBe(2);
  }, 30_000);
});
