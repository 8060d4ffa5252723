// What the user typed comes back in an error on one line: a line break or an escape sequence in an id, a
// campaign name, a flag's value or a path is written out as \u{…}, so it cannot forge a line or drive the
// terminal.
import { describe, expect, it } from "vitest";
import { campaignFolder, run } from "./support.js";

describe("values the user typed, echoed in errors", () => {
  it.concurrent.each([
    [["preview", "x\ny"], /no recipient with the id "x\\u\{A\}y"/],
    [["history", "q\r\nq"], /no recipient with the id "q\\u\{D\}\\u\{A\}q"/],
    [["send", "--outbox", "--yes", "x\u001b[2Jy"], /no recipient with the id "x\\u\{1B\}\[2Jy"/],
    [["log", "z\nz", "--outcome", "meeting"], /no recipient with the id "z\\u\{A\}z"/],
    [["status", "--campaign", "a\nb"], /no campaign "a\\u\{A\}b" in outreach\.yaml/],
    [["export", "--campaign", "c\u0007d"], /no campaign "c\\u\{7\}d"/],
    [["recipients", "--type", "t\nt"], /no recipient has the type "t\\u\{A\}t"/],
    [["send", "--outbox", "--yes", "--rate", "fast\nnow"], /not "fast\\u\{A\}now"/],
    [["--dir", "d\ne", "status"], /d\\u\{A\}e has no outreach\.yaml/],
    [["status", "--colour\u001b]0;owned\u0007"], /unknown option '--colour\\u\{1B\}\]0;owned\\u\{7\}'/],
  ])("%j: one line, the value written out", async (args, sentence) => {
    const folder = campaignFolder();
    const result = await run(args, { cwd: folder });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(sentence);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: proving no control character is printed
    expect(result.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    expect(result.stderr.split("\n")[0]).toMatch(/^error: /);
  });
});
