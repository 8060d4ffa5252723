// The campaign folder's .env file, read one line at a time: NAME=value, optionally quoted, with `export` and
// comments allowed. A line that is not of that form is reported by number and never joined to the next one,
// so one stray line cannot swallow the setting after it.

export interface EnvFile {
  variables: Record<string, string>;
  /** Line numbers (from 1) that are not NAME=value and were ignored. */
  badLines: number[];
}

const ASSIGNMENT = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;

export function parseEnvFile(text: string): EnvFile {
  const variables: Record<string, string> = {};
  const badLines: number[] = [];
  text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .forEach((line, index) => {
      const trimmed = line.trim();
      if (trimmed === "" || trimmed.startsWith("#")) return;
      const match = ASSIGNMENT.exec(trimmed);
      const value = match ? parseValue(match[2] as string) : undefined;
      if (!match || value === undefined) {
        badLines.push(index + 1);
        return;
      }
      variables[match[1] as string] = value;
    });
  return { variables, badLines };
}

/** The value after "=": quoted ('…', "…" with \n and \" escapes, `…`) or bare up to a " #" comment. */
function parseValue(text: string): string | undefined {
  const quote = text[0];
  if (quote === '"' || quote === "'" || quote === "`") {
    let value = "";
    for (let index = 1; index < text.length; index++) {
      const character = text[index] as string;
      if (quote === '"' && character === "\\" && index + 1 < text.length) {
        const next = text[++index] as string;
        value += next === "n" ? "\n" : next === "r" ? "\r" : next === "t" ? "\t" : next;
        continue;
      }
      if (character === quote) {
        const rest = text.slice(index + 1).trim();
        return rest === "" || rest.startsWith("#") ? value : undefined;
      }
      value += character;
    }
    return undefined; // the quote is never closed on this line
  }
  return text.replace(/(^|\s+)#.*$/, "").trim();
}
