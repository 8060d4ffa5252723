// A real IMAP server for the inbox tests: Dovecot (Debian's dovecot-imapd) started by the test file on
// 127.0.0.1, with its own Maildir, password file and certificate in a temp folder, on ports chosen free.
// Messages reach it as mail does: by IMAP APPEND of messages built as a mail client builds them.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  appendFileSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { createServer, connect as tcpConnect } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { ImapFlow } from "imapflow";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import { generate } from "selfsigned";
import { afterAll, beforeAll } from "vitest";

/** One user's mailbox on the server: each test takes a fresh one, so tests never see each other's mail. */
export interface Account {
  user: string;
  password: string;
  /** Environment for the CLI: plain IMAP on loopback, with the password. */
  env(extra?: Record<string, string>): Record<string, string>;
  append(mailbox: string, raw: Buffer | string): Promise<void>;
  /** Deletes and creates the mailbox again: it gets a new UIDVALIDITY. */
  recreate(mailbox: string): Promise<void>;
  /** Every message's flags in a mailbox, to prove nothing was marked. */
  flags(mailbox: string): Promise<string[][]>;
  count(mailbox: string): Promise<number>;
}

export interface Dovecot extends Account {
  /** Plain IMAP (STARTTLS offered) and implicit TLS. */
  port: number;
  tlsPort: number;
  /** The server's certificate, for NODE_EXTRA_CA_CERTS. */
  caFile: string;
  folder: string;
  /** A new user with an empty mailbox. */
  account(): Promise<Account>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

const DOVECOT = "/usr/sbin/dovecot";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dovecot exited (${child.exitCode}):\n${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = tcpConnect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`dovecot did not listen on ${port}:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path)) chownTree(join(path, name), uid, gid);
  }
}

export async function startDovecot(): Promise<Dovecot> {
  const folder = mkdtempSync(join(tmpdir(), "outreach-dovecot-"));
  const user = "advocate@example.org";
  const password = "imap-Pw-5521";
  // Dovecot's login process refuses to run as root: as root, the whole server runs as nobody.
  const root = process.getuid?.() === 0;
  const runAs = root
    ? { name: "nobody", uid: 65534, gid: 65534 }
    : { name: userInfo().username, uid: userInfo().uid, gid: userInfo().gid };
  const group = execFileSync("id", ["-gn", runAs.name], { encoding: "utf8" }).trim();
  const pems = await generate([{ name: "commonName", value: "localhost" }], {
    notAfterDate: new Date(Date.now() + 2 * 86_400_000),
    keySize: 2048,
    extensions: [{ name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }] }],
  });
  for (const sub of ["run", "state", "mail"]) mkdirSync(join(folder, sub));
  writeFileSync(join(folder, "cert.pem"), pems.cert);
  writeFileSync(join(folder, "key.pem"), pems.private, { mode: 0o600 });
  writeFileSync(join(folder, "passwd"), `${user}:{PLAIN}${password}::::::\n`, { mode: 0o600 });
  const port = await freePort();
  const tlsPort = await freePort();
  writeFileSync(
    join(folder, "dovecot.conf"),
    `base_dir = ${folder}/run
state_dir = ${folder}/state
instance_name = outreach-test-${port}
log_path = ${folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <${folder}/cert.pem
ssl_key = <${folder}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = ${runAs.name}
default_internal_user = ${runAs.name}
default_internal_group = ${group}
mail_location = maildir:${folder}/mail/%u
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${folder}/passwd
}
userdb {
  driver = static
  args = uid=${runAs.uid} gid=${runAs.gid} home=${folder}/mail/%u
}
namespace inbox {
  inbox = yes
  mailbox Junk {
    special_use = \\Junk
    auto = create
  }
  mailbox Sent {
    special_use = \\Sent
    auto = create
  }
}
service imap-login {
  chroot =
  inet_listener imap {
    port = ${port}
  }
  inet_listener imaps {
    port = ${tlsPort}
    ssl = yes
  }
}
service anvil {
  chroot =
}
`,
  );
  if (root) chownTree(folder, runAs.uid, runAs.gid);
  const caFile = join(folder, "cert.pem");
  let child: ChildProcess | undefined;
  let output = "";
  const log = () => {
    try {
      return `${output}\n${readFileSync(join(folder, "dovecot.log"), "utf8")}`;
    } catch {
      return output;
    }
  };
  const start = async () => {
    child = spawn(DOVECOT, ["-F", "-c", join(folder, "dovecot.conf")], {
      stdio: ["ignore", "pipe", "pipe"],
      ...(root ? { uid: runAs.uid, gid: runAs.gid } : {}),
    });
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk));
    await waitForPort(port, child, log);
    await waitForPort(tlsPort, child, log);
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
  };
  await start();

  const passwd = join(folder, "passwd");
  const makeAccount = (accountUser: string, accountPassword: string): Account => {
    const withClient = async <T>(work: (client: ImapFlow) => Promise<T>): Promise<T> => {
      const client = new ImapFlow({
        host: "127.0.0.1",
        port,
        secure: false,
        doSTARTTLS: false,
        auth: { user: accountUser, pass: accountPassword },
        logger: false,
      });
      try {
        await client.connect();
      } catch (error) {
        const { responseText, serverResponseCode, authenticationFailed } = error as {
          responseText?: string;
          serverResponseCode?: string;
          authenticationFailed?: boolean;
        };
        throw new Error(
          `connecting as ${accountUser} failed${authenticationFailed ? " (login refused)" : ""}: ${serverResponseCode ?? ""} ${responseText ?? String(error)}`,
          { cause: error },
        );
      }
      try {
        return await work(client);
      } finally {
        await client.logout().catch(() => {});
      }
    };
    return {
      user: accountUser,
      password: accountPassword,
      env: (extra = {}) => ({
        OUTREACH_IMAP_URL: `imap://${encodeURIComponent(accountUser)}@127.0.0.1:${port}`,
        OUTREACH_IMAP_PASSWORD: accountPassword,
        ...extra,
      }),
      append: (mailbox, raw) =>
        withClient(async (client) => {
          try {
            await client.append(mailbox, typeof raw === "string" ? Buffer.from(raw) : raw);
          } catch (error) {
            // imapflow says only "Command failed"; the server's own words say why.
            const { responseText, serverResponseCode } = error as {
              responseText?: string;
              serverResponseCode?: string;
            };
            throw new Error(
              `APPEND to ${mailbox} refused: ${serverResponseCode ?? ""} ${responseText ?? ""}`,
              {
                cause: error,
              },
            );
          }
        }),
      recreate: (mailbox) =>
        withClient(async (client) => {
          await client.mailboxDelete(mailbox);
          await client.mailboxCreate(mailbox);
        }),
      flags: (mailbox) =>
        withClient(async (client) => {
          // EXAMINE, and without \Recent: that flag belongs to the session, not the message.
          const lock = await client.getMailboxLock(mailbox, { readOnly: true });
          try {
            const all: string[][] = [];
            if ((client.mailbox as { exists: number }).exists === 0) return all;
            for await (const message of client.fetch("1:*", { flags: true })) {
              all.push([...(message.flags ?? [])].filter((flag) => flag !== "\\Recent").sort());
            }
            return all;
          } finally {
            lock.release();
          }
        }),
      count: (mailbox) =>
        withClient(async (client) => {
          const status = await client.status(mailbox, { messages: true });
          return status ? (status.messages ?? 0) : 0;
        }),
    };
  };
  let accounts = 0;
  return {
    ...makeAccount(user, password),
    port,
    tlsPort,
    caFile,
    folder,
    async account() {
      accounts++;
      const name = `user${accounts}@example.org`;
      const secret = `pw-${accounts}-${Math.random().toString(36).slice(2)}`;
      // Dovecot reads the password file again when it sees it changed, but it looks at most once a second
      // and compares whole-second modification times: a user added in the second of its last look was not
      // found (AUTHENTICATIONFAILED when two test files ran side by side). So each change gets a modification
      // time of its own, and the account is used from the next second on.
      appendFileSync(passwd, `${name}:{PLAIN}${secret}::::::\n`);
      const stamp = Math.floor(Date.now() / 1000) + 1000 + accounts;
      utimesSync(passwd, stamp, stamp);
      await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
      return makeAccount(name, secret);
    },
    stop,
    start,
  };
}

