// Rules for text that hold without a schema library: what a one-line field may not contain, and the forms
// of a rate and a duration. Kept apart from schema.ts so that code which only renders or reports never
// loads zod.

// Characters that must never reach a mail header or a one-line field: C0/C1 controls, DEL,
// Unicode line separators and bidirectional overrides (they can disguise an address or a name).
const FORBIDDEN_IN_LINE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this regex's job
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/u;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this regex's job
const FORBIDDEN_IN_TEXT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

export function describeForbiddenCharacter(value: string, multiline: boolean): string | undefined {
  const match = (multiline ? FORBIDDEN_IN_TEXT : FORBIDDEN_IN_LINE).exec(value);
  if (!match) return undefined;
  const code = match[0].codePointAt(0) ?? 0;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  if (code === 0x0a || code === 0x0d) return `a line break (${hex})`;
  if (code >= 0x200e && code !== 0x2028 && code !== 0x2029)
    return `an invisible text-direction control (${hex})`;
  return `a control character (${hex})`;
}

/**
 * Names every JavaScript object inherits (toString, constructor, __proto__ …): never a field of the data, so
 * a key in a file may not be one, and a template may not use one.
 */
export const BUILT_IN_NAMES: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  "prototype",
]);

/** "20/minute", "1/second", "300/hour": letters started per period. */
export const RATE_PATTERN = /^([1-9]\d*)\s*\/\s*(s|sec|second|m|min|minute|h|hour)$/;

/** "500ms", "2s", "1m". */
export const DURATION_PATTERN = /^(\d+)\s*(ms|s|m)$/;
