import { formatDuration } from '../domain/duration.js';
import type { MatrixRow } from '../domain/decision-matrix.js';
import { context, escape, section } from './format.js';
import type { SlackMessage } from './types.js';

/** `/release incident`: the decision matrix's rows for the severity, best match for the issue first. */
export function incidentMessage(severity: string, issue: string, rows: MatrixRow[]): SlackMessage {
  if (rows.length === 0) return { text: `No decision matrix row for ${severity}`, blocks: [section(`The decision matrix has no row for severity *${escape(severity)}*.`)] };
  const [best, ...others] = rows;
  const lines = [
    `*${best!.severity.toUpperCase()}: ${escape(issue)}* → *${escape(best!.action)}* within ${formatDuration(best!.timeline)} (matrix row: ${escape(best!.issue)})`,
    ...others.map((r) => `• ${escape(r.issue)}: ${escape(r.action)} within ${formatDuration(r.timeline)}`),
  ];
  return { text: `${best!.severity}: ${best!.action} within ${formatDuration(best!.timeline)}`, blocks: [section(lines.join('\n')), context('From the release decision matrix (policy `decisionMatrix`).')] };
}
