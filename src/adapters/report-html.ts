// The report as one HTML file that stands alone: inline CSS and inline SVG, nothing fetched, nothing run
// (its Content-Security-Policy forbids scripts and every remote load), readable offline and printable on A4.
// Every piece of text from the world is escaped here, once, on its way into the page.
import type { CampaignReport, ReportRow } from "../core/report.js";
import { MONTHS, printable } from "../core/text-rules.js";
import type { ReportCharts } from "./report-charts.js";

const POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src 'none'; script-src 'none'; " +
  "connect-src 'none'; base-uri 'none'; form-action 'none'";

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

const SPECIAL = /[&<>"']/;

/**
 * Text as HTML: markup characters as entities, and every control or invisible character (an escape
 * sequence, a bidirectional override that would show an address backwards) written out as \u{…}, as on a
 * terminal; line breaks are kept for notes.
 */
export function escapeHtml(text: string): string {
  const shown = printable(text, { keepLineBreaks: true });
  if (!SPECIAL.test(shown)) return shown;
  return shown.replace(/[&<>"']/g, (character) => ENTITIES[character] as string);
}

const number = (value: number) => value.toLocaleString("en-GB");
const percent = (share: number) => `${Math.round(share * 100)}%`;

/** 2026-02-01 as "1 February 2026" (by hand: Intl's date formatting costs more to load than the whole page). */
function longDay(day: string): string {
  return `${Number(day.slice(8, 10))} ${MONTHS[Number(day.slice(5, 7)) - 1]} ${day.slice(0, 4)}`;
}

function figure(key: string, label: string, value: number | null, shown: string, note: string): string {
  return (
    `<div class="figure" data-figure="${key}" data-value="${value === null ? "" : value}">` +
    `<dt>${escapeHtml(label)}</dt><dd>${escapeHtml(shown)}</dd><p>${escapeHtml(note)}</p></div>`
  );
}

/** The figures in one sentence, for a reader who reads no further. */
function lede(report: CampaignReport): string {
  const f = report.figures;
  if (f.sent === 0) return `<p class="lede">No letter of this campaign has gone out yet.</p>`;
  const parts = [
    `Of the ${number(f.sent)} ${f.sent === 1 ? "body" : "bodies"} written to, ${number(f.answered)} ${f.answered === 1 ? "has" : "have"} answered (${percent(f.answer_rate)})`,
  ];
  if (f.median_days_to_answer !== null) {
    parts[0] += `, half of them within ${number(f.median_days_to_answer)} ${f.median_days_to_answer === 1 ? "day" : "days"}`;
  }
  const rest: string[] = [];
  if (f.overdue) rest.push(`${number(f.overdue)} ${f.overdue === 1 ? "is" : "are"} overdue for an answer`);
  if (f.bounced) rest.push(`${number(f.bounced)} ${f.bounced === 1 ? "letter" : "letters"} bounced`);
  if (f.to_review)
    rest.push(`${number(f.to_review)} ${f.to_review === 1 ? "answer waits" : "answers wait"} to be read`);
  return `<p class="lede">${escapeHtml(parts[0] + (rest.length ? `; ${rest.join(", ")}` : ""))}.</p>`;
}

function headline(report: CampaignReport): string {
  const f = report.figures;
  const median = f.median_days_to_answer;
  const medianShown = median === null ? "none yet" : `${number(median)} ${median === 1 ? "day" : "days"}`;
  const stillByHand = f.other_channel ? `; ${number(f.other_channel)} more to deliver that way` : "";
  return `<dl class="figures">${[
    figure("sent", "Written to", f.sent, number(f.sent), `of ${number(f.selected)} selected`),
    figure("delivered", "Delivered", f.delivered, number(f.delivered), "reached every address"),
    figure("answered", "Answered", f.answered, number(f.answered), "by a person, not an automatic reply"),
    figure("answer_rate", "Response rate", f.answer_rate, percent(f.answer_rate), "answered of written to"),
    figure(
      "median_days_to_answer",
      "Median time to answer",
      median,
      medianShown,
      "from the appeal to a first answer",
    ),
    figure("overdue", "Overdue", f.overdue, number(f.overdue), "no answer within their window"),
    figure("bounced", "Bounced", f.bounced, number(f.bounced), "the address did not work"),
    figure(
      "sent_by_hand",
      "By other channel",
      f.sent_by_hand,
      number(f.sent_by_hand),
      `web form, post or in person${stillByHand}`,
    ),
  ].join("")}</dl>`;
}

function chart(key: string, title: string, caption: string, svg: string | null, empty: string): string {
  const body = svg ?? `<p class="empty">${escapeHtml(empty)}</p>`;
  return (
    `<figure class="chart" data-chart="${key}"><h3>${escapeHtml(title)}</h3>${body}` +
    `<figcaption>${escapeHtml(caption)}</figcaption></figure>`
  );
}

function charts(drawn: ReportCharts): string {
  return `<section class="charts">${[
    chart(
      "answers-over-time",
      "Answers over time",
      "Recipients who had answered by each day, from the first letter to today; a dot for each day answers came.",
      drawn.answersOverTime,
      "No letter has gone out yet.",
    ),
    chart(
      "outcomes-by-type",
      "Outcomes by kind of body",
      "Where each recipient written to stands: their latest answer, or how long they have been silent.",
      drawn.outcomesByType,
      "No letter has gone out yet.",
    ),
    chart(
      "days-by-type",
      "Days to a first answer, by kind of body",
      "A dot for each number of days after which recipients first answered, larger for more recipients; the red bar is the median of its kind.",
      drawn.daysByType,
      "No answer has come in yet.",
    ),
  ].join("")}</section>`;
}

function answers(row: ReportRow): string {
  if (row.answers.length === 0) return "";
  const items = row.answers.map((answer) => {
    const from = answer.from ? ` <span class="from">from ${escapeHtml(answer.from)}</span>` : "";
    const note = answer.note ? `<span class="note">${escapeHtml(answer.note)}</span>` : "";
    return `<li><span class="day">${escapeHtml(answer.date)}</span> ${escapeHtml(answer.outcome.replace(/-/g, " "))}${from}${note}</li>`;
  });
  return `<ul class="answers">${items.join("")}</ul>`;
}

function tableRow(row: ReportRow): string {
  const contacts = row.contacts.length
    ? `<span class="contacts">${row.contacts.map(escapeHtml).join("<br>")}</span>`
    : "";
  const last = row.lastEvent
    ? `<span class="day">${escapeHtml(row.lastEvent.day)}</span> ${escapeHtml(row.lastEvent.text)}`
    : "";
  return (
    `<tr data-recipient><td class="org">${escapeHtml(row.organisation)}${contacts}</td>` +
    `<td>${escapeHtml(row.type)}</td><td><span class="state ${row.tone}">${escapeHtml(row.state)}</span></td>` +
    `<td class="num">${row.daysWaiting ?? ""}</td><td>${last}</td><td>${escapeHtml(row.nextFollowup)}</td>` +
    `<td>${answers(row)}</td></tr>`
  );
}

/**
 * The table comes in tables of 500 rows, each laid out only when scrolled to (content-visibility): a browser
 * opens a report of 10,000 recipients in a second rather than many. Their columns are the same, their header
 * repeats; in print every row is laid out, and the header repeats on each page.
 */
const ROWS_PER_TABLE = 500;

const TABLE_HEAD =
  `<table><colgroup><col class="c-org"><col class="c-kind"><col class="c-state"><col class="c-days">` +
  `<col class="c-last"><col class="c-next"><col class="c-answers"></colgroup>` +
  '<thead><tr><th>Organisation</th><th>Kind</th><th>State</th><th class="num">Days waiting</th>' +
  "<th>Last event</th><th>Next follow-up</th><th>Answers</th></tr></thead><tbody>";

function* table(report: CampaignReport): Generator<string> {
  yield '<section class="recipients"><h2>Every recipient</h2>';
  for (let start = 0; start < report.rows.length; start += ROWS_PER_TABLE) {
    const rows = report.rows
      .slice(start, start + ROWS_PER_TABLE)
      .map(tableRow)
      .join("");
    yield `<div class="rows">${TABLE_HEAD}${rows}</tbody></table></div>`;
  }
  yield "</section>";
}

function masthead(report: CampaignReport): string {
  const f = report.figures;
  const since = report.firstSent
    ? ` · first letter sent ${longDay(report.firstSent)}`
    : " · no letter sent yet";
  const redacted = report.redacted
    ? '<p class="redacted">Shared version: names, email addresses and notes are left out.</p>'
    : '<p class="private">Working copy: it holds contacts&rsquo; names and addresses and the team&rsquo;s notes. Share it beyond the group only as made with <code>--redact</code>.</p>';
  return (
    `<header class="masthead"><p class="kicker">Campaign report</p><h1>${escapeHtml(report.campaign)}</h1>` +
    `<p class="meta">As of ${longDay(report.today)} · ${number(f.selected)} recipients${since}</p>${redacted}</header>`
  );
}

function* campaignSection(report: CampaignReport, drawn: ReportCharts): Generator<string> {
  yield `<section class="campaign" data-campaign="${escapeHtml(report.campaign)}">`;
  yield masthead(report) + lede(report) + headline(report) + charts(drawn);
  yield* table(report);
  yield "</section>";
}

const FOOTER =
  "<footer><p>Made with outreach from the campaign's journal; the figures are those of <code>outreach status</code>. " +
  "<strong>Answered</strong> means a person wrote back: automatic replies and bounces are not answers. " +
  "<strong>Overdue</strong> means no answer within the time the campaign gives that recipient before a follow-up. " +
  "<strong>Delivered</strong> counts letters that reached every address and did not bounce.</p></footer>";

/** The page, piece by piece: a report of 10,000 rows is written out without being held whole. */
export function* reportHtml(
  campaigns: { report: CampaignReport; charts: ReportCharts }[],
): Generator<string> {
  const title = campaigns.map(({ report }) => report.campaign).join(", ");
  yield `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="${POLICY}">` +
    `<meta name="referrer" content="no-referrer"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>Campaign report: ${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main>`;
  for (const { report, charts: drawn } of campaigns) yield* campaignSection(report, drawn);
  yield `${FOOTER}</main></body></html>\n`;
}

const STYLE = `
:root { --ink: #1f2a37; --muted: #5b6675; --rule: #e1e5ea; --accent: #1f4f7f; --paper: #fff; }
* { box-sizing: border-box; }
html { background: #eef1f4; }
body { margin: 0; color: var(--ink); font: 15px/1.45 "Source Sans Pro", "Segoe UI", "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1060px; margin: 24px auto; padding: 40px 48px; background: var(--paper); box-shadow: 0 1px 4px rgba(20,30,45,.12); }
code { font: 0.92em "DejaVu Sans Mono", Menlo, Consolas, monospace; }
.campaign + .campaign { margin-top: 56px; border-top: 3px solid var(--accent); padding-top: 32px; }
.masthead { border-bottom: 1px solid var(--rule); padding-bottom: 16px; margin-bottom: 24px; }
.kicker { margin: 0; color: var(--accent); text-transform: uppercase; letter-spacing: .12em; font-size: 12px; font-weight: 700; }
h1 { margin: 4px 0 6px; font-size: 30px; line-height: 1.15; font-weight: 700; overflow-wrap: anywhere; }
.meta { margin: 0; color: var(--muted); }
.redacted, .private { margin: 12px 0 0; padding: 8px 12px; border-left: 4px solid; font-size: 13px; }
.redacted { border-color: #2fa36b; background: #eef8f2; }
.private { border-color: #e8973a; background: #fdf4ea; }
h2 { font-size: 19px; margin: 32px 0 12px; }
h3 { font-size: 15px; margin: 0 0 8px; }
.lede { font-size: 17px; margin: 0 0 20px; max-width: 60em; }
.figures { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; margin: 0; }
.figure { border: 1px solid var(--rule); border-top: 3px solid var(--accent); border-radius: 4px; padding: 10px 14px 12px; }
.figure dt { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .06em; font-weight: 600; }
.figure dd { margin: 2px 0 0; font-size: 28px; font-weight: 700; line-height: 1.2; font-variant-numeric: tabular-nums; }
.figure p { margin: 2px 0 0; font-size: 12px; color: var(--muted); }
.figure[data-figure="overdue"] { border-top-color: #e8973a; }
.figure[data-figure="bounced"] { border-top-color: #c2413b; }
.figure[data-figure="answered"], .figure[data-figure="answer_rate"] { border-top-color: #2fa36b; }
.charts { display: grid; grid-template-columns: 1fr; gap: 20px; margin-top: 28px; }
.chart { margin: 0; padding: 14px 16px; border: 1px solid var(--rule); border-radius: 4px; break-inside: avoid; }
.chart svg { display: block; max-width: 100%; height: auto; }
.chart figcaption { margin-top: 6px; font-size: 12.5px; color: var(--muted); }
.chart .empty { color: var(--muted); font-style: italic; margin: 8px 0; }
.rows { content-visibility: auto; contain-intrinsic-size: auto 22000px; }
.rows:last-child { contain-intrinsic-size: auto 2000px; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; font-size: 13px; }
col.c-org { width: 21%; } col.c-kind { width: 10%; } col.c-state { width: 13%; } col.c-days { width: 7%; }
col.c-last { width: 15%; } col.c-next { width: 11%; } col.c-answers { width: 23%; }
th { text-align: left; font-size: 11.5px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted);
  border-bottom: 2px solid var(--ink); padding: 6px 6px; background: var(--paper); position: sticky; top: 0; }
td { border-bottom: 1px solid var(--rule); padding: 7px 6px; vertical-align: top; overflow-wrap: anywhere; }
tbody tr:nth-child(even) td { background: #f8f9fb; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.org { font-weight: 600; }
.contacts { display: block; font-weight: 400; font-size: 12px; color: var(--muted); }
.day { color: var(--muted); font-variant-numeric: tabular-nums; white-space: nowrap; }
.state { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 0.92em; font-weight: 600; overflow-wrap: normal; }
.state.good { background: #e3f4ea; color: #145c3a; }
.state.waiting { background: #eceff3; color: #3c4653; }
.state.late { background: #fdebd6; color: #8a4a07; }
.state.bad { background: #f9e0de; color: #8c211c; }
.state.quiet { background: #f1f2f4; color: #5b6675; }
.answers { margin: 0; padding: 0; list-style: none; }
.answers li + li { margin-top: 4px; }
.from { color: var(--muted); }
.note { display: block; white-space: pre-line; color: var(--ink); font-size: 12px; border-left: 2px solid var(--rule); padding-left: 6px; margin-top: 2px; }
footer { margin-top: 32px; padding-top: 12px; border-top: 1px solid var(--rule); font-size: 12px; color: var(--muted); }
@media screen and (max-width: 800px) { main { padding: 20px; } .figures { grid-template-columns: repeat(2, 1fr); } }
@page { size: A4; margin: 14mm 12mm 16mm; }
@media print {
  html, body { background: white; }
  body { font-size: 10pt; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  main { max-width: none; margin: 0; padding: 0; box-shadow: none; }
  .campaign + .campaign { break-before: page; border-top: none; margin-top: 0; }
  .figures { break-inside: avoid; }
  .chart { break-inside: avoid; }
  .chart svg { max-width: 100%; }
  h2, h3 { break-after: avoid; }
  th { position: static; }
  .rows { content-visibility: visible; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  table { font-size: 8.5pt; }
  td, th { padding: 4px 4px; }
  .figure { padding: 6px 10px 8px; }
  .figure dd { font-size: 20pt; }
  .state { padding: 0 5px; }
  h1 { font-size: 22pt; }
}
`;
