// `outreach report`, opened in a real browser: Debian's Chromium driven by playwright-core (no browser
// download). The page loads nothing and runs nothing, shows the figures of `status --json`, draws each chart
// with a mark per datum, prints on A4 with every recipient, and with --redact names no one.
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { execa } from "execa";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CAMPAIGN, HOSTILE, PRIVATE, reportFolder } from "./report-fixture.js";
import { CLI, run, tempFolder } from "./support.js";

const CHROMIUM = "/usr/bin/chromium";
const NOW = "2026-02-01T12:00:00Z";

let browser: Browser;
let folder: string;
let temp: string;
/** The working copy and the redacted one, made once for the whole file. */
let full: string;
let shared: string;

beforeAll(async () => {
  folder = reportFolder();
  temp = tempFolder("outreach-report-");
  [full, shared] = await Promise.all([makeReport("report.html"), makeReport("shared.html", "--redact")]);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

function cli(args: string[], cwd = folder) {
  return run(args, { cwd, env: { OUTREACH_NOW: NOW } });
}

/** Writes the report to `name` in the temp folder; returns its path. */
async function makeReport(name: string, ...flags: string[]): Promise<string> {
  const path = join(temp, name);
  const made = await cli(["report", "-o", path, ...flags]);
  expect(made.stderr).toContain(
    `Wrote the report (11 recipients${flags.includes("--redact") ? ", redacted" : ""})`,
  );
  expect(made.exitCode).toBe(0);
  return path;
}

/** Opens the file in a fresh page, recording console errors and every request the page makes. */
async function open(path: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("request", (request) => requests.push(request.url()));
  await page.goto(pathToFileURL(path).href, { waitUntil: "load" });
  return { page, errors, requests };
}

const count = (page: Page, selector: string) => page.locator(selector).count();

describe("report", () => {
  it("loads nothing from anywhere, logs no error, runs no script and shows the world's text as text", async () => {
    const { page, errors, requests } = await open(full);
    expect(errors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(full).href]);
    expect(await count(page, "script")).toBe(0);
    const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute("content");
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'none'");
    const organisations = await page.locator("td.org").allInnerTexts();
    expect(organisations.some((text) => text.startsWith(HOSTILE))).toBe(true);
    await page.screenshot({ path: join(temp, "report.png"), fullPage: true });
    expect(statSync(join(temp, "report.png")).size).toBeGreaterThan(10_000);
    await page.close();
  });

  it("shows the headline figures of status --json", async () => {
    const status = await cli(["status", "--json"]);
    const [figures] = JSON.parse(status.stdout) as Record<string, number | null>[];
    const { page } = await open(full);
    const shown: Record<string, string> = {};
    for (const element of await page.locator("[data-figure]").all()) {
      shown[(await element.getAttribute("data-figure")) as string] = (await element.getAttribute(
        "data-value",
      )) as string;
    }
    const keys = [
      "sent",
      "delivered",
      "answered",
      "answer_rate",
      "median_days_to_answer",
      "overdue",
      "bounced",
    ];
    for (const key of [...keys, "sent_by_hand"]) expect(shown[key], key).toBe(String(figures?.[key]));
    // The fixture's own story, so that both cannot be wrong together.
    expect(figures).toMatchObject({
      sent: 9,
      delivered: 8,
      answered: 4,
      overdue: 2,
      bounced: 1,
      sent_by_hand: 1,
    });
    expect(figures?.median_days_to_answer).toBe(6);
    expect(await page.locator('[data-figure="answer_rate"] dd').textContent()).toBe("44%");
    await page.close();
  });

  it("draws each chart with one mark per datum", async () => {
    const { page } = await open(full);
    const chart = (name: string) => `[data-chart="${name}"] svg`;
    // Four first answers, on four days: a dot each on the line.
    expect(await count(page, `${chart("answers-over-time")} g.mark-symbol.role-mark path`)).toBe(4);
    expect(await count(page, `${chart("answers-over-time")} g.mark-line.role-mark path`)).toBe(1);
    // One segment per kind of body and outcome: embassy 2, eu 1, icrc 1, ngo 2, osce 1, un 2.
    expect(await count(page, `${chart("outcomes-by-type")} g.mark-rect.role-mark path`)).toBe(9);
    // A dot per first answer, a median per kind of body that had one (eu, ngo, un).
    expect(await count(page, `${chart("days-by-type")} g.mark-symbol.role-mark path`)).toBe(4);
    expect(await count(page, `${chart("days-by-type")} g.mark-rect.role-mark path`)).toBe(3);
    await page.close();
  });

  it("prints on A4 with every recipient's row, the table's header repeated on each page", async () => {
    const { page } = await open(full);
    await page.emulateMedia({ media: "print" });
    const rows = page.locator("tr[data-recipient]");
    expect(await rows.count()).toBe(11);
    for (const row of await rows.all()) expect(await row.isVisible()).toBe(true);
    // Strings, not functions: they run in the page, where the DOM is (this file is typed for Node).
    const display = await page.evaluate<string>('getComputedStyle(document.querySelector("thead")).display');
    expect(display).toBe("table-header-group");
    const pdf = await page.pdf({ format: "A4", printBackground: true });
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    expect(pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g)?.length ?? 0).toBeGreaterThan(0);
    writeFileSync(join(temp, "report.pdf"), pdf);
    await page.close();
  });
});

