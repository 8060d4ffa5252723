// The user's mailbox over IMAP (imapflow), read-only: folders are opened with EXAMINE and bodies fetched
// with BODY.PEEK, so nothing is marked, moved or deleted. Headers come first; a whole message only for the
// few that concern the campaign, streamed to a file so a 20 MB reply never sits in memory.
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { unlink } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import type { FetchMessageObject, ImapFlow } from "imapflow";
import { addressParser, decodeWords } from "postal-mime";
import { type MessageFacts, messageFacts, parseMessageIds } from "../core/replies.js";
import { UserError } from "../errors.js";
import type { ImapSettings } from "./imap-settings.js";

/**
 * Header fields the rules read; the rest of a message is fetched only for candidates. The whole header is
 * fetched (BODY.PEEK[HEADER]) and these are picked out here: naming thirteen fields in the FETCH costs the
 * client more to read back, per message, than the header it saves.
 */
const HEADER_FIELDS = new Set([
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
]);

export interface HeaderMessage {
  uid: number;
  size: number;
  facts: MessageFacts;
  /** A digest of the whole header block, to name a message that has no Message-ID. */
  headerDigest: string;
}

export interface FolderScan {
  folder: string;
  /** As text: imapflow gives a BigInt, and the cursor is JSON. */
  uidValidity: string;
  messages: HeaderMessage[];
}

const TLS_CODES =
  /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS|ERR_SSL|HOSTNAME|ALTNAME|EPROTO|wrong version number/i;

/** The fields the rules read from a header block, unfolded, by lower-case name (the first of each). */
export function parseHeaderBlock(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  let name: string | undefined;
  let value = "";
  const keep = () => {
    if (name !== undefined && !(name in headers)) headers[name] = value.trim();
    name = undefined;
  };
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith(" ") || line.startsWith("\t")) {
      if (name !== undefined) value += ` ${line.trim()}`;
      continue;
    }
    keep();
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const field = line.slice(0, colon).trim().toLowerCase();
    if (!HEADER_FIELDS.has(field)) continue;
    name = field;
    value = line.slice(colon + 1);
  }
  keep();
  return headers;
}

/** "Name <address>" read cheaply; anything less plain goes to the full address parser. */
function firstAddress(field: string): { name?: string; address?: string } | undefined {
  const plain = /^\s*(?:"([^"\\]*)"|([^"<>,;:@()]*?))\s*<([^<>\s@]+@[^<>\s]+)>\s*$/.exec(field);
  if (plain) {
    const name = (plain[1] ?? plain[2] ?? "").trim();
    return { address: plain[3] as string, ...(name ? { name } : {}) };
  }
  if (/^\s*[^\s<>"(),;:@]+@[^\s<>"(),;:]+\s*$/.test(field)) return { address: field.trim() };
  return addressParser(field)[0];
}

/** An encoded word (RFC 2047) decoded; text without one is returned as it is, at no cost. */
function decoded(text: string): string {
  return text.includes("=?") ? decodeWords(text) : text;
}

/** What the rules need, from the header fields alone (no ENVELOPE: the server's parsed copy costs more to read). */
function factsOf(message: FetchMessageObject): { facts: MessageFacts; digest: string } {
  const block = message.headers ?? Buffer.alloc(0);
  const headers = parseHeaderBlock(block.toString("utf8"));
  const from = headers.from ? firstAddress(headers.from) : undefined;
  const fromAddress = from?.address?.toLowerCase();
  const fromName = from?.name ? decoded(from.name) : undefined;
  const messageId = parseMessageIds(headers["message-id"])[0];
  const subject = headers.subject === undefined ? undefined : decoded(headers.subject);
  return {
    digest: messageId ? "" : createHash("sha256").update(block).digest("hex").slice(0, 32),
    facts: messageFacts({
      messageId,
      inReplyTo: headers["in-reply-to"],
      references: headers.references,
      fromAddress,
      fromName,
      subject,
      dateHeader: headers.date,
      headers,
    }),
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
      // A UID SEARCH first: one short answer, and with nothing new no header is asked for (a FETCH of
      // "N:*" would still return the last message, and Dovecot is slow to answer it with a whole header).
      if (mailbox.exists > 0 && (await this.hasUidFrom(fromUid))) {
        for await (const message of this.client.fetch(
          `${fromUid}:*`,
          { uid: true, size: true, headers: true },
          { uid: true },
        )) {
          // "N:*" names the last message even when its UID is below N.
          if (message.uid < fromUid) continue;
          const { facts, digest } = factsOf(message);
          messages.push({ uid: message.uid, size: message.size ?? 0, facts, headerDigest: digest });
        }
      }
      return { folder, uidValidity, messages };
    } finally {
      lock.release();
    }
  }

  /**
   * Whole messages for `uids`, in one FETCH (BODY.PEEK[]): each is handed to `take` as it arrives. A UID no
   * longer in the folder is left out. For messages small enough to hold; larger ones go through `download`.
   */
  async fetchWhole(folder: string, uids: readonly number[], take: (uid: number, source: Buffer) => void) {
    if (uids.length === 0) return;
    const lock = await this.lockFolder(folder);
    try {
      for await (const message of this.client.fetch(
        uids.join(","),
        { uid: true, source: true },
        { uid: true },
      )) {
        if (message.source) take(message.uid, message.source);
      }
    } finally {
      lock.release();
    }
  }

  private async hasUidFrom(fromUid: number): Promise<boolean> {
    const found = await this.client.search({ uid: `${fromUid}:*` }, { uid: true });
    return Array.isArray(found) && found.some((uid) => uid >= fromUid);
  }

  /** Streams one whole message to `path`, so a 20 MB reply never sits in memory. */
  async download(folder: string, uid: number, path: string): Promise<void> {
    const lock = await this.lockFolder(folder);
    try {
      const { content } = await this.client.download(String(uid), undefined, { uid: true });
      if (!content) throw new Error(`message ${uid} in ${folder} is gone`);
      await pipeline(content, createWriteStream(path, { mode: 0o600 }));
    } catch (error) {
      await unlink(path).catch(() => {});
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
