import type { KnownBlock } from '@slack/web-api';
import type { Classification } from '../domain/decision-matrix.js';
import { formatValue, type CheckResult } from '../domain/verification.js';
import { formatDuration } from '../domain/duration.js';
import { rollbackNowValue } from './button-values.js';
import { clockTime, context, mention, section } from './format.js';
import { plainText, slackFallback, slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';

export const ROLLBACK_NOW_ACTION = 'rollback_now';

const ICON: Record<CheckResult['state'], string> = { pass: '✅', breach: '❌', 'no-data': '⚠️', unreachable: '⚠️', person: '👀' };

/** The check's limit as people read it: its threshold, or its baseline before the deploy. */
function limitOf(result: CheckResult): string {
  // Slack reads < and > as control characters: a raw `<` here and a `>` on another line would link the text between.
  if (result.threshold !== undefined) return ` (threshold ${result.direction === 'above' ? '&gt;' : '&lt;'} ${formatValue({ value: result.threshold, unit: result.unit })})`;
  const b = result.baseline;
  if (!b) return '';
  const floor = b.limit > b.value * b.factor ? `, at least ${formatValue({ value: b.limit, unit: result.unit })}` : '';
  return ` (limit ≤ ${formatValue({ value: b.limit, unit: result.unit })}: ${b.factor}× the ${formatValue({ value: b.value, unit: result.unit })} before the deploy${floor})`;
}

export function line(result: CheckResult): string {
  const limit = limitOf(result);
  if (result.state === 'no-data') return `${ICON['no-data']} ${result.label}: no data${limit}`;
  if (result.state === 'unreachable') return `${ICON.unreachable} ${result.label}: Datadog unreachable${limit}`;
  if (result.state === 'person') {
    return result.value === undefined
      ? `${ICON.person} ${result.label}: not read by tminus (no query in the policy): for a person to check`
      : `${ICON.person} ${result.label}: ${formatValue(result)}, no limit in the policy: for a person to judge`;
  }
  const latest = result.latest ? ' at the latest reading' : '';
  return `${ICON[result.state]} ${result.label}: ${formatValue(result)}${latest}${limit}${result.state === 'breach' && result.scope && result.scope !== '*' ? ` on \`${slackMrkdwn(result.scope, 200)}\`` : ''}`;
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
  const person = input.results.filter((r) => r.state === 'person').length;
  const verdict =
    breaches > 0
      ? `❌ ${breaches} check${breaches === 1 ? '' : 's'} breached`
      : missing > 0
        ? `⚠️ ${missing} check${missing === 1 ? '' : 's'} without data: not verified`
        : `✅ All checks healthy${person > 0 ? ` (${person} for a person)` : ''}`;
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
  /** A critical error rate: how many times its threshold it measured. */
  timesThreshold?: number;
}

/** An alert in #releases: the breach, the decision matrix's severity, action and deadline, and who must act. */
export function breachAlertMessage(input: BreachAlertInput): SlackMessage {
  const c = input.classification;
  const sev = c.severity.toUpperCase();
  const lines = [
    `🚨 *${sev}: ${slackMrkdwn(c.issue, 300)} after ${input.version}* — ${line(input.result)}${input.timesThreshold !== undefined ? `, ${times(input.timesThreshold)} its threshold` : ''}`,
    `*Action (decision matrix):* ${slackMrkdwn(c.action, 300)} · *deadline:* ${clockTime(input.deadline, input.timeZone)} (${formatDuration(c.timeline)})`,
    input.mentions.length > 0 ? `${input.mentions.map(mention).join(' ')}` : '_Nobody is on call in the policy (`roles.onCall`)._',
  ];
  if (input.autoRollback) lines.push('tminus is starting the emergency rollback now (policy `verification.autoRollback`).');
  if (input.autoRollbackRefused) lines.push(`⚠️ tminus could not start the automatic rollback: ${slackMrkdwn(input.autoRollbackRefused, 1000)} Roll back by hand with the button or \`/release rollback ${input.version}\`.`);
  const blocks: KnownBlock[] = [section(lines.join('\n'))];
  if (c.rollbackNow && !input.autoRollback) blocks.push(rollbackButton(input));
  return { text: `🚨 ${sev}: ${slackFallback(c.issue, 300)} after ${input.version} — ${slackFallback(measured(input.result), 300)} — ${slackFallback(c.action, 300)}`, blocks };
}

const times = (factor: number) => `${factor >= 10 ? Math.round(factor) : factor.toFixed(1)}×`;

/** What was measured, in a line: "Error rate 2.500 %". */
const measured = (result: CheckResult) => `${result.label} ${formatValue(result)}`;

function rollbackButton(input: { releaseId: string; version: string }): KnownBlock {
  return {
    type: 'actions',
    block_id: `rollback:${input.releaseId}`,
    elements: [{ type: 'button', action_id: ROLLBACK_NOW_ACTION, style: 'danger', text: { type: 'plain_text', text: 'Roll back now' }, value: rollbackNowValue(input) }],
  };
}

export interface BreachOverdueInput {
  releaseId: string;
  version: string;
  /** The check as last read (its latest verification run), or as it was when the breach opened. */
  result: CheckResult;
  classification: Pick<Classification, 'severity' | 'issue' | 'action' | 'timeline'>;
  deadline: Date;
  overdueBy: number;
  mentions: string[];
  timeZone: string;
  /** The matrix's action is a rollback: the Roll back now button. */
  rollback: boolean;
}

/** A decision-matrix deadline passed while the breach is still open: in the thread and in #releases, once. */
export function breachOverdueMessage(input: BreachOverdueInput): SlackMessage {
  const c = input.classification;
  const overdue = input.overdueBy >= 1_000 ? `overdue by ${formatDuration(Math.floor(input.overdueBy / 1_000) * 1_000)}` : 'overdue now';
  const lines = [
    `⏰ *Deadline passed: ${slackMrkdwn(input.result.label, 200)} is still breached after ${input.version}* — ${line(input.result)}`,
    `The decision matrix asked for *${slackMrkdwn(c.action, 300)}* (${c.severity}: ${slackMrkdwn(c.issue, 300)}) by ${clockTime(input.deadline, input.timeZone)}, within ${formatDuration(c.timeline)} of the alert: ${overdue}.`,
    input.mentions.length > 0 ? input.mentions.map(mention).join(' ') : '_Nobody is on call in the policy (`roles.onCall`)._',
  ];
  const blocks: KnownBlock[] = [section(lines.join('\n'))];
  if (input.rollback) blocks.push(rollbackButton(input));
  return { text: `⏰ Deadline passed: ${slackFallback(input.result.label, 200)} still breached after ${input.version} — ${slackFallback(c.action, 300)}, ${overdue}`, blocks };
}