/** One Dovecot for a test file: started before its tests, stopped and removed after them. */
export function dovecotPerFile(): () => Dovecot {
  let server: Dovecot | undefined;
  beforeAll(async () => {
    server = await startDovecot();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    if (server) rmSync(server.folder, { recursive: true, force: true });
  });
  return () => {
    if (!server) throw new Error("dovecot is not running");
    return server;
  };
}

/** A message built as a mail client builds it (nodemailer's composer), as raw bytes. */
export async function composeMail(options: {
  from: string;
  to: string;
  subject: string;
  text?: string;
  date?: Date;
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  headers?: Record<string, string>;
  attachments?: { filename: string; content: Buffer | string; contentType?: string }[];
}): Promise<Buffer> {
  const composer = new MailComposer({
    from: options.from,
    to: options.to,
    subject: options.subject,
    text: options.text ?? "Thank you for your letter.",
    date: options.date ?? new Date("2026-02-05T10:00:00Z"),
    ...(options.messageId ? { messageId: options.messageId } : {}),
    ...(options.inReplyTo ? { inReplyTo: options.inReplyTo } : {}),
    ...(options.references ? { references: options.references } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.attachments ? { attachments: options.attachments } : {}),
  });
  return new Promise((resolve, reject) =>
    composer.compile().build((error, message) => (error ? reject(error) : resolve(message))),
  );
}
