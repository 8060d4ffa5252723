// The templates of a campaign folder (letters by name, kind and language; partials by name) and the errors a
// template can raise. The Handlebars engine that compiles them lives in engine.ts, loaded only when needed.
import type { Problem } from "./problems.js";

export interface TemplateSource {
  /** Path relative to the campaign folder, e.g. `templates/appeal.ru.txt.hbs`. */
  file: string;
  text: string;
  /** Where the template starts inside `file`, for templates written inside another file (a subject in outreach.yaml). */
  startLine?: number;
  /** Its column on that line, where it is known (a templated attachment path in outreach.yaml). */
  startColumn?: number;
  /** The file could not be read (already reported): it exists, but renders nothing. */
  unreadable?: boolean;
  /** The field that holds the template, for templates written inside outreach.yaml. */
  field?: string;
}

/** The templates found under templates/: main letters by name, kind and language; partials by name. */
export interface TemplateLibrary {
  letters: Map<string, { text: Map<string, TemplateSource>; html: Map<string, TemplateSource> }>;
  partials: Map<string, TemplateSource>;
}

/** The languages the letters are written in (`ru`, `fr`: the variants beside each default file). */
export function templateLanguages(library: TemplateLibrary): string[] {
  const languages = new Set<string>();
  for (const letter of library.letters.values())
    for (const language of [...letter.text.keys(), ...letter.html.keys()])
      if (language !== DEFAULT_VARIANT) languages.add(language);
  return [...languages];
}

/** Where a template failed: the template's file and position, and a sentence saying what to do. */
export class TemplateError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
    readonly column?: number,
    readonly hint?: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "TemplateError";
  }
}

/** A letter could not be rendered because its template did not compile; reported once, not per letter. */
export class BrokenTemplate extends Error {
  constructor(readonly file: string) {
    super(`${file} did not compile`);
    this.name = "BrokenTemplate";
  }
}

export const DEFAULT_VARIANT = "";

/** The language variants to try, most specific first: pt-BR → pt-BR, pt; then the default file. */
export function languageChain(language: string): string[] {
  const chain = [language];
  const primary = language.split("-")[0];
  if (primary && primary !== language) chain.push(primary);
  return chain;
}

/**
 * The value for `language` among values per language, falling back as letters do: pt-BR, then pt, then the
 * campaign's default language (en-GB, then en), then a value for no language (""), then the first written.
 */
export function forLanguage<T>(
  values: ReadonlyMap<string, T>,
  language: string,
  defaultLanguage: string,
): T | undefined {
  for (const candidate of [...languageChain(language), ...languageChain(defaultLanguage), DEFAULT_VARIANT]) {
    const value = values.get(candidate);
    if (value !== undefined) return value;
  }
  return values.values().next().value;
}

/** Parses a template file name (relative to templates/) into letter name, language and kind. */
export function parseTemplateName(
  name: string,
): { letter: string; language: string; kind: "text" | "html" } | undefined {
  const match = /^(.+?)(?:\.([a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*))?\.(txt|html)\.hbs$/.exec(name);
  if (!match?.[1]) return undefined;
  return {
    letter: match[1],
    language: match[2] ?? DEFAULT_VARIANT,
    kind: match[3] === "html" ? "html" : "text",
  };
}

export function emptyLibrary(): TemplateLibrary {
  return { letters: new Map(), partials: new Map() };
}

export function addTemplateFile(
  library: TemplateLibrary,
  relativeName: string,
  source: TemplateSource,
): boolean {
  if (relativeName.startsWith("partials/")) {
    const name = relativeName.slice("partials/".length).replace(/\.hbs$/, "");
    library.partials.set(name, source);
    return true;
  }
  const parsed = parseTemplateName(relativeName);
  if (!parsed) return false;
  let letter = library.letters.get(parsed.letter);
  if (!letter) {
    letter = { text: new Map(), html: new Map() };
    library.letters.set(parsed.letter, letter);
  }
  letter[parsed.kind].set(parsed.language, source);
  return true;
}

export function toProblem(error: TemplateError, severity: Problem["severity"] = "error"): Problem {
  return {
    severity,
    file: error.file,
    line: error.line,
    column: error.column,
    ...(error.field ? { field: error.field } : {}),
    message: error.message,
    hint: error.hint,
  };
}
