// SMTP through nodemailer's SMTPConnection, one connection per lane. Using the connection directly tells us
// whether the message data had been handed over when a connection broke: before that a retry is safe, after
// it the message may have arrived, so the send is recorded as uncertain and never retried silently.
import { Readable } from "node:stream";
import SMTPConnection from "nodemailer/lib/smtp-connection";
import type { DeliveryResult, OutgoingMessage, Transport } from "../../core/transport.js";

export interface SmtpSettings {
  host: string;
  port: number;
  /** tls: implicit TLS; starttls: upgrade required; opportunistic: upgrade if offered; none: never. */
  security: "tls" | "starttls" | "opportunistic" | "none";
  user?: string;
  password?: string;
  /** Where the password comes from, asked only when a connection is first opened (never for a dry run). */
  findPassword?: () => Promise<string>;
  connections: number;
  /** Waits for connecting and for the greeting; the wait for the server's answer to the data stays long. */
  connectTimeoutMs?: number;
}

const SECURITY_NAMES = {
  tls: "TLS",
  starttls: "STARTTLS",
  opportunistic: "STARTTLS if offered",
  none: "no TLS",
};

export function describeSmtp(settings: Pick<SmtpSettings, "host" | "port" | "security" | "user">): string {
  const scheme = settings.security === "tls" ? "smtps" : "smtp";
  const user = settings.user ? `${encodeURIComponent(settings.user)}@` : "";
  return `${scheme}://${user}${settings.host}:${settings.port} (${SECURITY_NAMES[settings.security]})`;
}

type SmtpError = Error & { code?: string; responseCode?: number; response?: string; command?: string };

/** A connection failure where nothing reached the server: safe to retry, and the same for every letter. */
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "EDNS",
]);

class Lane {
  private connection: SMTPConnection | undefined;

  constructor(private readonly settings: SmtpSettings) {}

  /** Connects and logs in, or returns the open connection. A failed attempt leaves no socket behind. */
  async connect(): Promise<SMTPConnection> {
    if (this.connection) return this.connection;
    const { settings } = this;
    const connection = new SMTPConnection({
      host: settings.host,
      port: settings.port,
      secure: settings.security === "tls",
      requireTLS: settings.security === "starttls",
      ignoreTLS: settings.security === "none",
      connectionTimeout: settings.connectTimeoutMs ?? 30_000,
      greetingTimeout: settings.connectTimeoutMs ?? 30_000,
      socketTimeout: 10 * 60_000,
    });
    connection.on("end", () => {
      if (this.connection === connection) this.connection = undefined;
    });
    try {
      // Some failures (a refused connection) arrive only as an 'error' event, never through the callback.
      await new Promise<void>((resolve, reject) => {
        connection.once("error", reject);
        connection.connect((error) => (error ? reject(error) : resolve()));
      });
      if (settings.user) {
        await new Promise<void>((resolve, reject) =>
          connection.login({ user: settings.user, pass: settings.password ?? "" }, (error) =>
            error ? reject(error) : resolve(),
          ),
        );
      }
    } catch (error) {
      connection.close();
      throw error;
    } finally {
      connection.removeAllListeners("error");
      // Later errors also reach the send callback; without a listener an 'error' event would end the process.
      connection.on("error", () => {});
    }
    this.connection = connection;
    return connection;
  }

  drop(): void {
    this.connection?.close();
    this.connection = undefined;
  }

  quit(): void {
    this.connection?.quit();
    this.connection = undefined;
  }

