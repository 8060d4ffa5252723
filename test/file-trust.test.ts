// What the disk can do to a campaign folder, and what the user is told: a FIFO, socket or folder where a
// file should be, links that lead out of the folder or nowhere, a state folder that cannot be written. Every
// case is one sentence naming the path, exit 1, no stack, nothing sent; and tracking what already happened
// goes on while a letter's files have errors.
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import { type Sink, sinkPerTest, startSink } from "./smtp-sink.js";
import { CLI, type CliResult, campaignFolder, NOW, run, tempFolder } from "./support.js";

const sink = sinkPerTest();
const isRoot = process.getuid?.() === 0;

/** Undone after each test: read-only mounts, immutable flags, listening sockets. */
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      cleanup();
    } catch {}
  }
});

function works(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes `path` (a folder) impossible to write to, in a way that stops root too: a read-only bind mount, else
 * the immutable flag, else (not root) the permission bits. Returns false when nothing here can do it.
 */
function makeReadOnly(path: string): boolean {
  if (!isRoot) {
    chmodSync(path, 0o555);
    cleanups.push(() => chmodSync(path, 0o755));
    return true;
  }
  if (works("mount", ["--bind", path, path])) {
    if (works("mount", ["-o", "remount,ro,bind", path])) {
      cleanups.push(() => execFileSync("umount", [path]));
      return true;
    }
    works("umount", [path]);
  }
  if (works("chattr", ["+i", path])) {
    cleanups.push(() => execFileSync("chattr", ["-i", path]));
    return true;
  }
  return false;
}

const canRunAsNobody =
  !isRoot || works("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "true"]);

/** The CLI as a user without root's powers: as nobody when the tests run as root, else as the user. */
async function runUnprivileged(args: string[], folder: string): Promise<CliResult> {
  if (!isRoot) return run(args, { cwd: folder });
  const result = await execa(
    "setpriv",
    ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, CLI, ...args],
    {
      cwd: folder,
      reject: false,
      env: { NO_COLOR: "1", OUTREACH_NOW: NOW, HOME: folder },
      stdin: "ignore",
      timeout: 30_000,
    },
  );
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** A campaign folder that nobody (the user runUnprivileged runs as) may read and write. */
function sharedCampaignFolder(): string {
  const folder = campaignFolder();
  if (isRoot) execFileSync("chmod", ["-R", "a+rwX", folder]);
  return folder;
}

function fifo(path: string): void {
  rmSync(path, { recursive: true, force: true });
  execFileSync("mkfifo", [path]);
}

async function socketAt(path: string): Promise<void> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  cleanups.push(() => server.close());
}

/** Refused as a user should see it: exit 1 (or `exitCode`), the sentence, and no trace of a crash. */
function expectRefused(result: CliResult, sentence: RegExp, exitCode = 1): void {
  const output = `${result.stdout}\n${result.stderr}`;
  expect.soft(result.exitCode, output).toBe(exitCode);
  expect.soft(output).toMatch(sentence);
  expect.soft(output).not.toMatch(/this is a bug|unexpected error|\n\s+at .+:\d+:\d+/i);
}

/** Nothing went out: no letter in outbox/, none at the server, no journal. */
function expectNothingSent(folder: string, server?: Sink): void {
  expect.soft(existsSync(join(folder, "outbox"))).toBe(false);
  if (server) expect.soft(server.received).toHaveLength(0);
  const journal = join(folder, ".outreach", "journal.jsonl");
  if (existsSync(journal) && statSync(journal).isFile())
    expect.soft(readFileSync(journal, "utf8")).not.toContain('"attempt"');
}

describe("a FIFO, socket or device where a file should be is refused, never waited on", () => {
  it.each([
    ["outreach.yaml", ["check"]],
    ["outreach.yaml", ["status"]],
    ["recipients/pipe.yaml", ["check"]],
    ["recipients/example.yaml", ["send", "--yes"]],
    ["templates/letter.txt.hbs", ["preview"]],
    ["templates/partials/context/un.hbs", ["check"]],
    ["attachments/appeal-summary.txt", ["send", "--yes"]],
    [".env", ["send", "--yes"]],
  ])("a FIFO as %s: %s names it", async (path, args) => {
    const folder = campaignFolder();
    fifo(join(folder, path));
    const result = await run(args, { cwd: folder });
    expectRefused(
      result,
      new RegExp(`${path.replace(/\./g, "\\.")}.* is a named pipe \\(FIFO\\), not an ordinary file`),
    );
    expectNothingSent(folder);
  });

  it.each([
    [".outreach/journal.jsonl", ["status"]],
    [".outreach/journal.jsonl", ["send", "--yes"]],
    [".outreach/journal.jsonl", ["log", "example-ngo", "--sent-by", "letter"]],
  ])("a FIFO as %s: %s names it, and the FIFO stays as it was", async (path, args) => {
    const folder = campaignFolder();
    mkdirSync(join(folder, ".outreach"));
    fifo(join(folder, path));
    const result = await run(args, { cwd: folder });
    expectRefused(result, /\.outreach\/journal\.jsonl is a named pipe \(FIFO\), not an ordinary file/);
    expect(existsSync(join(folder, "outbox"))).toBe(false);
  });

  it("a FIFO as the send lock: the send stops before anything goes out", async () => {
    const folder = campaignFolder();
    mkdirSync(join(folder, ".outreach"));
    fifo(join(folder, ".outreach", "send.lock"));
    const result = await run(["send", "--yes"], { cwd: folder });
    expectRefused(result, /\.outreach\/send\.lock cannot be read/);
    expectNothingSent(folder);
  });

  it("a FIFO as the sent mailbox: nothing reaches the server", async () => {
    const server = await sink();
    const folder = campaignFolder();
    mkdirSync(join(folder, ".outreach", "sent"), { recursive: true });
    fifo(join(folder, ".outreach", "sent", "first-appeal.mbox"));
    const result = await run(["send", "--yes"], { cwd: folder, env: { OUTREACH_SMTP_URL: server.url } });
    expectRefused(result, /\.outreach\/sent\/first-appeal\.mbox is a named pipe \(FIFO\)/);
    expect(server.received).toHaveLength(0);
  });

  it("a FIFO as the password file: nothing reaches the server", async () => {
    const server = await sink({ auth: { user: "u", pass: "p" } });
    const folder = campaignFolder();
    fifo(join(folder, "password"));
    const result = await run(["send", "--yes"], {
      cwd: folder,
      env: {
        OUTREACH_SMTP_URL: server.url.replace("smtp://", "smtp://u@"),
        OUTREACH_SMTP_PASSWORD_FILE: "password",
      },
    });
    expectRefused(result, /password file .*is a named pipe \(FIFO\)/);
    expect(server.received).toHaveLength(0);
  });

  it("a FIFO given to log --from-eml: exit 2, it names the file", async () => {
    const folder = campaignFolder();
    fifo(join(folder, "reply.eml"));
    const result = await run(["log", "example-ngo", "--from-eml", "reply.eml"], { cwd: folder });
    expectRefused(result, /reply\.eml is a named pipe \(FIFO\)/, 2);
  });

  it("a socket as a recipient file: check names it", async () => {
    const folder = campaignFolder();
    await socketAt(join(folder, "recipients", "s.yaml"));
    const result = await run(["check"], { cwd: folder });
    expectRefused(result, /recipients\/s\.yaml +is a socket, not an ordinary file/);
  });

  it("a FIFO as the folder cache: ignored, and the command works", async () => {
    const folder = campaignFolder();
    mkdirSync(join(folder, ".outreach", "cache"), { recursive: true });
    fifo(join(folder, ".outreach", "cache", "folder.json"));
    const result = await run(["check"], { cwd: folder });
    expect(result.exitCode, result.stderr).toBe(0);
  });
});

describe("a folder where a file should be is said as such", () => {
  it.each([
    ["outreach.yaml", ["check"], /outreach\.yaml +is a folder where a file should be/],
    ["outreach.yaml", ["status"], /outreach\.yaml +is a folder where a file should be/],
    ["recipients/more.yaml", ["check"], /recipients\/more\.yaml +is a folder where a file should be/],
    [
      "templates/letter.txt.hbs",
      ["check"],
      /templates\/letter\.txt\.hbs +is a folder where a file should be/,
    ],
    [
      "attachments/appeal-summary.txt",
      ["send", "--yes"],
      /the attachment "attachments\/appeal-summary\.txt" is a folder where a file should be/,
    ],
    [".env", ["send", "--yes"], /\.env is a folder where a file should be/],
    [".outreach/journal.jsonl", ["status"], /\.outreach\/journal\.jsonl is a folder where a file should be/],
    [
      ".outreach/journal.jsonl",
      ["send", "--yes"],
      /\.outreach\/journal\.jsonl is a folder where a file should be/,
    ],
  ])("%s as a folder: %s", async (path, args, sentence) => {
    const folder = campaignFolder();
    rmSync(join(folder, path), { recursive: true, force: true });
    mkdirSync(join(folder, path), { recursive: true });
    const result = await run(args, { cwd: folder });
    expectRefused(result, sentence);
    expectNothingSent(folder);
  });

  it("export -o a folder: it names the folder, without a stack", async () => {
    const folder = campaignFolder();
    mkdirSync(join(folder, "report.csv"));
    const result = await run(["export", "-o", "report.csv"], { cwd: folder });
    expectRefused(result, /report\.csv is a folder where a file should be/);
  });
});

describe("what the disk refuses where no adapter expected it", () => {
  it("preview --out a file: the path, in a sentence", async () => {
    const folder = campaignFolder({ "letters.txt": "a file\n" });
    const result = await run(["preview", "--out", "letters.txt"], { cwd: folder });
    expectRefused(result, /letters\.txt is a file where a folder should be/);
  });

  it("a full disk: send says the disk is full, and sends nothing", async ({ skip }) => {
    if (!isRoot || !works("mount", ["--help"])) skip("mounting a small file system needs root");
    const disk = tempFolder("outreach-disk-");
    if (!works("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", disk])) skip("cannot mount a tmpfs here");
    cleanups.push(() => execFileSync("umount", ["-l", disk]));
    const folder = join(disk, "campaign");
    cpSync(campaignFolder(), folder, { recursive: true });
    try {
      writeFileSync(join(disk, "filler"), Buffer.alloc(1024 * 1024));
    } catch {}
    const server = await sink();
    const result = await run(["send", "--yes"], { cwd: folder, env: { OUTREACH_SMTP_URL: server.url } });
    expectRefused(result, /cannot be written: the disk is full/);
    expect(server.received).toHaveLength(0);
  });
});

