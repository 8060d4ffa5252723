// A real SMTP server in the test process (smtp-server on 127.0.0.1, port 0) whose answers each test scripts:
// accept, refuse with a code, drop the connection after the data, or withhold the reply until released.
import PostalMime, { type Email } from "postal-mime";
import { SMTPServer, type SMTPServerSession } from "smtp-server";
import { afterEach } from "vitest";

export type DataAnswer = "accept" | "drop" | "withhold" | { code: number; message: string };

export interface SinkOptions {
  /** Require this login. */
  auth?: { user: string; pass: string };
  /** Answer to RCPT TO; undefined accepts. `count` is how many times this address was offered so far. */
  onRcpt?: (address: string, count: number) => { code: number; message: string } | undefined;
  /** Answer after the message data; `index` counts messages received so far, from 0. */
  onData?: (index: number) => DataAnswer;
  /** Answer to MAIL FROM; undefined accepts. */
  onMailFrom?: (count: number) => { code: number; message: string } | undefined;
  /** Speak TLS: from the first byte (`implicit`), or after STARTTLS. Without it, STARTTLS is not offered. */
  tls?: { key: string; cert: string; implicit: boolean };
}

export interface ReceivedMessage {
  raw: Buffer;
  from: string;
  to: string[];
  at: number;
  /** When the client began this transaction (its MAIL FROM reached the server). */
  startedAt: number;
  answer: DataAnswer;
  /** The session was encrypted when the message arrived. */
  secure: boolean;
}

export interface Sink {
  port: number;
  /** For OUTREACH_SMTP_URL. */
  url: string;
  /** Every message whose data fully arrived, whatever the answer. */
  received: ReceivedMessage[];
  /** Every RCPT TO address offered, in order. */
  recipients: string[];
  logins: { user: string; pass: string }[];
  /** Answers the withheld messages with 250. */
  release(): void;
  close(): Promise<void>;
}

function smtpError(answer: { code: number; message: string }): Error {
  return Object.assign(new Error(answer.message), { responseCode: answer.code });
}

export async function startSink(options: SinkOptions = {}): Promise<Sink> {
  const received: ReceivedMessage[] = [];
  const recipients: string[] = [];
  const logins: { user: string; pass: string }[] = [];
  const withheld: (() => void)[] = [];
  const offered = new Map<string, number>();
  let mailFromCount = 0;
  const transactionStarts = new WeakMap<SMTPServerSession, number>();
  const server = new SMTPServer({
    logger: false,
    disabledCommands: [...(options.tls ? [] : ["STARTTLS"]), ...(options.auth ? [] : ["AUTH"])],
    authOptional: !options.auth,
    // Without TLS configured, logins over plain text are allowed (tests on 127.0.0.1); with it, they are not.
    allowInsecureAuth: !options.tls,
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert, secure: options.tls.implicit } : {}),
    onAuth(auth, _session, callback) {
      logins.push({ user: auth.username ?? "", pass: auth.password ?? "" });
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) {
        callback(null, { user: auth.username });
      } else {
        callback(Object.assign(new Error("Authentication credentials invalid"), { responseCode: 535 }));
      }
    },
    onMailFrom(_address, session, callback) {
      transactionStarts.set(session, Date.now());
      const answer = options.onMailFrom?.(mailFromCount++);
      callback(answer ? smtpError(answer) : undefined);
    },
    onRcptTo(address, _session, callback) {
      recipients.push(address.address);
      const count = offered.get(address.address) ?? 0;
      offered.set(address.address, count + 1);
      const answer = options.onRcpt?.(address.address, count);
      callback(answer ? smtpError(answer) : undefined);
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const answer = options.onData?.(received.length) ?? "accept";
        received.push({
          raw: Buffer.concat(chunks),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((address) => address.address),
          at: Date.now(),
          startedAt: transactionStarts.get(session) ?? Date.now(),
          answer,
          secure: Boolean(session.secure),
        });
        if (answer === "accept") callback(null, `2.0.0 Ok: queued as Q${received.length}`);
        else if (answer === "drop") {
          for (const connection of (
            server as unknown as { connections: Set<{ session: unknown; _socket: { destroy(): void } }> }
          ).connections) {
            if (connection.session === session) connection._socket.destroy();
          }
        } else if (answer === "withhold") withheld.push(() => callback(null, "2.0.0 Ok: finally queued"));
        else callback(smtpError(answer));
      });
    },
  });
  // A client that gives up during the TLS handshake is a test's subject, not an error of the test.
  server.on("error", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    received,
    recipients,
    logins,
    release() {
      for (const reply of withheld.splice(0)) reply();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function parse(message: ReceivedMessage): Promise<Email> {
  return PostalMime.parse(message.raw);
}

/**
 * For a test file: a `sink()` that starts a server and closes it after each test (answering anything it
 * still withholds first), so no test leaves a server behind.
 */
export function sinkPerTest(): (options?: SinkOptions) => Promise<Sink> {
  const started: Sink[] = [];
  afterEach(async () => {
    for (const sink of started.splice(0)) {
      sink.release();
      await Promise.race([sink.close(), new Promise((resolve) => setTimeout(resolve, 2_000))]);
    }
  });
  return async (options = {}) => {
    const sink = await startSink(options);
    started.push(sink);
    return sink;
  };
}
