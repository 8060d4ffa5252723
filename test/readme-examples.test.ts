// The README's and --help's example command lines, run as written: the ones about the bundled Khorog example
// against a copy of the repository root (itself that campaign folder), the "After sending" walk-through
// against the starter campaign it is written for. None may meet an unknown id, value or option.
import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sinkPerTest } from "./smtp-sink.js";
import { REPO, run, STARTER, tempFolder } from "./support.js";

const sink = sinkPerTest();

/** Splits a command line as sh would for these examples: words, "double" and 'single' quoted strings. */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map(
    (match) => match[1] ?? match[2] ?? match[3] ?? "",
  );
}

/** `outreach …` lines inside the README's fenced blocks, with their section, comments cut off. */
function readmeExamples(): { section: string; args: string[]; line: string; inline: boolean }[] {
  const examples: { section: string; args: string[]; line: string; inline: boolean }[] = [];
  let section = "";
  let fenced = false;
  for (const text of readFileSync(join(REPO, "README.md"), "utf8").split("\n")) {
    if (text.startsWith("## ")) section = text.slice(3);
    if (text.startsWith("```")) {
      fenced = !fenced;
      continue;
    }
    const command = /^(?:\$ )?outreach (.*)$/.exec(text);
    if (fenced && command) {
      const line = (command[1] ?? "").replace(/\s+#.*$/, "");
      examples.push({ section, args: words(line), line: `outreach ${line}`, inline: false });
    }
    // Commands quoted in the text, unless they hold a placeholder (ID, FILE, …) or a pipe or redirection.
    for (const [, inline] of fenced ? [] : text.matchAll(/`outreach ([^`]*)`/g)) {
      if (!inline || /[A-Z]{2,}|[|<>[…&]/.test(inline)) continue;
      examples.push({ section, args: words(inline), line: `outreach ${inline}`, inline: true });
    }
  }
  return examples;
}

/**
 * What a person at a terminal would answer: a send that asks for confirmation gets "yes". A rate-limited send
 * is cut to two letters, one interval, so that the example's speed limit does not become the test's.
 */
function asTyped(args: string[]): string[] {
  const sends = args[0] === "send" || args[0] === "followup";
  const confirmed =
    sends && !args.includes("--yes") && !args.includes("--dry-run") ? [...args, "--yes"] : args;
  return args.includes("--rate") && !args.includes("--limit") ? [...confirmed, "--limit", "2"] : confirmed;
}

function bundledExample(): string {
  const folder = tempFolder("outreach-readme-");
  for (const part of ["outreach.yaml", "recipients", "templates", "attachments", "examples"]) {
    cpSync(join(REPO, part), join(folder, part), { recursive: true });
  }
  return folder;
}

function expectNoUsageError(line: string, result: { exitCode: number; stdout: string; stderr: string }) {
  const verdict = result.exitCode === 2 ? "usage error" : result.exitCode < 0 ? "timed out" : "ok";
  expect({ line, exit: verdict }).toEqual({ line, exit: "ok" });
  expect(result.stderr, line).not.toMatch(/no recipient with the id|unknown|did you mean|no campaign/);
}

// Each runs a few dozen whole commands.
describe("the README's examples run as written", { timeout: 300_000 }, () => {
  it("finds the examples to run", () => {
    const examples = readmeExamples();
    expect(examples.length).toBeGreaterThan(20);
    expect(examples.some((example) => example.section.startsWith("After sending"))).toBe(true);
  });

  it("every example about the bundled campaign runs against it, and its filters match someone", async () => {
    const folder = bundledExample();
    // Commands quoted in the walk-through's text belong to the bundled campaign as much as to the starter.
    const examples = readmeExamples().filter(
      ({ section, args, inline }) => (inline || !section.startsWith("After sending")) && args[0] !== "init",
    );
    expect(examples.filter(({ inline }) => inline).length).toBeGreaterThan(5);
    // A date after the letter's, so that "today" and the campaign agree.
    const env = { OUTREACH_NOW: "2012-08-15" };
    for (const { args, line } of examples) {
      const result = await run(asTyped(args), { cwd: folder, env });
      expectNoUsageError(line, result);
      // The bundled 2012 campaign's addresses were current when its letter was dated: no warnings.
      expect(result.stderr, line).not.toMatch(/warning/i);
      if (args[0] === "recipients" && (args.includes("--type") || args.includes("--tag"))) {
        const listed = await run([...args.filter((arg) => arg !== "--json"), "--json"], { cwd: folder, env });
        expect((JSON.parse(listed.stdout) as unknown[]).length, line).toBeGreaterThan(0);
      }
    }
  });

  it("the walk-through after sending runs in order on the starter campaign it is written for", async () => {
    const server = await sink();
    const folder = tempFolder("outreach-walk-");
    cpSync(STARTER, folder, { recursive: true });
    const examples = readmeExamples().filter(
      ({ section, inline }) => section.startsWith("After sending") && !inline,
    );
    expect(examples[0]?.args).toEqual(["send", "--yes"]);
    let now = "2026-02-02T09:00:00Z";
    for (const { args, line } of examples) {
      // A saved reply in the reader's Downloads folder is not here to read.
      if (args.some((arg) => arg.startsWith("~/"))) continue;
      const result = await run(asTyped(args), {
        cwd: folder,
        env: { OUTREACH_NOW: now, OUTREACH_SMTP_URL: server.url },
      });
      expectNoUsageError(line, result);
      expect({ line, exit: result.exitCode }).toEqual({ line, exit: 0 });
      now = "2026-02-20T09:00:00Z";
    }
    expect(server.received.length).toBeGreaterThanOrEqual(3);
  });

  it("every example in --help runs against the bundled campaign", async () => {
    const folder = bundledExample();
    const env = { OUTREACH_NOW: "2012-08-15" };
    const commands = ["init", "check", "recipients", "preview", "send", "status", "resolve", "log"];
    commands.push("outstanding", "history", "followup", "export", "report");
    for (const command of commands) {
      const help = await run([command, "--help"], { cwd: folder });
      expect(help.exitCode).toBe(0);
      const examples = help.stdout
        .split("\n")
        .flatMap((text) => (/^ {2}outreach (.*)$/.exec(text)?.[1] ? [text.trim()] : []));
      expect(examples.length, command).toBeGreaterThan(0);
      for (const line of examples) {
        const args = words(line).slice(1);
        if (args.some((arg) => arg.startsWith("~/"))) continue;
        const cwd = args[0] === "init" ? tempFolder() : folder;
        expectNoUsageError(line, await run(asTyped(args), { cwd, env }));
      }
    }
  });
});