describe(".outreach/ that is a dangling link, a file, a loop, or cannot be written", () => {
  it.each([["status"], ["check"], ["send", "--yes"]])(
    "a dangling .outreach link: %s says so",
    async (...args) => {
      const folder = campaignFolder();
      symlinkSync(join(folder, "gone"), join(folder, ".outreach"));
      const result = await run(args, { cwd: folder });
      expectRefused(result, /\.outreach is a link to .*gone, which does not exist/);
      expectNothingSent(folder);
      expect(existsSync(join(folder, "gone"))).toBe(false);
    },
  );

  it("a file named .outreach: send says it should be a folder", async () => {
    const folder = campaignFolder({ ".outreach": "not a folder\n" });
    const result = await run(["send", "--yes"], { cwd: folder });
    expectRefused(result, /\.outreach is a file where a folder should be/);
    expectNothingSent(folder);
  });

  it("a .outreach link that leads to itself: a loop of links", async () => {
    const folder = campaignFolder();
    symlinkSync(".outreach", join(folder, ".outreach"));
    const result = await run(["status"], { cwd: folder });
    expectRefused(result, /\.outreach is a link that leads back to itself/);
  });

  it("a dangling link inside .outreach: named, nothing sent", async () => {
    const folder = campaignFolder();
    mkdirSync(join(folder, ".outreach"));
    symlinkSync(join(folder, "nowhere.jsonl"), join(folder, ".outreach", "journal.jsonl"));
    const result = await run(["send", "--yes"], { cwd: folder });
    expectRefused(result, /\.outreach\/journal\.jsonl is a link to .*nowhere\.jsonl, which does not exist/);
    expectNothingSent(folder);
  });

  it("a read-only .outreach/: send says it cannot be written, and sends nothing", async ({ skip }) => {
    const folder = campaignFolder();
    mkdirSync(join(folder, ".outreach"));
    if (!makeReadOnly(join(folder, ".outreach"))) skip("no way here to make a folder read-only for root");
    const result = await run(["send", "--yes"], { cwd: folder });
    expectRefused(
      result,
      /\.outreach cannot be written: (it is on a read-only file system|permission denied)/,
    );
    expectNothingSent(folder);
    // Reading what happened does not need to write.
    const status = await run(["status"], { cwd: folder });
    expect(status.exitCode, status.stderr).toBe(0);
  });

  it.skipIf(!canRunAsNobody)(
    "an .outreach/ the user may not write: permission denied, nothing sent",
    async () => {
      const folder = sharedCampaignFolder();
      mkdirSync(join(folder, ".outreach"));
      chmodSync(join(folder, ".outreach"), 0o555);
      const result = await runUnprivileged(["send", "--yes"], folder);
      expectRefused(result, /\.outreach cannot be written: permission denied/);
      expect(result.stderr).toMatch(/check its permissions and owner/);
      expectNothingSent(folder);
    },
  );

  it.skipIf(!canRunAsNobody)("a journal the user may not read: status names it", async () => {
    const folder = sharedCampaignFolder();
    mkdirSync(join(folder, ".outreach"), { mode: 0o777 });
    writeFileSync(join(folder, ".outreach", "journal.jsonl"), "");
    chmodSync(join(folder, ".outreach", "journal.jsonl"), 0o000);
    const result = await runUnprivileged(["status"], folder);
    expectRefused(result, /\.outreach\/journal\.jsonl cannot be read: permission denied/);
  });

  it.skipIf(!canRunAsNobody)(
    "a recipient file the user may not read: check names it at its path",
    async () => {
      const folder = sharedCampaignFolder();
      chmodSync(join(folder, "recipients", "example.yaml"), 0o000);
      const result = await runUnprivileged(["check"], folder);
      expectRefused(result, /recipients\/example\.yaml +cannot be read: permission denied/);
    },
  );
});

