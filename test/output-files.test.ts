// What outreach writes where the user names it (export -o FILE, preview --out DIR): never through a link,
// never into a FIFO or device (and never waiting on one), never under a name with a control character.
import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import {
  CLI,
  type CliResult,
  campaignFolder,
  canMountTmpfs,
  fillUp,
  liveProcess,
  mountTmpfs,
  NOW,
  run,
  STARTER,
  tempFolder,
  unBodies,
} from "./support.js";

function expectRefused(result: CliResult, sentence: RegExp, exitCode = 1): void {
  expect(result.stderr).toMatch(sentence);
  expect(result.stderr).not.toMatch(/\n\s+at |unexpected error/);
  expect(result.exitCode).toBe(exitCode);
}

/** A file outside the campaign folder that nothing may touch. */
function bystander(): string {
  const path = join(tempFolder(), "precious.txt");
  writeFileSync(path, "keep me\n");
  return path;
}

describe("export -o", () => {
  it("a link in the file's place is not written through, wherever it leads", async () => {
    const folder = campaignFolder();
    const outside = bystander();
    symlinkSync(outside, join(folder, "report.csv"));
    writeFileSync(join(folder, "inside.csv"), "old\n");
    symlinkSync("inside.csv", join(folder, "inner.csv"));
    const out = await run(["export", "-o", "report.csv"], { cwd: folder });
    expectRefused(out, /report\.csv is a link to .*precious\.txt, and outreach does not write through links/);
    const inner = await run(["export", "-o", "inner.csv"], { cwd: folder });
    expectRefused(inner, /inner\.csv is a link to inside\.csv/);
    expect(readFileSync(outside, "utf8")).toBe("keep me\n");
    expect(readFileSync(join(folder, "inside.csv"), "utf8")).toBe("old\n");
  });

  it("a folder on the way that links out of the campaign folder is refused", async () => {
    const folder = campaignFolder();
    const outside = tempFolder();
    symlinkSync(outside, join(folder, "reports"));
    const result = await run(["export", "-o", "reports/state.csv"], { cwd: folder });
    expectRefused(result, /reports is a link to .*, outside the campaign folder/);
    expect(readdirSync(outside)).toEqual([]);
  });

  it("a FIFO is refused at once, not waited on; -o - writes to standard output", async () => {
    const folder = campaignFolder();
    execFileSync("mkfifo", [join(folder, "pipe.csv")]);
    const result = await run(["export", "-o", "pipe.csv"], { cwd: folder });
    expectRefused(result, /pipe\.csv is a named pipe \(FIFO\), not an ordinary file/);
    const dash = await run(["export", "-o", "-"], { cwd: folder });
    expect(dash.exitCode).toBe(0);
    expect(dash.stdout).toMatch(/^campaign,id,/);
    expect(existsSync(join(folder, "-"))).toBe(false);
  });

  it("a name with a line break or control character is refused, and no file is made", async () => {
    const folder = campaignFolder();
    const result = await run(["export", "-o", "a\nb.csv"], { cwd: folder });
    expectRefused(result, /-o "a\\u\{A\}b\.csv" contains a line break \(U\+000A\)/, 2);
    const cursor = await run(["export", "-o", "x\u001b[2Jy.csv"], { cwd: folder });
    expectRefused(cursor, /contains a control character \(U\+001B\)/, 2);
    expect(cursor.stderr).not.toContain("\u001b");
    expect(readdirSync(folder).filter((name) => name.endsWith(".csv"))).toEqual([]);
  });

  it("an ordinary file outside the campaign folder, named by the user, is written", async () => {
    const folder = campaignFolder();
    const target = join(tempFolder(), "state.json");
    const result = await run(["export", "-o", target], { cwd: folder });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(readFileSync(target, "utf8"))).toHaveLength(3);
  });
});

