// A letter may use only the data's own fields. Handlebars' strict mode asks `name in object`, which is true of
// every inherited name (toString, constructor, __proto__, a list's map), and its prototype-access control then
// renders those as empty text instead of failing. Here every lookup of a compiled letter asks for an own
// property: an inherited name is an error, a missing one stays missing (an error where strict requires it).
import Handlebars from "handlebars";
import { withFields } from "./objects.js";

const INHERITED = "is built into JavaScript";

function inheritedName(name: string, loc?: unknown): Error {
  return new Handlebars.Exception(`"${name}" ${INHERITED}`, { loc } as never);
}

/** Recognises the runtime's error for an inherited name, and gives back the name. */
export function inheritedNameIn(message: string): string | undefined {
  return new RegExp(`^"(.+)" ${INHERITED}`).exec(message)?.[1];
}

export function ownField(parent: unknown, name: string): unknown {
  if (parent === null || parent === undefined) return undefined;
  const object = Object(parent) as Record<string, unknown>;
  if (Object.hasOwn(object, name)) return object[name];
  if (name in object) throw inheritedName(name);
  return undefined;
}

function strictOwnField(parent: unknown, name: string, loc: unknown): unknown {
  const object = parent === null || parent === undefined ? undefined : (Object(parent) as object);
  if (object && Object.hasOwn(object, name)) return (object as Record<string, unknown>)[name];
  if (object && name in object) throw inheritedName(name, loc);
  throw new Handlebars.Exception(`"${name}" not defined in the data`, { loc } as never);
}

interface Container {
  strict: typeof strictOwnField;
  lookupProperty: typeof ownField;
}
type TemplateSpec = { main: (container: Container, ...rest: unknown[]) => unknown } & Record<string, unknown>;

/**
 * Compiled templates read fields through `container.strict` and `container.lookupProperty`; the container
 * is made per template by the environment's `template` function, and handed to the template's main
 * function, which is where it is replaced.
 */
export function ownFieldsOnly(environment: typeof Handlebars): void {
  const template = environment.template.bind(environment) as unknown as (spec: TemplateSpec) => unknown;
  (environment as unknown as { template: (spec: TemplateSpec) => unknown }).template = (spec) => {
    const main = spec.main;
    const own: TemplateSpec["main"] = (container, ...rest) => {
      container.strict = strictOwnField;
      container.lookupProperty = ownField;
      return main(container, ...rest);
    };
    return template(withFields(spec, { main: own }));
  };
}

/** {{lookup object key}} with the same rule: an own field, or nothing; an inherited name is an error. */
export function ownLookupHelper(object: unknown, key: unknown): unknown {
  if (object === null || object === undefined) return object;
  if (typeof key !== "string" && typeof key !== "number") {
    throw new Error(`the lookup helper needs a field name, got ${JSON.stringify(key) ?? String(key)}`);
  }
  return ownField(object, String(key));
}
