// Each command says and does only what concerns it: a report of what was sent carries no warnings from
// check, and the sending rate paces hand-offs to a server, not the files written to outbox/.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { campaignFolder, run } from "./support.js";

/** The starter with one warning: a tag in select that no recipient has. */
function warnedFolder(): string {
  const config = readFileSync(join(campaignFolder(), "outreach.yaml"), "utf8");
  const changed = config.replace("      # tags: [geneva]", "      tags: [nomatch]");
  if (changed === config) throw new Error("the starter's outreach.yaml changed: update this test");
  return campaignFolder({ "outreach.yaml": changed });
}

describe("a warning in the folder", () => {
  it("is not printed by the reports (status, outstanding, history, export); send still points to check", async () => {
    const folder = warnedFolder();
    const checked = await run(["check"], { cwd: folder });
    expect(checked.stdout).toMatch(/no recipient has the tag "nomatch"/);
    const reports = await Promise.all(
      [["status"], ["outstanding"], ["history", "example-ngo"], ["export"]].map((args) =>
        run(args, { cwd: folder }),
      ),
    );
    for (const report of reports) {
      expect(report.exitCode, report.stderr).toBe(0);
      expect(report.stderr).not.toMatch(/warning/i);
    }
    const sent = await run(["send", "--yes", "--outbox"], { cwd: folder });
    expect(sent.stderr).toContain('1 warning: "outreach check" lists them.');
  });
});

describe("--rate", () => {
  it("does not pace the outbox: three letters at 1/minute are written at once", async () => {
    const folder = campaignFolder();
    // Paced, the second letter would wait a minute: past the 30 s `run` allows a command before it fails.
    const sent = await run(["send", "--yes", "--outbox", "--rate", "1/minute"], { cwd: folder });
    expect(sent.exitCode, sent.stderr).toBe(0);
    expect(sent.stderr).not.toMatch(/at most 1\/minute/);
    expect(sent.stdout).toMatch(/Wrote 2 letters to outbox\/first-appeal\//);
  });
});
