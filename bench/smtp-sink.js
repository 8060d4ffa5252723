// A local SMTP sink for the bench: accepts everything, keeps nothing, prints its port.
import { SMTPServer } from "smtp-server";

const server = new SMTPServer({
  logger: false,
  disabledCommands: ["STARTTLS", "AUTH"],
  authOptional: true,
  onData(stream, _session, callback) {
    stream.on("data", () => {});
    stream.on("end", () => callback(null, "2.0.0 Ok: queued"));
  },
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${server.server.address().port}\n`);
});