describe("preview --out", () => {
  it("a link where a letter goes is not written through; the file outside keeps its words", async () => {
    const folder = campaignFolder();
    const outside = bystander();
    mkdirSync(join(folder, "letters"));
    symlinkSync(outside, join(folder, "letters", "example-ngo.txt"));
    const result = await run(["preview", "--out", "letters"], { cwd: folder });
    expectRefused(result, /letters\/example-ngo\.txt is a link to .*precious\.txt/);
    expect(readFileSync(outside, "utf8")).toBe("keep me\n");
  });

  it("an --out folder inside the campaign that links out of it is refused", async () => {
    const folder = campaignFolder();
    const outside = tempFolder();
    symlinkSync(outside, join(folder, "letters"));
    const result = await run(["preview", "--out", "letters/"], { cwd: folder });
    expectRefused(result, /letters is a link to .*, outside the campaign folder/);
    expect(readdirSync(outside)).toEqual([]);
  });

  it("a FIFO where a letter goes is refused at once; a name with a line break is refused", async () => {
    const folder = campaignFolder();
    mkdirSync(join(folder, "letters"));
    execFileSync("mkfifo", [join(folder, "letters", "example-ngo.eml")]);
    const result = await run(["preview", "--out", "letters"], { cwd: folder });
    expectRefused(result, /letters\/example-ngo\.eml is a named pipe \(FIFO\)/);
    const named = await run(["preview", "--out", "let\rters"], { cwd: folder });
    expectRefused(named, /--out "let\\u\{D\}ters" contains a line break/, 2);
  });
});

