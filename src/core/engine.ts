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
import { withFields } from "./objects.js";
import { inheritedNameIn, ownFieldsOnly, ownLookupHelper } from "./own-fields.js";
import { guardPartials, PartialGuard } from "./partial-guard.js";
import type { Problem } from "./problems.js";
import {
  builtInNameError as builtInNameMessage,
  engineError,
  type IncludeSite,
  nestingError,
  scanTemplate,
} from "./template-scan.js";

type Render = (context: object) => string;

const KNOWN_HELPERS = Object.fromEntries(
  [...Object.keys(letterHelpers), "paragraph"].map((name) => [name, true] as const),
);

type SpecMain = (container: unknown, ...rest: unknown[]) => unknown;
type Compiled = ((context: unknown, options?: object) => string) & { _setup(options: object): void };

/**
 * A compiled template sets itself up on every call (Handlebars' runtime `_setup`): it wraps each of the
 * environment's helpers anew, and makes new hooks and property rules, which is about a third of rendering
 * a short letter and much of its garbage. Called as a letter is (no options, not as a partial), the set-up
 * is the same every time once the template has run once (the first run replaces the container's property
 * lookup, which the wrapped helpers take): from then on it is kept. Helpers and partials are all
 * registered before any letter renders; a call with options of its own is set up in full.
 */
