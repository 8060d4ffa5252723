// How long each body is given to answer before a follow-up: the campaign's window, narrowed per kind of body
// (`followup.by_type`) and per recipient (`followup:` in its file), counted in calendar or working days.
import type { Problem } from "./problems.js";
import type { RecipientEntry } from "./recipients.js";
import type { Campaign, Recipient } from "./schema.js";
import { didYouMean } from "./suggest.js";

export interface AnswerWindow {
  /** Days after the last letter before the next follow-up is due. */
  afterDays: number;
  /** How many follow-ups at most; 0: never chased (a body that works confidentially, like the ICRC). */
  max: number;
  /** Count Monday to Friday only. */
  workingDays: boolean;
  /** Where the window comes from: "campaign", "type <type>" or "recipient". */
  source: string;
}

/** The window for one recipient: its own `followup`, else its type's in `by_type`, else the campaign's. */
export function answerWindow(campaign: Campaign, recipient: Recipient): AnswerWindow {
  const policy = campaign.followup;
  // Own keys only: a type named "constructor" or "toString" must not find what every object inherits.
  const byType =
    policy.by_type && Object.hasOwn(policy.by_type, recipient.type)
      ? policy.by_type[recipient.type]
      : undefined;
  const own = recipient.followup;
  const pick = <K extends "after_days" | "max" | "working_days">(key: K) =>
    own?.[key] ?? byType?.[key] ?? policy[key];
  return {
    afterDays: pick("after_days"),
    max: pick("max"),
    workingDays: pick("working_days"),
    source: own ? "recipient" : byType ? `type ${recipient.type}` : "campaign",
  };
}

const DAY = 86_400_000;

/** `day` (YYYY-MM-DD) plus `days`, in calendar days or, with `workingDays`, skipping Saturdays and Sundays. */
export function addDays(day: string, days: number, workingDays = false): string {
  const start = Date.parse(`${day}T00:00:00Z`);
  if (!workingDays) return new Date(start + days * DAY).toISOString().slice(0, 10);
  // A letter sent on a weekend counts as sent on the Friday before: the first working day after it is Monday.
  let weekday = new Date(start).getUTCDay();
  let offset = weekday === 6 ? -1 : weekday === 0 ? -2 : 0;
  weekday = weekday === 0 || weekday === 6 ? 5 : weekday;
  // Whole weeks at once (a week is five working days), then the rest a day at a time.
  offset += Math.floor(days / 5) * 7;
  for (let left = days % 5; left > 0; ) {
    offset++;
    weekday = (weekday + 1) % 7;
    if (weekday !== 0 && weekday !== 6) left--;
  }
  return new Date(start + offset * DAY).toISOString().slice(0, 10);
}

/**
 * `followup.by_type` naming a type no recipient has is almost always a typo, and its bodies would silently be
 * chased on the campaign's clock: a warning at that key, with "did you mean", like `select.types`.
 */
export function windowProblems(
  campaign: Campaign,
  campaignIndex: number,
  entries: readonly RecipientEntry[],
  locate: (path: PropertyKey[], key?: boolean) => { line: number; column: number } | undefined,
  configFile: string,
): Problem[] {
  const known = [...new Set(entries.map((entry) => entry.recipient.type))].sort();
  return Object.keys(campaign.followup.by_type ?? {})
    .filter((type) => !known.includes(type))
    .map((type) => {
      const suggestion = didYouMean(type, known);
      return {
        severity: "warning" as const,
        file: configFile,
        ...locate(["campaigns", campaignIndex, "followup", "by_type", type], true),
        field: `campaigns[${campaignIndex}].followup.by_type.${type}`,
        message: `no recipient has the type "${type}", so this window applies to no one`,
        hint: suggestion ? `did you mean "${suggestion}"?` : `types in use: ${known.join(", ") || "none"}`,
      };
    });
}
