// Renders letters: compiles the campaign's Handlebars templates and partials strictly, picks the language
// variant and the per-body-type paragraph, and turns template failures into located problems.
import Handlebars from "handlebars";
import { letterHelpers } from "./helpers.js";
import {
  BrokenTemplate,
  DEFAULT_VARIANT,
  languageChain,
  TemplateError,
  type TemplateLibrary,
  type TemplateSource,
  toProblem,
} from "./letter.js";
import type { Problem } from "./problems.js";

type Render = (context: object) => string;

const KNOWN_HELPERS = Object.fromEntries(
  [...Object.keys(letterHelpers), "paragraph"].map((name) => [name, true] as const),
);

/**
 * Compiled templates for one campaign folder. Plain text and subjects are not HTML-escaped; the HTML part is.
 * Every template is strict: a field the recipient lacks is an error, never an empty string.
 */
export class LetterEngine {
  private readonly text = Handlebars.create();
  private readonly html = Handlebars.create();
  // Keyed by the source object itself: two templates never share an entry, whatever their names or text.
  private readonly compiled = {
    text: new WeakMap<TemplateSource, Render | null>(),
    html: new WeakMap<TemplateSource, Render | null>(),
  };
  readonly problems: Problem[] = [];

  constructor(private readonly library: TemplateLibrary) {
    for (const environment of [this.text, this.html]) {
      for (const [name, helper] of Object.entries(letterHelpers)) {
        environment.registerHelper(name, withLocation(helper));
      }
      environment.registerHelper(
        "paragraph",
        withLocation((base: unknown, options: Handlebars.HelperOptions) =>
          this.pickParagraph(environment, base, options),
        ),
      );
    }
    for (const [name, source] of library.partials) {
      if (source.unreadable || !this.validate(source, false)) continue;
      this.text.registerPartial(name, this.compileWrapped(this.text, source, false));
      this.html.registerPartial(name, this.compileWrapped(this.html, source, true));
    }
    // Compile every letter now, so a broken template is reported even before a letter uses it.
    for (const letter of library.letters.values()) {
      for (const source of letter.text.values()) this.template(source, false);
      for (const source of letter.html.values()) this.template(source, true);
    }
  }

  /** Checks syntax and helper names now, so problems are reported once per template and not per letter. */
  private validate(source: TemplateSource, html: boolean): boolean {
    try {
      Handlebars.precompile(source.text, this.options(html));
      return true;
    } catch (error) {
      this.problems.push(toProblem(templateError(error, source)));
      return false;
    }
  }

  private options(html: boolean): CompileOptions {
    return { strict: true, noEscape: !html, knownHelpers: KNOWN_HELPERS, knownHelpersOnly: true };
  }

  private compileWrapped(environment: typeof Handlebars, source: TemplateSource, html: boolean): Render {
    const render = environment.compile(source.text, this.options(html)) as unknown as (
      context: object,
      options?: object,
    ) => string;
    return ((context: object, options?: object) => {
      try {
        return render(context, options);
      } catch (error) {
        throw templateError(error, source);
      }
    }) as Render;
  }

  /** A compiled template, or undefined when it failed to compile (the problem is in `problems`). */
  private template(source: TemplateSource, html: boolean): Render | undefined {
    const cache = html ? this.compiled.html : this.compiled.text;
    const known = cache.get(source);
    if (known !== undefined) return known ?? undefined;
    const render =
      !source.unreadable && this.validate(source, html)
        ? this.compileWrapped(html ? this.html : this.text, source, html)
        : null;
    cache.set(source, render);
    return render ?? undefined;
  }

  /** Compiles a one-line template such as a subject. */
  inline(source: TemplateSource): Render | undefined {
    return this.template(source, false);
  }

  /** The template files a letter would use for `language`, and whether it had to fall back to the default. */
  variant(
    letter: string,
    language: string,
  ): { text?: TemplateSource; html?: TemplateSource; fellBack: boolean } | undefined {
    const sources = this.library.letters.get(letter);
    if (!sources) return undefined;
    for (const candidate of languageChain(language)) {
      const text = sources.text.get(candidate);
      const html = sources.html.get(candidate);
      if (text || html) return { text, html, fellBack: false };
    }
    const text = sources.text.get(DEFAULT_VARIANT);
    const html = sources.html.get(DEFAULT_VARIANT);
    return text || html ? { text, html, fellBack: true } : undefined;
  }

  letterNames(): string[] {
    return [...this.library.letters.keys()];
  }

  hasLetter(letter: string): boolean {
    return this.library.letters.has(letter);
  }

  languagesOf(letter: string): string[] {
    const sources = this.library.letters.get(letter);
    return sources ? [...new Set([...sources.text.keys(), ...sources.html.keys()])].filter(Boolean) : [];
  }

  /**
   * Renders one part; throws TemplateError naming the template file and position, or BrokenTemplate when
   * the template did not compile (that problem is already in `problems`).
   */
  render(source: TemplateSource, html: boolean, context: object): string {
    const render = this.template(source, html);
    if (!render) throw new BrokenTemplate(source.file);
    return render(context);
  }

  private pickParagraph(
    environment: typeof Handlebars,
    base: unknown,
    options: Handlebars.HelperOptions,
  ): string {
    if (typeof base !== "string")
      throw new Error('the paragraph helper needs a name, like (paragraph "legal")');
    const root = (options.data as { root?: { recipient?: { type?: string }; language?: string } }).root;
    const type = root?.recipient?.type ?? "default";
    const languages = languageChain(root?.language ?? "");
    const candidates: string[] = [];
    for (const kind of [type, "default"]) {
      for (const language of languages) candidates.push(`${base}/${kind}.${language}`);
      candidates.push(`${base}/${kind}`);
    }
    const found = candidates.find((name) => environment.partials[name] !== undefined);
    if (!found) {
      throw Object.assign(new Error(`no paragraph "${base}" for some recipients' types, and no default`), {
        hint: `add templates/partials/${base}/default.hbs, or one per type such as templates/partials/${base}/${type}.hbs`,
      });
    }
    return found;
  }
}

