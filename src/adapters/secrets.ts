// Where passwords come from, for SMTP and IMAP alike: the environment, the campaign folder's .env file and
// password files. A setting that may hold a password by mistake is never repeated in a message.
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { parseEnvFile } from "../core/env-file.js";
import { withFields } from "../core/objects.js";
import { describeForbiddenCharacter } from "../core/text-rules.js";
import { EXIT, UserError } from "../errors.js";
import { describeFileFailure, fileError, readRegularFile } from "./file-system.js";
import { pathInside } from "./paths.js";
import type { IO } from "./terminal.js";

/** Variables from the campaign folder's .env file; the real environment wins over it. */
export function campaignEnvironment(
  root: string,
  io: IO,
  consequence = "nothing was sent",
): Record<string, string | undefined> {
  let text: string;
  // Like every path of the folder, .env may not be a link that leads out of it (a password file may).
  const path = pathInside(root, ".env");
  try {
    text = readRegularFile(path).toString("utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { ...io.env };
    throw fileError(error, ".env", "read", consequence);
  }
  // A mistyped line would silently turn an SMTP send into an outbox write, so say which lines were skipped
  // (by number only: the line may hold the password).
  const { variables, badLines } = parseEnvFile(text);
  for (const line of badLines) {
    io.stderr.write(
      io.err.yellow(`warning: ${join(root, ".env")}:${line} is not NAME=value, so it is ignored\n`),
    );
  }
  return withFields(variables, io.env);
}

/**
 * The password in a file named by `setting` (a variable or a YAML field). The file's name is never shown:
 * a password typed where the file name belongs would be.
 */
export function readPasswordFile(root: string, file: string, setting: string): string {
  const path = file.startsWith("~/")
    ? join(homedir(), file.slice(2))
    : isAbsolute(file)
      ? file
      : resolve(root, file);
  let password: string;
  try {
    password = readRegularFile(path)
      .toString("utf8")
      .replace(/\r?\n$/, "");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      code === "ENOENT"
        ? `the password file named by ${setting} does not exist (its name is not shown, in case it is the password itself)`
        : `the password file named by ${setting} ${describeFileFailure(error, "read").reason}`,
      { hint: `set ${setting} to the path of a file that holds only the password` },
    );
  }
  if (password === "") {
    throw new UserError(`the password file named by ${setting} is empty`, {
      hint: "write the password on the file's first line",
    });
  }
  return password;
}

/** The user name of an OUTREACH_*_URL, decoded; never shown, as a password may have been put there. */
export function userFromUrl(url: URL, variable: string): string {
  let user: string;
  try {
    user = decodeURIComponent(url.username);
  } catch {
    throw new UserError(`${variable} has a malformed %-escape in its user name (not shown)`, {
      exitCode: EXIT.usage,
      hint: "write an @ in a user name as %40, and any other % as %25; the password never goes in the URL",
    });
  }
  const forbidden = describeForbiddenCharacter(user, false);
  if (forbidden) {
    throw new UserError(`${variable}'s user name contains ${forbidden}`, {
      exitCode: EXIT.usage,
      hint: "a user name is one line of visible text",
    });
  }
  return user;
}
