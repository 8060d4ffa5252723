// Where `inbox` reads mail: transport.imap in outreach.yaml or OUTREACH_IMAP_URL, and the password from
// OUTREACH_IMAP_PASSWORD, the campaign folder's .env, a password file or a prompt — never a flag, the URL,
// the YAML, the output or the journal.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { parseEnv } from "node:util";
import type { Config } from "../core/schema.js";
import { EXIT, UserError } from "../errors.js";
import { LOOPBACK_HOSTS } from "./paths.js";
import { askPassword } from "./prompts.js";
import type { IO } from "./terminal.js";

export interface ImapSettings {
  host: string;
  port: number;
  security: "tls" | "starttls" | "none";
  user: string;
  folders: string[];
  saveSent?: string;
  /** For people and errors: imaps://user@host:993. Never a password. */
  description: string;
  password(): Promise<string>;
}

function variables(root: string, io: IO): Record<string, string | undefined> {
  try {
    return { ...parseEnv(readFileSync(join(root, ".env"), "utf8")), ...io.env };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { ...io.env };
    throw new UserError(
      `cannot read .env: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

function fromUrl(text: string): Pick<ImapSettings, "host" | "port" | "security" | "user"> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UserError("OUTREACH_IMAP_URL is not a URL", {
      exitCode: EXIT.usage,
      hint: "write it like imaps://user%40example.org@imap.example.org:993",
    });
  }
  if (url.password) {
    throw new UserError("OUTREACH_IMAP_URL must not contain the password", {
      exitCode: EXIT.usage,
      hint: "put the password in OUTREACH_IMAP_PASSWORD (or a .env file) and write the URL as imaps://user@host:993",
    });
  }
  if (url.protocol !== "imap:" && url.protocol !== "imaps:") {
    throw new UserError(`OUTREACH_IMAP_URL must start with imaps:// or imap://, not ${url.protocol}//`, {
      exitCode: EXIT.usage,
    });
  }
  if (!url.username) {
    throw new UserError("OUTREACH_IMAP_URL must name the user", {
      exitCode: EXIT.usage,
      hint: "write it like imaps://user%40example.org@imap.example.org:993",
    });
  }
  const tls = url.protocol === "imaps:";
  const host = url.hostname;
  return {
    host,
    port: url.port ? Number(url.port) : tls ? 993 : 143,
    // A password never crosses a network in clear text: imap:// to another machine requires STARTTLS.
    security: tls ? "tls" : LOOPBACK_HOSTS.has(host) ? "none" : "starttls",
    user: decodeURIComponent(url.username),
  };
}

function readPasswordFile(root: string, file: string): string {
  const path = file.startsWith("~/")
    ? join(homedir(), file.slice(2))
    : isAbsolute(file)
      ? file
      : resolve(root, file);
  try {
    return readFileSync(path, "utf8").replace(/\r?\n$/, "");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      code === "ENOENT"
        ? `there is no password file ${file}`
        : `cannot read the password file ${file}: ${code}`,
      { hint: "check the path in OUTREACH_IMAP_PASSWORD_FILE or transport.imap.password_file" },
    );
  }
}

/** The mailbox settings, or undefined when none are given. */
export function imapSettings(root: string, config: Config, io: IO): ImapSettings | undefined {
  const env = variables(root, io);
  const configured = config.transport.imap;
  const url = env.OUTREACH_IMAP_URL;
  if (!url && !configured) return undefined;
  const base = url
    ? fromUrl(url)
    : {
        host: configured?.host ?? "",
        port: configured?.port ?? (configured?.security === "tls" ? 993 : 143),
        security: configured?.security ?? "tls",
        user: configured?.user ?? "",
      };
  const scheme = base.security === "tls" ? "imaps" : "imap";
  const description = `${scheme}://${base.user}@${base.host}:${base.port}${base.security === "starttls" ? " (STARTTLS)" : ""}`;
  let cached: string | undefined;
  return {
    ...base,
    folders: configured?.folders ?? ["INBOX"],
    ...(configured?.save_sent ? { saveSent: configured.save_sent } : {}),
    description,
    async password() {
      if (cached !== undefined) return cached;
      const file = env.OUTREACH_IMAP_PASSWORD_FILE ?? configured?.password_file;
      if (env.OUTREACH_IMAP_PASSWORD) cached = env.OUTREACH_IMAP_PASSWORD;
      else if (file) cached = readPasswordFile(root, file);
      else if (io.canPrompt)
        cached = await askPassword(io, `IMAP password for ${base.user} at ${base.host}:`);
      else {
        throw new UserError(
          `the IMAP user ${base.user} at ${base.host} needs a password, and there is no terminal to ask for it`,
          {
            exitCode: EXIT.usage,
            hint: "set OUTREACH_IMAP_PASSWORD, put it in the campaign folder's .env file, or name a password file (transport.imap.password_file)",
          },
        );
      }
      return cached;
    },
  };
}
