// `outreach recipients`: who a campaign addresses, with their channels and language.
import { formatTable, plural } from "../adapters/report.js";
import type { IO } from "../adapters/terminal.js";
import { pickCampaign } from "../core/plan.js";
import { otherChannels } from "../core/recipients.js";
import { filterRecipients } from "../core/selection.js";
import { type CampaignOptions, openValidPlan } from "./context.js";

export interface RecipientsOptions extends CampaignOptions {
  type?: string[];
  tag?: string[];
  country?: string[];
  json?: boolean;
}

export interface RecipientRow {
  id: string;
  organisation: string;
  type: string;
  country: string | null;
  language: string;
  tags: string[];
  to: string[];
  cc: string[];
  web_form: string | null;
  post: boolean;
  fax: string | null;
  file: string;
  line: number;
}

export async function listRecipients(options: RecipientsOptions, io: IO): Promise<RecipientRow[]> {
  const { plan } = await openValidPlan(options, io);
  const { selected, prepared } = pickCampaign(plan, options.campaign);
  const defaultLanguage = plan.config?.defaults.language ?? "en";
  const rows: RecipientRow[] = filterRecipients(selected, (entry) => entry, options, plan.recipients).map(
    ({ recipient, file, line }) => ({
      id: recipient.id,
      organisation: recipient.organisation,
      type: recipient.type,
      country: recipient.country ?? null,
      language: recipient.language ?? defaultLanguage,
      tags: recipient.tags,
      to: recipient.contacts.filter((contact) => !contact.cc).map((contact) => contact.email),
      cc: recipient.contacts.filter((contact) => contact.cc).map((contact) => contact.email),
      web_form: recipient.channels?.web_form ?? null,
      post: Boolean(recipient.channels?.post),
      fax: recipient.channels?.fax ?? null,
      file,
      line,
    }),
  );

  if (options.json) {
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return rows;
  }
  const table = rows.map((row) => {
    const recipient = selected.find((entry) => entry.recipient.id === row.id)?.recipient;
    const channels = [
      row.to.length > 0 ? `email (${row.to.length + row.cc.length})` : "",
      ...(recipient ? otherChannels(recipient) : []),
    ].filter(Boolean);
    return [
      row.id,
      row.type,
      row.language,
      row.country ?? "",
      channels.join(", ") || "none",
      row.organisation,
    ];
  });
  io.stdout.write(formatTable(["ID", "TYPE", "LANG", "COUNTRY", "CHANNELS", "ORGANISATION"], table, io.out));
  const byEmail = rows.filter((row) => row.to.length > 0).length;
  io.stderr.write(
    `${plural(rows.length, "recipient")} in ${prepared.campaign.id}: ${byEmail} by email, ${rows.length - byEmail} by another channel\n`,
  );
  return rows;
}
