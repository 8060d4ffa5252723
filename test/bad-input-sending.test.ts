// Bad input in the sending settings: the transport block of outreach.yaml, the SMTP environment variables and
// the campaign folder's .env file, and the flags of `outreach send`. Every refusal is clear (file:line and field
// for outreach.yaml), exits with the right code, sends nothing to the SMTP sink and records nothing.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CRASH, check, expectProblem, expectRefused, lineOf, starterText } from "./bad-input-helpers.js";
import { type Sink, sinkPerTest } from "./smtp-sink.js";
import { type CliResult, campaignFolder, run, snapshot, tempFolder } from "./support.js";

const sink = sinkPerTest();
const CONFIG = "outreach.yaml";
const config = starterText(CONFIG);

/** The starter's outreach.yaml with a transport block appended (the starter has none). */
function withTransport(block: string): string {
  if (/^transport:/m.test(config))
    throw new Error("starter/outreach.yaml now has a transport block: update this test");
  return `${config.trimEnd()}\n\ntransport:\n${block}\n`;
}

/** A transport.smtp block pointing at the sink without TLS, so a send that ignored bad input would reach it. */
const smtpToSink = (server: Sink) =>
  `  smtp:\n    host: 127.0.0.1\n    port: ${server.port}\n    security: none`;

