// A raw SMTP server on 127.0.0.1 (port 0) that answers like a real one until a chosen step, and from then on
// says nothing: the stalls that smtp-server cannot script (a greeting never sent, an EHLO or STARTTLS left
// unanswered). It records when each connection came and every command it was sent.
import { createServer, type Socket } from "node:net";

export type SilentStep = "greeting" | "EHLO" | "STARTTLS" | "AUTH" | "MAIL" | "RCPT" | "DATA" | "dot";

export interface SilentServer {
  port: number;
  url: string;
  /** Date.now() of each connection, in order. */
  connections: number[];
  /** Every command line received (data lines excluded). */
  commands: string[];
  /** How many messages were answered with 250 after their final ".". */
  accepted: number;
  close(): Promise<void>;
}

/** `silentAt`: the step never answered; `silentConnections`: how many connections stall (default: all). */
export async function startSilentServer(options: {
  silentAt: SilentStep;
  silentConnections?: number;
  /** Advertise AUTH PLAIN (and accept any login). */
  auth?: boolean;
  /** On a connection that does not stall, answer the final "." only after this long. */
  dotDelayMs?: number;
}): Promise<SilentServer> {
  const connections: number[] = [];
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  const result: SilentServer = { port: 0, url: "", connections, commands, accepted: 0, close };
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    connections.push(Date.now());
    const silent = connections.length <= (options.silentConnections ?? Number.POSITIVE_INFINITY);
    const stallsAt = (step: SilentStep) => silent && options.silentAt === step;
    if (stallsAt("greeting")) return;
    socket.write("220 silent.test ESMTP\r\n");
    let buffer = "";
    let inData = false;
    socket.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("latin1");
      for (let end = buffer.indexOf("\r\n"); end !== -1; end = buffer.indexOf("\r\n")) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (inData) {
          if (line !== ".") continue;
          inData = false;
          if (stallsAt("dot")) continue;
          setTimeout(() => {
            result.accepted++;
            socket.write(`250 2.0.0 Ok: queued as S${result.accepted}\r\n`);
          }, options.dotDelayMs ?? 0);
          continue;
        }
        commands.push(line);
        const verb = (line.split(" ")[0] ?? "").toUpperCase();
        const step = verb === "EHLO" || verb === "HELO" ? "EHLO" : verb;
        if (stallsAt(step as SilentStep)) continue;
        if (verb === "EHLO") {
          const extensions = [
            ...(options.silentAt === "STARTTLS" ? ["STARTTLS"] : []),
            ...(options.auth ? ["AUTH PLAIN"] : []),
          ];
          const lines = ["silent.test", ...extensions];
          socket.write(
            lines.map((text, index) => `250${index === lines.length - 1 ? " " : "-"}${text}\r\n`).join(""),
          );
        } else if (verb === "AUTH") socket.write("235 2.7.0 Authentication successful\r\n");
        else if (verb === "DATA") {
          inData = true;
          socket.write("354 go ahead\r\n");
        } else if (verb === "QUIT") socket.end("221 bye\r\n");
        else socket.write("250 OK\r\n");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  result.port = typeof address === "object" && address ? address.port : 0;
  result.url = `smtp://127.0.0.1:${result.port}`;
  function close(): Promise<void> {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  }
  return result;
}
