// An import killed while it puts its files in place (between two renames) leaves the folder half-written;
// the next import, or check, takes that batch back so that the folder is as it was before it, says so, and
// leaves nothing aside. The built CLI is killed for real (SIGKILL): OUTREACH_TEST_PAUSE_RENAMES holds it
// between two renames long enough to be killed there.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, campaignFolder, liveProcess, NOW, run, STARTER } from "./support.js";

/** 2,500 new bodies (three files of at most 1,000) and a change to a recipient of the starter's file. */
function bigList(): string {
  const rows = ["Organisation,Email,Type,Salutation,Mandate"];
  rows.push("Example Human Rights Association,director@ngo.example.net,ngo,Chère Madame,votre travail");
  for (let index = 0; index < 2500; index++)
    rows.push(`Body ${index},office${index}@body.example.org,ngo,Dear Colleagues,your work`);
  return `${rows.join("\n")}\n`;
}

/** Every file in recipients/, hidden ones too, with its text. */
function contents(folder: string): Record<string, string> {
  const recipients = join(folder, "recipients");
  return Object.fromEntries(
    readdirSync(recipients)
      .sort()
      .map((name) => [name, readFileSync(join(recipients, name), "utf8")]),
  );
}

/** Runs `import big.csv --update` and kills it (SIGKILL) once `ready` holds, between two of its renames. */
async function killedImport(folder: string, ready: () => boolean): Promise<number> {
  const child = spawn("node", [CLI, "import", "big.csv", "--update"], {
    cwd: folder,
    env: { ...process.env, NO_COLOR: "1", OUTREACH_NOW: NOW, OUTREACH_TEST_PAUSE_RENAMES: "4000" },
    stdio: "ignore",
  });
  const exited = new Promise<NodeJS.Signals | null>((done) =>
    child.on("exit", (_code, signal) => done(signal)),
  );
  const started = Date.now();
  while (!ready() && Date.now() - started < 20_000) await new Promise((wait) => setTimeout(wait, 20));
  child.kill("SIGKILL");
  expect(await exited).toBe("SIGKILL");
  return child.pid as number;
}

/** The first two renames done (the starter's file changed, the first new file in place), the third not. */
function halfWay(folder: string): () => boolean {
  return () => existsSync(join(folder, "recipients", "big.yaml"));
}

