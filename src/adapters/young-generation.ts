// V8's young generation, for the commands that stream letters (check, preview, send, followup). They keep
// what they read of the folder and let each letter go once it is counted, shown, written or sent. V8 doubles
// its young generation (up to 48 MB) each time more than its size survived since it last grew, and reading
// 10,000 recipients is that much: the rest of the run then carries 48 MB of young garbage. Kept at its first
// size, the same runs peak 10 to 20 MB lower in the same CPU time (npm run bench: check, preview, 10,000
// letters). The commands that derive a long journal's state keep V8's own policy: held small they take about
// 5% longer, and their memory grows with the journal anyway.
import { setFlagsFromString } from "node:v8";

let held = false;

/** From now on, the young generation keeps the size it has. */
export function keepYoungGenerationSmall(): void {
  held = true;
  // V8 reads the factor each time it would grow the young generation: at 1 the new size is the old one. A V8
  // that does not take 1 keeps its own factor, and only the memory is higher.
  setFlagsFromString("--semi-space-growth-factor=1");
}

/**
 * For a thread that has just started (its 'online' event): each new V8 heap, a worker thread's too, raises
 * the process's factor back to 2 as it is set up, so it is lowered again once the thread runs.
 */
export function threadStarted(): void {
  if (held) keepYoungGenerationSmall();
}
