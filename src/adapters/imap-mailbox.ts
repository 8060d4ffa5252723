// The user's mailbox over IMAP (imapflow), read-only: folders are opened with EXAMINE and bodies fetched
// with BODY.PEEK, so nothing is marked, moved or deleted. Headers come first; a whole message only for the
// few that concern the campaign, streamed to a file so a 20 MB reply never sits in memory.
import { createWriteStream } from "node:fs";
import { rename, unlink } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import type { FetchMessageObject, ImapFlow } from "imapflow";
import { type MessageFacts, parseMessageIds } from "../core/replies.js";
import { oneLine } from "../core/text-rules.js";
import { UserError } from "../errors.js";
import type { ImapSettings } from "./imap-settings.js";

/** Header fields the rules read; the rest of a message is fetched only for candidates. */
const HEADER_FIELDS = [
  "message-id",
  "in-reply-to",
  "references",
  "from",
  "subject",
  "date",
  "auto-submitted",
  "x-autoreply",
  "x-autorespond",
  "x-auto-response-suppress",
  "precedence",
  "content-type",
  "x-failed-recipients",
];

export interface HeaderMessage {
  uid: number;
  size: number;
  facts: MessageFacts;
  /** The header block as fetched, to name a message that has no Message-ID. */
  rawHeaders: string;
}

export interface FolderScan {
  folder: string;
  /** As text: imapflow gives a BigInt, and the cursor is JSON. */
  uidValidity: string;
  messages: HeaderMessage[];
}

const TLS_CODES =
  /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS|ERR_SSL|HOSTNAME|ALTNAME|EPROTO|wrong version number/i;

/** Unfolds a header block into lower-case name → value (the first of each). */
export function parseHeaderBlock(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!(name in headers)) headers[name] = line.slice(colon + 1).trim();
  }
  return headers;
}

function factsOf(message: FetchMessageObject): { facts: MessageFacts; raw: string } {
  const raw = message.headers ? message.headers.toString("utf8") : "";
  const headers = parseHeaderBlock(raw);
  const envelope = message.envelope;
  const from = envelope?.from?.[0];
  const messageId = envelope?.messageId ?? parseMessageIds(headers["message-id"])[0];
  const subject = envelope?.subject ?? headers.subject;
  return {
    raw,
    facts: {
      ...(messageId ? { messageId } : {}),
      inReplyTo: parseMessageIds(envelope?.inReplyTo ?? headers["in-reply-to"]),
      references: parseMessageIds(headers.references),
      ...(from?.address ? { fromAddress: from.address.toLowerCase() } : {}),
      ...(from?.name ? { fromName: oneLine(from.name) } : {}),
      ...(subject ? { subject: oneLine(subject) } : {}),
      ...(headers.date ? { dateHeader: headers.date } : {}),
      headers,
    },
  };
}

export class Mailbox {
  private constructor(
    private readonly client: ImapFlow,
    readonly settings: ImapSettings,
  ) {}

  /**
   * Connects and logs in. A refused login or an untrusted certificate stops at once; a server that cannot
   * be reached is tried three times. Each failure is a sentence naming host, port and user.
   */
  static async open(
    settings: ImapSettings,
    password: string,
    options: { retries?: number } = {},
  ): Promise<Mailbox> {
    const { ImapFlow } = await import("imapflow");
    const where = `the IMAP server ${settings.host}:${settings.port} (user ${settings.user})`;
    const retries = options.retries ?? 2;
    for (let attempt = 0; ; attempt++) {
      const client = new ImapFlow({
        host: settings.host,
        port: settings.port,
        secure: settings.security === "tls",
        // starttls: required, never silently plain; none: this machine only (checked when read).
        doSTARTTLS:
          settings.security === "starttls" ? true : settings.security === "none" ? false : undefined,
        auth: { user: settings.user, pass: password },
        logger: false,
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 5 * 60_000,
        disableAutoIdle: true,
        tls: { servername: settings.host },
      });
      // A connection dropped later surfaces through the command that was running; this only keeps an
      // 'error' event from ending the process.
      client.on("error", () => {});
      try {
        await client.connect();
        return new Mailbox(client, settings);
      } catch (error) {
        client.close();
        const failure = error as Error & {
          authenticationFailed?: boolean;
          code?: string;
          responseText?: string;
          serverResponseCode?: string;
        };
        if (failure.authenticationFailed) {
          throw new UserError(
            `${where} refused the login${failure.responseText ? `: ${failure.responseText}` : ""}; nothing was recorded`,
            {
              hint: 'check the user and the password (many providers need an app password for IMAP, see README "Reading the inbox")',
            },
          );
        }
        const text = `${failure.code ?? ""} ${failure.message}`;
        if (TLS_CODES.test(text)) {
          throw new UserError(
            `${where} offered a certificate that cannot be trusted (${failure.message}); nothing was recorded`,
            {
              hint: "check the host name; for a server with its own certificate authority, set NODE_EXTRA_CA_CERTS to its certificate",
            },
          );
        }
        if (attempt >= retries) {
          throw new UserError(
            `cannot reach ${where}: ${failure.code ?? failure.message} (tried ${attempt + 1} times); nothing was recorded`,
            { hint: "check the host and port, and your network connection; then run outreach inbox again" },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 1_000 * 2 ** attempt));
      }
    }
  }

