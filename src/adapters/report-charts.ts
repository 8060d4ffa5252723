// The report's charts: Vega-Lite specifications compiled to Vega and rendered to SVG text in this process
// (vega's headless renderer: no browser, no canvas). Vega escapes the text it writes into the SVG.

import { withFields } from "../core/objects.js";
import type { CampaignReport, OutcomeLabel } from "../core/report.js";
import { OUTCOME_LABELS } from "../core/report.js";

const FONT = "Source Sans Pro, Segoe UI, Helvetica Neue, Arial, sans-serif";
const INK = "#1f2a37";
const MUTED = "#5b6675";
export const CHART_WIDTH = 600;

/** One colour per outcome: answers in greens and blues, waiting in greys, trouble in warm colours. */
const OUTCOME_COLOURS: Record<OutcomeLabel, string> = {
  "public statement": "#0b6e4f",
  "action taken": "#178a5f",
  meeting: "#2fa36b",
  forwarded: "#5cb88a",
  "clarification requested": "#8fcfae",
  acknowledged: "#3a78b5",
  declined: "#8c6bb1",
  "to review": "#b9a2d6",
  "no answer yet": "#c9ced6",
  "no answer, overdue": "#e8973a",
  bounced: "#c2413b",
  closed: "#7d8590",
};

const CONFIG = {
  background: "white",
  font: FONT,
  view: { stroke: null },
  axis: {
    labelColor: MUTED,
    titleColor: INK,
    labelFontSize: 11,
    titleFontSize: 11,
    titleFontWeight: 600,
    gridColor: "#e6e9ee",
    domainColor: "#c9ced6",
    tickColor: "#c9ced6",
  },
  legend: { labelColor: INK, titleColor: INK, labelFontSize: 11, titleFontSize: 11, orient: "bottom" },
};

type Spec = Record<string, unknown>;

async function toSvg(spec: Spec): Promise<string> {
  const [vega, { compile }] = await Promise.all([import("vega"), import("vega-lite")]);
  // Quiet: a warning about a chart is no business of the person making the report.
  const compiled = compile(spec as never, { logger: vega.logger(vega.None) });
  const view = new vega.View(vega.parse(compiled.spec), { renderer: "none", logLevel: vega.None });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function answersOverTime(report: CampaignReport): Spec {
  // An answer logged with a day before its letter's (a slip of the keyboard) still falls inside the chart.
  const earliest = report.answersOverTime[0]?.day;
  const sent = report.firstSent ?? report.today;
  const first = earliest !== undefined && earliest < sent ? earliest : sent;
  // The line starts at nought on the first send and runs on to today, through each day answers came.
  const line = [
    { day: first, total: 0 },
    ...report.answersOverTime.map(({ day, total }) => ({ day, total })),
    { day: report.today, total: report.answersOverTime.at(-1)?.total ?? 0 },
  ];
  const x = {
    field: "day",
    type: "temporal",
    title: null,
    scale: { type: "utc", domain: [first, report.today] },
    axis: { format: "%d %b", labelOverlap: true },
  };
  return {
    width: CHART_WIDTH,
    height: 180,
    description: "Recipients who had answered, by day, since the first letter went out",
    layer: [
      {
        data: { values: line },
        mark: { type: "area", interpolate: "step-after", color: "#3a78b5", opacity: 0.18 },
        encoding: { x, y: { field: "total", type: "quantitative" } },
      },
      {
        data: { values: line },
        mark: { type: "line", interpolate: "step-after", color: "#3a78b5", strokeWidth: 2 },
        encoding: {
          x,
          y: {
            field: "total",
            type: "quantitative",
            title: "recipients who answered",
            axis: { tickMinStep: 1, format: "d" },
          },
        },
      },
      {
        data: { values: report.answersOverTime },
        mark: { type: "point", filled: true, size: 48, color: "#1f4f7f", opacity: 1 },
        encoding: { x, y: { field: "total", type: "quantitative" } },
      },
    ],
  };
}

function outcomesByType(report: CampaignReport): Spec {
  const present = OUTCOME_LABELS.filter((label) =>
    report.outcomesByType.some((entry) => entry.outcome === label),
  );
  const types = new Set(report.outcomesByType.map((entry) => entry.type)).size;
  return {
    width: CHART_WIDTH - 120,
    height: { step: 26 },
    description: `Where each recipient written to stands, by kind of body (${types} kinds)`,
    data: { values: report.outcomesByType.map((entry, order) => withFields(entry, { order })) },
    mark: { type: "bar", stroke: "white", strokeWidth: 1 },
    encoding: {
      y: { field: "type", type: "nominal", title: null, sort: "ascending" },
      x: {
        field: "recipients",
        type: "quantitative",
        stack: "zero",
        title: "recipients written to",
        axis: { tickMinStep: 1, format: "d" },
      },
      color: {
        field: "outcome",
        type: "nominal",
        title: null,
        scale: { domain: present, range: present.map((label) => OUTCOME_COLOURS[label]) },
        legend: { columns: 4, symbolType: "square" },
      },
      order: { field: "order", type: "quantitative" },
    },
  };
}

function daysByType(report: CampaignReport): Spec {
  const y = { field: "type", type: "nominal", title: null, sort: "ascending" };
  return {
    width: CHART_WIDTH - 120,
    height: { step: 30 },
    description:
      "Days from the appeal to the first answer by kind of body: a dot per number of days, as large as the recipients who answered then; the median a bar",
    layer: [
      {
        data: { values: report.daysByType },
        mark: { type: "circle", color: "#3a78b5", opacity: 0.6 },
        encoding: {
          y,
          x: {
            field: "days",
            type: "quantitative",
            title: "days to a first answer",
            axis: { tickMinStep: 1 },
          },
          size: {
            field: "recipients",
            type: "quantitative",
            title: "recipients",
            scale: { range: [40, 400], zero: false },
            legend: { orient: "right", symbolFillColor: "#3a78b5", symbolStrokeWidth: 0, format: "d" },
          },
        },
      },
      {
        data: { values: report.medianByType },
        mark: { type: "tick", color: "#c2413b", thickness: 3, size: 22 },
        encoding: { y, x: { field: "median", type: "quantitative" } },
      },
    ],
  };
}

export interface ReportCharts {
  answersOverTime: string | null;
  outcomesByType: string | null;
  daysByType: string | null;
}

/** The three charts as SVG, or null where there is nothing to draw yet. */
export async function drawCharts(report: CampaignReport): Promise<ReportCharts> {
  const config = { config: CONFIG };
  const [over, outcomes, days] = await Promise.all([
    report.firstSent ? toSvg(withFields(answersOverTime(report), config)) : null,
    report.outcomesByType.length > 0 ? toSvg(withFields(outcomesByType(report), config)) : null,
    report.daysByType.length > 0 ? toSvg(withFields(daysByType(report), config)) : null,
  ]);
  return { answersOverTime: over, outcomesByType: outcomes, daysByType: days };
}
