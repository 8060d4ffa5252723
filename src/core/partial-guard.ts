// Keeps partials from running away while a letter renders: a partial that includes itself (directly, through
// others, or through a paragraph chosen by the recipient's type), nesting too deep, or a letter that grows
// without bound. Each becomes a TemplateError at the include that went too far, with the chain of partials.
import { TemplateError, type TemplateSource } from "./letter.js";
import { withFields } from "./objects.js";
import type { IncludeSite } from "./template-scan.js";

// A letter uses two or three levels of partials; these bounds stop a runaway long before the stack or the
// heap notices, and leave room for a signatory partial inside {{#each}} over thousands of names.
export const MAX_PARTIAL_DEPTH = 32;
const MAX_PARTIAL_CALLS = 100_000;
const MAX_LETTER_CHARACTERS = 5_000_000;

interface Frame {
  name: string;
  /** The file the partial was read from; undefined for an inline partial or a {{> @partial-block}}. */
  source: TemplateSource | undefined;
}

export class PartialGuard {
  private stack: Frame[] = [];
  private calls = 0;
  private characters = 0;

  constructor(
    private readonly sourceOf: (name: string) => TemplateSource | undefined,
    private readonly includesOf: (source: TemplateSource) => readonly IncludeSite[],
  ) {}

  /** Starts one part of one letter (its text, HTML or subject). */
  begin(source: TemplateSource): void {
    this.stack = [{ name: source.file, source }];
    this.calls = 0;
    this.characters = 0;
  }

  /** Runs one partial include: `invoke` renders it. */
  enter(name: string, invoke: () => unknown): unknown {
    const names = this.stack.slice(1).map((frame) => frame.name);
    const repeated = name === "@partial-block" ? -1 : names.indexOf(name);
    if (repeated !== -1) {
      const chain = [...names.slice(repeated), name].join(" → ");
      throw this.error(
        name,
        repeated === names.length - 1
          ? `the partial "${name}" includes itself: ${chain}`
          : `partials include each other without end: ${chain}`,
        (written) =>
          `a partial may not include itself, directly or through others: remove ${written} here, or move the text both need into a partial of its own`,
      );
    }
    if (names.length >= MAX_PARTIAL_DEPTH) {
      throw this.error(
        name,
        `partials are nested more than ${MAX_PARTIAL_DEPTH} deep: ${[...names, name].join(" → ")}`,
        () =>
          "a letter needs a few levels of partials; look for a partial block ({{#> …}}) that includes itself",
      );
    }
    if (++this.calls > MAX_PARTIAL_CALLS) {
      throw this.error(
        name,
        `the letter includes partials more than ${MAX_PARTIAL_CALLS.toLocaleString("en")} times`,
        (written) => `look for partials that each include another several times, such as ${written} here`,
      );
    }
    this.stack.push({ name, source: this.sourceOf(name) });
    let result: unknown;
    try {
      result = invoke();
    } finally {
      this.stack.pop();
    }
    if (typeof result === "string") this.characters += result.length;
    if (this.characters > MAX_LETTER_CHARACTERS) {
      throw this.error(
        name,
        `the letter grows past ${MAX_LETTER_CHARACTERS.toLocaleString("en")} characters through its partials`,
        (written) => `look for partials that each include another several times, such as ${written} here`,
      );
    }
    return result;
  }

  /** An error at the include of `name` in the template being rendered now. */
  private error(name: string, message: string, hint: (written: string) => string): TemplateError {
    const source = [...this.stack].reverse().find((frame) => frame.source)?.source;
    if (!source) return new TemplateError(message, "templates", undefined, undefined, hint("the include"));
    const sites = this.includesOf(source);
    const site =
      sites.find((candidate) => candidate.target.kind === "name" && candidate.target.name === name) ??
      sites.find(
        (candidate) => candidate.target.kind === "paragraph" && name.startsWith(`${candidate.target.base}/`),
      ) ??
      sites.find((candidate) => candidate.target.kind !== "name") ??
      sites[0];
    const line = site && source.startLine !== undefined ? source.startLine + site.line - 1 : site?.line;
    return new TemplateError(
      message,
      source.file,
      line,
      source.startLine === undefined ? site?.column : undefined,
      hint(site?.written ?? "the include"),
      source.field,
    );
  }
}

type PartialInvoker = (
  this: unknown,
  partial: unknown,
  context: unknown,
  options: { name?: string },
) => unknown;

/**
 * Every include of a partial, whatever its form ({{> name}}, {{> (paragraph …)}}, {{#> block}}, an inline
 * partial, {{> @partial-block}}), goes through the runtime's invokePartial, which Handlebars lets an
 * environment replace: that is where the guard watches.
 */
export function guardPartials(environment: object, guard: PartialGuard): void {
  const target = environment as { VM: { invokePartial: PartialInvoker } };
  const runtime = target.VM;
  const invokePartial = runtime.invokePartial;
  const guarded: PartialInvoker = function (this: unknown, partial, context, options) {
    return guard.enter(options.name ?? "", () => invokePartial.call(this, partial, context, options));
  };
  target.VM = withFields(runtime, { invokePartial: guarded });
}
