import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
import { parse as parseVega, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { DoraSummary } from '../services/dora.js';
import { calendarDate } from '../domain/time-zone.js';

const require = createRequire(import.meta.url);
/** The font ships with the package (`dejavu-fonts-ttf`): the picture is the same on every machine, fonts installed or not. */
const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => require.resolve(`dejavu-fonts-ttf/ttf/${f}`));
const FONT = 'DejaVu Sans';

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;

/** One row per bucket and metric: what the four small charts draw. */
function rows(summary: DoraSummary): { bucket: string; metric: string; value: number | null }[] {
  return summary.series.flatMap((b) => {
    // A bucket the window clips (the first week of a 30-day window) says how many days it holds.
    const days = Math.round((b.to.getTime() - b.from.getTime()) / DAY);
    const bucket = `${calendarDate(b.from, summary.window.timeZone)}${b.whole ? '' : ` (${days} d)`}`;
    const f = b.figures;
    return [
      { bucket, metric: 'Deployments', value: f.deployments },
      { bucket, metric: 'Lead time (h, median)', value: f.leadTimeMs === undefined ? null : round(f.leadTimeMs / HOUR) },
      { bucket, metric: 'Change failure rate (%)', value: f.changeFailureRate === undefined ? null : round(f.changeFailureRate * 100) },
      { bucket, metric: 'Time to restore (h, median)', value: f.timeToRestoreMs === undefined ? null : round(f.timeToRestoreMs / HOUR) },
    ];
  });
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** The Vega-Lite spec: four small bar charts, one per DORA metric, by week or month. */
export function doraChartSpec(summary: DoraSummary, title: string): TopLevelSpec {
  const by = summary.window.bucket === 'week' ? 'Week of' : 'Month of';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, font: FONT, fontSize: 16 },
    data: { values: rows(summary) },
    facet: { field: 'metric', type: 'nominal', title: null, sort: ['Deployments', 'Lead time (h, median)', 'Change failure rate (%)', 'Time to restore (h, median)'] },
    columns: 2,
    spec: {
      width: 300,
      height: 150,
      mark: { type: 'bar', color: '#4C78A8' },
      encoding: {
        x: { field: 'bucket', type: 'ordinal', title: by, axis: { labelAngle: -30 } },
        // '~g' trims trailing zeros: an empty panel's axis reads "0", not "0.000000".
        y: { field: 'value', type: 'quantitative', title: null, axis: { format: '~g', tickMinStep: 1 } },
      },
    },
    resolve: { scale: { y: 'independent' } },
    config: { font: FONT, background: 'white', header: { labelFontSize: 13, labelFont: FONT }, padding: 12 },
  };
}

/** The chart as SVG, rendered by Vega on the server (no browser, no canvas). */
export async function doraChartSvg(summary: DoraSummary, title: string): Promise<string> {
  const { spec } = compile(doraChartSpec(summary, title));
  const view = new View(parseVega(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The chart as a PNG (resvg), ready for `files.uploadV2`. */
export async function doraChartPng(summary: DoraSummary, title: string): Promise<Buffer> {
  const svg = await doraChartSvg(summary, title);
  const png = new Resvg(svg, { font: { fontFiles: FONT_FILES, loadSystemFonts: false, defaultFontFamily: FONT }, fitTo: { mode: 'zoom', value: 2 } }).render().asPng();
  return Buffer.from(png);
}
