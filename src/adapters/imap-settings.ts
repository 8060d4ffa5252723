import { withFields } from "../core/objects.js";
import type { Config } from "../core/schema.js";
import { EXIT, UserError } from "../errors.js";
import { LOOPBACK_HOSTS } from "./paths.js";
import { askPassword } from "./prompts.js";
import { campaignEnvironment, readPasswordFile, userFromUrl } from "./secrets.js";
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
    user: userFromUrl(url, "OUTREACH_IMAP_URL"),
  };
}

/** The mailbox settings, or undefined when none are given. */
export function imapSettings(root: string, config: Config, io: IO): ImapSettings | undefined {
  const env = campaignEnvironment(root, io, "nothing was read");
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
  return withFields(base, {
    folders: configured?.folders ?? ["INBOX"],
    ...(configured?.save_sent ? { saveSent: configured.save_sent } : {}),
    description,
    async password() {
      if (cached !== undefined) return cached;
      const file = env.OUTREACH_IMAP_PASSWORD_FILE ?? configured?.password_file;
      if (env.OUTREACH_IMAP_PASSWORD) cached = env.OUTREACH_IMAP_PASSWORD;
      else if (file)
        cached = readPasswordFile(
          root,
          file,
          env.OUTREACH_IMAP_PASSWORD_FILE ? "OUTREACH_IMAP_PASSWORD_FILE" : "transport.imap.password_file",
        );
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
  });
}
