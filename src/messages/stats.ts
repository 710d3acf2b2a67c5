import type { DoraBand, DoraMetric } from '../domain/dora.js';
import { formatDuration } from '../domain/duration.js';
import { calendarDate } from '../domain/time-zone.js';
import type { DoraSummary } from '../services/dora.js';
import { context, fields, header } from './format.js';
import { fitMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';

const BAND_LABEL: Record<DoraBand, string> = { elite: '🟢 Elite', high: '🔵 High', medium: '🟡 Medium', low: '🔴 Low' };
const TREND: Record<'better' | 'worse' | 'same', string> = { better: '↗ better', worse: '↘ worse', same: '→ same' };

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function round1(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

/** Each of the four figures as a line: its value, its band and the trend. Also what the App Home may show. */
export function doraLines(s: DoraSummary): Record<DoraMetric, { label: string; value: string; band?: DoraBand; trend?: 'better' | 'worse' | 'same' }> {
  const f = s.figures;
  return {
    deploymentFrequency: { label: 'Deployment frequency', value: `${round1(f.deploymentsPerWeek)} a week (${plural(f.deployments, 'deployment')})`, band: s.bands.deploymentFrequency, trend: s.trend.deploymentFrequency },
    leadTime: { label: 'Lead time for changes', value: f.leadTimeMs === undefined ? 'no data' : `${formatDuration(f.leadTimeMs)} median (${plural(f.changes, 'pull request')})`, band: s.bands.leadTime, trend: s.trend.leadTime },
    changeFailureRate: {
      label: 'Change failure rate',
      value: f.changeFailureRate === undefined ? 'no deployments' : `${Math.round(f.changeFailureRate * 100)}% (${f.failures} of ${f.deployments})`,
      band: s.bands.changeFailureRate,
      trend: s.trend.changeFailureRate,
    },
    timeToRestore: { label: 'Time to restore', value: f.timeToRestoreMs === undefined ? 'no restores' : `${formatDuration(f.timeToRestoreMs)} median (${plural(f.restores, 'restore')})`, band: s.bands.timeToRestore, trend: s.trend.timeToRestore },
  };
}

/** `/release stats`: the four DORA figures of the window, their band, and the trend against the window before. */
export function statsMessage(s: DoraSummary, windowLabel: string): SlackMessage {
  const lines = Object.values(doraLines(s));
  const text = `DORA figures, last ${windowLabel}: ${lines.map((l) => `${l.label} ${l.value}${l.band ? ` (${l.band})` : ''}`).join('; ')}`;
  return {
    text: fitMrkdwn(text, 4000),
    blocks: [
      header(`📊 DORA figures, last ${windowLabel}`),
      fields(...lines.map((l) => `*${l.label}*\n${l.value}\n${l.band ? BAND_LABEL[l.band] : '—'}${l.trend ? ` · ${TREND[l.trend]}` : ''}`)),
      context(
        `${calendarDate(s.window.from, s.window.timeZone)} to ${calendarDate(s.window.to, s.window.timeZone)}, from tminus's own records; the trend compares with the ${windowLabel} before. Bands: 2023 State of DevOps report. The chart is in the thread.`,
      ),
    ],
  };
}

/** The chart's one-line comment in the thread. */
export function statsChartComment(windowLabel: string, bucket: 'week' | 'month'): string {
  return `DORA figures by ${bucket}, last ${windowLabel}.`;
}