describe("report --redact", () => {
  it("leaves no name, address or note anywhere, not in the text, the attributes or the charts", async () => {
    const redacted = readFileSync(shared, "utf8");
    const working = readFileSync(full, "utf8");
    for (const secret of PRIVATE) expect(redacted.toLowerCase(), secret).not.toContain(secret.toLowerCase());
    // What the working copy shows, so that the test would see it leak.
    for (const shown of [
      "Amara Contactname",
      "sr@un.example.org",
      "Dr Notename",
      "Lena Notename",
      "Kim Fromname",
    ]) {
      expect(working).toContain(shown);
    }
    const { page } = await open(shared);
    const everything = await page.evaluate<string>(
      `[...document.querySelectorAll("*")]
        .flatMap((element) => [element.textContent, ...[...element.attributes].map((a) => a.value)])
        .join("\\n")`,
    );
    for (const secret of PRIVATE)
      expect(everything.toLowerCase(), secret).not.toContain(secret.toLowerCase());
    expect(await count(page, "tr[data-recipient]")).toBe(11);
    expect(await page.locator(".redacted").textContent()).toContain("left out");
    await page.close();
  });
});

describe("report output", () => {
  it("goes to stdout through a pipe, writing nothing in the folder", async () => {
    const piped = await cli(["report"]);
    expect(piped.exitCode).toBe(0);
    expect(piped.stdout.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(existsSync(join(folder, "reports"))).toBe(false);
  });

  it("on a terminal without -o, writes reports/<campaign>-<day>.html in the folder and says so", async () => {
    // `script` gives the CLI a pseudo-terminal for its output, as a person's terminal would.
    const terminal = await execa("script", ["-q", "-e", "-c", `node ${CLI} report --redact`, "/dev/null"], {
      cwd: folder,
      env: { NO_COLOR: "1", OUTREACH_NOW: NOW },
      stdin: "ignore",
      reject: false,
      timeout: 30_000,
    });
    const name = `reports/${CAMPAIGN}-2026-02-01-redacted.html`;
    expect(terminal.exitCode).toBe(0);
    expect(String(terminal.stdout)).toContain(`Wrote the report (11 recipients, redacted) to ${name}`);
    expect(String(terminal.stdout)).not.toContain("<!DOCTYPE");
    expect(readFileSync(join(folder, name), "utf8")).toContain('class="redacted"');
    rmSync(join(folder, "reports"), { recursive: true });
  });

  it("refuses a folder that does not exist for -o, naming it, with nothing written", async () => {
    const result = await cli(["report", "-o", join(temp, "missing", "r.html")]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("r.html cannot be written: the folder it goes in does not exist");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("meets a damaged journal as status does", async () => {
    const damaged = reportFolder();
    const path = join(damaged, ".outreach", "journal.jsonl");
    const lines = readFileSync(path, "utf8").split("\n");
    lines.splice(3, 0, '{"v":1,"type":"sent",');
    writeFileSync(path, lines.join("\n"));
    const status = await cli(["status"], damaged);
    const report = await cli(["report"], damaged);
    expect(status.exitCode).not.toBe(0);
    expect(report.exitCode).toBe(status.exitCode);
    expect(report.stderr).toBe(status.stderr);
    expect(report.stdout).toBe("");
  });
});