  async deliver(message: OutgoingMessage): Promise<DeliveryResult> {
    let connection: SMTPConnection;
    try {
      connection = await this.connect();
    } catch (error) {
      this.drop();
      return this.classify(error as SmtpError, "before-data");
    }
    // The data phase is observed through the stream: SMTPConnection reads it only once the server has
    // said "354 go ahead", and the end of the stream is followed by the final "." at once.
    let phase: "before-data" | "during-data" | "after-data" = "before-data";
    const body = new Readable({
      read() {
        if (phase === "before-data") {
          phase = "during-data";
          for (const piece of message.raw) this.push(piece);
          this.push(null);
        }
      },
    });
    body.on("end", () => {
      phase = "after-data";
    });
    return new Promise<DeliveryResult>((resolve) => {
      // A fresh envelope each time: nodemailer marks the one it is given with the transaction's errors.
      const envelope = { from: message.envelope.from, to: [...message.envelope.to] };
      connection.send(envelope, body, (error, info) => {
        if (error) {
          // After a refused transaction the session is in an unknown state: the next letter gets a new one.
          this.drop();
          resolve(this.classify(error as SmtpError, phase));
          return;
        }
        resolve({
          status: "sent",
          response: info.response ?? "",
          accepted: (info.accepted ?? []).map(String),
          rejected: (info.rejectedErrors ?? []).map((rejection) => ({
            address: String((rejection as { recipient?: string }).recipient ?? ""),
            response: String(rejection.response ?? rejection.message),
          })),
          ...(info.serverMessageId ? { serverMessageId: info.serverMessageId } : {}),
        });
      });
    });
  }

  classify(error: SmtpError, phase: "before-data" | "during-data" | "after-data"): DeliveryResult {
    const code = error.responseCode;
    const response = (error.response ?? error.message).trim();
    if (error.code === "EAUTH") {
      this.drop();
      return { status: "failed", kind: "auth", ...(code ? { code } : {}), response };
    }
    if (code !== undefined && code >= 500) {
      return { status: "failed", kind: "permanent", code, response };
    }
    if (code !== undefined && code >= 400) {
      if (code === 421) this.drop();
      return { status: "failed", kind: "transient", code, response };
    }
    // No answer from the server: the connection broke, timed out or could not be made.
    this.drop();
    if (phase === "after-data") {
      return {
        status: "uncertain",
        reason: `the connection was lost after the message was sent, before the server confirmed it (${response})`,
      };
    }
    // A certificate that cannot be trusted, or TLS that cannot be set up, will not change on a retry.
    const tlsCode = String((error as { originalCode?: string }).originalCode ?? "");
    if (
      error.code === "ETLS" ||
      /CERT|SELF_SIGNED|HOSTNAME|ERR_SSL|ERR_TLS/.test(tlsCode) ||
      /certificate/i.test(error.message)
    ) {
      return { status: "failed", kind: "permanent", response: `TLS failed: ${response}` };
    }
    const errno = (error as { errno?: string; cause?: { code?: string } }).cause?.code ?? error.code;
    const unreachable =
      phase === "before-data" &&
      (UNREACHABLE.has(String(errno)) || /ECONNREFUSED|ENOTFOUND/.test(error.message));
    return { status: "failed", kind: "transient", ...(unreachable ? { unreachable: true } : {}), response };
  }
}

export function smtpTransport(settings: SmtpSettings): Transport {
  const lanes = Array.from({ length: settings.connections }, () => new Lane(settings));
  const idle = [...lanes];
  const waiting: ((lane: Lane) => void)[] = [];
  const take = () =>
    new Promise<Lane>((resolve) => {
      const lane = idle.pop();
      if (lane) resolve(lane);
      else waiting.push(resolve);
    });
  const give = (lane: Lane) => {
    const next = waiting.shift();
    if (next) next(lane);
    else idle.push(lane);
  };
  const prepare = async () => {
    if (settings.findPassword && settings.password === undefined) {
      settings.password = await settings.findPassword();
    }
  };
  return {
    kind: "smtp",
    description: describeSmtp(settings),
    concurrency: settings.connections,
    prepare,
    async open() {
      await prepare();
      const lane = await take();
      try {
        await lane.connect();
        return undefined;
      } catch (error) {
        const result = lane.classify(error as SmtpError, "before-data");
        return result.status === "failed"
          ? result
          : { status: "failed", kind: "transient", response: String(error) };
      } finally {
        give(lane);
      }
    },
    async deliver(message) {
      const lane = await take();
      try {
        return await lane.deliver(message);
      } finally {
        give(lane);
      }
    },
    async close() {
      for (const lane of lanes) lane.quit();
    },
  };
}
