import type { KnownBlock } from '@slack/web-api';
import type { Classification } from '../domain/decision-matrix.js';
import { formatValue, type CheckResult } from '../domain/verification.js';
import { formatDuration } from '../domain/duration.js';
import { rollbackNowValue } from './button-values.js';
import { clockTime, context, mention, section } from './format.js';
import { plainText, slackFallback, slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';

export const ROLLBACK_NOW_ACTION = 'rollback_now';

const ICON: Record<CheckResult['state'], string> = { pass: '✅', breach: '❌', 'no-data': '⚠️', unreachable: '⚠️' };

function line(result: CheckResult): string {
  // Slack reads < and > as control characters: a raw `<` here and a `>` on another line would link the text between.
  const limit = result.threshold !== undefined ? ` (${result.direction === 'above' ? '&gt;' : '&lt;'} ${formatValue({ value: result.threshold, unit: result.unit })})` : '';
  if (result.state === 'no-data') return `${ICON['no-data']} ${result.label}: no data${limit}`;
  if (result.state === 'unreachable') return `${ICON.unreachable} ${result.label}: Datadog unreachable${limit}`;
  return `${ICON[result.state]} ${result.label}: ${formatValue(result)}${limit}${result.state === 'breach' && result.scope && result.scope !== '*' ? ` on \`${slackMrkdwn(result.scope, 200)}\`` : ''}`;
}

export interface VerificationMessageInput {
  version: string;
  /** Time since the deploy completed, for the "T+" label. */
  sinceDeploy: number;
  phase: string;
  results: CheckResult[];
  graphUrl?: string;
  retryIn?: number;
  attempt: number;
}

/** One compact message per verification run: each check with its value, its threshold and ✅ / ❌ / ⚠️. */
export function verificationMessage(input: VerificationMessageInput): SlackMessage {
  const breaches = input.results.filter((r) => r.state === 'breach').length;
  const missing = input.results.filter((r) => r.state === 'no-data' || r.state === 'unreachable').length;
  const verdict = breaches > 0 ? `❌ ${breaches} check${breaches === 1 ? '' : 's'} breached` : missing > 0 ? `⚠️ ${missing} check${missing === 1 ? '' : 's'} without data: not verified` : '✅ All checks healthy';
  const title = `🔎 Verification of ${input.version} · ${formatDuration(input.sinceDeploy)} after the deploy${input.attempt > 1 ? ` (try ${input.attempt})` : ''}`;
  const blocks: KnownBlock[] = [section(`*${title}* — ${verdict}\n${input.results.map(line).join('\n')}`)];
  if (input.graphUrl) blocks.push({ type: 'image', image_url: input.graphUrl, alt_text: plainText(`Error rate and p99 latency of ${input.version} around the deploy`, 2000) });
  const notes = [input.phase];
  if (input.retryIn !== undefined) notes.push(`Checks without data are tried again in ${formatDuration(input.retryIn)}.`);
  blocks.push(context(...notes));
  return { text: `${title}: ${verdict}`, blocks };
}

export interface BreachAlertInput {
  releaseId: string;
  version: string;
  result: CheckResult;
  classification: Classification;
  deadline: Date;
  mentions: string[];
  timeZone: string;
  autoRollback: boolean;
  /** The policy's automatic rollback was refused (another deployment running, …): why; the button is back. */
  autoRollbackRefused?: string;
}

/** An alert in #releases: the breach, the decision matrix's severity, action and deadline, and who must act. */
export function breachAlertMessage(input: BreachAlertInput): SlackMessage {
  const c = input.classification;
  const sev = c.severity.toUpperCase();
  const lines = [
    `🚨 *${sev}: ${slackMrkdwn(c.issue, 300)} after ${input.version}* — ${line(input.result)}`,
    `*Action (decision matrix):* ${slackMrkdwn(c.action, 300)} · *deadline:* ${clockTime(input.deadline, input.timeZone)} (${formatDuration(c.timeline)})`,
    input.mentions.length > 0 ? `${input.mentions.map(mention).join(' ')}` : '_Nobody is on call in the policy (`roles.onCall`)._',
  ];
  if (input.autoRollback) lines.push('tminus is starting the emergency rollback now (policy `verification.autoRollback`).');
  if (input.autoRollbackRefused) lines.push(`⚠️ tminus could not start the automatic rollback: ${slackMrkdwn(input.autoRollbackRefused, 1000)} Roll back by hand with the button or \`/release rollback ${input.version}\`.`);
  const blocks: KnownBlock[] = [section(lines.join('\n'))];
  if (c.rollbackNow && !input.autoRollback) {
    blocks.push({
      type: 'actions',
      block_id: `rollback:${input.releaseId}`,
      elements: [{ type: 'button', action_id: ROLLBACK_NOW_ACTION, style: 'danger', text: { type: 'plain_text', text: 'Roll back now' }, value: rollbackNowValue(input) }],
    });
  }
  return { text: `🚨 ${sev}: ${slackFallback(c.issue, 300)} after ${input.version} — ${slackFallback(c.action, 300)}`, blocks };
}
