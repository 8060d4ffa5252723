// What a person sees on a terminal and a script sees through a pipe: the live progress line (drawn in place on
// a pseudo-terminal made by script(1), plain lines with no escape code through a pipe), and preview's pager
// (used on a terminal, never through a pipe, quitting early is fine, a missing one falls back to the text).
import { spawn } from "node:child_process";
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { progressText, startProgress } from "../src/adapters/progress.js";
import type { IO } from "../src/adapters/terminal.js";
import { grouped } from "../src/core/text-rules.js";
import { CLI, campaignFolder, NOW, REPO, run, tempFolder } from "./support.js";

const ESCAPE = "\u001b";
// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what is looked for
const HIDDEN = /[\u001b\u202e]/;

/** Runs the CLI on a pseudo-terminal (stdin, stdout and stderr), as a user's terminal; gives all it drew. */
function onTerminal(folder: string, args: string, env: Record<string, string> = {}) {
  return new Promise<{ exitCode: number | null; screen: string }>((resolve, reject) => {
    const child = spawn("script", ["-qefc", `node ${CLI} ${args}`, "/dev/null"], {
      cwd: folder,
      env: { ...process.env, NO_COLOR: "1", OUTREACH_NOW: NOW, TERM: "xterm", ...env },
    });
    let screen = "";
    child.stdout.on("data", (chunk: Buffer) => {
      screen += chunk.toString();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`timed out; the screen:\n${screen}`));
    }, 20_000);
    child.on("exit", (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, screen });
    });
  });
}

/** A terminal stream in memory, with a clock the test moves. */
function fakeTerminal(columns = 100) {
  let written = "";
  const stream = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        written += chunk.toString();
        done();
      },
    }),
    { isTTY: true, columns },
  );
  const io = { stderr: stream, env: {} } as unknown as IO;
  return { io, text: () => written };
}

describe("the live progress line", () => {
  it("names a letter the server has held for more than a few seconds, keeps failures on screen, clears itself", () => {
    const terminal = fakeTerminal();
    let now = 0;
    const progress = startProgress(terminal.io, {
      total: 3,
      noun: "letter",
      verb: "sent",
      clock: () => now,
    });
    progress.serverHas("embassy-us");
    now = 1000;
    progress.serverAnswered("embassy-us");
    progress.finished("embassy-us", "[1/3] sent embassy-us");
    progress.serverHas("ohchr");
    now = 13_500;
    progress.note("[2/3] failed ohchr: 550 no such user");
    progress.finished("ohchr");
    progress.stop();
    const text = terminal.text();
    expect(text).toContain("waiting for the server: ohchr, 12 s");
    expect(text).not.toContain("waiting for the server: embassy-us");
    expect(text).toContain("[2/3] failed ohchr: 550 no such user\n");
    // The plain line of a clean send is not printed on a terminal: the count says it.
    expect(text).not.toContain("[1/3] sent embassy-us");
    expect(text).toContain("2/3 letters sent");
    expect(text.endsWith(`${ESCAPE}[2K`)).toBe(true);
  });

  it("the text: done / total, rate, time left", () => {
    expect(progressText({ done: 10, total: 40, noun: "letter", verb: "sent", elapsedMs: 5000 })).toBe(
      "10/40 letters sent · 2.0/s · about 15 s left",
    );
    expect(progressText({ done: 0, total: 1, noun: "message", verb: "read", elapsedMs: 0 })).toBe(
      "0/1 message read",
    );
  });

  it("import on a pseudo-terminal draws its rows on one live line; through a pipe or with --json, none", async () => {
    const list = (folder: string) => {
      const rows = Array.from(
        { length: 40 },
        (_, index) => `Body ${index},office${index}@body${index}.example.org,ngo,Hi`,
      );
      writeFileSync(join(folder, "list.csv"), `Organisation,Email,Type,Salutation\n${rows.join("\n")}\n`);
      return folder;
    };
    const live = await onTerminal(list(campaignFolder()), "import list.csv --dry-run");
    expect(live.exitCode, live.screen).toBe(0);
    expect(live.screen).toContain(`${ESCAPE}[1G40/40 rows read`);
    expect(live.screen).toContain("Read 40 rows from list.csv");

    const piped = await run(["import", "list.csv", "--dry-run"], { cwd: list(campaignFolder()) });
    expect(piped.exitCode, piped.stderr).toBe(0);
    expect(piped.stderr + piped.stdout).not.toContain(ESCAPE);
    expect(piped.stderr).not.toContain("rows read");
    const json = await onTerminal(list(campaignFolder()), "import list.csv --dry-run --json");
    expect(json.screen).not.toContain("rows read");
  });

  it("send on a pseudo-terminal redraws one line in place; through a pipe, a line per letter and no escape code", async () => {
    const folder = campaignFolder();
    const live = await onTerminal(folder, "send --yes --outbox");
    expect(live.exitCode, live.screen).toBe(0);
    expect(live.screen).toContain(`${ESCAPE}[1G0/2 letters written`);
    expect(live.screen).toContain(`${ESCAPE}[1G2/2 letters written`);
    // One line, redrawn: no newline between the first drawing and the last, and no per-letter line.
    const drawn = live.screen.slice(
      live.screen.indexOf("0/2 letters"),
      live.screen.lastIndexOf("2/2 letters"),
    );
    expect(drawn).not.toContain("\n");
    expect(live.screen).not.toMatch(/\[1\/2\] written/);
    // NO_COLOR: cursor movement, but never a colour.
    expect(live.screen).not.toMatch(new RegExp(`${ESCAPE}\\[\\d+(;\\d+)*m`));

    const piped = await run(["send", "--yes", "--outbox", "-c", "first-appeal"], { cwd: campaignFolder() });
    expect(piped.exitCode, piped.stderr).toBe(0);
    expect(piped.stderr).toMatch(/\[1\/2\] written {3}\S+ →/);
    expect(piped.stderr + piped.stdout).not.toContain(ESCAPE);

    const quiet = await onTerminal(campaignFolder(), "send --yes --outbox --quiet");
    expect(quiet.exitCode, quiet.screen).toBe(0);
    expect(quiet.screen).not.toContain("letters written");
    expect(quiet.screen).not.toContain(ESCAPE);
  });

  it("fits a terminal of any width and writes out what a label from the world holds", () => {
    for (const columns of [5, 30]) {
      const screen = fakeTerminal(columns);
      let now = 0;
      const progress = startProgress(screen.io, {
        total: 2,
        noun: "message",
        verb: "read",
        clock: () => now,
      });
      progress.serverHas("INBOX\u001b[2J\u202e: #1");
      now = 5000;
      progress.note("a note");
      progress.stop();
      // What is drawn between the cursor moves (ESC [ … G / K) is the line itself.
      const drawn = screen
        .text()
        .split(new RegExp(`${"\u001b"}\\[\\d*[GK]`))
        .filter((piece) => piece !== "" && piece !== "a note\n");
      expect(drawn.length).toBeGreaterThan(0);
      for (const piece of drawn) {
        expect(piece.length).toBeLessThan(columns);
        expect(piece).not.toMatch(HIDDEN);
      }
    }
  });
});

