// What the journal knows about our letters, shaped for matching incoming mail: every Message-ID we used
// (and the ids servers gave them), each contact address of a recipient written to, our subjects.
import { APPEAL, type JournalEvent, type JournalState } from "./journal.js";
import type { RecipientEntry } from "./recipients.js";
import { type LetterIndex, type LetterRef, normaliseSubject } from "./replies.js";

export function buildLetterIndex(
  events: readonly JournalEvent[],
  state: JournalState,
  recipients: readonly RecipientEntry[],
): LetterIndex {
  const byMessageId = new Map<string, LetterRef>();
  const subjects = new Set<string>();
  const domains = new Set<string>();
  const attempts = new Map<string, LetterRef>();
  for (const event of events) {
    if (event.type === "attempt" && event.transport === "smtp") {
      const letter = {
        campaign: event.campaign,
        recipient: event.recipient,
        stage: event.stage ?? APPEAL,
        messageId: event.message_id,
      };
      attempts.set(event.id, letter);
      byMessageId.set(event.message_id, letter);
      const subject = normaliseSubject(event.subject);
      if (subject) subjects.add(subject);
      const domain = event.message_id.replace(/>$/, "").split("@")[1];
      if (domain) domains.add(domain);
    }
  }
  for (const event of events) {
    if (event.type === "sent" && event.server_message_id) {
      const letter = attempts.get(event.attempt);
      if (letter) byMessageId.set(event.server_message_id.replace(/^<|>$/g, ""), letter);
    }
  }
  // Who was written to (by email or by hand), latest letter first, and at which addresses.
  const contacts = new Map(
    recipients.map((entry) => [
      entry.recipient.id,
      entry.recipient.contacts.map((contact) => contact.email.toLowerCase()),
    ]),
  );
  const written = new Map<string, { campaign: string; recipient: string; at: string; addresses: string[] }>();
  const note = (campaign: string, recipient: string, at: string, addresses: string[]) => {
    const key = `${campaign}\u0000${recipient}`;
    const previous = written.get(key);
    written.set(key, {
      campaign,
      recipient,
      at: previous && previous.at > at ? previous.at : at,
      addresses: [...(previous?.addresses ?? []), ...addresses],
    });
  };
  for (const delivery of state.deliveries.values()) {
    if (delivery.transport !== "smtp" || delivery.status === "not-sent" || delivery.status === "failed")
      continue;
    note(delivery.campaign, delivery.recipient, delivery.sentAt ?? "", delivery.addresses);
  }
  for (const list of state.handDeliveries.values()) {
    for (const event of list) note(event.campaign, event.recipient, `${event.date}T12:00:00.000Z`, []);
  }
  const byAddress = new Map<string, { campaign: string; recipient: string; at: string }[]>();
  for (const entry of written.values()) {
    const addresses = new Set([
      ...entry.addresses.map((address) => address.toLowerCase()),
      ...(contacts.get(entry.recipient) ?? []),
    ]);
    for (const address of addresses) {
      const list = byAddress.get(address) ?? [];
      list.push(entry);
      byAddress.set(address, list);
    }
  }
  for (const list of byAddress.values()) list.sort((a, b) => b.at.localeCompare(a.at));
  return {
    byMessageId,
    byAddress: new Map(
      [...byAddress].map(([address, list]) => [
        address,
        list.map(({ campaign, recipient }) => ({ campaign, recipient })),
      ]),
    ),
    subjects,
    domains,
  };
}