describe("an import killed between its renames", { timeout: 90_000 }, () => {
  it("is taken back by the next import, which then imports the list whole", async () => {
    const folder = campaignFolder({ "big.csv": bigList() });
    const before = contents(folder);
    const pid = await killedImport(folder, halfWay(folder));
    // Half-written: one file changed and one added, two new files still aside, the batch's record beside them.
    const half = contents(folder);
    expect(half["example.yaml"]).not.toBe(before["example.yaml"]);
    expect(Object.keys(half)).toEqual(
      expect.arrayContaining([
        "big.yaml",
        `.big-2.yaml.${pid}.tmp`,
        `.big-3.yaml.${pid}.tmp`,
        `.example.yaml.${pid}.old`,
        `.example.yaml.${pid}.batch`,
      ]),
    );
    expect(Object.keys(half)).not.toContain("big-2.yaml");
    // The record names the process by more than its number: its boot and start, which a later one cannot share.
    expect(JSON.parse(half[`.example.yaml.${pid}.batch`] as string).process).toEqual({
      pid,
      host: hostname(),
      boot: readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim(),
      start: expect.stringMatching(/^\d+$/),
    });
    // Any other command refuses to work on the half-written folder, and says what to do.
    const listed = await run(["recipients"], { cwd: folder });
    expect(listed.exitCode).toBe(1);
    expect(listed.stderr.replace(/ +/g, " ")).toContain(
      `recipients/.example.yaml.${pid}.batch an import (process ${pid}) began putting its files in place and has not finished: some may be in place and others not`,
    );
    expect(listed.stderr).toContain(
      'if it was stopped, "outreach check" puts the folder back as it was before it',
    );

    const again = await run(["import", "big.csv", "--update"], { cwd: folder });
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toBe(
      `An import (process ${pid}) was stopped while putting its files in place: put back recipients/example.yaml as it was and removed recipients/big.yaml, which it had added, so the folder is as it was before that import; run it again.`,
    );
    expect(again.stdout).toContain(
      "Wrote 2,500 recipients to recipients/big.yaml … recipients/big-3.yaml (3 files)",
    );
    // The folder is what the same import makes of the same folder when nothing stops it.
    const untouched = campaignFolder({ "big.csv": bigList() });
    expect((await run(["import", "big.csv", "--update"], { cwd: untouched })).exitCode).toBe(0);
    expect(contents(folder)).toEqual(contents(untouched));
    expect((await run(["check"], { cwd: folder })).exitCode).toBe(0);
  });

  it("is taken back by check, which then reads the folder as it was before the import", async () => {
    const folder = campaignFolder({ "big.csv": bigList() });
    const before = contents(folder);
    const pid = await killedImport(folder, halfWay(folder));
    const checked = await run(["check"], { cwd: folder });
    expect(checked.stderr).toContain(
      `An import (process ${pid}) was stopped while putting its files in place: put back recipients/example.yaml as it was and removed recipients/big.yaml`,
    );
    expect(checked.stdout).toContain("No errors");
    expect(checked.exitCode).toBe(0);
    expect(contents(folder)).toEqual(before);
  });

  it("files a stopped process wrote aside and never put in place are removed and named", async () => {
    const dead = spawnSync("node", ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const pid = Number(dead.stdout);
    const folder = campaignFolder({
      [`recipients/.example.yaml.${pid}.old`]: "the old text\n",
      [`recipients/.list.yaml.${pid}.tmp`]: "- id: half",
      "list.csv":
        "Organisation,Email,Type,Salutation,Mandate\nA Body,a@body.example.org,ngo,Dear Colleagues,your work\n",
    });
    const imported = await run(["import", "list.csv"], { cwd: folder });
    expect(imported.exitCode).toBe(0);
    expect(imported.stderr).toBe(
      `Removed 2 files that a stopped process (${pid}) had written aside and never put in place: recipients/.example.yaml.${pid}.old, recipients/.list.yaml.${pid}.tmp; no recipient file had changed.`,
    );
    expect(Object.keys(contents(folder))).toEqual(["example.yaml", "list.yaml"]);
    writeFileSync(join(folder, "recipients", `.list.yaml.${pid}.tmp`), "- id: half");
    const checked = await run(["check"], { cwd: folder });
    expect(checked.stderr).toContain(`Removed a file that a stopped process (${pid}) had written aside`);
    expect(Object.keys(contents(folder))).toEqual(["example.yaml", "list.yaml"]);
  });
});

describe("undoInterruptedWrites, on the states a kill can leave", () => {
  const sha = (text: string) => createHash("sha256").update(text).digest("hex");
  const deadPid = () =>
    Number(
      spawnSync("node", ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout,
    );

  it("keeps a file changed since the batch put it in place and names it, takes back the rest, and never leaves its folder", async () => {
    const { undoInterruptedWrites, describeInterruptedWrite } = await import(
      "../src/adapters/interrupted-writes.js"
    );
    const pid = deadPid();
    const config = readFileSync(join(STARTER, "outreach.yaml"), "utf8");
    const folder = campaignFolder({
      "recipients/a.yaml": "a as edited by hand since\n",
      [`recipients/.a.yaml.${pid}.old`]: "a before\n",
      "recipients/b.yaml": "b new\n",
      [`recipients/.a.yaml.${pid}.batch`]: `${JSON.stringify({
        files: [
          { path: "a.yaml", replaces: true, sha256: sha("a new\n") },
          { path: "b.yaml", replaces: false, sha256: sha("b new\n") },
          // A record naming a file outside its folder was not written by outreach: that file is not touched.
          { path: "../outreach.yaml", replaces: false, sha256: sha(config) },
        ],
      })}\n`,
    });
    const found = undoInterruptedWrites(folder, "recipients");
    expect(found.map(describeInterruptedWrite)).toEqual([
      `An import (process ${pid}) was stopped while putting its files in place: removed recipients/b.yaml, which it had added, so the folder is as it was before that import; run it again. recipients/a.yaml had been changed since, so it was left as it is: check it.`,
    ]);
    expect(contents(folder)).toEqual({
      "a.yaml": "a as edited by hand since\n",
      "example.yaml": readFileSync(join(STARTER, "recipients", "example.yaml"), "utf8"),
    });
    expect(readFileSync(join(folder, "outreach.yaml"), "utf8")).toBe(config);
  });

  it("takes back a record whose process's number now belongs to another process, and leaves the running one's alone", async () => {
    const { undoInterruptedWrites, describeInterruptedWrite } = await import(
      "../src/adapters/interrupted-writes.js"
    );
    // A process that runs now, under the number a record names: it started at `start` ticks after boot.
    const live = liveProcess();
    const { pid, start, boot } = live;
    try {
      const batchOf = (process: object) => ({
        "recipients/b.yaml": "b new\n",
        [`recipients/.b.yaml.${pid}.batch`]: `${JSON.stringify({
          process,
          files: [{ path: "b.yaml", replaces: false, sha256: sha("b new\n") }],
        })}\n`,
      });
      const stale = {
        "another process under the number, started earlier": { pid, host: hostname(), boot, start: "1" },
        "a process before the last boot": { pid, host: hostname(), boot: "not-this-boot", start },
      };
      for (const [what, process] of Object.entries(stale)) {
        const folder = campaignFolder(batchOf(process));
        const found = undoInterruptedWrites(folder, "recipients");
        expect(found.map(describeInterruptedWrite), what).toEqual([
          `An import (process ${pid}) was stopped while putting its files in place: removed recipients/b.yaml, which it had added, so the folder is as it was before that import; run it again.`,
        ]);
        expect(Object.keys(contents(folder)), what).toEqual(["example.yaml"]);
      }
      const running = campaignFolder(batchOf({ pid, host: hostname(), boot, start }));
      const before = contents(running);
      expect(undoInterruptedWrites(running, "recipients").map(describeInterruptedWrite)).toEqual([
        `An import (process ${pid}) is putting files in place in this folder right now; run this again when it has finished.`,
      ]);
      expect(contents(running)).toEqual(before);
      // The CLI too: a record of a process gone, under a number in use, is taken back, not waited for.
      const folder = campaignFolder({
        ...batchOf({ pid, host: hostname(), boot, start: "1" }),
        "list.csv":
          "Organisation,Email,Type,Salutation,Mandate\nA Body,a@body.example.org,ngo,Dear Colleagues,your work\n",
      });
      const imported = await run(["import", "list.csv"], { cwd: folder });
      expect(imported.stderr).toContain(
        `An import (process ${pid}) was stopped while putting its files in place`,
      );
      expect(imported.exitCode).toBe(0);
    } finally {
      live.kill();
    }
  });

  it("takes a record cut short as a batch that renamed nothing, and leaves a running process's files alone", async () => {
    const { undoInterruptedWrites, describeInterruptedWrite } = await import(
      "../src/adapters/interrupted-writes.js"
    );
    const pid = deadPid();
    const folder = campaignFolder({
      [`recipients/.list.yaml.${pid}.tmp`]: "- id: new\n",
      [`recipients/.list.yaml.${pid}.batch`]: '{"files":[{"path":"list.ya',
      // This test's own process is running: what it has aside is its own business.
      [`recipients/.other.yaml.${process.ppid}.tmp`]: "- id: other\n",
    });
    const found = undoInterruptedWrites(folder, "recipients");
    expect(found.map(describeInterruptedWrite)).toEqual([
      `An import (process ${pid}) was stopped while putting its files in place: none was in place yet, so the folder is as it was before that import; run it again.`,
      `An import (process ${process.ppid}) is putting files in place in this folder right now; run this again when it has finished.`,
    ]);
    expect(Object.keys(contents(folder))).toEqual([`.other.yaml.${process.ppid}.tmp`, "example.yaml"]);
  });
});