function setUpOnce(environment: typeof Handlebars): void {
  type Template = (spec: { main: SpecMain } & Record<string, unknown>) => Compiled;
  const target = environment as unknown as { template: Template };
  const template = target.template.bind(environment) as Template;
  target.template = (spec) => {
    let ran = false;
    const main: SpecMain = (...args) => {
      ran = true;
      return spec.main(...args);
    };
    const compiled = template(withFields(spec, { main }));
    const setup = compiled._setup;
    let kept = false;
    compiled._setup = (options) => {
      const plain = !(options as { partial?: boolean }).partial && Object.keys(options).length === 0;
      if (plain && kept) return;
      setup(options);
      kept = plain && ran;
    };
    return compiled;
  };
}

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
  private readonly includes = new WeakMap<TemplateSource, IncludeSite[]>();
  private readonly guard = new PartialGuard(
    (name) => this.library.partials.get(name),
    (source) => this.includes.get(source) ?? [],
  );

  constructor(private readonly library: TemplateLibrary) {
    for (const environment of [this.text, this.html]) {
      for (const [name, helper] of Object.entries(letterHelpers)) {
        environment.registerHelper(name, withLocation(helper));
      }
      environment.registerHelper("lookup", withLocation(ownLookupHelper));
      environment.registerHelper(
        "paragraph",
        withLocation((base: unknown, options: Handlebars.HelperOptions) =>
          this.pickParagraph(environment, base, options),
        ),
      );
      ownFieldsOnly(environment);
      setUpOnce(environment);
      guardPartials(environment, this.guard);
    }
    const valid = [...library.partials].filter(
      ([, source]) => !source.unreadable && this.validate(source, false),
    );
    const cyclic = this.reportPartialCycles(valid);
    for (const [name, source] of valid) {
      const broken = () => {
        throw new BrokenTemplate(source.file);
      };
      this.text.registerPartial(
        name,
        cyclic.has(name) ? broken : this.compileWrapped(this.text, source, false),
      );
      this.html.registerPartial(
        name,
        cyclic.has(name) ? broken : this.compileWrapped(this.html, source, true),
      );
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
      const tooDeep = nestingError(source.text);
      if (tooDeep) throw tooDeep;
      Handlebars.precompile(source.text, this.options(html));
      if (!this.includes.has(source)) {
        const scan = scanTemplate(source.text);
        this.includes.set(source, scan.includes);
        const [first] = scan.errors;
        if (first) {
          for (const error of scan.errors) this.problems.push(toProblem(templateError(error, source)));
          return false;
        }
      }
      return true;
    } catch (error) {
      this.problems.push(toProblem(templateError(error, source)));
      return false;
    }
  }

  /**
   * Partials that include each other by name (a → b → a) can never finish: each cycle is reported once, at
   * the include that closes it, and its partials are not rendered. Includes chosen while rendering (a
   * paragraph by the recipient's type, a partial block) are watched by the PartialGuard instead.
   */
  private reportPartialCycles(partials: [string, TemplateSource][]): Set<string> {
    const sources = new Map(partials);
    const sitesOf = (name: string) => {
      const source = sources.get(name);
      return source ? (this.includes.get(source) ?? []) : [];
    };
    const cyclic = new Set<string>();
    const finished = new Set<string>();
    // Depth-first with an explicit stack: a chain of thousands of partials must not exhaust the call stack.
    for (const [root] of partials) {
      if (finished.has(root)) continue;
      const stack = [{ name: root, sites: sitesOf(root), next: 0 }];
      const path = [root];
      for (let frame = stack.at(-1); frame; frame = stack.at(-1)) {
        const site = frame.sites[frame.next++];
        if (!site) {
          stack.pop();
          path.pop();
          finished.add(frame.name);
          continue;
        }
        if (site.target.kind !== "name" || !sources.has(site.target.name)) continue;
        const target = site.target.name;
        const start = path.indexOf(target);
        if (start === -1) {
          if (!finished.has(target)) {
            stack.push({ name: target, sites: sitesOf(target), next: 0 });
            path.push(target);
          }
          continue;
        }
        const chain = [...path.slice(start), target];
        for (const member of chain) cyclic.add(member);
        const source = sources.get(frame.name);
        if (source) this.problems.push(toProblem(templateError(cycleError(chain, site), source)));
      }
    }
    return cyclic;
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
        // A partial that did not compile was reported once already; the letter that includes it is skipped.
        if (error instanceof BrokenTemplate) throw error;
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
    this.guard.begin(source);
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

function builtInNameError(
  expression: string,
  name: string,
  source: TemplateSource,
  line: number | undefined,
  column: number | undefined,
): TemplateError {
  const error = builtInNameMessage(expression, name) as Error & { hint?: string };
  return new TemplateError(error.message, source.file, line, column, error.hint);
}

function cycleError(chain: string[], site: IncludeSite): Error {
  return engineError(
    chain.length === 2
      ? `the partial "${chain[0]}" includes itself: ${chain.join(" → ")}`
      : `partials include each other without end: ${chain.join(" → ")}`,
    { line: site.line, column: site.column - 1 },
    `a partial may not include itself, directly or through others: remove ${site.written} here, or move the text both need into a partial of its own`,
  );
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
  const inherited = inheritedNameIn(raw);
  if (inherited !== undefined) {
    // A name read as a helper's argument comes without a column: find the path that ends in it.
    const naming = new RegExp(`[@\\w./[\\]-]*[./[]${escapeRegExp(inherited)}\\b`);
    const at = line ?? lineMatching(source.text, naming);
    const written = at === undefined ? undefined : naming.exec(source.text.split("\n")[at - 1] ?? "")?.[0];
    const expression =
      (line === undefined || column === undefined ? undefined : expressionAt(source.text, line, column)) ??
      written ??
      inherited;
    return builtInNameError(expression, inherited, source, at, column);
  }
  if (error instanceof RangeError && /call stack/i.test(raw)) {
    return new TemplateError(
      "the template is nested too deeply to read",
      source.file,
      line,
      column,
      "close blocks and partials before opening new ones",
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
    const dynamic = dynamicPartialError(name, source, line);
    if (dynamic) return dynamic;
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

/**
 * A partial named by an expression, {{> (lookup recipient "paragraph")}}, that gave no name or a name with
 * no file: said with the expression and its line, not as the partial "undefined".
 */
function dynamicPartialError(
  name: string,
  source: TemplateSource,
  line: number | undefined,
): TemplateError | undefined {
  const written = new RegExp(`\\{\\{~?>\\s*${escapeRegExp(name)}(?![\\w/.-])`);
  if (line !== undefined || lineMatching(source.text, written) !== undefined) return undefined;
  const lines = source.text.split("\n");
  // (paragraph "…") reports its own missing partial; any other expression is the one that gave nothing.
  const index = lines.findIndex((text) => /\{\{~?>\s*\((?!paragraph\b)/.test(text));
  if (index === -1) return undefined;
  const text = lines[index] ?? "";
  const expression = balancedFrom(text, text.indexOf("(", text.search(/\{\{~?>\s*\((?!paragraph\b)/)));
  const nothing = name === "undefined" || name === "null" || name.trim() === "";
  return new TemplateError(
    nothing
      ? `{{> ${expression}}} names no partial: ${expression} gives nothing here`
      : `the partial "${name}", named by {{> ${expression}}}, does not exist`,
    source.file,
    index + 1,
    undefined,
    nothing
      ? "give every recipient the field the expression reads, or guard the include with {{#if …}}"
      : `add templates/partials/${name}.hbs, or change what ${expression} gives`,
  );
}

/** The parenthesised expression that starts at `start` in `text`, e.g. `(lookup recipient "x")`. */
function balancedFrom(text: string, start: number): string {
  let depth = 0;
  for (let index = start; index < text.length; index++) {
    if (text[index] === "(") depth++;
    else if (text[index] === ")" && --depth === 0) return text.slice(start, index + 1);
  }
  return text.slice(start);
}

/** The path expression written at a position, e.g. `recipient.custom.minister`. */
function expressionAt(text: string, line: number, column: number | undefined): string | undefined {
  const source = text.split("\n")[line - 1];
  if (source === undefined || column === undefined) return undefined;
  const match = /^[@A-Za-z0-9_.$/[\]-]+/.exec(source.slice(column - 1).replace(/^[{#>&~\s]+/, ""));
  return match?.[0];
}
