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

/** Mappings whose key order a reader keeps (free fields); the others are read in the schema's order. */
const ORDERED_MAPPINGS = new Set(["custom"]);

/**
 * The values every recipient holds alike, as a file's defaults, and each recipient with only what is its
 * own: mergeDefaults(defaults, own[i]) gives recipients[i] back, with the same values in the same order.
 * A mapping is shared key by key, an added list by the items every recipient's list starts with; `keep`
 * (the id, a recipient's name and contacts) is never shared. Fewer than two recipients share nothing.
 */
export function splitDefaults(
  recipients: readonly Data[],
  keep: readonly string[],
): { defaults: Data; recipients: Data[] } {
  const defaults: Data = {};
  if (recipients.length < 2) return { defaults, recipients: [...recipients] };
  const [first] = recipients as [Data, ...Data[]];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  for (const [field, value] of Object.entries(first)) {
    if (keep.includes(field) || (NOT_DEFAULTS as readonly string[]).includes(field)) continue;
    const values = recipients.map((recipient) => recipient[field]);
    if (ADDED_LISTS.has(field) && Array.isArray(value)) {
      const shared = sharedPrefix(values.map((list) => (Array.isArray(list) ? list : [])));
      if (shared.length > 0) defaults[field] = shared;
    } else if (isMapping(value)) {
      const shared = sharedKeys(values, ORDERED_MAPPINGS.has(field));
      if (Object.keys(shared).length > 0) defaults[field] = shared;
    } else if (values.every((other) => same(other, value))) defaults[field] = value;
  }
  return { defaults, recipients: recipients.map((recipient) => ownPart(recipient, defaults)) };
}

/** The items every list starts with. */
function sharedPrefix(lists: readonly unknown[][]): unknown[] {
  const [first = []] = lists;
  let length = 0;
  while (length < first.length && lists.every((list) => list[length] === first[length])) length++;
  return first.slice(0, length);
}

/** The keys every mapping holds with the same value; when `ordered`, only those every mapping starts with. */
function sharedKeys(values: readonly unknown[], ordered: boolean): Data {
  if (!values.every(isMapping)) return {};
  const maps = values as Data[];
  const [first = {}] = maps;
  const shared: Data = {};
  Object.keys(first).forEach((key, position) => {
    const alike = maps.every(
      (map) =>
        Object.hasOwn(map, key) &&
        JSON.stringify(map[key]) === JSON.stringify(first[key]) &&
        (!ordered || Object.keys(map)[position] === key),
    );
    if (alike && (!ordered || Object.keys(shared).length === position)) shared[key] = first[key];
  });
  return shared;
}

/** The recipient without what the defaults give it. */
function ownPart(recipient: Data, defaults: Data): Data {
  const own: Data = {};
  for (const [field, value] of Object.entries(recipient)) {
    const base = defaults[field];
    if (base === undefined) own[field] = value;
    else if (ADDED_LISTS.has(field) && Array.isArray(base) && Array.isArray(value)) {
      if (value.length > base.length) own[field] = value.slice(base.length);
    } else if (isMapping(base) && isMapping(value)) {
      const rest = Object.fromEntries(Object.entries(value).filter(([key]) => !Object.hasOwn(base, key)));
      if (Object.keys(rest).length > 0) own[field] = rest;
    }
  }
  return own;
}
