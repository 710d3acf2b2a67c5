import type { KnownBlock } from '@slack/web-api';
import type { Classification } from '../domain/decision-matrix.js';
import { formatValue, type CheckKey, type CheckResult } from '../domain/verification.js';
import { sparkline, type CheckChange } from '../domain/verification-changes.js';
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

export function line(check: CheckResult): string {
  // Labels are the policy's words: escaped like any text tminus did not write.
  const result = { ...check, label: slackMrkdwn(check.label, 200) };
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
  /** The run closes a phase of the guide's schedule: its summary (the last phase: "verified", or not). */
  milestone?: { label: string; final: boolean };
}

/** ✅ / ❌ / ⚠️ in a line: how the run went as a whole. */
function verdictOf(results: readonly CheckResult[]): { healthy: boolean; verdict: string } {
  const breaches = results.filter((r) => r.state === 'breach').length;
  const missing = results.filter((r) => r.state === 'no-data' || r.state === 'unreachable').length;
  const person = results.filter((r) => r.state === 'person').length;
  if (breaches > 0) return { healthy: false, verdict: `❌ ${breaches} check${breaches === 1 ? '' : 's'} breached` };
  if (missing > 0) return { healthy: false, verdict: `⚠️ ${missing} check${missing === 1 ? '' : 's'} without data: not verified` };
  return { healthy: true, verdict: `✅ All checks healthy${person > 0 ? ` (${person} for a person)` : ''}` };
}

function titleOf(input: VerificationMessageInput, healthy: boolean): string {
  const at = `${formatDuration(input.sinceDeploy)} after the deploy`;
  const m = input.milestone;
  if (!m) return `🔎 Verification of ${input.version} · ${at}${input.attempt > 1 ? ` (try ${input.attempt})` : ''}`;
  if (!m.final) return `📍 ${slackMrkdwn(m.label, 100)} of verification done: ${input.version} · ${at}`;
  return healthy
    ? `✅ ${input.version} verified: post-release verification done · ${at}`
    : `⚠️ ${input.version} not verified: post-release verification ended · ${at}`;
}

/**
 * A verification run in one message: each check with its value, its threshold and ✅ / ❌ / ⚠️; posted at the
 * guide's milestones (the end of the first hour, of the first 24 hours, of the week), with the graph.
 */
export function verificationMessage(input: VerificationMessageInput): SlackMessage {
  const { healthy, verdict } = verdictOf(input.results);
  const title = titleOf(input, healthy);
  const blocks: KnownBlock[] = [section(`*${title}* — ${verdict}\n${input.results.map(line).join('\n')}`)];
  if (input.graphUrl) blocks.push({ type: 'image', image_url: input.graphUrl, alt_text: plainText(`Error rate and p99 latency of ${input.version} around the deploy`, 2000) });
  const notes = [input.phase];
  if (input.retryIn !== undefined) notes.push(`Checks without data are tried again in ${formatDuration(input.retryIn)}.`);
  blocks.push(context(...notes));
  return { text: `${title}: ${verdict}`, blocks };
}

export interface LiveVerificationInput {
  version: string;
  /** The newest run's results. */
  results: CheckResult[];
  /** Each check's values, run by run, oldest first (undefined: no data that run): the sparklines. */
  history: Partial<Record<CheckKey, (number | undefined)[]>>;
  readAt: Date;
  sinceDeploy: number;
  phase: string;
  /** The run's place in the schedule, of how many runs, and its try (runs without data are tried again). */
  runs: number;
  scheduled: number;
  attempt: number;
  next?: { at: Date; sinceDeploy: number };
  retryIn?: number;
  timeZone: string;
}

/**
 * The one live "Verification" message of a release, edited by every run: the latest reading of each check
 * against its limit with a sparkline of its readings so far, when it was read, the run count and the next run.
 */
export function liveVerificationMessage(input: LiveVerificationInput): SlackMessage {
  const { verdict } = verdictOf(input.results);
  const title = `🔎 Verification of ${input.version} (live)`;
  const lines = input.results.map((r) => {
    const spark = sparkline(input.history[r.key] ?? []);
    return spark ? `${line(r)}  \`${spark}\`` : line(r);
  });
  const at = (when: Date, sinceDeploy: number) => `${clockTime(when, input.timeZone)} (${formatDuration(sinceDeploy)} after the deploy)`;
  const when = `Read at ${at(input.readAt, input.sinceDeploy)} · run ${input.runs} of ${input.scheduled}${input.attempt > 1 ? ` (try ${input.attempt})` : ''}`;
  const next = input.next ? `next run at ${at(input.next.at, input.next.sinceDeploy)}` : 'the watch is over';
  const notes = [`${when} · ${next}`, input.phase];
  if (input.retryIn !== undefined) notes.push(`Checks without data are tried again in ${formatDuration(input.retryIn)}.`);
  return { text: `${title}: ${verdict}`, blocks: [section(`*${title}* — ${verdict}\n${lines.join('\n')}`), context(...notes)] };
}

const CHANGE_WORDS: Record<CheckChange['kind'], (label: string, change: CheckChange) => string> = {
  breached: (label) => `${label} breached`,
  recovered: (label) => `${label} is healthy again`,
  data: (label) => `${label} has data`,
  'no-data': (label) => `${label} has no data`,
  severity: (label, c) => `${label} went from ${c.from} to ${c.to}`,
};

export interface VerificationChangeInput {
  version: string;
  sinceDeploy: number;
  /** Each change with the check as this run read it. */
  changes: { change: CheckChange; result: CheckResult }[];
}

/** A run that changed something: a reply of its own in the thread, each change with the reading behind it. */
export function verificationChangeMessage(input: VerificationChangeInput): SlackMessage {
  const said = input.changes.map(({ change, result }) => CHANGE_WORDS[change.kind](result.label, change));
  const kinds = input.changes.map((c) => c.change.kind);
  const icon = kinds.some((k) => k === 'breached' || k === 'severity') ? '🔔' : kinds.every((k) => k === 'recovered' || k === 'data') ? '✅' : '⚠️';
  const title = `${icon} Verification of ${input.version} · ${formatDuration(input.sinceDeploy)} after the deploy`;
  const lines = input.changes.map(({ result }, i) => `*${slackMrkdwn(said[i]!, 300)}*: ${line(result)}`);
  return { text: `${title}: ${slackFallback(said.join('; '), 1000)}`, blocks: [section(`*${title}*\n${lines.join('\n')}`)] };
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