type CompileOptions = Parameters<typeof Handlebars.precompile>[1];

type HelperFunction = Handlebars.HelperDelegate;

/** Errors thrown inside a helper carry the helper's position in the template (Handlebars passes options.loc). */
function withLocation(helper: HelperFunction): HelperFunction {
  return function (this: unknown, ...args: unknown[]) {
    try {
      return (helper as (...parameters: unknown[]) => unknown).apply(this, args);
    } catch (error) {
      const options = args.at(-1) as { loc?: { start: { line: number; column: number } } } | undefined;
      if (error instanceof Error && options?.loc && !("helperLocation" in error)) {
        Object.assign(error, { helperLocation: options.loc.start });
      }
      throw error;
    }
  };
}

function templateError(error: unknown, source: TemplateSource): TemplateError {
  if (error instanceof TemplateError) return error;
  const located = describeTemplateError(error, source);
  if (source.startLine === undefined) return located;
  return new TemplateError(
    located.message,
    located.file,
    located.line === undefined ? source.startLine : source.startLine + located.line - 1,
    undefined,
    located.hint,
    source.field,
  );
}

/** The line of the first line of `text` matching `pattern`. */
function lineMatching(text: string, pattern: RegExp): number | undefined {
  const match = pattern.exec(text);
  return match ? text.slice(0, match.index).split("\n").length : undefined;
}

/** The line and name of a block ({{#if}}, {{#each}} …) that is never closed. */
function unclosedBlock(text: string): { name: string; line: number } | undefined {
  const stack: { name: string; line: number }[] = [];
  for (const match of text.matchAll(/\{\{~?\s*([#/^])\s*([A-Za-z_][\w-]*)?/g)) {
    const line = text.slice(0, match.index).split("\n").length;
    if (match[1] === "#") stack.push({ name: match[2] ?? "", line });
    else if (match[1] === "/") {
      const index = stack.map((entry) => entry.name).lastIndexOf(match[2] ?? "");
      if (index !== -1) stack.splice(index);
    }
  }
  return stack.at(-1);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function describeTemplateError(error: unknown, source: TemplateSource): TemplateError {
  const raw = error instanceof Error ? error.message : String(error);
  const handlebars = error as {
    lineNumber?: number;
    column?: number;
    helperLocation?: { line: number; column: number };
    hint?: string;
  };
  let line = handlebars.lineNumber ?? handlebars.helperLocation?.line;
  const column =
    handlebars.column !== undefined
      ? handlebars.column + 1
      : handlebars.helperLocation
        ? handlebars.helperLocation.column + 1
        : undefined;

  const parse = /^Parse error on line (\d+):\n([\s\S]*?)\n(-*)\^\n(.*)$/.exec(raw);
  if (parse) {
    const atEnd = /got 'EOF'/.test(parse[4] ?? "");
    const opened = atEnd ? unclosedBlock(source.text) : undefined;
    if (opened !== undefined) {
      return new TemplateError(
        `template syntax error: the {{#${opened.name}}} block is not closed`,
        source.file,
        opened.line,
        undefined,
        `close it with {{/${opened.name}}}`,
      );
    }
    line = Number(parse[1]);
    return new TemplateError(
      `template syntax error: ${parse[4]?.replace(/'/g, "") ?? "unexpected text"}`,
      source.file,
      line,
      undefined,
      "check that every {{#block}} has its {{/block}} and every {{ has its }}",
    );
  }
  const unknownHelper = /unknown helper (\S+)/.exec(raw);
  if (unknownHelper) {
    return new TemplateError(
      `unknown helper "${unknownHelper[1]}"`,
      source.file,
      line,
      column,
      `the helpers are: ${Object.keys(KNOWN_HELPERS).join(", ")}, plus if, unless, each, with and lookup`,
    );
  }
  const missing = /^"(.+)" not defined in /.exec(raw);
  if (missing && line !== undefined) {
    const expression = expressionAt(source.text, line, column) ?? missing[1];
    return new TemplateError(
      `uses {{${expression}}}, which is not defined`,
      source.file,
      line,
      column,
      `give every recipient that field, or guard it: {{#if ${expression}}}…{{/if}} or {{default ${expression} "…"}}`,
    );
  }
  const partial = /The partial (.+) could not be found/.exec(raw);
  if (partial) {
    const name = partial[1] ?? "";
    const outside = name.split("/").includes("..") || name.startsWith("/");
    return new TemplateError(
      `the partial "${name}" does not exist`,
      source.file,
      line ?? lineMatching(source.text, new RegExp(`\\{\\{~?>\\s*${escapeRegExp(name)}`)),
      column,
      outside
        ? "a partial is named by its path inside templates/partials/ and cannot lead out of that folder"
        : `add templates/partials/${name}.hbs`,
    );
  }
  return new TemplateError(raw.replace(/ - \d+:\d+$/, ""), source.file, line, column, handlebars.hint);
}

/** The path expression written at a position, e.g. `recipient.custom.minister`. */
function expressionAt(text: string, line: number, column: number | undefined): string | undefined {
  const source = text.split("\n")[line - 1];
  if (source === undefined || column === undefined) return undefined;
  const match = /^[@A-Za-z0-9_.$/[\]-]+/.exec(source.slice(column - 1).replace(/^[{#>&~\s]+/, ""));
  return match?.[0];
}
