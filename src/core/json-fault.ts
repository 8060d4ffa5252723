// What JSON.parse says is wrong with a text, placed at a line and column (it gives a character offset, or
// quotes the text back instead), and a comment said to be one: JSON has none.

export interface JsonFault {
  message: string;
  line?: number;
  column?: number;
}

export function jsonFault(text: string, message: string): JsonFault {
  const token = /^Unexpected token '(.)', .* is not valid JSON$/s.exec(message);
  const at = /\s*(?:in JSON )?at position (\d+)(?: \(line \d+ column \d+\))?/.exec(message);
  // Some messages quote the text instead of giving a position: the token is then found outside strings.
  const offset = at ? Number(at[1]) : token ? firstOutsideStrings(text, token[1] as string) : -1;
  const said = token ? `unexpected "${token[1]}"` : at ? message.slice(0, at.index) : message;
  if (offset < 0) return { message: said };
  const before = text.slice(0, offset).split("\n");
  const place = { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
  if (text[offset] === "/" && /[/*]/.test(text[offset + 1] ?? "")) {
    return { message: "a comment, which JSON does not have", ...place };
  }
  return { message: said, ...place };
}

/** The fault as one sentence, for a message that names no line itself. */
export function jsonFaultText(fault: JsonFault): string {
  return fault.line === undefined
    ? fault.message
    : `${fault.message} at line ${fault.line}, column ${fault.column}`;
}

function firstOutsideStrings(text: string, character: string): number {
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const here = text[index];
    if (quoted && here === "\\") index++;
    else if (here === '"') quoted = !quoted;
    else if (!quoted && here === character) return index;
  }
  return -1;
}
