// Scripts and terminals, through the built CLI: every --json is one JSON document alone on stdout (and an
// error with --json leaves stdout empty), prompts appear exactly when a person is at a real terminal (driven
// through a pseudo-terminal), mistyped filter values and contradictory flags are usage errors, and the CSV
// export opens in Excel.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Sink, sinkPerTest } from "./smtp-sink.js";
import { CLI, campaignFolder, run } from "./support.js";

const sink = sinkPerTest();
const SENT_AT = "2026-02-01T09:00:00Z";
/** Three weeks later: the follow-up of the starter's appeal (after_days 14) is due. */
const LATER = "2026-02-22T09:00:00Z";

function cli(folder: string, args: string[], options: { now?: string; server?: Sink } = {}) {
  return run(args, {
    cwd: folder,
    env: {
      ...(options.now ? { OUTREACH_NOW: options.now } : {}),
      ...(options.server ? { OUTREACH_SMTP_URL: options.server.url } : {}),
    },
  });
}

/** stdout is exactly one JSON document (nothing before or after it). */
function parsed(stdout: string): unknown {
  expect(stdout.trim().startsWith("[") || stdout.trim().startsWith("{")).toBe(true);
  return JSON.parse(stdout);
}

describe("--json: stdout is one JSON document, or empty on an error", () => {
  it("send --dry-run --json lists each letter that would go, and prints nothing else on stdout", async () => {
    const folder = campaignFolder();
    const result = await cli(folder, ["send", "--dry-run", "--json"]);
    expect(result.exitCode).toBe(0);
    const dry = parsed(result.stdout) as { dry_run: boolean; would_send: Record<string, unknown>[] };
    expect(dry.dry_run).toBe(true);
    expect(dry.would_send).toEqual([
      {
        id: "un-special-rapporteur",
        to: [expect.stringContaining("urgent-appeals@un.example.org")],
        cc: [],
        subject: expect.stringContaining("Appeal"),
        stage: "appeal",
        transport: "outbox",
      },
      {
        id: "example-ngo",
        to: [expect.stringContaining("director@ngo.example.net")],
        cc: [expect.stringContaining("press@ngo.example.net")],
        subject: expect.any(String),
        stage: "appeal",
        transport: "outbox",
      },
    ]);
    expect(result.stderr).toContain("Dry run: nothing was sent");
    expect(existsSync(join(folder, "outbox"))).toBe(false);
  });

  it("send --dry-run without --json still lists the letters for a person", async () => {
    const result = await cli(campaignFolder(), ["send", "--dry-run"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(
      /^would send {2}un-special-rapporteur {2}→ .*urgent-appeals@un\.example\.org/m,
    );
  });

  it("a test dry run lists the test address and subject, not the recipients'", async () => {
    const result = await cli(campaignFolder(), [
      "send",
      "--dry-run",
      "--json",
      "--to-self",
      "me@example.org",
      "--limit",
      "1",
    ]);
    const dry = parsed(result.stdout) as { would_send: { to: string[]; cc: string[]; subject: string }[] };
    expect(dry.would_send).toHaveLength(1);
    expect(dry.would_send[0]).toMatchObject({ to: ["me@example.org"], cc: [] });
    expect(dry.would_send[0]?.subject).toMatch(/^\[TEST\] /);
  });

  it("followup --dry-run --json lists each follow-up with its stage and the transport", async () => {
    const server = await sink();
    const folder = campaignFolder();
    expect((await cli(folder, ["send", "--yes"], { now: SENT_AT, server })).exitCode).toBe(0);
    const result = await cli(folder, ["followup", "--dry-run", "--json"], { now: LATER, server });
    expect(result.exitCode).toBe(0);
    const dry = parsed(result.stdout) as { would_send: Record<string, unknown>[] };
    expect(dry.would_send).toEqual([
      expect.objectContaining({ id: "un-special-rapporteur", stage: "followup-1", transport: "smtp" }),
      expect.objectContaining({ id: "example-ngo", stage: "followup-1", transport: "smtp" }),
    ]);
    expect(dry.would_send[0]?.subject).toMatch(/^Re: /);
    expect(server.received).toHaveLength(2);

    const sent = await cli(folder, ["followup", "--json", "--yes"], { now: LATER, server });
    expect(sent.exitCode).toBe(0);
    expect((parsed(sent.stdout) as { sent: unknown[]; would_send: unknown[] }).sent).toHaveLength(2);
    expect(server.received).toHaveLength(4);
  });

  it("every command with --json prints JSON alone on stdout, on success and when the work fails", async () => {
    const server = await sink({
      onRcpt: (address) =>
        address === "director@ngo.example.net" ? { code: 550, message: "5.1.1 no such user" } : undefined,
    });
    const folder = campaignFolder();
    const cases: { args: string[]; exit: number; now?: string }[] = [
      { args: ["check", "--json"], exit: 0 },
      { args: ["recipients", "--json"], exit: 0 },
      { args: ["recipients", "--json", "--type", "un"], exit: 0 },
      { args: ["preview", "--json"], exit: 0 },
      { args: ["preview", "--json", "example-ngo"], exit: 0 },
      { args: ["send", "--dry-run", "--json"], exit: 0 },
      // The server refuses one addressee: the work failed (exit 1), the JSON still says what happened.
      { args: ["send", "--json", "--yes"], exit: 1, now: SENT_AT },
      { args: ["send", "--json", "--yes"], exit: 1, now: SENT_AT },
      { args: ["send", "--dry-run", "--json"], exit: 0 },
      // example-ngo reached only its Cc: partially delivered, which waits for the user's decision (exit 3).
      { args: ["status", "--json"], exit: 3, now: LATER },
      { args: ["outstanding", "--json"], exit: 0, now: LATER },
      { args: ["outstanding", "--json", "--overdue", "--type", "un"], exit: 0, now: LATER },
      { args: ["history", "un-special-rapporteur", "--json"], exit: 0, now: LATER },
      { args: ["followup", "--dry-run", "--json"], exit: 0, now: LATER },
      { args: ["export", "--format", "json"], exit: 0, now: LATER },
    ];
    for (const { args, exit, now } of cases) {
      const result = await cli(folder, args, { server, ...(now ? { now } : {}) });
      expect({ args, exit: result.exitCode }).toEqual({ args, exit });
      expect(() => parsed(result.stdout), `${args.join(" ")}: ${result.stdout.slice(0, 200)}`).not.toThrow();
    }
  });

  it("check --json on a folder with errors is still one JSON document (exit 1)", async () => {
    const folder = campaignFolder({ "recipients/broken.yaml": "- id: [unclosed\n" });
    const result = await cli(folder, ["check", "--json"]);
    expect(result.exitCode).toBe(1);
    expect((parsed(result.stdout) as { ok: boolean }).ok).toBe(false);
  });

  it("an error with --json leaves stdout empty and says why on stderr", async () => {
    const folder = campaignFolder();
    const cases: { args: string[]; exit: number; message: string }[] = [
      { args: ["send", "--json"], exit: 2, message: "needs a confirmation" },
      {
        args: ["send", "--json", "--dry-run", "nobody"],
        exit: 2,
        message: 'no recipient with the id "nobody"',
      },
      { args: ["followup", "--json", "--dry-run", "-c", "nope"], exit: 2, message: 'no campaign "nope"' },
      { args: ["preview", "--json", "exmaple-ngo"], exit: 2, message: 'did you mean "example-ngo"' },
      { args: ["recipients", "--json", "--tag", "genva"], exit: 2, message: 'did you mean "geneva"' },
      { args: ["outstanding", "--json", "--type", "ung"], exit: 2, message: 'did you mean "un"' },
      { args: ["history", "exampel-ngo", "--json"], exit: 2, message: 'did you mean "example-ngo"' },
      { args: ["status", "--json", "-c", "frist-appeal"], exit: 2, message: 'did you mean "first-appeal"' },
      { args: ["export", "--format", "jsno"], exit: 2, message: 'did you mean "json"' },
      { args: ["check", "--json", "--dir", "/nonexistent/folder"], exit: 2, message: "error" },
    ];
    for (const { args, exit, message } of cases) {
      const result = await cli(folder, args);
      expect({ args, exit: result.exitCode, stdout: result.stdout }).toEqual({ args, exit, stdout: "" });
      expect(result.stderr).toContain(message);
    }
  });
});

describe("filters and flags: a typo is wrong usage, never an empty answer", () => {
  it("outstanding --type embasy is exit 2 with 'did you mean', not 'No one is waiting'", async () => {
    const folder = campaignFolder();
    const result = await cli(folder, ["outstanding", "--type", "ngoo"]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain('no recipient has the type "ngoo" (--type)');
    expect(result.stderr).toContain('did you mean "ngo"?');
    const tag = await cli(folder, ["outstanding", "--tag", "genewa", "--csv"]);
    expect(tag.exitCode).toBe(2);
    expect(tag.stderr).toContain('did you mean "geneva"?');
  });

  it("a known type that matches no one says which filter matched no one", async () => {
    const result = await cli(campaignFolder(), ["outstanding", "--type", "un"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("No one matching --type un is waiting for an answer.");
  });

  it("values of one flag are alternatives (OR); --type and --tag together must both hold (AND)", async () => {
    const folder = campaignFolder();
    const ids = async (args: string[]) => {
      const result = await cli(folder, ["recipients", "--json", ...args]);
      expect(result.exitCode).toBe(0);
      return (JSON.parse(result.stdout) as { id: string }[]).map((row) => row.id);
    };
    expect(await ids(["--type", "un", "--type", "ngo"])).toHaveLength(3);
    expect(await ids(["--type", "un"])).toEqual(["un-special-rapporteur"]);
    expect(await ids(["--type", "ngo", "--tag", "geneva"])).toEqual([]);
    expect(await ids(["--type", "un", "--tag", "geneva"])).toEqual(["un-special-rapporteur"]);
  });

  it("log: unknown --outcome, --channel and --sent-by values get 'did you mean' before anything is read", async () => {
    const folder = campaignFolder();
    const cases: [string[], string][] = [
      [["--outcome", "acknowleged"], 'did you mean "acknowledged"?'],
      [["--outcome", "aknowledged", "--channel", "email"], 'did you mean "acknowledged"?'],
      [["--outcome", "meeting", "--channel", "emial"], 'did you mean "email"?'],
      [["--sent-by", "webform"], 'did you mean "web-form"?'],
    ];
    for (const [flags, hint] of cases) {
      const result = await cli(folder, ["log", "example-ngo", ...flags]);
      expect({ flags, exit: result.exitCode }).toEqual({ flags, exit: 2 });
      expect(result.stderr).toContain(hint);
    }
    expect(existsSync(join(folder, ".outreach", "journal.jsonl"))).toBe(false);
  });

  it("contradictory flags are exit 2 naming both, and nothing is done", async () => {
    const folder = campaignFolder();
    const cases: [string[], string, string][] = [
      [["resolve", "example-ngo", "--sent", "--not-sent"], "--not-sent", "--sent"],
      [["resolve", "example-ngo", "--not-sent", "--sent"], "--not-sent", "--sent"],
      [["preview", "--out", "p", "--json"], "--json", "--out"],
      [["outstanding", "--json", "--csv"], "--csv", "--json"],
      [["send", "--yes", "--outbox", "--include-outbox"], "--include-outbox", "--outbox"],
      [["followup", "--yes", "--outbox", "--include-outbox"], "--include-outbox", "--outbox"],
      [["export", "--excel", "--format", "json"], "--excel", "JSON"],
      [["export", "--excel", "-o", "state.json"], "--excel", "JSON"],
      [["outstanding", "--excel", "--json"], "--excel", "--json"],
      [["log", "example-ngo", "--sent-by", "fax", "--outcome", "meeting"], "--sent-by", "--outcome"],
    ];
    for (const [args, first, second] of cases) {
      const result = await cli(folder, args);
      expect({ args, exit: result.exitCode }).toEqual({ args, exit: 2 });
      expect(result.stderr).toContain(first);
      expect(result.stderr).toContain(second);
    }
    expect(readdirSync(folder).sort()).toEqual(readdirSync(campaignFolder()).sort());
  });

  it("resolve with neither --sent nor --not-sent asks for one", async () => {
    const result = await cli(campaignFolder(), ["resolve", "example-ngo"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("say what happened: --sent");
  });
});

describe("export for a coalition spreadsheet", () => {
  it("--excel writes a UTF-8 byte-order mark and CRLF line ends, Cyrillic intact", async () => {
    const folder = campaignFolder();
    const example = join(folder, "recipients", "example.yaml");
    const yaml = readFileSync(example, "utf8").replace(
      "organisation: Example Human Rights Association",
      "organisation: Бюро по правам человека",
    );
    const withCyrillic = campaignFolder({ "recipients/example.yaml": yaml });
    const result = await cli(withCyrillic, ["export", "--excel", "-o", "coalition.csv"]);
    expect(result.exitCode).toBe(0);
    const bytes = readFileSync(join(withCyrillic, "coalition.csv"));
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString("utf8");
    expect(text).toContain("Бюро по правам человека");
    const lines = text.split("\r\n");
    expect(lines).toHaveLength(5); // header, three rows, and the empty string after the last CRLF
    expect(text.replaceAll("\r\n", "")).not.toContain("\n");

    const plain = await cli(withCyrillic, ["export"]);
    expect(plain.stdout.charCodeAt(0)).not.toBe(0xfeff);
    expect(plain.stdout).not.toContain("\r\n");
  });

  it("outstanding --excel is the same CSV for Excel", async () => {
    const server = await sink();
    const folder = campaignFolder();
    expect((await cli(folder, ["send", "--yes"], { now: SENT_AT, server })).exitCode).toBe(0);
    const result = await run(["outstanding", "--excel"], {
      cwd: folder,
      env: { OUTREACH_NOW: LATER },
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.startsWith("\ufeffcampaign,id,")).toBe(true);
    expect(result.stdout.split("\r\n")).toHaveLength(3); // header and two rows (execa strips the final line end)
    const both = await cli(folder, ["outstanding", "--excel", "--json"]);
    expect(both.exitCode).toBe(2);
  });

  it("an auto-reply row has its outcome and date, and stays waiting", async () => {
    const server = await sink();
    const folder = campaignFolder();
    expect((await cli(folder, ["send", "--yes"], { now: SENT_AT, server })).exitCode).toBe(0);
    const logged = await cli(
      folder,
      ["log", "example-ngo", "--outcome", "auto-reply", "--date", "2026-02-02"],
      {
        now: "2026-02-03T10:00:00Z",
      },
    );
    expect(logged.exitCode).toBe(0);
    const result = await cli(folder, ["export", "--format", "json"], { now: "2026-02-03T10:00:00Z" });
    const row = (JSON.parse(result.stdout) as Record<string, unknown>[]).find((r) => r.id === "example-ngo");
    expect(row).toMatchObject({
      status: "waiting",
      outcome: "auto-reply",
      answered_on: "2026-02-02",
      answers: 1,
    });
  });
});

/**
 * Runs `command` through sh in a real pseudo-terminal (Python's pty module): stdin, stdout and stderr are the
 * terminal unless the command redirects them. When `prompt` appears on the terminal, types `answer`.
 */
function inTerminal(
  command: string,
  options: { cwd: string; prompt?: string; answer?: string; env?: Record<string, string> },
): { exitCode: number; screen: string } {
  const driver = `
import os, pty, select, sys, time
command, prompt, answer = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
pid, fd = pty.fork()
if pid == 0:
    os.execvp("sh", ["sh", "-c", command])
screen, typed, deadline = b"", False, time.time() + 25
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.1)
    if ready:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        screen += data
    if prompt and not typed and prompt in screen:
        time.sleep(0.3)
        os.write(fd, answer)
        typed = True
else:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(screen)
sys.stderr.write(str(os.waitstatus_to_exitcode(status)))
`;
  const result = spawnSync("python3", ["-c", driver, command, options.prompt ?? "", options.answer ?? ""], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: "1", OUTREACH_NOW: SENT_AT, ...options.env },
    encoding: "utf8",
    timeout: 30_000,
  });
  // The driver's only output on stderr is the command's exit code.
  return { exitCode: Number(result.stderr.trim().split("\n").at(-1)), screen: result.stdout };
}

describe("prompts on a real terminal", () => {
  const outreach = `node ${JSON.stringify(CLI)}`;
  const prompt = "Send 2 letters now?";

  it("send | tee log still asks on the terminal, and sends after yes", () => {
    const folder = campaignFolder();
    const { screen } = inTerminal(`${outreach} send | tee log.txt`, { cwd: folder, prompt, answer: "y\r" });
    expect(screen).toContain(prompt);
    expect(readFileSync(join(folder, "log.txt"), "utf8")).toContain(
      "Wrote 2 letters to outbox/first-appeal/",
    );
    expect(
      readdirSync(join(folder, "outbox", "first-appeal")).filter((f) => f.endsWith(".eml")),
    ).toHaveLength(2);
  });

  it("send --json > f asks on the terminal and leaves only the JSON in the file", () => {
    const folder = campaignFolder();
    const { screen, exitCode } = inTerminal(`${outreach} send --json > result.json`, {
      cwd: folder,
      prompt,
      answer: "y\r",
    });
    expect(screen).toContain(prompt);
    expect(exitCode).toBe(0);
    const result = JSON.parse(readFileSync(join(folder, "result.json"), "utf8")) as { sent: unknown[] };
    expect(result.sent).toHaveLength(2);
  });

  it("send 2>err.txt draws the prompt on the terminal, not into the file", () => {
    const folder = campaignFolder();
    const { screen, exitCode } = inTerminal(`${outreach} send 2>err.txt`, {
      cwd: folder,
      prompt,
      answer: "n\r",
    });
    expect(screen).toContain(prompt);
    expect(exitCode).toBe(0);
    const err = readFileSync(join(folder, "err.txt"), "utf8");
    expect(err).not.toContain(prompt);
    expect(err).toContain("Nothing was sent.");
    expect(existsSync(join(folder, "outbox"))).toBe(false);
  });

  it("with stdin not a terminal, it never asks (and never hangs): exit 2 and --yes is suggested", () => {
    const folder = campaignFolder();
    const { screen, exitCode } = inTerminal(`${outreach} send < /dev/null`, { cwd: folder });
    expect(exitCode).toBe(2);
    expect(screen).not.toContain(prompt);
    expect(screen).toContain("add --yes");
  });

  it("with both outputs going to files, it does not ask into them", () => {
    const folder = campaignFolder();
    const { exitCode } = inTerminal(`${outreach} send >out.txt 2>err.txt`, { cwd: folder });
    expect(exitCode).toBe(2);
    expect(readFileSync(join(folder, "err.txt"), "utf8")).toContain("needs a confirmation");
    expect(readFileSync(join(folder, "out.txt"), "utf8")).toBe("");
  });

  it("log asks for the outcome on the terminal even when stdout is piped", () => {
    const folder = campaignFolder();
    inTerminal(
      `${outreach} send --yes --outbox >/dev/null 2>&1; ${outreach} log example-ngo --sent-by email >/dev/null`,
      {
        cwd: folder,
      },
    );
    const { screen } = inTerminal(`${outreach} log example-ngo --channel email --note ok | cat`, {
      cwd: folder,
      prompt: "What was the answer?",
      answer: "\r",
      env: { OUTREACH_NOW: LATER },
    });
    expect(screen).toContain("What was the answer?");
    expect(screen).toContain("Recorded: example-ngo acknowledged");
  });
});
