import { withFields } from "../../core/objects.js";
import type { Config } from "../../core/schema.js";
import { durationMs } from "../../core/text-rules.js";
import type { Transport } from "../../core/transport.js";
import { EXIT, UserError } from "../../errors.js";
import { LOOPBACK_HOSTS } from "../paths.js";
import { askPassword } from "../prompts.js";
import { campaignEnvironment, readPasswordFile, userFromUrl } from "../secrets.js";
import type { IO } from "../terminal.js";
import { outboxTransport } from "./outbox.js";
import { type SmtpSettings, smtpTransport } from "./smtp.js";

type Endpoint = Pick<SmtpSettings, "host" | "port" | "security" | "user">;

/** Waits that keep a silent server from holding a run for hours: short before the data, long after it. */
export const STEP_TIMEOUT = "30s";
export const DATA_TIMEOUT = "10m";

function smtpFromUrl(text: string): Endpoint {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UserError("OUTREACH_SMTP_URL is not a URL", {
      exitCode: EXIT.usage,
      hint: "write it like smtps://user@smtp.example.org:465 or smtp://127.0.0.1:2525",
    });
  }
  if (url.password) {
    throw new UserError("OUTREACH_SMTP_URL must not contain the password", {
      exitCode: EXIT.usage,
      hint: "put the password in OUTREACH_SMTP_PASSWORD (or a .env file) and write the URL as smtps://user@host:465",
    });
  }
  if (url.protocol !== "smtp:" && url.protocol !== "smtps:") {
    throw new UserError(`OUTREACH_SMTP_URL must start with smtp:// or smtps://, not ${url.protocol}//`, {
      exitCode: EXIT.usage,
    });
  }
  const tls = url.protocol === "smtps:";
  const host = url.hostname;
  return {
    host,
    port: url.port ? Number(url.port) : tls ? 465 : 587,
    // A password never crosses a network in clear text: smtp:// to another machine requires STARTTLS.
    security: tls ? "tls" : LOOPBACK_HOSTS.has(host) ? "opportunistic" : "starttls",
    ...(url.username ? { user: userFromUrl(url, "OUTREACH_SMTP_URL") } : {}),
  };
}

async function findPassword(
  root: string,
  variables: Record<string, string | undefined>,
  passwordFile: string | undefined,
  settings: Endpoint,
  io: IO,
): Promise<string> {
  const fromEnvironment = variables.OUTREACH_SMTP_PASSWORD;
  if (fromEnvironment) return fromEnvironment;
  const fromVariable = variables.OUTREACH_SMTP_PASSWORD_FILE;
  const file = fromVariable ?? passwordFile;
  if (file) {
    // The setting is never repeated: a password typed where the file name belongs would be shown.
    const setting = fromVariable ? "OUTREACH_SMTP_PASSWORD_FILE" : "transport.smtp.password_file";
    return readPasswordFile(root, file, setting);
  }
  if (io.canPrompt) return askPassword(io, `Password for ${settings.user} at ${settings.host}:`);
  throw new UserError(
    `the SMTP user ${settings.user} needs a password, and there is no terminal to ask for it`,
    {
      exitCode: EXIT.usage,
      hint: "set OUTREACH_SMTP_PASSWORD, put it in the campaign folder's .env file, or name a password file (transport.smtp.password_file)",
    },
  );
}

export async function chooseTransport(
  root: string,
  config: Config,
  io: IO,
  options: { outbox?: boolean; connections?: number },
): Promise<Transport> {
  // Flushing each letter to disk is skipped only where the journal's flushes are (benchmarks).
  const outbox = () => outboxTransport(root, { durable: io.env.OUTREACH_UNSAFE_NO_FSYNC !== "1" });
  if (options.outbox) return outbox();
  const variables = campaignEnvironment(root, io);
  const url = variables.OUTREACH_SMTP_URL;
  const configured = config.transport.smtp;
  if (!url && !configured) return outbox();
  const base: Endpoint = url
    ? smtpFromUrl(url)
    : {
        host: configured?.host ?? "",
        port: configured?.port ?? (configured?.security === "tls" ? 465 : 587),
        security: configured?.security ?? "starttls",
        ...(configured?.user ? { user: configured.user } : {}),
      };
  return smtpTransport(
    withFields(base, {
      connections: options.connections ?? config.transport.connections,
      stepTimeoutMs: durationMs(config.transport.timeout ?? STEP_TIMEOUT),
      dataTimeoutMs: durationMs(config.transport.data_timeout ?? DATA_TIMEOUT),
      ...(base.user
        ? { findPassword: () => findPassword(root, variables, configured?.password_file, base, io) }
        : {}),
    }),
  );
}
