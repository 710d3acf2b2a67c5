import { formatValue, type CheckDefinition, type CheckResult } from '../domain/verification.js';
import { formatDuration } from '../domain/duration.js';
import { rollbackNowValue } from './button-values.js';
import { context, section } from './format.js';
import { ROLLBACK_NOW_ACTION, line } from './verification.js';
import { slackFallback, slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';

export interface PostDeployChecksInput {
  releaseId: string;
  version: string;
  reading: number;
  results: CheckResult[];
  /** When the next reading is taken, if there is one before the deadline. */
  nextIn?: number;
  /** Time left before the deadline (T+90 by default). */
  deadlineIn: number;
}

/**
 * The guide's T+60 "Post-Deployment Verification" as read from Datadog: each check against its threshold.
 * Posted when a reading is not all healthy (the healthy one is said by the completion itself).
 */
export function postDeployChecksMessage(input: PostDeployChecksInput): SlackMessage {
  const breached = input.results.filter((r) => r.state === 'breach');
  const unread = input.results.filter((r) => r.state === 'no-data' || r.state === 'unreachable');
  const verdict =
    breached.length > 0
      ? `❌ ${breached.map((r) => r.label).join(', ')} out of bounds: ${input.version} is not complete`
      : `⚠️ ${unread.map((r) => r.label).join(', ')} could not be read: ${input.version} is not complete yet`;
  const title = `🔎 Post-deploy checks of ${input.version}${input.reading > 1 ? ` (reading ${input.reading})` : ''}`;
  const notes =
    input.nextIn !== undefined
      ? [`Read again in ${formatDuration(input.nextIn)}; ${formatDuration(input.deadlineIn)} left before the release is marked failed if a check still breaches.`]
      : ['The post-deploy checks have run out of time.'];
  const blocks: SlackMessage['blocks'] = [section(`*${title}* — ${verdict}\n${input.results.map(line).join('\n')}`), context(...notes)];
  if (breached.length > 0) {
    blocks.push({
      type: 'actions',
      block_id: `rollback:${input.releaseId}:post-deploy`,
      elements: [{ type: 'button', action_id: ROLLBACK_NOW_ACTION, style: 'danger', text: { type: 'plain_text', text: 'Roll back now' }, value: rollbackNowValue({ releaseId: input.releaseId, version: input.version }) }],
    });
  }
  return { text: `${title}: ${verdict}`, blocks };
}

/** Why no reading from Datadog can complete a release: a person reads the dashboards and confirms it. */
export type ConfirmByHandReason = 'no-datadog' | 'no-checks' | 'manual' | 'unread';

/** Why the release waits for `/release confirm`, in a line (the thread's ask and `/release status`). */
export function whyConfirmByHand(reason: ConfirmByHandReason): string {
  if (reason === 'unread') return 'its post-deploy checks could not be read by their deadline';
  return `nothing can verify it automatically: ${NOTHING_VERIFIES[reason]}`;
}

export interface ConfirmByHandInput {
  version: string;
  reason: ConfirmByHandReason;
  /** The post-deploy checks to read by hand, with their limits. */
  checks: readonly Pick<CheckDefinition, 'label' | 'threshold' | 'direction' | 'unit' | 'baselineFactor'>[];
  /** Who may confirm (`permissions.confirm`), in words. */
  confirmers: string;
  /** With `unread`: how often tminus keeps trying to read them. */
  retryEvery?: number;
}

export const NOTHING_VERIFIES: Record<Exclude<ConfirmByHandReason, 'unread'>, string> = {
  'no-datadog': 'Datadog is not configured (`DD_API_KEY`, `DD_APP_KEY`)',
  'no-checks': 'the policy names no post-deploy check (`deploy.postDeployChecks.checks`)',
  manual: 'the policy has a person confirm every release (`verification.source: manual`)',
};

/** A check as a person reads it on a dashboard: "Error rate &lt; 0.100 %". */
function wanted(check: ConfirmByHandInput['checks'][number]): string {
  if (check.threshold !== undefined && check.direction !== undefined) {
    return `${slackMrkdwn(check.label, 200)} ${check.direction === 'above' ? '&gt;' : '&lt;'} ${formatValue({ value: check.threshold, unit: check.unit })}`;
  }
  if (check.baselineFactor !== undefined) return `${slackMrkdwn(check.label, 200)}: at most ${check.baselineFactor}× what it was before the deploy`;
  return `${slackMrkdwn(check.label, 200)}: as normal`;
}

/**
 * The release waits in `verifying` for a person: nothing can verify it automatically (Datadog not configured,
 * no check, `verification.source: manual`), or its checks could not be read by their deadline. Says what to
 * check, with the guide's limits, and the exact command; posted once.
 */
export function confirmByHandMessage(input: ConfirmByHandInput): SlackMessage {
  const v = input.version;
  const trying = input.retryEvery !== undefined ? ` tminus keeps trying every ${formatDuration(input.retryEvery)}.` : '';
  const why =
    input.reason === 'unread'
      ? `⚠️ *The post-deploy checks of ${v} could not be read by their deadline.*${trying}`
      : `👀 *Nothing can verify ${v} automatically*: ${NOTHING_VERIFIES[input.reason]}. ` +
        'It stays `verifying` (not complete; customers and the status page are not told) until a person confirms it.';
  const checks = input.checks.length > 0 ? `*Check on the dashboards:*\n${input.checks.map((c) => `• ${wanted(c)}`).join('\n')}` : '*Check the dashboards.*';
  const who = slackMrkdwn(input.confirmers, 300);
  const command = `Then \`/release confirm ${v} &lt;what you checked&gt;\` (${who}) to complete the release, or \`/release rollback ${v}\`.`;
  const text =
    input.reason === 'unread'
      ? `Post-deploy checks of ${v} could not be read: confirm by hand or roll back`
      : `Nothing can verify ${v} automatically: check it, then /release confirm ${v} <what you checked>`;
  return { text: slackFallback(text), blocks: [section(why), section(`${checks}\n${command}`)] };
}
