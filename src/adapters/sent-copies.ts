// transport.imap.save_sent: each letter the SMTP server accepted is also appended to the mailbox's Sent
// folder, as mail clients do. One IMAP connection, one APPEND at a time, after the letter is recorded as
// sent: a copy that cannot be saved is reported and never makes a sent letter look unsent.
import type { RawMessage } from "../core/transport.js";
import type { ImapSettings } from "./imap-settings.js";

export interface SentCopiesResult {
  folder: string;
  saved: number;
  failed: number;
  /** Why the copies that failed could not be saved. */
  reason?: string;
}

export class SentCopies {
  private queue: Promise<void> = Promise.resolve();
  private client: import("imapflow").ImapFlow | undefined;
  private connecting: Promise<void> | undefined;
  private saved = 0;
  private failed = 0;
  private reason: string | undefined;

  constructor(
    private readonly settings: ImapSettings & { saveSent: string },
    private readonly password: string,
  ) {}

  add(raw: RawMessage): void {
    this.queue = this.queue.then(async () => {
      try {
        await this.connect();
        await this.client?.append(this.settings.saveSent, Buffer.concat(raw), ["\\Seen"]);
        this.saved++;
      } catch (error) {
        this.failed++;
        const failure = error as Error & { responseText?: string; authenticationFailed?: boolean };
        this.reason ??= failure.authenticationFailed
          ? `the IMAP server ${this.settings.host}:${this.settings.port} (user ${this.settings.user}) refused the login`
          : (failure.responseText ?? failure.message);
      }
    });
  }

  private async connect(): Promise<void> {
    this.connecting ??= (async () => {
      const { ImapFlow } = await import("imapflow");
      const client = new ImapFlow({
        host: this.settings.host,
        port: this.settings.port,
        secure: this.settings.security === "tls",
        doSTARTTLS:
          this.settings.security === "starttls"
            ? true
            : this.settings.security === "none"
              ? false
              : undefined,
        auth: { user: this.settings.user, pass: this.password },
        logger: false,
        connectionTimeout: 10_000,
      });
      client.on("error", () => {});
      await client.connect();
      this.client = client;
    })();
    await this.connecting;
  }

  async finish(): Promise<SentCopiesResult> {
    await this.queue;
    await this.client?.logout().catch(() => {});
    return {
      folder: this.settings.saveSent,
      saved: this.saved,
      failed: this.failed,
      ...(this.reason ? { reason: this.reason } : {}),
    };
  }
}
