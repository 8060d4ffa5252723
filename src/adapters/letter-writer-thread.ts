// The thread of a LetterWriter (letter-writer.ts): creates the files of each batch it is given in the new
// folder, one open, write and close each, and says when a batch is done. After a failure it writes nothing
// more, and says which file failed and how.
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import type { Batch, FromWriter } from "./letter-writer.js";
import { writeWhole } from "./write-whole.js";

const folder = (workerData as { folder: string }).folder;
let failed = false;

function say(message: FromWriter): void {
  parentPort?.postMessage(message);
}

parentPort?.on("message", (batch: Batch) => {
  const bytes = Buffer.from(batch.bytes);
  let start = 0;
  for (let index = 0; index < batch.names.length && !failed; index++) {
    const name = batch.names[index] as string;
    const end = batch.ends[index] as number;
    try {
      const descriptor = openSync(join(folder, name), "wx", 0o666);
      try {
        writeWhole(descriptor, bytes.subarray(start, end));
      } finally {
        closeSync(descriptor);
      }
    } catch (error) {
      failed = true;
      const { code, errno, syscall, message } = error as NodeJS.ErrnoException;
      say({ failed: { name, message, code, errno, syscall } });
    }
    start = end;
  }
  say({ done: batch.names.length });
});
