// The test harness itself: a real Dovecot that takes messages by APPEND, over plain IMAP and over TLS.
import { describe, expect, it } from "vitest";
import { composeMail, dovecotPerFile } from "./dovecot.js";

const dovecot = dovecotPerFile();

describe("the Dovecot harness", () => {
  it("starts a real Dovecot that stores what is appended, in INBOX and Junk", async () => {
    const server = dovecot();
    await server.append(
      "INBOX",
      await composeMail({ from: "a@example.net", to: server.user, subject: "Hello" }),
    );
    await server.append(
      "Junk",
      await composeMail({ from: "b@example.net", to: server.user, subject: "Spam" }),
    );
    expect(await server.count("INBOX")).toBe(1);
    expect(await server.count("Junk")).toBe(1);
  });
});
