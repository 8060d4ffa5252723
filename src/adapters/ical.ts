// Due follow-ups as an iCalendar file (RFC 5545), written by ical-generator: all-day events, one per entry.
import ical from "ical-generator";
import type { DueFollowup } from "../core/calendar.js";

/** A calendar day as a local date: ical-generator writes an all-day date from the local fields. */
function localDate(day: string): Date {
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  return new Date(year, month - 1, date);
}

/** `now` stamps every event, so the same state gives the same file. */
export function followupCalendar(name: string, entries: readonly DueFollowup[], now: Date): string {
  const calendar = ical({ name, prodId: { company: "outreach", product: "outreach", language: "EN" } });
  for (const entry of entries) {
    const start = localDate(entry.day);
    calendar.createEvent({
      id: entry.uid,
      start,
      end: new Date(start.getFullYear(), start.getMonth(), start.getDate() + 1),
      allDay: true,
      stamp: now,
      summary: entry.summary,
      description: entry.description,
    });
  }
  return calendar.toString();
}
