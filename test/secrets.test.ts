// Secrets stay secret (PRODUCT.md): a password typed where a port, a file name or any transport setting
// belongs is never repeated in an error nor cached; a refused login leaves nothing behind; .env is read
// line by line. Against the built CLI, real temp folders and a real SMTP server in the test process.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseEnvFile } from "../src/core/env-file.js";
import { sinkPerTest } from "./smtp-sink.js";
import { CLI, campaignFolder, NOW, run, STARTER } from "./support.js";

const SECRET = "S3cretPass";
const STARTER_YAML = readFileSync(join(STARTER, "outreach.yaml"), "utf8");
const sink = sinkPerTest();

function withTransport(block: string, files: Record<string, string> = {}): string {
  return campaignFolder({ "outreach.yaml": `${STARTER_YAML}\ntransport:\n${block}\n`, ...files });
}

/** Every file below the folder's .outreach/, with its text. */
function stateFiles(folder: string): Record<string, string> {
  const state = join(folder, ".outreach");
  if (!existsSync(state)) return {};
  const files: Record<string, string> = {};
  for (const entry of readdirSync(state, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      files[path.slice(state.length + 1)] = readFileSync(path, "latin1");
    }
  }
  return files;
}

describe("a password typed in the wrong place is never repeated", () => {
  const settings: [string, string][] = [
    ["smtp.port", `  smtp:\n    host: smtp.example.org\n    port: ${SECRET}\n    security: starttls`],
    ["smtp.security", `  smtp:\n    host: smtp.example.org\n    security: ${SECRET}`],
    ["smtp.host", `  smtp:\n    host: [${SECRET}]\n    security: starttls`],
    [
      "smtp.port (a number)",
      `  smtp:\n    host: smtp.example.org\n    port: 31337${SECRET.length}99\n    security: starttls`,
    ],
    ["connections", `  connections: ${SECRET}`],
    ["retries", `  retries: ${SECRET}`],
    ["retry_delay", `  retry_delay: ${SECRET}`],
    ["rate", `  rate: ${SECRET}`],
    ["timeout", `  timeout: ${SECRET}`],
    ["an unknown key", `  smtp:\n    host: smtp.example.org\n    security: starttls\n    ${SECRET}: x`],
  ];
  for (const [name, block] of settings) {
    it(`transport.${name}: check names the line and field, exits 1, and neither the text nor --json output holds the value`, async () => {
      const folder = withTransport(block);
      const human = await run(["check"], { cwd: folder });
      const json = await run(["check", "--json"], { cwd: folder });
      const secret = name.includes("(a number)") ? `31337${SECRET.length}99` : SECRET;
      expect(human.exitCode, human.stderr).toBe(1);
      expect(`${human.stdout}${human.stderr}`).toMatch(/outreach\.yaml:\d+/);
      expect(`${human.stdout}${human.stderr}`).toContain("transport");
      expect(`${human.stdout}${human.stderr}`).not.toContain(secret);
      expect(json.stdout).not.toContain(secret);
      expect(JSON.stringify(stateFiles(folder))).not.toContain(secret);
    });
  }

  it("password_file: S3cretPass is not cached, and the send's error names the setting but not its value", async () => {
    const server = await sink({ auth: { user: "campaigner", pass: "right" } });
    const folder = withTransport(
      `  smtp:\n    host: 127.0.0.1\n    port: ${server.port}\n    security: none\n    user: campaigner\n    password_file: ${SECRET}`,
    );
    const checked = await run(["check"], { cwd: folder });
    expect(checked.exitCode, checked.stderr).toBe(0);
    await run(["status"], { cwd: folder });
    const sent = await run(["send", "--yes"], { cwd: folder });
    expect(sent.exitCode).toBe(1);
    expect(sent.stderr).toContain("transport.smtp.password_file");
    expect(`${sent.stdout}${sent.stderr}`).not.toContain(SECRET);
    expect(JSON.stringify(stateFiles(folder))).not.toContain(SECRET);
    expect(server.logins).toHaveLength(0);
  });

  it("OUTREACH_SMTP_PASSWORD_FILE=S3cretPass: the error names the variable, never its value; nothing is sent", async () => {
    const server = await sink({ auth: { user: "campaigner", pass: "right" } });
    const folder = campaignFolder();
    const sent = await run(["send", "--yes"], {
      cwd: folder,
      env: {
        OUTREACH_SMTP_URL: `smtp://campaigner@127.0.0.1:${server.port}`,
        OUTREACH_SMTP_PASSWORD_FILE: SECRET,
      },
    });
    expect(sent.exitCode).toBe(1);
    expect(sent.stderr).toContain("OUTREACH_SMTP_PASSWORD_FILE");
    expect(`${sent.stdout}${sent.stderr}`).not.toContain(SECRET);
    expect(server.logins).toHaveLength(0);
    expect(existsSync(join(folder, ".outreach", "journal.jsonl"))).toBe(false);
  });

  it("an empty password file is an error, not an empty password sent to the server", async () => {
    const server = await sink({ auth: { user: "campaigner", pass: "right" } });
    const folder = campaignFolder({ "secret.txt": "\n" });
    const sent = await run(["send", "--yes"], {
      cwd: folder,
      env: {
        OUTREACH_SMTP_URL: `smtp://campaigner@127.0.0.1:${server.port}`,
        OUTREACH_SMTP_PASSWORD_FILE: "secret.txt",
      },
    });
    expect(sent.exitCode).toBe(1);
    expect(sent.stderr).toMatch(/is empty/);
    expect(server.logins).toHaveLength(0);
  });
});

