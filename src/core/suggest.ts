// "Did you mean" for names the user mistyped: keys, ids, types, and the values of every flag that takes one
// of a known set (an unknown value is wrong usage, never a filter that silently matches nothing).
import { closest, distance } from "fastest-levenshtein";
import { EXIT, UserError } from "../errors.js";
import { showText } from "./text-rules.js";

export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(input, candidates as string[]);
  const limit = Math.max(2, Math.floor(input.length / 3));
  return distance(input, best) <= limit ? best : undefined;
}

/** The hint for a value that is not among `allowed`: the closest one, then the list (shortened when long). */
export function choiceHint(value: string, allowed: readonly string[]): string {
  const suggestion = didYouMean(value, allowed);
  const shown = allowed.length > 12 ? `${allowed.slice(0, 12).join(", ")}, …` : allowed.join(", ");
  const list = allowed.length ? `one of: ${shown}` : "there is none to choose from";
  return suggestion ? `did you mean "${suggestion}"? (${list})` : list;
}

/**
 * `value` if it is one of `allowed`; otherwise wrong usage (exit 2) naming what it is and the flag it came
 * from (`what` "outcome", `flag` "--outcome"), with "did you mean".
 */
export function parseChoice<T extends string>(
  value: string,
  allowed: readonly T[],
  what: string,
  flag: string,
): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UserError(`unknown ${what} ${showText(value)} (${flag})`, {
    exitCode: EXIT.usage,
    hint: choiceHint(value, allowed),
  });
}