function both(result: CliResult): string {
  return `exit ${result.exitCode}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
}

/** Nothing left the machine and nothing was recorded: no message at the sink, no journal, no outbox, no copy. */
function expectNothingSent(server: Sink, folder: string, result: CliResult): void {
  const output = both(result);
  expect.soft(server.received, `the sink must receive nothing; ${output}`).toHaveLength(0);
  expect.soft(server.recipients, `no RCPT TO may be offered; ${output}`).toEqual([]);
  expect
    .soft(existsSync(join(folder, ".outreach", "journal.jsonl")), `no journal may be written; ${output}`)
    .toBe(false);
  expect.soft(existsSync(join(folder, "outbox")), `no outbox may be written; ${output}`).toBe(false);
  expect
    .soft(existsSync(join(folder, ".outreach", "sent")), `no copy of sent mail may be kept; ${output}`)
    .toBe(false);
}

/** `send --yes` with the sink as OUTREACH_SMTP_URL (unless `env` says otherwise). */
async function send(folder: string, server: Sink, args: string[] = [], env: Record<string, string> = {}) {
  return run(["send", "--yes", ...args], { cwd: folder, env: { OUTREACH_SMTP_URL: server.url, ...env } });
}

interface YamlCase {
  /** The transport block's lines, indented under `transport:`. */
  block: string;
  /** Text on the line the problem must be reported at. */
  needle: string;
  field: string;
  message: RegExp;
  hint?: RegExp;
}

/**
 * An outreach.yaml transport problem: `check` reports it at file:line with the field and exits 1 writing nothing,
 * and `send` (in a fresh copy, with the sink configured) prints the same problem on stderr, exits 1 and sends
 * and writes nothing.
 */
async function expectYamlRefused(yaml: YamlCase): Promise<void> {
  const text = withTransport(yaml.block);
  const at = `${CONFIG}:${lineOf(text, yaml.needle)}`;
  const expected = {
    at,
    field: yaml.field,
    message: yaml.message,
    ...(yaml.hint ? { hint: yaml.hint } : {}),
  };

  const checked = await check(campaignFolder({ [CONFIG]: text }));
  expectRefused(expect, checked);
  expectProblem(expect, checked.stdout, expected);

  const server = await sink();
  const folder = campaignFolder({ [CONFIG]: text });
  const before = snapshot(folder);
  const sent = await send(folder, server);
  expect.soft(sent.exitCode, `send exit code; ${both(sent)}`).toBe(1);
  expect.soft(sent.stderr, "send must not crash").not.toMatch(CRASH);
  expectProblem(expect, sent.stderr, expected);
  expect.soft(sent.stderr).toMatch(/nothing was done/);
  expectNothingSent(server, folder, sent);
  expect.soft(snapshot(folder), "send must write nothing when outreach.yaml is invalid").toEqual(before);
}

describe("outreach.yaml transport: refused by check and send, at file:line", () => {
  it("refuses rate: 20/fortnight, naming the accepted units", async () => {
    await expectYamlRefused({
      block: "  rate: 20/fortnight",
      needle: "rate: 20/fortnight",
      field: "transport.rate",
      message: /rate of at least one letter per period, like .*minute.*second.*hour/,
    });
  });

  it("send refuses rate: 0/minute, naming outreach.yaml:line and transport.rate, and sends nothing", async () => {
    const text = withTransport("  rate: 0/minute");
    const server = await sink();
    const folder = campaignFolder({ [CONFIG]: text });
    const result = await send(folder, server);
    expect.soft([1, 2], `send exit code; ${both(result)}`).toContain(result.exitCode);
    expect.soft(result.stderr, "send must not crash").not.toMatch(CRASH);
    expectProblem(expect, result.stderr, {
      at: `${CONFIG}:${lineOf(text, "rate: 0/minute")}`,
      field: "transport.rate",
      message: /at least one|at least 1/,
    });
    expectNothingSent(server, folder, result);
  });

  it("check already reports rate: 0/minute at file:line, since send would refuse it", async () => {
    const text = withTransport("  rate: 0/minute");
    const result = await check(campaignFolder({ [CONFIG]: text }));
    expectRefused(expect, result);
    expectProblem(expect, result.stdout, {
      at: `${CONFIG}:${lineOf(text, "rate: 0/minute")}`,
      field: "transport.rate",
      message: /at least one|at least 1/,
    });
  });

  it("refuses connections: 0 (the least is 1)", async () => {
    await expectYamlRefused({
      block: "  connections: 0",
      needle: "connections: 0",
      field: "transport.connections",
      message: /at least 1|>=\s*1/,
    });
  });

  it("refuses connections: 100 (the most is 16)", async () => {
    await expectYamlRefused({
      block: "  connections: 100",
      needle: "connections: 100",
      field: "transport.connections",
      message: /at most 16|<=\s*16/,
    });
  });

  it("refuses retry_delay: 2 hours, showing the duration forms", async () => {
    await expectYamlRefused({
      block: "  retry_delay: 2 hours",
      needle: "retry_delay: 2 hours",
      field: "transport.retry_delay",
      message: /duration like .*500ms.*2s.*1m/,
    });
  });

  it("refuses security: ssl, listing tls, starttls and none", async () => {
    await expectYamlRefused({
      block: "  smtp:\n    host: smtp.example.org\n    security: ssl",
      needle: "security: ssl",
      field: "transport.smtp.security",
      message: /(?=.*\btls\b)(?=.*\bstarttls\b)(?=.*\bnone\b)/,
    });
  });

  it('refuses port: "abc" as not a number, without repeating the value (it may be a password)', async () => {
    await expectYamlRefused({
      block: '  smtp:\n    host: smtp.example.org\n    security: tls\n    port: "abc"',
      needle: 'port: "abc"',
      field: "transport.smtp.port",
      message: /^must be a number \(what is written there is not shown/,
    });
  });

  it("refuses port: 70000 (the most is 65535)", async () => {
    await expectYamlRefused({
      block: "  smtp:\n    host: smtp.example.org\n    security: tls\n    port: 70000",
      needle: "port: 70000",
      field: "transport.smtp.port",
      message: /65535/,
    });
  });

  it("refuses an unknown key under transport.smtp with a did-you-mean hint", async () => {
    await expectYamlRefused({
      block: "  smtp:\n    host: smtp.example.org\n    security: tls\n    pasword_file: ~/.outreach-password",
      needle: "pasword_file:",
      field: "transport.smtp.pasword_file",
      message: /unknown field/,
      hint: /did you mean "password_file"/,
    });
  });

  it("refuses an empty host:, without telling the user to add the key that is already there", async () => {
    await expectYamlRefused({
      block: "  smtp:\n    host:\n    security: tls",
      needle: "host:",
      field: "transport.smtp.host",
      message: /empty|required|needs a value|missing/,
      // `add "host:"` is wrong advice when host: is written with no value.
      hint: /^(?!add "host:"$).*/,
    });
  });

  it("refuses security: none with a user and a non-loopback host (password in clear text)", async () => {
    await expectYamlRefused({
      block: "  smtp:\n    host: smtp.example.org\n    security: none\n    user: me",
      needle: "security: none",
      field: "transport.smtp.security",
      message: /clear text/,
      hint: /starttls|tls/,
    });
  });

  it("accepts security: none with a user when the host is 127.0.0.1, and the letters arrive", async () => {
    const server = await sink({ auth: { user: "me", pass: "loopback-pass-123" } });
    const text = withTransport(`${smtpToSink(server)}\n    user: me`);
    const checked = await check(campaignFolder({ [CONFIG]: text }));
    expect.soft(checked.exitCode, both(checked)).toBe(0);
    expect.soft(checked.stdout).toMatch(/No errors/);

    const folder = campaignFolder({ [CONFIG]: text });
    const result = await run(["send", "--yes"], {
      cwd: folder,
      env: { OUTREACH_SMTP_PASSWORD: "loopback-pass-123" },
    });
    expect.soft(result.exitCode, both(result)).toBe(0);
    expect.soft(server.received, both(result)).toHaveLength(2);
    expect.soft(server.logins).toContainEqual({ user: "me", pass: "loopback-pass-123" });
    expect.soft(`${result.stdout}${result.stderr}`).not.toContain("loopback-pass-123");
  });
});

describe("environment: OUTREACH_SMTP_URL, the password, the .env file", () => {
  /** Refused at once with exit 2: outreach.yaml points at the sink, so falling back to it would show as mail. */
  async function expectUrlRefused(url: string, message: RegExp): Promise<CliResult> {
    const server = await sink();
    const folder = campaignFolder({ [CONFIG]: withTransport(smtpToSink(server)) });
    const result = await run(["send", "--yes"], { cwd: folder, env: { OUTREACH_SMTP_URL: url } });
    expect.soft(result.exitCode, both(result)).toBe(2);
    expect.soft(result.stderr, "send must not crash").not.toMatch(CRASH);
    expect.soft(result.stderr, both(result)).toMatch(message);
    expectNothingSent(server, folder, result);
    return result;
  }

  it("refuses OUTREACH_SMTP_URL=http://example.org (must be smtp:// or smtps://)", async () => {
    await expectUrlRefused("http://example.org", /OUTREACH_SMTP_URL.*smtp:\/\/.*smtps:\/\//);
  });

  it('refuses OUTREACH_SMTP_URL="not a url" with an example of the right form', async () => {
    const result = await expectUrlRefused("not a url", /OUTREACH_SMTP_URL is not a URL/);
    expect.soft(result.stderr).toMatch(/→ .*smtps?:\/\//);
  });

  it("refuses OUTREACH_SMTP_URL with a password in it, and never prints the password", async () => {
    const result = await expectUrlRefused("smtps://me:secret@host:465", /must not contain the password/);
    expect.soft(`${result.stdout}${result.stderr}`, both(result)).not.toContain("secret");
  });

  it("refuses a missing OUTREACH_SMTP_PASSWORD_FILE, naming the variable (never its value), exit 1, nothing sent or recorded", async () => {
    const server = await sink({ auth: { user: "me", pass: "never-used" } });
    const folder = campaignFolder();
    const missing = join(tempFolder("outreach-nopass-"), "no-such-dir", "smtp-password");
    const result = await run(["send", "--yes"], {
      cwd: folder,
      env: { OUTREACH_SMTP_URL: `smtp://me@127.0.0.1:${server.port}`, OUTREACH_SMTP_PASSWORD_FILE: missing },
    });
    expect.soft(result.exitCode, both(result)).toBe(1);
    expect.soft(result.stderr, "send must not crash").not.toMatch(CRASH);
    expect.soft(result.stderr, both(result)).not.toContain(missing);
    expect.soft(result.stderr, both(result)).toContain("OUTREACH_SMTP_PASSWORD_FILE");
    expect.soft(result.stderr, both(result)).toMatch(/password file/);
    expect.soft(server.logins).toEqual([]);
    expectNothingSent(server, folder, result);
  });

  it("reads OUTREACH_SMTP_URL and OUTREACH_SMTP_PASSWORD from the campaign folder's .env: the letters arrive", async () => {
    const server = await sink({ auth: { user: "me", pass: "dotenv-pass-456" } });
    const folder = campaignFolder({
      ".env": `# SMTP for this campaign\nOUTREACH_SMTP_URL=smtp://me@127.0.0.1:${server.port}\nOUTREACH_SMTP_PASSWORD=dotenv-pass-456\n`,
    });
    const result = await run(["send", "--yes"], { cwd: folder });
    expect.soft(result.exitCode, both(result)).toBe(0);
    expect.soft(result.stderr).toContain(`via  smtp://me@127.0.0.1:${server.port}`);
    expect.soft(server.received, both(result)).toHaveLength(2);
    expect.soft(server.logins).toContainEqual({ user: "me", pass: "dotenv-pass-456" });
    expect.soft(`${result.stdout}${result.stderr}`).not.toContain("dotenv-pass-456");
    expect.soft(existsSync(join(folder, ".outreach", "journal.jsonl"))).toBe(true);
  });

  it("ignores a .env of binary garbage without crashing: the real environment's server is used", async () => {
    // Observed behaviour: node's parseEnv skips what is not KEY=VALUE; there is no warning.
    const server = await sink();
    const garbage = Buffer.concat([
      Buffer.from([0x00, 0x01, 0xff, 0xfe, 0x80, 0x0d, 0x0a]),
      Buffer.from("GARBAGE\0\0\nno equals sign on this line\n"),
    ]);
    const folder = campaignFolder({ ".env": garbage });
    const result = await send(folder, server);
    expect.soft(result.exitCode, both(result)).toBe(0);
    expect.soft(result.stderr, "send must not crash").not.toMatch(CRASH);
    expect.soft(server.received, both(result)).toHaveLength(2);
  });

  it("ignores .env lines without '=' (no crash): OUTREACH_SMTP_URL written with a space is not used", async () => {
    // Observed behaviour: the line is skipped silently and the letters go to the outbox, not to the server.
    const server = await sink();
    const folder = campaignFolder({ ".env": `OUTREACH_SMTP_URL ${server.url}\njust some words\n` });
    const result = await run(["send", "--yes"], { cwd: folder });
    expect.soft(result.exitCode, both(result)).toBe(0);
    expect.soft(result.stderr, "send must not crash").not.toMatch(CRASH);
    expect.soft(result.stderr, both(result)).toMatch(/via {2}outbox\//);
    expect.soft(server.received).toHaveLength(0);
  });
});

