// The `yaml` package, loaded on first use: a run whose files the fast reader reads (yaml-fast.ts) never
// loads it, which saves its start-up time and memory. Its CommonJS build is required, so that the
// synchronous loaders can ask for it where they need it.
import { createRequire } from "node:module";
import type * as Yaml from "yaml";

let library: typeof Yaml | undefined;

export function yamlLibrary(): typeof Yaml {
  library ??= createRequire(import.meta.url)("yaml") as typeof Yaml;
  return library;
}
