import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { CLI, run, snapshot, tempFolder } from "./support.js";

describe("outreach init", () => {
  it("creates a starter campaign that passes check and previews every letter", async () => {
    const parent = tempFolder();
    const created = await run(["init", "appeal"], { cwd: parent });
    expect(created.exitCode).toBe(0);
    expect(created.stdout).toContain("outreach.yaml");
    const folder = join(parent, "appeal");
    expect(readFileSync(join(folder, ".gitignore"), "utf8")).toContain(".outreach/cache/");
    expect(readFileSync(join(folder, ".gitattributes"), "utf8")).toContain(
      ".outreach/journal.jsonl merge=union",
    );

    const checked = await run(["check"], { cwd: folder });
    expect(checked.stdout).toContain("No errors");
    expect(checked.exitCode).toBe(0);

    const previewed = await run(["preview"], { cwd: folder });
    expect(previewed.exitCode).toBe(0);
    expect(previewed.stdout).toContain("Dear Special Rapporteur,");
    expect(previewed.stdout).toContain("Madame, Monsieur,");
    expect(previewed.stdout).toContain("15 janvier 2026");
    expect(previewed.stdout).toContain("(no email: deliver by web form https://www.example.org/contact)");
  });

  it("refuses to overwrite anything and writes nothing when a file exists", async () => {
    const folder = tempFolder();
    writeFileSync(join(folder, "outreach.yaml"), "# mine\n");
    const before = snapshot(folder);
    const result = await run(["init"], { cwd: folder });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("already has outreach.yaml");
    expect(result.stderr).toContain("nothing was written");
    expect(snapshot(folder)).toEqual(before);
    expect(existsSync(join(folder, "recipients"))).toBe(false);
  });
});

describe("colour", () => {
  it("is never used when the output is not a terminal, and never with NO_COLOR even when forced", async () => {
    const folder = tempFolder();
    await run(["init", "c"], { cwd: folder });
    const plain = await execa("node", [CLI, "check", "--dir", "c"], {
      cwd: folder,
      reject: false,
      env: { NO_COLOR: "", FORCE_COLOR: "" },
    });
    expect(String(plain.stdout)).toContain("No errors.");
    expect(String(plain.stdout)).not.toContain("\u001b[");
    const forced = await execa("node", [CLI, "check", "--dir", "c"], {
      cwd: folder,
      reject: false,
      env: { FORCE_COLOR: "1" },
    });
    expect(String(forced.stdout)).toContain("\u001b[");
    const refused = await execa("node", [CLI, "check", "--dir", "c"], {
      cwd: folder,
      reject: false,
      env: { FORCE_COLOR: "1", NO_COLOR: "1" },
    });
    expect(String(refused.stdout)).not.toContain("\u001b[");
  });
});
