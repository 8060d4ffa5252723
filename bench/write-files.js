// The preview --out floor: create a new folder of N .txt and N .eml files of a letter's size (3 kB), one
// synchronous open, write and close each, and rename it into place, as preview does; nothing rendered.
// Usage: write-files.js FOLDER N
import { closeSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

const [folder, count] = [process.argv[2], Number(process.argv[3])];
const aside = join(dirname(folder), `.${basename(folder)}.${process.pid}.tmp`);
mkdirSync(aside);
const letter = Buffer.alloc(3000, "a");
for (let index = 0; index < count; index++) {
  for (const name of [`r${index}.txt`, `r${index}.eml`]) {
    const descriptor = openSync(join(aside, name), "wx", 0o666);
    writeSync(descriptor, letter);
    closeSync(descriptor);
  }
}
renameSync(aside, folder);
