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
  /**
   * The wait for each answer before the message is handed over: connecting, the greeting, EHLO, STARTTLS,
   * AUTH, MAIL, RCPT and DATA. A server that says nothing for this long is not going to.
   */
  stepTimeoutMs: number;
  /** The wait for the answer after the final ".": long, since a short one turns slow servers into uncertain sends. */
  dataTimeoutMs: number;
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

type SmtpError = Error & {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  timeoutType?: string;
};

type Phase = "before-data" | "during-data" | "after-data";

/** A connection failure where nothing reached the server: safe to retry, and the same for every letter. */
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "EDNS",
]);

/** What the lane is waiting for, to say which step a silent server did not answer. */
type Step = "connecting" | "logging in" | "the envelope" | "the message" | "the answer to the message";

const STEP_NAMES: Record<Step, string> = {
  connecting: "the connection (its greeting, EHLO or STARTTLS)",
  "logging in": "AUTH (the login)",
  "the envelope": "MAIL FROM, RCPT TO or DATA",
  "the message": "the message data",
  "the answer to the message": 'the message (after its final ".")',
};

/** Thrown into a waiting step when the user asked to stop (Ctrl-C) before the message was handed over. */
class Interrupted extends Error {}

function seconds(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`;
}

class Lane {
  private connection: SMTPConnection | undefined;
  private step: Step = "connecting";
  /** Set while the lane waits on a step that a Ctrl-C may cut short (nothing handed over yet). */
  private cancel: (() => void) | undefined;

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
      // Every step before the data gets the short wait; deliver() lengthens it only after the final ".".
      connectionTimeout: settings.stepTimeoutMs,
      greetingTimeout: settings.stepTimeoutMs,
      socketTimeout: settings.stepTimeoutMs,
    });
    connection.on("end", () => {
      if (this.connection === connection) this.connection = undefined;
    });
    // Without a listener an 'error' event would end the process; each step below listens for its own.
    connection.on("error", () => {});
    try {
      this.step = "connecting";
      await this.wait(connection, (done) => connection.connect(done));
      if (settings.user) {
        this.step = "logging in";
        await this.wait(connection, (done) =>
          connection.login({ user: settings.user as string, pass: settings.password ?? "" }, done),
        );
      }
    } catch (error) {
      connection.close();
      throw error;
    }
    this.connection = connection;
    return connection;
  }

  /**
   * One step of the session, as a promise: its callback, or an 'error' the connection emits instead (a
   * timeout or a drop before the answer never reaches the callback), or the user's Ctrl-C.
   */
  private wait(connection: SMTPConnection, start: (done: (error?: Error | null) => void) => void) {
    return new Promise<void>((resolve, reject) => {
      const finish = (error?: Error | null) => {
        connection.off("error", finish);
        this.cancel = undefined;
        if (error) reject(error);
        else resolve();
      };
      connection.on("error", finish);
      this.cancel = () => finish(new Interrupted());
      start(finish);
    });
  }

  /** Stops waiting for a letter not yet handed over; one whose data the server has keeps waiting. */
  interrupt(): void {
    this.cancel?.();
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
    // said "354 go ahead", and the end of the stream is followed by the final "." at once. That "." is the
    // hand-off (a server acts on no message without it), so the stream ends only once the attempt is on
    // disk: the envelope and the data go while the journal syncs.
    let phase: Phase = "before-data";
    const lane = this;
    const recorded = message.recorded;
    const body = new Readable({
      read() {
        if (phase === "before-data") {
          phase = "during-data";
          lane.step = "the message";
          lane.cancel = undefined; // the message is on its way: a Ctrl-C no longer cuts the wait short
          for (const piece of message.raw) this.push(piece);
          if (!recorded) {
            this.push(null);
            return;
          }
          // The client is the one waiting now: no step timeout while the journal syncs.
          setSocketTimeout(connection, 0);
          recorded.then(
            () => {
              if (!this.destroyed) this.push(null);
            },
            () => {}, // given up below
          );
        }
      },
    });
    body.on("end", () => {
      phase = "after-data";
      this.step = "the answer to the message";
      setSocketTimeout(connection, this.settings.dataTimeoutMs);
    });
    this.step = "the envelope";
    setSocketTimeout(connection, this.settings.stepTimeoutMs);
    return new Promise<DeliveryResult>((resolve) => {
      let settled = false;
      const finish = (result: DeliveryResult) => {
        if (settled) return;
        settled = true;
        this.cancel = undefined;
        resolve(result);
      };
      this.cancel = () => {
        this.drop();
        finish(this.classify(new Interrupted(), "before-data"));
      };
      // The journal could not record the attempt: the message is given up before its final ".", so the
      // server never takes it (the body's end waits for the record, so the phase is never after-data here).
      recorded?.catch(() => {
        if (settled) return; // the server had refused the message: nothing to give up
        this.drop();
        finish({
          status: "failed",
          kind: "transient",
          response: "not handed over: the journal could not record the attempt",
        });
      });
      // A fresh envelope each time: nodemailer marks the one it is given with the transaction's errors.
      const envelope = { from: message.envelope.from, to: [...message.envelope.to] };
      connection.send(envelope, body, (error, info) => {
        setSocketTimeout(connection, this.settings.stepTimeoutMs);
        if (error) {
          // After a refused transaction the session is in an unknown state: the next letter gets a new one.
          this.drop();
          finish(this.classify(error as SmtpError, phase));
          return;
        }
        finish({
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

  classify(error: SmtpError, phase: Phase): DeliveryResult {
    const { host, port } = this.settings;
    if (error instanceof Interrupted) {
      return {
        status: "failed",
        kind: "transient",
        interrupted: true,
        response: "not handed over: the run was stopped before the server took the message",
      };
    }
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
    if (error.code === "ETIMEDOUT") {
      const waited = phase === "after-data" ? this.settings.dataTimeoutMs : this.settings.stepTimeoutMs;
      const silence = `${host}:${port} gave no answer to ${STEP_NAMES[this.step]} within ${seconds(waited)}`;
      return phase === "after-data"
        ? {
            status: "uncertain",
            timedOut: true,
            reason: `the message was sent, but ${silence}, so it may or may not have arrived`,
          }
        : { status: "failed", kind: "transient", timedOut: true, response: silence };
    }
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

/**
 * SMTPConnection has one inactivity timeout for the whole session; the wait after the final "." is the one
 * step that must be long, so it is changed on the socket for that step alone.
 */
function setSocketTimeout(connection: SMTPConnection, ms: number): void {
  (connection as unknown as { _socket?: { setTimeout?(ms: number): void } })._socket?.setTimeout?.(ms);
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
    awaitsRecord: true,
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
    interrupt() {
      for (const lane of lanes) lane.interrupt();
    },
    async close() {
      for (const lane of lanes) lane.quit();
    },
  };
}
