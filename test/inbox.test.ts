// `outreach inbox` against a real Dovecot: replies matched by their threading headers, probable and
// unmatched messages kept for a person, the mailbox left exactly as it was, nothing recorded twice.
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import PostalMime from "postal-mime";
import { describe, expect, it } from "vitest";
import { composeMail, dovecotPerFile } from "./dovecot.js";
import {
  events,
  inbox,
  letterId,
  letterSubject,
  NGO,
  received,
  responses,
  sentCampaign,
  UN,
} from "./inbox-support.js";
import { run } from "./support.js";

const dovecot = dovecotPerFile();

describe("outreach inbox", () => {
  it("records a threaded reply as received, to review, saves it as .eml and changes nothing in the mailbox", async () => {
    const account = await dovecot().account();
    const folder = await sentCampaign();
    const ours = letterId(folder, "un-special-rapporteur");
    const reply = await composeMail({
      from: `Urgent Appeals <${UN}>`,
      to: account.user,
      subject: `Re: ${letterSubject(folder, "un-special-rapporteur")}`,
      messageId: "<reply-1@un.example.org>",
      inReplyTo: ours,
      references: [ours],
      text: "We have registered your communication.\n\nOn 1 Feb 2026, you wrote:\n> Dear Special Rapporteur,\n> please act now",
    });
    await account.append("INBOX", reply);
    const before = await account.flags("INBOX");

    const result = await inbox(folder, account);
    expect(result.stderr).toContain("Took in 1 message from INBOX: 1 to review, 0 in the holding pen");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("un-special-rapporteur");
    expect(result.stdout).toContain("answer received, to review");
    const [event] = received(folder);
    expect(event).toMatchObject({
      type: "received",
      kind: "answer",
      match: "reply",
      recipient: "un-special-rapporteur",
      campaign: "first-appeal",
      in_reply_to: ours,
      message_id: "<reply-1@un.example.org>",
      from: `Urgent Appeals <${UN}>`,
      date: "2026-02-05",
    });
    expect(responses(folder)).toEqual([]);
    // The evidence: the raw message, byte for byte what the server holds, readable by the owner only.
    const eml = join(folder, (event as { eml: string }).eml);
    expect((await PostalMime.parse(readFileSync(eml))).messageId).toBe("<reply-1@un.example.org>");
    expect(statSync(eml).mode & 0o077).toBe(0);
    // Read-only: not marked as seen, nothing moved or deleted.
    expect(await account.flags("INBOX")).toEqual(before);
    expect(await account.flags("INBOX")).toEqual([[]]);

    // A second run finds nothing new and records nothing again.
    const again = await inbox(folder, account);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain("Nothing new in INBOX");
    expect(received(folder)).toHaveLength(1);

    const status = await run(["status", "--json"], { cwd: folder });
    expect(JSON.parse(status.stdout)[0]).toMatchObject({ to_review: 1, holding_pen: 0 });
  });

  it("matches a reply that only has References, and a reply to follow-up 2", async () => {
    const account = await dovecot().account();
    const folder = await sentCampaign();
    await sentCampaign({}, ["followup", "--yes"], folder, "2026-02-16T12:00:00Z");
    await sentCampaign({}, ["followup", "--yes"], folder, "2026-03-03T12:00:00Z");
    const appeal = letterId(folder, "example-ngo");
    const second = letterId(folder, "un-special-rapporteur", "followup-2");
    await account.append(
      "INBOX",
      await composeMail({
        from: NGO,
        to: account.user,
        subject: "About your appeal",
        messageId: "<refs-only@ngo.example.net>",
        references: ["<unrelated@elsewhere.example>", appeal],
      }),
    );
    await account.append(
      "INBOX",
      await composeMail({
        from: UN,
        to: account.user,
        subject: "Re: Re: Appeal",
        messageId: "<to-followup-2@un.example.org>",
        inReplyTo: second,
        references: [letterId(folder, "un-special-rapporteur"), second],
      }),
    );
    const result = await inbox(folder, account, [], { OUTREACH_NOW: "2026-03-05T12:00:00Z" });
    expect(result.exitCode).toBe(0);
    const byId = Object.fromEntries(received(folder).map((event) => [event.message_id, event]));
    expect(byId["<refs-only@ngo.example.net>"]).toMatchObject({
      recipient: "example-ngo",
      match: "reply",
      in_reply_to: appeal,
    });
    expect(byId["<to-followup-2@un.example.org>"]).toMatchObject({
      recipient: "un-special-rapporteur",
      match: "reply",
      stage: "followup-2",
      in_reply_to: second,
    });
  });

  it("keeps a reply without threading headers from a known contact as probable, and a stranger's in the holding pen", async () => {
    const account = await dovecot().account();
    const folder = await sentCampaign();
    await account.append(
      "INBOX",
      await composeMail({
        from: NGO,
        to: account.user,
        subject: "Your letter",
        messageId: "<probable@ngo.example.net>",
      }),
    );
    await account.append(
      "INBOX",
      await composeMail({
        from: "someone@stranger.example.com",
        to: account.user,
        subject: `Fwd: ${letterSubject(folder, "example-ngo")}`,
        messageId: "<stranger@stranger.example.com>",
      }),
    );
    // Mail that has nothing to do with the campaign is left alone: not saved, not recorded.
    await account.append(
      "INBOX",
      await composeMail({
        from: "news@shop.example.com",
        to: account.user,
        subject: "Sale!",
        messageId: "<sale@shop.example.com>",
      }),
    );
    const result = await inbox(folder, account);
    expect(result.exitCode).toBe(0);
    const byId = Object.fromEntries(received(folder).map((event) => [event.message_id, event]));
    expect(Object.keys(byId).sort()).toEqual([
      "<probable@ngo.example.net>",
      "<stranger@stranger.example.com>",
    ]);
    expect(byId["<probable@ngo.example.net>"]).toMatchObject({ match: "probable", recipient: "example-ngo" });
    expect(byId["<stranger@stranger.example.com>"]).toMatchObject({
      match: "unmatched",
      recipient: "",
      campaign: "",
    });
    // Nothing is attached for certain: no response is recorded for either.
    expect(responses(folder)).toEqual([]);

    const review = await run(["review", "--json"], { cwd: folder });
    expect(review.exitCode).toBe(0);
    const lists = JSON.parse(review.stdout);
    expect(lists.queue.map((entry: { message_id: string }) => entry.message_id)).toEqual([
      "<probable@ngo.example.net>",
    ]);
    expect(lists.holding_pen.map((entry: { message_id: string }) => entry.message_id)).toEqual([
      "<stranger@stranger.example.com>",
    ]);
    const status = await run(["status", "--json"], { cwd: folder });
    expect(JSON.parse(status.stdout)[0]).toMatchObject({ to_review: 1, holding_pen: 1 });
  });

  it("takes the same message in INBOX and Junk once", async () => {
    const account = await dovecot().account();
    const campaign = await sentCampaign();
    const yaml = readFileSync(join(campaign, "outreach.yaml"), "utf8").replace(
      "campaigns:",
      `transport:\n  imap:\n    host: 127.0.0.1\n    port: ${dovecot().port}\n    security: none\n    user: ${account.user}\n    folders: [INBOX, Junk]\ncampaigns:`,
    );
    writeFileSync(join(campaign, "outreach.yaml"), yaml);
    const reply = await composeMail({
      from: UN,
      to: account.user,
      subject: "Re: Appeal",
      messageId: "<twice@un.example.org>",
      inReplyTo: letterId(campaign, "un-special-rapporteur"),
    });
    await account.append("INBOX", reply);
    await account.append("Junk", reply);
    const result = await run(["inbox"], { cwd: campaign, env: { OUTREACH_IMAP_PASSWORD: account.password } });
    expect(result.stderr).toContain("from INBOX, Junk");
    expect(result.exitCode).toBe(0);
    expect(received(campaign)).toHaveLength(1);
    expect(existsSync(join(campaign, ".outreach", "inbox", "cursor.json"))).toBe(true);
    expect(events(campaign).filter((event) => event.type === "received")[0]).toMatchObject({
      folder: "INBOX",
    });
  });
});