describe("a run that sends nothing writes nothing", () => {
  it("a login refused with 535 leaves no journal and no sent mailbox, exit 1", async () => {
    const server = await sink({ auth: { user: "campaigner", pass: "right" } });
    const folder = campaignFolder();
    const sent = await run(["send", "--yes"], {
      cwd: folder,
      env: {
        OUTREACH_SMTP_URL: `smtp://campaigner@127.0.0.1:${server.port}`,
        OUTREACH_SMTP_PASSWORD: "wrong",
      },
    });
    expect(sent.exitCode, sent.stderr).toBe(1);
    expect(`${sent.stdout}${sent.stderr}`).toContain("535");
    expect(server.received).toHaveLength(0);
    expect(existsSync(join(folder, ".outreach", "journal.jsonl"))).toBe(false);
    expect(existsSync(join(folder, ".outreach", "sent"))).toBe(false);
    expect(Object.keys(stateFiles(folder)).filter((file) => !file.startsWith("cache"))).toEqual([]);
  });

  it("a server that cannot be reached leaves no journal and no sent mailbox", async () => {
    const closed = await sink();
    await closed.close();
    const folder = withTransport("  retries: 0");
    const sent = await run(["send", "--yes"], { cwd: folder, env: { OUTREACH_SMTP_URL: closed.url } });
    expect(sent.exitCode).toBe(1);
    expect(existsSync(join(folder, ".outreach", "journal.jsonl"))).toBe(false);
    expect(existsSync(join(folder, ".outreach", "sent"))).toBe(false);
  });
});

describe("the password prompt", () => {
  it("an empty answer is asked again, never sent: the server sees only the typed password (on a real terminal, through script)", async () => {
    const server = await sink({ auth: { user: "campaigner", pass: "right" } });
    const folder = campaignFolder();
    // script(1) gives the CLI a pseudo-terminal on stdin and stdout, as a user's terminal would.
    const child = spawn("script", ["-qefc", `node ${CLI} send --yes`, "/dev/null"], {
      cwd: folder,
      env: {
        ...process.env,
        NO_COLOR: "1",
        OUTREACH_NOW: NOW,
        OUTREACH_SMTP_URL: `smtp://campaigner@127.0.0.1:${server.port}`,
      },
    });
    let screen = "";
    child.stdout.on("data", (chunk: Buffer) => {
      screen += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    const waitFor = async (pattern: RegExp) => {
      const deadline = Date.now() + 10_000;
      while (!pattern.test(screen)) {
        if (Date.now() > deadline) throw new Error(`never saw ${pattern}; the screen:\n${screen}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    };
    try {
      await waitFor(/Password for campaigner/);
      child.stdin.write("\r");
      await waitFor(/the password is empty/);
      child.stdin.write("right\r");
      expect(await exited, screen).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
    expect(server.logins.map((login) => login.pass)).toEqual(server.logins.map(() => "right"));
    expect(server.logins.length).toBeGreaterThanOrEqual(1);
    expect(server.received).toHaveLength(2);
  }, 20_000);
});

describe(".env is read line by line", () => {
  it("a line without '=' is warned about by file and line and does not swallow the next line: the letters go by SMTP", async () => {
    const server = await sink();
    const folder = campaignFolder({
      ".env": `# settings\nOUTREACH_SMTP_PASSWORD\nOUTREACH_SMTP_URL=${server.url}\nnot a setting\n`,
    });
    const sent = await run(["send", "--yes"], { cwd: folder });
    expect(sent.exitCode, sent.stderr).toBe(0);
    expect(sent.stderr).toMatch(/\.env:2 is not NAME=value/);
    expect(sent.stderr).toMatch(/\.env:4 is not NAME=value/);
    expect(sent.stderr).not.toMatch(/\.env:3/);
    expect(server.received).toHaveLength(2);
    expect(existsSync(join(folder, "outbox"))).toBe(false);
  });

  it("parseEnvFile: quotes, export, comments, and every bad line by number", () => {
    const { variables, badLines } = parseEnvFile(
      [
        "A=1",
        "export B = two words # a comment",
        'C="quoted # not a comment\\n"',
        "D='single'",
        "E=",
        "BROKEN",
        'F="never closed',
        "G=after",
        "9X=bad name",
        "H=`tick` trailing",
      ].join("\r\n"),
    );
    expect(variables).toEqual({
      A: "1",
      B: "two words",
      C: "quoted # not a comment\n",
      D: "single",
      E: "",
      G: "after",
    });
    expect(badLines).toEqual([6, 7, 9, 10]);
  });
});
