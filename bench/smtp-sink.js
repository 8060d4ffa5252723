// A local SMTP server that accepts every message and keeps none: the bench sends to it, and `npm run sink`
// starts it on port 2525 so you can try `outreach send` safely (OUTREACH_SMTP_URL=smtp://127.0.0.1:2525).
import { SMTPServer } from "smtp-server";

const port = Number(process.argv[2] ?? 0);
let received = 0;
const server = new SMTPServer({
  logger: false,
  disabledCommands: ["STARTTLS", "AUTH"],
  authOptional: true,
  onData(stream, session, callback) {
    stream.on("data", () => {});
    stream.on("end", () => {
      received++;
      if (port)
        process.stderr.write(
          `received #${received} for ${session.envelope.rcptTo.map((to) => to.address).join(", ")}\n`,
        );
      callback(null, `2.0.0 Ok: queued as SINK${received}`);
    });
  },
});
server.listen(port, "127.0.0.1", () => {
  const address = server.server.address();
  if (port) {
    process.stderr.write(
      `SMTP sink on 127.0.0.1:${address.port}: it accepts everything and delivers nothing. Ctrl-C to stop.\n`,
    );
  } else {
    process.stdout.write(`${address.port}\n`);
  }
});
