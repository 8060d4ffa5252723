// Writes dist/help.txt: `outreach --help` exactly as commander prints it through a pipe (80 columns, no
// colour), so that src/index.ts can answer a bare --help without loading commander. Run by `npm run build`
// after tsc; test/help-text.test.ts proves the two texts the same.
import { writeFileSync } from "node:fs";
import { buildProgram } from "../dist/cli.js";

let text = "";
const program = buildProgram(() => {
  throw new Error("no command runs while the help text is written");
});
program.configureOutput({
  writeOut: (part) => {
    text += part;
  },
  writeErr: (part) => process.stderr.write(part),
  // What commander uses when stdout is not a terminal, wherever the build runs.
  getOutHelpWidth: () => undefined,
  getOutHasColors: () => false,
});
try {
  await program.parseAsync(["node", "outreach", "--help"]);
} catch (error) {
  if (error?.code !== "commander.helpDisplayed") throw error;
}
if (!text.startsWith("Usage: outreach")) throw new Error(`unexpected help text:\n${text}`);
writeFileSync(new URL("../dist/help.txt", import.meta.url), text);
