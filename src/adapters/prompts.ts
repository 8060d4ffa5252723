// Questions to the user, only ever asked on a terminal (stdin, and the stream the prompt is drawn on, both
// TTYs; terminal.ts decides): @inquirer/prompts would wait forever on a closed stdin. Loaded only when a
// question is actually asked.
import { EXIT, UserError } from "../errors.js";
import type { IO } from "./terminal.js";

function interrupted(error: unknown): never {
  if (error instanceof Error && error.name === "ExitPromptError") {
    throw new UserError("interrupted; nothing was done", { exitCode: EXIT.interrupted });
  }
  throw error;
}

export async function confirm(io: IO, message: string): Promise<boolean> {
  if (!io.canPrompt) throw new Error("confirm() needs a terminal; callers check io.canPrompt first");
  const { confirm: ask } = await import("@inquirer/prompts");
  return ask({ message, default: false }, { output: io.promptOutput }).catch(interrupted);
}

export async function askPassword(io: IO, message: string): Promise<string> {
  if (!io.canPrompt) throw new Error("askPassword() needs a terminal; callers check io.canPrompt first");
  const { password } = await import("@inquirer/prompts");
  // An empty answer (Enter pressed too soon) is asked again, never sent to the server as the password.
  return password(
    {
      message,
      mask: "*",
      validate: (value) => value !== "" || "the password is empty: type it, or Ctrl-C to stop",
    },
    { output: io.promptOutput },
  ).catch(interrupted);
}

export async function choose<T extends string>(
  io: IO,
  message: string,
  choices: { value: T; name?: string; description?: string }[],
): Promise<T> {
  if (!io.canPrompt) throw new Error("choose() needs a terminal; callers check io.canPrompt first");
  const { select } = await import("@inquirer/prompts");
  return select<T>({ message, choices }, { output: io.promptOutput }).catch(interrupted);
}

export async function askText(io: IO, message: string, defaultValue?: string): Promise<string> {
  if (!io.canPrompt) throw new Error("askText() needs a terminal; callers check io.canPrompt first");
  const { input } = await import("@inquirer/prompts");
  return input(
    { message, ...(defaultValue === undefined ? {} : { default: defaultValue }) },
    { output: io.promptOutput },
  ).catch(interrupted);
}