describe("preview --out, the folder itself", () => {
  it("a new folder appears with every letter, and nothing is left beside it", async () => {
    const folder = campaignFolder();
    const parent = tempFolder();
    const result = await run(["preview", "--out", join(parent, "deep", "letters")], { cwd: folder });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(readdirSync(join(parent, "deep"))).toEqual(["letters"]);
    const names = readdirSync(join(parent, "deep", "letters"));
    expect(names).toContain("example-ngo.txt");
    expect(names).toContain("example-ngo.eml");
  });

  // Past the first few hundred files, a new folder's files are written on a thread of their own.
  it("a new folder of 400 letters holds each file as preview writes it over an earlier folder", async () => {
    const folder = campaignFolder({ "recipients/many.yaml": unBodies(400) });
    const fresh = await run(["preview", "--out", "fresh"], { cwd: folder });
    expect(fresh.exitCode, fresh.stderr).toBe(0);
    mkdirSync(join(folder, "earlier"));
    const over = await run(["preview", "--out", "earlier"], { cwd: folder });
    expect(over.exitCode, over.stderr).toBe(0);
    const names = readdirSync(join(folder, "fresh")).sort();
    expect(names.length).toBeGreaterThan(800);
    expect(names).toEqual(readdirSync(join(folder, "earlier")).sort());
    // What differs from run to run: each letter's Message-ID and MIME boundary, and the date.
    const steady = (name: string, under: string) =>
      readFileSync(join(folder, under, name), "utf8")
        .replace(/^(Message-ID|Date): .*\r\n/gm, "")
        .replaceAll(/_NmP-[0-9a-f]+-Part/g, "");
    for (const name of names) expect(steady(name, "fresh"), name).toBe(steady(name, "earlier"));
    expect(readdirSync(folder).filter((name) => name.startsWith(".fresh"))).toEqual([]);
  });

  it("a letter that fails after hundreds were written leaves no new folder, nor the folders made for it", async () => {
    // The last recipient has no mandate for the letter to name: its letter fails after 800 files.
    const letter = `${readFileSync(join(STARTER, "templates", "letter.txt.hbs"), "utf8")}\n{{recipient.custom.mandate}}\n`;
    const last = unBodies(1)
      .replace("body-0", "zz-last")
      .replace("office0@", "last@")
      .replace("\n  custom:\n    mandate: your mandate", "");
    const folder = campaignFolder({
      "templates/letter.txt.hbs": letter,
      "recipients/many.yaml": unBodies(400),
      "recipients/zz-last.yaml": last,
      "recipients/example.yaml": null,
    });
    const parent = tempFolder();
    const result = await run(["preview", "--out", join(parent, "deep", "letters")], { cwd: folder });
    expectRefused(result, /custom\.mandate/);
    expect(result.stderr).toMatch(/nothing was done/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it("Ctrl-C while a new folder is written leaves no part of it, and says so", async () => {
    const folder = campaignFolder({ "recipients/many.yaml": unBodies(4000) });
    const parent = tempFolder();
    const child = execa("node", [CLI, "preview", "--out", join(parent, "letters")], {
      cwd: folder,
      reject: false,
      env: { NO_COLOR: "1", OUTREACH_NOW: NOW },
      stdin: "ignore",
      timeout: 30_000,
    });
    // Once the hidden folder holds letters: past the first few hundred, which the writer's thread takes.
    const deadline = Date.now() + 20_000;
    const written = () => {
      const aside = readdirSync(parent).find((name) => name.startsWith(".letters."));
      return aside ? readdirSync(join(parent, aside)).length : 0;
    };
    while (written() < 600 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(written()).toBeGreaterThanOrEqual(600);
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode, String(result.stderr)).toBe(130);
    expect(String(result.stderr)).toMatch(
      /stopped before every letter was written: nothing was written to .*letters\//,
    );
    expect(String(result.stderr)).not.toMatch(/\n\s+at /);
    expect(readdirSync(parent)).toEqual([]);
  });

  it("what an earlier preview left when it was killed is removed; another process's is kept", async () => {
    const folder = campaignFolder();
    const gone = spawnSync("true").pid as number; // a process that has ended: nothing runs under its number
    const running = liveProcess();
    try {
      for (const pid of [gone, running.pid]) {
        mkdirSync(join(folder, `.letters.${pid}.tmp`));
        writeFileSync(join(folder, `.letters.${pid}.tmp`, "example-ngo.txt"), "half a letter");
      }
      symlinkSync(tempFolder(), join(folder, ".letters.999999999.tmp"));
      const result = await run(["preview", "--out", "letters"], { cwd: folder });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(
        readdirSync(folder)
          .filter((name) => name.startsWith(".letters"))
          .sort(),
      ).toEqual([`.letters.${running.pid}.tmp`, ".letters.999999999.tmp"].sort());
      expect(readdirSync(join(folder, "letters"))).toContain("example-ngo.txt");
    } finally {
      running.kill();
    }
  });

  it("over an earlier preview: its files are written anew, and files no longer in the list are kept", async () => {
    const folder = campaignFolder();
    mkdirSync(join(folder, "letters"));
    writeFileSync(join(folder, "letters", "example-ngo.txt"), "old\n");
    writeFileSync(join(folder, "letters", "gone.txt"), "an earlier recipient\n");
    const result = await run(["preview", "--out", "letters"], { cwd: folder });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(readFileSync(join(folder, "letters", "example-ngo.txt"), "utf8")).toMatch(/^From: /);
    expect(readFileSync(join(folder, "letters", "gone.txt"), "utf8")).toBe("an earlier recipient\n");
    expect(readdirSync(folder).filter((name) => name.startsWith(".letters"))).toEqual([]);
  });

  it("a letter that fails after others were written leaves no new folder, nor the folders made for it", async () => {
    // The first recipient has an address block, the second not: its letter fails once the first is written.
    const letter = `${readFileSync(join(STARTER, "templates", "letter.txt.hbs"), "utf8")}\n{{recipient.address_block}}\n`;
    const folder = campaignFolder({ "templates/letter.txt.hbs": letter });
    const parent = tempFolder();
    const result = await run(["preview", "--out", join(parent, "deep", "letters")], { cwd: folder });
    expectRefused(result, /recipient\.address_block.*not defined/);
    expect(result.stderr).toMatch(/nothing was done/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it("over an earlier preview: a letter that fails after others leaves every file as it was", async () => {
    const letter = `${readFileSync(join(STARTER, "templates", "letter.txt.hbs"), "utf8")}\n{{recipient.address_block}}\n`;
    const folder = campaignFolder({ "templates/letter.txt.hbs": letter });
    mkdirSync(join(folder, "letters"));
    const files = readdirSync(join(folder, "recipients")).length;
    expect(files).toBeGreaterThan(0);
    writeFileSync(join(folder, "letters", "example-ngo.txt"), "old\n");
    const result = await run(["preview", "--out", "letters"], { cwd: folder });
    expectRefused(result, /recipient\.address_block.*not defined/);
    expect(readdirSync(join(folder, "letters"))).toEqual(["example-ngo.txt"]);
    expect(readFileSync(join(folder, "letters", "example-ngo.txt"), "utf8")).toBe("old\n");
  });

  it("over an earlier preview: a longer file is cut to its letter; a hard link's other name keeps its words", async () => {
    const folder = campaignFolder();
    const letters = join(folder, "letters");
    expect((await run(["preview", "--out", "letters"], { cwd: folder })).exitCode).toBe(0);
    const text = readFileSync(join(letters, "example-ngo.txt"), "utf8");
    writeFileSync(join(letters, "example-ngo.txt"), `${text}${"an older, longer letter\n".repeat(400)}`);
    writeFileSync(join(letters, "example-ngo.eml"), "mine\n");
    const other = join(tempFolder(), "kept.eml");
    linkSync(join(letters, "example-ngo.eml"), other);
    const result = await run(["preview", "--out", "letters"], { cwd: folder });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(readFileSync(join(letters, "example-ngo.txt"), "utf8")).toBe(text);
    expect(readFileSync(join(letters, "example-ngo.eml"), "utf8")).toMatch(/^MIME-Version: 1\.0\r$/m);
    expect(readFileSync(other, "utf8")).toBe("mine\n");
  });

  it("a file, or a link to a file, in the folder's place is refused in a sentence and left as it was", async () => {
    const folder = campaignFolder();
    writeFileSync(join(folder, "notes.txt"), "mine\n");
    symlinkSync("notes.txt", join(folder, "letters"));
    const linked = await run(["preview", "--out", "letters"], { cwd: folder });
    expectRefused(linked, /letters/);
    const file = await run(["preview", "--out", "notes.txt"], { cwd: folder });
    expectRefused(file, /notes\.txt/);
    expect(readFileSync(join(folder, "notes.txt"), "utf8")).toBe("mine\n");
    expect(lstatSync(join(folder, "letters")).isSymbolicLink()).toBe(true);
    expect(
      readdirSync(folder).filter((name) => name.startsWith(".letters") || name.startsWith(".notes")),
    ).toEqual([]);
  });
});

describe("the outbox folder of a campaign", () => {
  it("a file in its place stops send before the first letter, with one sentence; nothing is recorded", async () => {
    const folder = campaignFolder({ "outbox/first-appeal": "not a folder\n" });
    const result = await run(["send", "--yes"], { cwd: folder });
    expectRefused(
      result,
      /^error: outbox\/first-appeal is a file where a folder should be; nothing was written$/m,
    );
    expect(result.stderr.match(/first-appeal/g)).toHaveLength(2); // the header and the one error
    expect(result.stdout).not.toMatch(/failed/);
    expect(existsSync(join(folder, ".outreach", "journal.jsonl"))).toBe(false);
  });
});

describe("report -o", () => {
  it("a link in the report's place is not replaced; a line break in the name is refused; -o - is stdout", async () => {
    const folder = campaignFolder();
    const outside = bystander();
    symlinkSync(outside, join(folder, "report.html"));
    const [linked, named, dash] = await Promise.all([
      run(["report", "-o", "report.html"], { cwd: folder }),
      run(["report", "-o", "a\nb.html"], { cwd: folder }),
      run(["report", "-o", "-"], { cwd: folder }),
    ]);
    expectRefused(
      linked,
      /report\.html is a link to .*precious\.txt, and outreach does not write through links/,
    );
    expect(lstatSync(join(folder, "report.html")).isSymbolicLink()).toBe(true);
    expect(readFileSync(outside, "utf8")).toBe("keep me\n");
    expectRefused(named, /-o "a\\u\{A\}b\.html" contains a line break/, 2);
    expect(dash.exitCode, dash.stderr).toBe(0);
    expect(dash.stdout).toMatch(/^<!doctype html>/i);
    expect(existsSync(join(folder, "-"))).toBe(false);
  });
});

describe("calendar -o", () => {
  it("a link in the file's place is not written through; a line break in the name is refused", async () => {
    const folder = campaignFolder();
    const outside = bystander();
    symlinkSync(outside, join(folder, "due.ics"));
    const [linked, named] = await Promise.all([
      run(["calendar", "-o", "due.ics"], { cwd: folder }),
      run(["calendar", "-o", "a\nb.ics"], { cwd: folder }),
    ]);
    expectRefused(linked, /due\.ics is a link to .*precious\.txt, and outreach does not write through links/);
    expect(readFileSync(outside, "utf8")).toBe("keep me\n");
    expectRefused(named, /-o "a\\u\{A\}b\.ics" contains a line break/, 2);
  });
});

/** The names in `folder` that are not `expected`: what a failed write left behind. */
function leftBehind(folder: string, expected: string[]): string[] {
  return readdirSync(folder).filter((name) => !expected.includes(name));
}

// Every file is written beside its place and renamed into it: a full disk, a refused permission or a crash
// leaves the file as it was, and nothing half-written beside it.
describe.skipIf(!canMountTmpfs())("a file that cannot be written whole: a full disk", () => {
  it.each([
    ["export", "rows.csv"],
    ["export", "rows.json", "--format", "json"],
    ["calendar", "due.ics"],
    ["report", "report.html"],
  ])(
    "%s -o %s: the old file keeps what it held, nothing is left beside it, and the error says why",
    async (command, name, ...more) => {
      const folder = campaignFolder({ "recipients/many.yaml": unBodies(40) });
      const disk = tempFolder("outreach-disk-");
      expect(mountTmpfs(disk, 64)).toBe(true);
      writeFileSync(join(disk, name), "the file as it was\n");
      fillUp(join(disk, "filler"), 0);
      const result = await run([command, "-o", join(disk, name), ...more], { cwd: folder });
      expectRefused(result, /cannot be written: the disk is full/);
      expect(result.stderr).toContain(name);
      expect(readFileSync(join(disk, name), "utf8")).toBe("the file as it was\n");
      expect(leftBehind(disk, [name, "filler"])).toEqual([]);
    },
  );

  it("the outbox: each letter that does not fit fails as a sentence, and no part of a letter is left", async () => {
    const folder = campaignFolder();
    const outbox = join(folder, "outbox");
    expect(mountTmpfs(outbox, 64)).toBe(true);
    fillUp(join(outbox, "filler"), 0);
    const result = await run(["send", "--yes"], { cwd: folder });
    expect(`${result.stdout}${result.stderr}`).toMatch(/cannot be written: the disk is full/);
    expect(result.stderr).not.toMatch(/\n\s+at |unexpected error|This is a bug/);
    expect(result.exitCode).toBe(1);
    const letters = join(outbox, "first-appeal");
    expect(existsSync(letters) ? readdirSync(letters) : []).toEqual([]);
  });

  it("preview --out a new folder: a full disk midway leaves no folder and no part of one", async () => {
    const folder = campaignFolder({ "recipients/many.yaml": unBodies(40) });
    const disk = tempFolder("outreach-disk-");
    expect(mountTmpfs(disk, 64)).toBe(true);
    fillUp(join(disk, "filler"), 16 * 1024);
    const result = await run(["preview", "--out", join(disk, "letters")], { cwd: folder });
    expectRefused(result, /letters\/[\w-]+\.(txt|eml) cannot be written: the disk is full/);
    expect(leftBehind(disk, ["filler"])).toEqual([]);
  });

  it("preview --out a new folder: a full disk after hundreds of letters leaves no folder and no part of one", async () => {
    const folder = campaignFolder({ "recipients/many.yaml": unBodies(600) });
    const disk = tempFolder("outreach-disk-");
    expect(mountTmpfs(disk, 4096)).toBe(true);
    // Room for a few hundred files: the disk is full once the writer's thread has taken over.
    fillUp(join(disk, "filler"), 1600 * 1024);
    const result = await run(["preview", "--out", join(disk, "letters")], { cwd: folder });
    expectRefused(result, /letters\/[\w-]+\.(txt|eml) cannot be written: the disk is full/);
    expect(leftBehind(disk, ["filler"])).toEqual([]);
  });

  it("the folder cache: check passes without it, and leaves no part of it", async () => {
    const folder = campaignFolder();
    const cache = join(folder, ".outreach", "cache");
    expect(mountTmpfs(cache, 64)).toBe(true);
    fillUp(join(cache, "filler"), 0);
    const result = await run(["check"], { cwd: folder });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(leftBehind(cache, ["filler"])).toEqual([]);
  });
});
