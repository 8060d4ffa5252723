// Bench rows for `outreach inbox`: a real Dovecot on 127.0.0.1 (as the tests start it; as `nobody` when run
// as root) holding 10,000 messages, of which 500 answer letters of a generated campaign of 1,000 letters.
// The mail store is written as Maildir files directly (bench data, not outreach state). Rows: the first run
// (everything new) and a second run with nothing new, whole processes, with the budget beside each.
// Alone: `npm run build && node bench/inbox.js` (BENCH_RUNS=1 for one run per row).
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import {
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { connect as tcpConnect } from "node:net";
import { userInfo } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { generateCampaign } from "./generate.js";
import { freePort, measureCli } from "./lib.js";

const here = dirname(fileURLToPath(import.meta.url));
const DOVECOT = "/usr/sbin/dovecot";
const MESSAGES = 10_000;
const ANSWERS = 500;
const LETTERS = 1_000;
const USER = "bench@example.org";
const PASSWORD = "bench-imap-pw";

async function waitForPort(port, child) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dovecot exited (${child.exitCode})`);
    const open = await new Promise((resolve) => {
      const socket = tcpConnect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`dovecot did not listen on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function chownTree(path, uid, gid) {
  chownSync(path, uid, gid);
  if (statSync(path).isDirectory())
    for (const name of readdirSync(path)) chownTree(join(path, name), uid, gid);
}

/** Dovecot with plain IMAP on loopback over `mailRoot`; its login process refuses root, so as root it runs as nobody. */
async function startDovecot(folder) {
  const root = process.getuid?.() === 0;
  const runAs = root
    ? { name: "nobody", uid: 65534, gid: 65534 }
    : { name: userInfo().username, uid: userInfo().uid, gid: userInfo().gid };
  const group = spawnSync("id", ["-gn", runAs.name], { encoding: "utf8" }).stdout.trim();
  for (const sub of ["run", "state"]) mkdirSync(join(folder, sub), { recursive: true });
  writeFileSync(join(folder, "passwd"), `${USER}:{PLAIN}${PASSWORD}::::::\n`, { mode: 0o600 });
  const port = await freePort();
  writeFileSync(
    join(folder, "dovecot.conf"),
    `base_dir = ${folder}/run
state_dir = ${folder}/state
instance_name = outreach-bench-${port}
log_path = ${folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
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
service imap-login {
  chroot =
  inet_listener imap {
    port = ${port}
  }
}
service anvil {
  chroot =
}
`,
  );
  if (root) chownTree(folder, runAs.uid, runAs.gid);
  const child = spawn(DOVECOT, ["-F", "-c", join(folder, "dovecot.conf")], {
    stdio: "ignore",
    ...(root ? { uid: runAs.uid, gid: runAs.gid } : {}),
  });
  await waitForPort(port, child);
  return { port, stop: () => child.kill("SIGTERM") };
}

/** Sent letters in the journal, as `send` records them over SMTP: an attempt, then its outcome. */
function writeJournal(campaignFolder) {
  const lines = [];
  const letters = [];
  const start = Date.parse("2026-02-01T09:00:00Z");
  for (let index = 0; index < LETTERS; index++) {
    const at = new Date(start + index * 1000).toISOString();
    const attempt = randomUUID();
    const messageId = `<${randomUUID()}@example.org>`;
    const address = `person${index}@r${index}.example.org`;
    const base = { v: 1, at, campaign: "bench", recipient: `r${index}` };
    const subject = `Appeal to Institution number ${index}`;
    lines.push(
      JSON.stringify({
        ...base,
        id: attempt,
        type: "attempt",
        message_id: messageId,
        transport: "smtp",
        to: [address],
        cc: [],
        subject,
        try: 1,
      }),
      JSON.stringify({
        ...base,
        id: randomUUID(),
        type: "sent",
        attempt,
        message_id: messageId,
        response: "250 2.0.0 Ok: queued",
        accepted: [address],
        rejected: [],
      }),
    );
    letters.push({ index, messageId, address, subject });
  }
  mkdirSync(join(campaignFolder, ".outreach"), { recursive: true });
  const journal = `${lines.join("\n")}\n`;
  writeFileSync(join(campaignFolder, ".outreach", "journal.jsonl"), journal);
  return { letters, journal };
}

const BODY =
  "Thank you for your letter. We have read it with attention and will come back to you.\r\n".repeat(20);

function message({ from, subject, messageId, date, extra = [], body = BODY }) {
  return [
    `From: ${from}`,
    `To: Bench Sender <bench@example.org>`,
    `Subject: ${subject}`,
    `Date: ${date}`,
    `Message-ID: ${messageId}`,
    ...extra,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "",
    body,
  ].join("\r\n");
}

/** 10,000 messages: every 20th answers a letter (most human answers, some auto-replies and bounces). */
function fillMaildir(mailFolder, letters) {
  const maildir = join(mailFolder, USER);
  for (const sub of ["cur", "new", "tmp"]) mkdirSync(join(maildir, sub), { recursive: true });
  const start = Date.parse("2026-02-02T08:00:00Z");
  let answered = 0;
  for (let index = 0; index < MESSAGES; index++) {
    const date = new Date(start + index * 60_000).toUTCString().replace("GMT", "+0000");
    let text;
    if (index % (MESSAGES / ANSWERS) === 0 && answered < ANSWERS) {
      const letter = letters[answered % letters.length];
      const kind = answered % 10;
      answered++;
      if (kind === 9) {
        text = message({
          from: "Mail Delivery System <MAILER-DAEMON@mx.example.net>",
          subject: "Mail delivery failed: returning message to sender",
          messageId: `<bounce-${index}@mx.example.net>`,
          date,
          extra: [`X-Failed-Recipients: ${letter.address}`],
          body: `A message that you sent could not be delivered.\r\n\r\n  ${letter.address}\r\n    550 5.1.1 User unknown\r\n\r\nMessage-ID: ${letter.messageId}\r\nSubject: ${letter.subject}\r\n`,
        });
      } else {
        text = message({
          from: `Person ${letter.index} <${letter.address}>`,
          subject: kind === 8 ? "Automatic reply: out of office" : `Re: ${letter.subject}`,
          messageId: `<answer-${index}@r${letter.index}.example.org>`,
          date,
          extra: [
            `In-Reply-To: ${letter.messageId}`,
            `References: ${letter.messageId}`,
            ...(kind === 8 ? ["Auto-Submitted: auto-replied"] : []),
          ],
        });
      }
    } else {
      text = message({
        from: `Newsletter ${index % 37} <news${index % 37}@lists.example.com>`,
        subject: `Weekly digest number ${index}`,
        messageId: `<digest-${index}@lists.example.com>`,
        date,
        extra: [`List-Id: <digest${index % 37}.lists.example.com>`],
      });
    }
    const name = `${1770000000 + index}.M${index}P1.bench,S=${Buffer.byteLength(text)}:2,S`;
    writeFileSync(join(maildir, "cur", name), text);
  }
}

const FLOOR_SCRIPT = `
import { ImapFlow } from "imapflow";
const client = new ImapFlow({ host: "127.0.0.1", port: Number(process.argv[1]), secure: false, doSTARTTLS: false,
  auth: { user: "${USER}", pass: "${PASSWORD}" }, logger: false, disableAutoIdle: true });
await client.connect();
const lock = await client.getMailboxLock("INBOX", { readOnly: true });
await client.search({ uid: "${MESSAGES + 1}:*" }, { uid: true });
lock.release();
await client.logout();
`;

function measureFloor(port, runs) {
  const times = [];
  for (let run = 0; run < runs; run++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", FLOOR_SCRIPT, String(port)], {
      cwd: join(here, ".."),
      stdio: ["ignore", "ignore", "pipe"],
    });
    if (result.status !== 0) throw new Error(`the IMAP floor failed:\n${result.stderr}`);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function row(name, size, { ms, peakMb }, budgetMs, budgetMb) {
  const within = ms <= budgetMs && peakMb <= budgetMb ? "yes" : "NO";
  return [
    name,
    size.toLocaleString("en-GB"),
    `${ms.toFixed(0)} ms`,
    `${Math.round((size / ms) * 1000).toLocaleString("en-GB")}/s`,
    `${peakMb.toFixed(0)} MB`,
    `≤ ${budgetMs} ms, ≤ ${budgetMb} MB`,
    within,
  ];
}

/** The inbox rows, in bench/run.js's row format; a note instead when Dovecot is not installed. */
export async function inboxRows({ runs = Number(process.env.BENCH_RUNS ?? 5) } = {}) {
  const size = MESSAGES.toLocaleString("en-GB");
  if (!existsSync(DOVECOT)) {
    return [
      [
        "inbox (skipped: Dovecot is not installed, apt-get install dovecot-imapd)",
        size,
        "-",
        "-",
        "-",
        "-",
        "-",
      ],
    ];
  }
  const data = join(here, ".data", "inbox");
  rmSync(data, { recursive: true, force: true });
  const campaign = join(data, "campaign");
  const server = join(data, "dovecot");
  mkdirSync(server, { recursive: true });
  generateCampaign(campaign, LETTERS, 100);
  const { letters, journal } = writeJournal(campaign);
  fillMaildir(join(server, "mail"), letters);
  const dovecot = await startDovecot(server);
  try {
    const env = {
      OUTREACH_IMAP_URL: `imap://${encodeURIComponent(USER)}@127.0.0.1:${dovecot.port}`,
      OUTREACH_IMAP_PASSWORD: PASSWORD,
    };
    const fresh = () => {
      writeFileSync(join(campaign, ".outreach", "journal.jsonl"), journal);
      rmSync(join(campaign, ".outreach", "inbox"), { recursive: true, force: true });
    };
    // Dovecot indexes a new Maildir on first sight, as it has long done for a real mailbox; not ours to time.
    measureCli(["inbox"], campaign, { env, before: fresh, runs: 1 });
    const first = measureCli(["inbox"], campaign, { env, before: fresh, runs });
    const second = measureCli(["inbox"], campaign, { env, runs });
    // The floor for a second run: Node starting, imapflow loaded, log in, EXAMINE, UID SEARCH, log out.
    const floor = measureFloor(dovecot.port, runs);
    const answers =
      readFileSync(join(campaign, ".outreach", "journal.jsonl"), "utf8").split('"type":"received"').length -
      1;
    if (answers !== ANSWERS) throw new Error(`inbox recorded ${answers} messages, not ${ANSWERS}`);
    return [
      row(`inbox, first run (${ANSWERS} answers)`, MESSAGES, first, 5000, 250),
      row("inbox, second run, nothing new", MESSAGES, second, 1000, 250),
      ["  floor: bare imapflow login + EXAMINE + SEARCH", "-", `${floor.toFixed(0)} ms`, "-", "-", "-", "-"],
    ];
  } finally {
    dovecot.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const rows = await inboxRows();
  for (const cells of rows) console.log(cells.join("\t"));
}
