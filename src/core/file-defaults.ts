// A recipient file's `defaults`: values every recipient of the file takes unless it gives its own. Mappings
// merge key by key (the recipient's value wins, at every depth); `tags` and `attachments` add to the
// defaults' list; any other list, and any text, given by the recipient replaces the default's.
type Data = Record<string, unknown>;

/** Lists that add up: the defaults' items first, then the recipient's own (each once). */
const ADDED_LISTS = new Set(["tags", "attachments"]);

/** Fields that make no sense shared by a whole file. */
export const NOT_DEFAULTS = ["id"] as const;

export function isMapping(value: unknown): value is Data {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The recipient with the file's defaults under it. */
export function mergeDefaults(defaults: Data, recipient: unknown): unknown {
  if (!isMapping(recipient) || Object.keys(defaults).length === 0) return recipient;
  const merged: Data = { ...defaults };
  for (const [key, value] of Object.entries(recipient)) {
    const base = defaults[key];
    if (ADDED_LISTS.has(key) && Array.isArray(base) && Array.isArray(value))
      merged[key] = [...new Set([...base, ...value])];
    else merged[key] = deepMerge(base, value);
  }
  return merged;
}

function deepMerge(base: unknown, value: unknown): unknown {
  if (!isMapping(base) || !isMapping(value)) return value;
  const merged: Data = { ...base };
  for (const [key, inner] of Object.entries(value)) merged[key] = deepMerge(base[key], inner);
  return merged;
}

/**
 * Where the value at `path` of a merged recipient was written: in the recipient (`recipients[3]…`) or in the
 * defaults (`defaults…`). An added list's item counts the defaults' items first.
 */
export function writtenAt(
  path: readonly PropertyKey[],
  defaults: Data,
  recipient: unknown,
  recipientPath: readonly PropertyKey[],
): PropertyKey[] {
  const [first, second, ...rest] = path;
  const base = typeof first === "string" ? defaults[first] : undefined;
  if (
    typeof first === "string" &&
    ADDED_LISTS.has(first) &&
    Array.isArray(base) &&
    typeof second === "number"
  ) {
    const own = isMapping(recipient) ? recipient[first] : undefined;
    if (second < base.length) return ["defaults", first, second, ...rest];
    // Items the recipient repeats from the defaults (or from itself) were dropped from the merged list.
    const ownItems = Array.isArray(own) ? own : [];
    const seen = new Set<unknown>(base);
    let remaining = second - base.length;
    const index = ownItems.findIndex((item) => {
      if (seen.has(item)) return false;
      seen.add(item);
      return remaining-- === 0;
    });
    return [...recipientPath, first, index, ...rest];
  }
  if (holds(recipient, path)) return [...recipientPath, ...path];
  if (holds(defaults, path)) return ["defaults", ...path];
  return [...recipientPath, ...path];
}

function holds(value: unknown, path: readonly PropertyKey[]): boolean {
  let current = value;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === "number") current = current[segment];
    else if (isMapping(current) && typeof segment === "string" && Object.hasOwn(current, segment))
      current = current[segment];
    else return false;
  }
  return true;
}
