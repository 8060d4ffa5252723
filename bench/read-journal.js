// The tracking floor: read the journal and JSON.parse every line, keeping nothing. Usage: read-journal.js FILE
import { closeSync, openSync, readSync } from "node:fs";

const fd = openSync(process.argv[2], "r");
const chunk = Buffer.alloc(1 << 20);
let rest = "";
let events = 0;
for (;;) {
  const read = readSync(fd, chunk, 0, chunk.length, null);
  if (read === 0) break;
  const lines = (rest + chunk.toString("utf8", 0, read)).split("\n");
  rest = lines.pop();
  for (const line of lines) if (line && JSON.parse(line)) events++;
}
if (rest && JSON.parse(rest)) events++;
closeSync(fd);
if (events === 0) process.exitCode = 1;
