// A bare `outreach --help` through a pipe is answered from dist/help.txt, written at build time, without
// loading commander: it must be commander's own text, byte for byte, and never a stale one.
import { spawnSync } from "node:child_process";
import { cpSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO, run, tempFolder } from "./support.js";

describe("the built help text", () => {
  it("is what commander prints for --help and -h (stdout, exit 0)", async () => {
    const folder = tempFolder();
    // With another argument, the command line goes through commander: the same root help, built by it.
    const commander = await run(["--dir", folder, "--help"], { cwd: folder });
    expect(commander.exitCode).toBe(0);
    expect(commander.stdout).toMatch(/^Usage: outreach \[options\] \[command\]\n/);
    for (const flag of ["--help", "-h"]) {
      const built = await run([flag], { cwd: folder });
      expect(built.exitCode).toBe(0);
      expect(built.stderr).toBe("");
      expect(built.stdout).toBe(commander.stdout);
    }
  });

  it("is what commander prints when no command is given (stderr, exit 2)", async () => {
    const folder = tempFolder();
    const commander = await run(["--dir", folder], { cwd: folder });
    expect(commander.exitCode).toBe(2);
    expect(commander.stderr).toMatch(/^Usage: outreach/);
    const built = await run([], { cwd: folder });
    expect(built.exitCode).toBe(2);
    expect(built.stdout).toBe("");
    expect(built.stderr).toBe(commander.stderr);
  });

  /** A copy of the built program whose help.txt says something else, with the given modification time. */
  function copyWithHelp(text: string, time: Date): string {
    const copy = tempFolder();
    cpSync(join(REPO, "bin"), join(copy, "bin"), { recursive: true });
    cpSync(join(REPO, "dist"), join(copy, "dist"), { recursive: true });
    cpSync(join(REPO, "package.json"), join(copy, "package.json"));
    symlinkSync(join(REPO, "node_modules"), join(copy, "node_modules"));
    writeFileSync(join(copy, "dist", "help.txt"), text);
    utimesSync(join(copy, "dist", "help.txt"), time, time);
    return copy;
  }

  it("is shown only when it is no older than the commands it describes", () => {
    const cwd = tempFolder();
    const help = (copy: string) =>
      spawnSync("node", [join(copy, "bin", "outreach.js"), "--help"], { cwd, encoding: "utf8" });
    // Written after the program: it is the help (which proves this path is the one taken).
    const fresh = copyWithHelp("the built help\n", new Date(Date.now() + 60_000));
    expect(help(fresh).stdout).toBe("the built help\n");
    // Older than dist/cli.js (the program was built again without it): commander's own help instead.
    const stale = copyWithHelp("a stale help\n", new Date("2001-01-01T00:00:00Z"));
    const answer = help(stale);
    expect(answer.status).toBe(0);
    expect(answer.stdout).toMatch(/^Usage: outreach \[options\] \[command\]\n/);
  });

  it("is not used on a terminal, where commander wraps to the terminal's width", () => {
    const cwd = tempFolder();
    const wide = spawnSync(
      "script",
      ["-qefc", `stty cols 150; node ${join(REPO, "bin", "outreach.js")} --help`, "/dev/null"],
      { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
    );
    expect(wide.status).toBe(0);
    const lines = wide.stdout.split(/\r?\n/);
    // At 150 columns this description fits on one line; the 80-column text breaks it after "commented".
    expect(
      lines.some((line) =>
        /init \[dir\] +create a starter campaign folder with commented examples/.test(line),
      ),
    ).toBe(true);
  });
});