describe("nothing outside the campaign folder, whatever the path", () => {
  /** A campaign folder inside a parent folder that also holds `outside/`, a folder links can lead to. */
  function withOutside() {
    const parent = tempFolder("outreach-outside-");
    const folder = join(parent, "campaign");
    cpSync(campaignFolder(), folder, { recursive: true });
    const outside = join(parent, "outside");
    mkdirSync(outside);
    return { folder, outside };
  }

  it.each(["templates", "recipients"])(
    "a %s/ folder linked outside: check refuses it, send sends nothing",
    async (name) => {
      const { folder, outside } = withOutside();
      renameSync(join(folder, name), join(outside, name));
      symlinkSync(join(outside, name), join(folder, name));
      const checked = await run(["check"], { cwd: folder });
      expectRefused(checked, new RegExp(`${name} +is a link to a folder outside the campaign folder`));
      const sent = await run(["send", "--yes"], { cwd: folder });
      expect(sent.exitCode).toBe(1);
      expectNothingSent(folder);
    },
  );

  it("an .outreach/ linked outside: send refuses, and nothing is written there", async () => {
    const { folder, outside } = withOutside();
    symlinkSync(outside, join(folder, ".outreach"));
    const sent = await run(["send", "--yes"], { cwd: folder });
    expectRefused(sent, /\.outreach is a link to .*outside, outside the campaign folder/);
    expectNothingSent(folder);
    expect(readdirSync(outside)).toEqual([]);
    const status = await run(["status"], { cwd: folder });
    expectRefused(status, /\.outreach is a link to .*outside the campaign folder/);
  });

  it.each([".outreach/journal.jsonl", ".outreach/sent"])(
    "%s linked outside: send refuses it",
    async (path) => {
      const server = await sink();
      const { folder, outside } = withOutside();
      mkdirSync(join(folder, ".outreach"));
      symlinkSync(join(outside, "target"), join(folder, path));
      writeFileSync(join(outside, "target"), "");
      const sent = await run(["send", "--yes"], { cwd: folder, env: { OUTREACH_SMTP_URL: server.url } });
      expectRefused(
        sent,
        new RegExp(`${path.replace(/\./g, "\\.")} is a link to .*target, outside the campaign folder`),
      );
      expect(server.received).toHaveLength(0);
      expect(readFileSync(join(outside, "target"), "utf8")).toBe("");
    },
  );

  it("outreach.yaml linked outside: refused", async () => {
    const { folder, outside } = withOutside();
    renameSync(join(folder, "outreach.yaml"), join(outside, "outreach.yaml"));
    symlinkSync(join(outside, "outreach.yaml"), join(folder, "outreach.yaml"));
    const result = await run(["check"], { cwd: folder });
    expectRefused(result, /outreach\.yaml is a link to .*outside the campaign folder/);
  });

  it.each(["outbox", "outbox/first-appeal"])(
    "%s linked outside: no letter is written there",
    async (path) => {
      const { folder, outside } = withOutside();
      mkdirSync(dirname(join(folder, path)), { recursive: true });
      symlinkSync(outside, join(folder, path));
      const sent = await run(["send", "--yes"], { cwd: folder });
      expect(sent.exitCode).toBe(1);
      expect(`${sent.stdout}${sent.stderr}`).toMatch(/is a link to .*outside, outside the campaign folder/);
      expect(readdirSync(outside)).toEqual([]);
    },
  );

  it("links that stay inside the folder are fine: templates/ and .outreach/ elsewhere in it", async () => {
    const folder = campaignFolder();
    mkdirSync(join(folder, "shared"));
    renameSync(join(folder, "templates"), join(folder, "shared", "templates"));
    symlinkSync(join("shared", "templates"), join(folder, "templates"));
    mkdirSync(join(folder, "state"));
    symlinkSync("state", join(folder, ".outreach"));
    const checked = await run(["check"], { cwd: folder });
    expect(checked.exitCode, checked.stdout).toBe(0);
    const sent = await run(["send", "--yes"], { cwd: folder });
    expect(sent.exitCode, sent.stderr).toBe(0);
    expect(readFileSync(join(folder, "state", "journal.jsonl"), "utf8")).toContain('"attempt"');
  });
});

