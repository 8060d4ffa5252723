// SMTP over TLS against a real server with its own certificate: implicit TLS, required STARTTLS, and the
// refusals that keep a password from crossing in clear text or reaching a server that cannot prove who it is.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generate } from "selfsigned";
import { beforeAll, describe, expect, it } from "vitest";
import { parse, sinkPerTest } from "./smtp-sink.js";
import { campaignFolder, run, STARTER } from "./support.js";

let key = "";
let cert = "";
let caFile = "";
beforeAll(async () => {
  const pems = await generate([{ name: "commonName", value: "localhost" }], {
    notAfterDate: new Date(Date.now() + 2 * 86_400_000),
    keySize: 2048,
    extensions: [{ name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }] }],
  });
  key = pems.private;
  cert = pems.cert;
  caFile = join(mkdtempSync(join(tmpdir(), "outreach-tls-")), "ca.pem");
  writeFileSync(caFile, cert);
});

const sink = sinkPerTest();

const starterConfig = readFileSync(join(STARTER, "outreach.yaml"), "utf8");
const PASSWORD = "tls-Pw-4417";
const journal = (folder: string) => {
  try {
    return readFileSync(join(folder, ".outreach", "journal.jsonl"), "utf8");
  } catch {
    return "";
  }
};

describe("SMTP over TLS", () => {
  it("sends over implicit TLS (smtps://) and logs in, trusting the server's certificate", async () => {
    const server = await sink({ tls: { key, cert, implicit: true }, auth: { user: "me", pass: PASSWORD } });
    const folder = campaignFolder();
    const result = await run(["send", "--yes"], {
      cwd: folder,
      env: {
        OUTREACH_SMTP_URL: `smtps://me@localhost:${server.port}`,
        OUTREACH_SMTP_PASSWORD: PASSWORD,
        NODE_EXTRA_CA_CERTS: caFile,
      },
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`Sent: 2 in`);
    expect(result.stdout).toContain(`via smtps://me@localhost:${server.port} (TLS)`);
    expect(server.received.map((message) => message.secure)).toEqual([true, true]);
    expect(server.logins.length).toBeGreaterThan(0);
    expect(server.logins.every((login) => login.user === "me" && login.pass === PASSWORD)).toBe(true);
    const email = await parse(server.received[0] as NonNullable<(typeof server.received)[0]>);
    expect(email.subject).toMatch(/^Appe/);
  });

  it("upgrades with STARTTLS when outreach.yaml requires it", async () => {
    const server = await sink({ tls: { key, cert, implicit: false }, auth: { user: "me", pass: PASSWORD } });
    const folder = campaignFolder({
      "outreach.yaml": starterConfig.replace(
        "campaigns:",
        `transport:\n  smtp:\n    host: localhost\n    port: ${server.port}\n    security: starttls\n    user: me\ncampaigns:`,
      ),
    });
    const result = await run(["send", "--yes"], {
      cwd: folder,
      env: { OUTREACH_SMTP_PASSWORD: PASSWORD, NODE_EXTRA_CA_CERTS: caFile },
    });
    expect(result.exitCode).toBe(0);
    expect(server.received.map((message) => message.secure)).toEqual([true, true]);
  });

  it("refuses a server whose certificate it cannot trust, before logging in or recording anything", async () => {
    const server = await sink({ tls: { key, cert, implicit: true }, auth: { user: "me", pass: PASSWORD } });
    const folder = campaignFolder();
    const result = await run(["send", "--yes"], {
      cwd: folder,
      env: { OUTREACH_SMTP_URL: `smtps://me@localhost:${server.port}`, OUTREACH_SMTP_PASSWORD: PASSWORD },
    });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(
      /Stopped early: the server cannot be used: TLS failed: self-signed certificate/,
    );
    expect(server.logins).toEqual([]);
    expect(server.received).toEqual([]);
    expect(journal(folder)).toBe("");
    expect(`${result.stdout}${result.stderr}`).not.toContain(PASSWORD);
  });

  it("refuses to go on when STARTTLS is required but the server does not offer it: the password stays home", async () => {
    const server = await sink({ auth: { user: "me", pass: PASSWORD } });
    const folder = campaignFolder({
      "outreach.yaml": starterConfig.replace(
        "campaigns:",
        `transport:\n  smtp:\n    host: localhost\n    port: ${server.port}\n    security: starttls\n    user: me\ncampaigns:`,
      ),
    });
    const result = await run(["send", "--yes"], { cwd: folder, env: { OUTREACH_SMTP_PASSWORD: PASSWORD } });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain("Stopped early: the server cannot be used");
    expect(server.logins).toEqual([]);
    expect(server.received).toEqual([]);
    expect(journal(folder)).toBe("");
  });
});
