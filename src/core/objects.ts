// Objects made from others, one per letter, event, recipient, row or problem. On Node 20 (V8 11), an object
// literal that starts with a spread and goes on (`{ ...base, key }`, `{ ...(x ? { a } : {}), b }`,
// `{ ...a, ...b }`) gets a hidden class of its own each time once its line has run a few dozen times, when a
// key is one its source lacks. A class lives in the old generation until a full collection, so 100,000
// letters made 100,000 classes (30 MB of `check` at 100,000 recipients), and every read of such objects is
// megamorphic. A literal that starts with a property, and Object.assign onto a new object, go through the
// transitions V8 shares between objects of the same keys. test/hidden-classes.test.ts keeps the spread-first
// literal out of src.

/**
 * `{ ...base, ...extra }`: the same keys in the same order, with a class shared with every other object of
 * those keys. Object.assign sets each key where a spread defines it, which differs only for an own
 * `__proto__` key (a spreadsheet's column could be named so): such an object is spread.
 */
export function withFields<B extends object, E extends object>(base: B, extra: E): Omit<B, keyof E> & E {
  if (Object.hasOwn(base, "__proto__") || Object.hasOwn(extra, "__proto__")) return { ...base, ...extra };
  return Object.assign({}, base, extra);
}
