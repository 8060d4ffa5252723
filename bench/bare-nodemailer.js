// The send floor: nodemailer alone, the same number of letters of the same size, with the same number of
// connections to the same sink, and no journal, no copies, no progress. Usage: bare-nodemailer.js PORT COUNT CONNECTIONS
import nodemailer from "nodemailer";

const [port, count, connections] = process.argv.slice(2).map(Number);
const words =
  "the security operation in the city left residents without communication and the roads were closed";
let body = "";
for (let index = 0; index < 400; index++)
  body += `${words.split(" ")[index % 16]}${index % 15 === 14 ? "\n" : " "}`;
const transport = nodemailer.createTransport({
  host: "127.0.0.1",
  port,
  secure: false,
  ignoreTLS: true,
  pool: true,
  maxConnections: connections,
  maxMessages: Number.POSITIVE_INFINITY,
});
let next = 0;
async function worker() {
  while (next < count) {
    const index = next++;
    await transport.sendMail({
      from: '"Bench Sender" <bench@example.org>',
      to: `person${index}@r${index}.example.org`,
      subject: `Appeal to Institution number ${index}`,
      text: `Dear Colleague ${index},\n\n${body}\n\nYours sincerely,\nBench Sender\n`,
    });
  }
}
await Promise.all(Array.from({ length: connections }, worker));
transport.close();