describe("reports on what was sent work on what can be read", () => {
  /** The starter's appeal sent over SMTP once, copied for each test. */
  let sentOnce: Promise<string> | undefined;
  async function sentCampaign(): Promise<string> {
    sentOnce ??= (async () => {
      const server = await startSink();
      try {
        const folder = campaignFolder();
        const sent = await run(["send", "--yes"], { cwd: folder, env: { OUTREACH_SMTP_URL: server.url } });
        if (sent.exitCode !== 0) throw new Error(`the shared send failed:\n${sent.stderr}`);
        return folder;
      } finally {
        await server.close();
      }
    })();
    const folder = tempFolder();
    cpSync(await sentOnce, folder, { recursive: true });
    return folder;
  }

  const breakages: [string, (folder: string) => void, RegExp][] = [
    [
      "a template that is not UTF-8",
      (folder) =>
        writeFileSync(
          join(folder, "templates", "letter.txt.hbs"),
          Buffer.from("Caf\xe9 {{recipient.id}}\n", "latin1"),
        ),
      /templates\/letter\.txt\.hbs/,
    ],
    [
      "a recipient file with a bad address",
      (folder) =>
        writeFileSync(
          join(folder, "recipients", "more.yaml"),
          "id: more\norganisation: More\ntype: ngo\nsalutation: Dear all,\ncontacts:\n  - email: not-an-address\n",
        ),
      /recipients\/more\.yaml/,
    ],
    [
      "a mistyped field in the campaign",
      (folder) => {
        const path = join(folder, "outreach.yaml");
        writeFileSync(path, readFileSync(path, "utf8").replace("    signatories:", "    signatorys:"));
      },
      /unknown field "signatorys"/,
    ],
    [
      "a missing attachment",
      (folder) => rmSync(join(folder, "attachments", "appeal-summary.txt")),
      /appeal-summary\.txt" does not exist/,
    ],
  ];

  it.each(breakages)(
    "with %s: status, outstanding, history, export and log still answer; send refuses",
    async (_, breakIt, problem) => {
      const folder = await sentCampaign();
      breakIt(folder);
      const said = /error.* in the campaign folder: what follows leaves out what could not be read/;

      // The reports only read: they run side by side.
      const reports = [["status", "--json"], ["outstanding"], ["history", "example-ngo"], ["export"]];
      const [status, outstanding, history, exported, checked] = await Promise.all(
        [...reports, ["check"]].map((args) => run(args, { cwd: folder })),
      );
      expect(status?.stderr).toMatch(problem);
      expect(JSON.parse(status?.stdout ?? "")[0]).toMatchObject({ campaign: "first-appeal", sent: 2 });
      for (const [index, result] of [status, outstanding, history, exported].entries()) {
        expect(result?.exitCode, `${reports[index]?.[0]}: ${result?.stderr}`).toBe(0);
        expect(result?.stderr).toMatch(said);
      }
      expect(history?.stdout).toMatch(/appeal sent/);
      expect(exported?.stdout).toMatch(/first-appeal,example-ngo,.*,waiting,/);
      expect(checked?.exitCode).toBe(1);

      const logged = await run(["log", "example-ngo", "--outcome", "acknowledged"], { cwd: folder });
      expect(logged.exitCode, logged.stderr).toBe(0);
      expect(readFileSync(join(folder, ".outreach", "journal.jsonl"), "utf8")).toContain(
        '"outcome":"acknowledged"',
      );

      const server = await sink();
      const sent = await run(["send", "--yes"], {
        cwd: folder,
        env: { OUTREACH_SMTP_URL: server.url },
      });
      expect(sent.exitCode).toBe(1);
      expect(sent.stderr).toMatch(/nothing was done/);
      expect(server.received).toHaveLength(0);
    },
  );

  it("history of a recipient whose file cannot be read: what the journal holds", async () => {
    const folder = await sentCampaign();
    writeFileSync(join(folder, "recipients", "example.yaml"), "- id: [broken\n");
    const history = await run(["history", "example-ngo"], { cwd: folder });
    expect(history.exitCode, history.stderr).toBe(0);
    expect(history.stdout).toMatch(/example-ngo \(its recipient file cannot be read/);
    expect(history.stdout).toMatch(/appeal sent/);
  });

  it("a campaign whose id cannot be read is named as left out; the others are reported", async () => {
    const folder = await sentCampaign();
    const path = join(folder, "outreach.yaml");
    const text = readFileSync(path, "utf8");
    writeFileSync(path, `${text}  - id: Not A Valid Id\n    subject: x\n    template: letter\n`);
    const status = await run(["status", "--json"], { cwd: folder });
    expect(status.exitCode, status.stderr).toBe(0);
    expect(status.stderr).toMatch(/campaigns\[1\].*this campaign is left out/);
    expect(JSON.parse(status.stdout).map((row: { campaign: string }) => row.campaign)).toEqual([
      "first-appeal",
    ]);
  });

  it("an outreach.yaml that cannot be parsed: status says so; history still answers from the journal", async () => {
    const folder = await sentCampaign();
    writeFileSync(join(folder, "outreach.yaml"), "sender: [unclosed\n");
    const status = await run(["status"], { cwd: folder });
    expect(status.exitCode).toBe(1);
    expect(status.stderr).toMatch(/outreach\.yaml/);
    const history = await run(["history", "example-ngo"], { cwd: folder });
    expect(history.exitCode, history.stderr).toBe(0);
    expect(history.stdout).toMatch(/appeal sent/);
  });
});