describe("preview's pager", () => {
  const MARK = "PAGED-BY-THE-TEST";

  it("on a terminal the letters go through $PAGER; through a pipe, or with --no-pager, they do not", async () => {
    const folder = campaignFolder();
    const paged = await onTerminal(folder, "preview", { PAGER: `cat; echo ${MARK}` });
    expect(paged.exitCode, paged.screen).toBe(0);
    expect(paged.screen).toContain("Dear Special Rapporteur,");
    expect(paged.screen).toContain(MARK);
    // The pager has the whole text before outreach says it is done.
    expect(paged.screen.indexOf(MARK)).toBeLessThan(paged.screen.indexOf("letters previewed"));

    const plainCat = await onTerminal(folder, "preview", { PAGER: "cat" });
    expect(plainCat.exitCode).toBe(0);
    expect(plainCat.screen).toContain("Dear Special Rapporteur,");

    const noPager = await onTerminal(folder, "preview --no-pager", { PAGER: `cat; echo ${MARK}` });
    expect(noPager.screen).toContain("Dear Special Rapporteur,");
    expect(noPager.screen).not.toContain(MARK);

    const piped = await run(["preview"], { cwd: folder, env: { PAGER: `cat; echo ${MARK}` } });
    expect(piped.exitCode).toBe(0);
    expect(piped.stdout).toContain("Dear Special Rapporteur,");
    expect(piped.stdout).not.toContain(MARK);
  });

  it("a reader who quits early is not an error; a pager that is not installed leaves the plain text, no stack trace", async () => {
    // The bundled example: some 200 kB of letters, more than a pipe holds, so the writes meet a closed pipe.
    const folder = tempFolder();
    for (const part of ["outreach.yaml", "recipients", "templates", "attachments"]) {
      cpSync(join(REPO, part), join(folder, part), { recursive: true });
    }
    const quit = await onTerminal(folder, "preview", { PAGER: "head -n 3" });
    expect(quit.exitCode, quit.screen).toBe(0);
    expect(quit.screen).not.toMatch(/EPIPE|Error|at .*\.js:\d+/);
    expect(quit.screen).toContain("letters previewed");

    const missing = await onTerminal(campaignFolder(), "preview", { PAGER: "no-such-pager-here -R" });
    expect(missing.exitCode, missing.screen).toBe(0);
    expect(missing.screen).toContain('The pager "no-such-pager-here -R" cannot be found');
    expect(missing.screen).toContain("Dear Special Rapporteur,");
    expect(missing.screen).not.toMatch(/at .*\.js:\d+/);
  });

  it("a pager that fails shows nothing, so the text is shown without it", async () => {
    const folder = campaignFolder();
    const failed = await onTerminal(folder, "preview", { PAGER: "false" });
    expect(failed.exitCode, failed.screen).toBe(0);
    expect(failed.screen).toContain('The pager "false" failed (exit code 1)');
    expect(failed.screen).toContain("Dear Special Rapporteur,");
  });
});

describe("counts", () => {
  it("are grouped in thousands as en-GB writes them, without ICU", () => {
    const counts = [
      0, 1, 12, 999, 1000, 9999, 10_000, 123_456, 1_000_000, 98_765_432_101, -1, -1000, -123_456,
    ];
    for (let count = 0; count < 20_000; count += 37) counts.push(count);
    for (const count of [...counts, 1.5, 12_345.25, Number.MAX_SAFE_INTEGER * 4])
      expect(grouped(count)).toBe(count.toLocaleString("en-GB"));
  });
});