describe("send flags: refused with exit 2 before anything is sent", () => {
  async function expectFlagRefused(args: string[], message: RegExp): Promise<CliResult> {
    const server = await sink();
    const folder = campaignFolder();
    const result = await send(folder, server, args);
    expect.soft(result.exitCode, both(result)).toBe(2);
    expect.soft(result.stderr, "send must not crash").not.toMatch(CRASH);
    expect.soft(result.stderr, both(result)).toMatch(message);
    expectNothingSent(server, folder, result);
    return result;
  }

  it("refuses --limit 0", async () => {
    await expectFlagRefused(["--limit", "0"], /--limit must be a whole number of at least 1/);
  });

  it("refuses --limit abc", async () => {
    await expectFlagRefused(["--limit", "abc"], /--limit must be a whole number/);
  });

  it("refuses --limit -1", async () => {
    await expectFlagRefused(["--limit", "-1"], /--limit must be a whole number of at least 1/);
  });

  it("refuses --rate fast, showing the rate form", async () => {
    await expectFlagRefused(
      ["--rate", "fast"],
      /--rate must be a rate of at least one letter per period, like 20\/minute.*"fast"/,
    );
  });

  it("refuses --rate 0/minute", async () => {
    await expectFlagRefused(["--rate", "0/minute"], /--rate must be a rate of at least one letter/);
  });

  it("refuses --to-self a@b (no dot in the domain)", async () => {
    await expectFlagRefused(["--to-self", "a@b"], /--to-self needs one email address/);
  });

  it('refuses --to-self "Me <me@example.org>" (a display name)', async () => {
    await expectFlagRefused(["--to-self", "Me <me@example.org>"], /--to-self needs one email address/);
  });

  it("refuses --to-self with CR/LF (a header injection)", async () => {
    await expectFlagRefused(
      ["--to-self", "me@example.org\r\nBcc: victim@example.net"],
      /--to-self needs one/,
    );
    await expectFlagRefused(["--to-self", "me@example.org\n"], /--to-self needs one/);
  });
});
