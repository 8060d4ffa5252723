// The follow-ups a calendar shows: one all-day entry per recipient whose next follow-up has a due day, named
// so that importing the calendar again updates each entry instead of adding a second one.
import type { Tracking } from "./tracking.js";

export interface DueFollowup {
  /** Stable across runs: campaign, recipient and stage, so a re-import updates the entry. */
  uid: string;
  campaign: string;
  recipient: string;
  organisation: string;
  /** "followup-1", "followup-2", … */
  stage: string;
  /** YYYY-MM-DD, the day it is due (in the past when overdue). */
  day: string;
  overdue: boolean;
  summary: string;
  description: string;
}

/** `withAddresses`: put the contacts' addresses in the description (left out unless asked: calendars get shared). */
export function dueFollowups(trackings: readonly Tracking[], withAddresses = false): DueFollowup[] {
  return trackings
    .filter((tracking) => tracking.status === "waiting" && tracking.nextFollowupDue !== undefined)
    .map((tracking) => {
      const { recipient } = tracking.entry;
      const number = tracking.followupsSent + 1;
      const stage = `followup-${number}`;
      const day = tracking.nextFollowupDue as string;
      const byHand = tracking.letters.find((letter) => letter.byHand);
      const lines = [
        `${recipient.organisation} (${recipient.type}) has not answered the letter of ${tracking.appeal?.day ?? "?"}.`,
        `Follow-up ${number} of ${tracking.window.max}, due ${tracking.window.afterDays} ${tracking.window.workingDays ? "working " : ""}days after the last letter (window: ${tracking.window.source}).`,
        byHand
          ? `The letter went by ${byHand.channel}: follow up the same way, then outreach log ${recipient.id} --sent-by ${byHand.channel} --followup`
          : `Send it: outreach followup -c ${tracking.campaign} ${recipient.id}`,
        ...(withAddresses && recipient.contacts.length > 0
          ? [`Contacts: ${recipient.contacts.map((contact) => contact.email).join(", ")}`]
          : []),
      ];
      return {
        uid: `${tracking.campaign}.${recipient.id}.${stage}@outreach`,
        campaign: tracking.campaign,
        recipient: recipient.id,
        organisation: recipient.organisation,
        stage,
        day,
        overdue: tracking.followupDue,
        summary: `Follow-up ${number}: ${recipient.organisation}`,
        description: lines.join("\n"),
      };
    })
    .sort((a, b) => a.day.localeCompare(b.day) || a.uid.localeCompare(b.uid));
}
