import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Vitest's default is one worker fewer than the cores: on a 2-core machine, one file at a time. A test
    // file here mostly waits (on the CLI it spawns, an SMTP or IMAP server, a retry's delay), so two files
    // side by side keep both cores busy. Forks (the default pool), since tests send signals to children.
    maxWorkers: Math.max(2, availableParallelism()),
  },
});
