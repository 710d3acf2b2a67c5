import { formatDuration } from '../domain/duration.js';
import type { MatrixRow } from '../domain/decision-matrix.js';
import { context, section } from './format.js';
import { slackFallback, slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';

/** `/release incident`: the decision matrix's rows for the severity, best match for the issue first. */
export function incidentMessage(severity: string, issue: string, rows: MatrixRow[], recordedOn?: string): SlackMessage {
  if (rows.length === 0) return { text: `No decision matrix row for ${slackFallback(severity, 100)}`, blocks: [section(`The decision matrix has no row for severity *${slackMrkdwn(severity, 100)}*.`)] };
  const [best, ...others] = rows;
  const lines = [
    `*${best!.severity.toUpperCase()}: ${slackMrkdwn(issue, 1500)}* → *${slackMrkdwn(best!.action, 300)}* within ${formatDuration(best!.timeline)} (matrix row: ${slackMrkdwn(best!.issue, 300)})`,
    ...others.map((r) => `• ${slackMrkdwn(r.issue, 300)}: ${slackMrkdwn(r.action, 300)} within ${formatDuration(r.timeline)}`),
  ];
  const recorded = recordedOn
    ? `Recorded on ${recordedOn}: a rollback of it (\`/release rollback ${recordedOn}\`) counts the guide's time limit from now.`
    : 'tminus knows of no release in production to record it on.';
  return { text: `${best!.severity}: ${slackFallback(best!.action)} within ${formatDuration(best!.timeline)}`, blocks: [section(lines.join('\n')), context('From the release decision matrix (policy `decisionMatrix`).', recorded)] };
}