  /** Every message from `fromUid` on (all of them when the folder's UIDVALIDITY is not `uidValidity`). */
  async scan(folder: string, since: { uidValidity?: string; lastUid?: number }): Promise<FolderScan> {
    const lock = await this.lockFolder(folder);
    try {
      const mailbox = this.client.mailbox;
      if (!mailbox) throw new UserError(`cannot open the folder ${folder} on ${this.settings.description}`);
      const uidValidity = String(mailbox.uidValidity);
      const fromUid = since.uidValidity === uidValidity ? (since.lastUid ?? 0) + 1 : 1;
      const messages: HeaderMessage[] = [];
      if (mailbox.exists > 0) {
        for await (const message of this.client.fetch(
          `${fromUid}:*`,
          { uid: true, size: true, envelope: true, headers: HEADER_FIELDS },
          { uid: true },
        )) {
          // "N:*" names the last message even when its UID is below N.
          if (message.uid < fromUid) continue;
          const { facts, raw } = factsOf(message);
          messages.push({ uid: message.uid, size: message.size ?? 0, facts, rawHeaders: raw });
        }
      }
      return { folder, uidValidity, messages };
    } finally {
      lock.release();
    }
  }

  /** Streams one whole message to `path` (written aside first, so a cut connection leaves no half file). */
  async download(folder: string, uid: number, path: string): Promise<void> {
    const lock = await this.lockFolder(folder);
    const partial = `${path}.part`;
    try {
      const { content } = await this.client.download(String(uid), undefined, { uid: true });
      if (!content) throw new Error(`message ${uid} in ${folder} is gone`);
      await pipeline(content, createWriteStream(partial, { mode: 0o600 }));
      await rename(partial, path);
    } catch (error) {
      await unlink(partial).catch(() => {});
      throw error;
    } finally {
      lock.release();
    }
  }

  /** Waits (IMAP IDLE) until a message arrives in `folder`, or `timeout` ms pass; rejects if the connection drops. */
  async waitForMail(folder: string, timeout: number): Promise<void> {
    const lock = await this.lockFolder(folder);
    try {
      await new Promise<void>((resolve, reject) => {
        const cleanup = () => {
          clearTimeout(timer);
          this.client.off("exists", arrived);
          this.client.off("close", closed);
        };
        const arrived = () => {
          cleanup();
          resolve();
        };
        const closed = () => {
          cleanup();
          reject(new Error("the connection was closed"));
        };
        const timer = setTimeout(arrived, timeout);
        this.client.on("exists", arrived);
        this.client.on("close", closed);
        this.client.idle().catch(closed);
      });
    } finally {
      lock.release();
    }
  }

  private async lockFolder(folder: string) {
    try {
      return await this.client.getMailboxLock(folder, { readOnly: true });
    } catch (error) {
      const failure = error as Error & { responseText?: string };
      throw new UserError(
        `cannot open the folder "${folder}" on ${this.settings.description}: ${failure.responseText ?? failure.message}`,
        {
          hint: "check transport.imap.folders in outreach.yaml (folder names are as your mail client shows them, e.g. INBOX, Junk)",
        },
      );
    }
  }

  async close(): Promise<void> {
    await this.client.logout().catch(() => this.client.close());
  }
}
