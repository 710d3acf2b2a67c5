import type { CheckResult } from '../domain/verification.js';
import { formatDuration } from '../domain/duration.js';
import { rollbackNowValue } from './button-values.js';
import { context, section } from './format.js';
import { ROLLBACK_NOW_ACTION, line } from './verification.js';
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

/** Datadog was not read (not configured, or the policy names no check): said once, so nobody thinks it was. */
export function postDeployChecksSkippedMessage(version: string, why: string): SlackMessage {
  return { text: `Post-deploy checks of ${version} not run: ${why}`, blocks: [section(`ℹ️ *Post-deploy checks of ${version} not run*: ${why}. The release is complete on the deploy run's success alone.`)] };
}

/** No reading could be made by the deadline: a person reads the dashboards and says so, or rolls back. */
export function postDeployChecksUnreadMessage(version: string, retryEvery: number): SlackMessage {
  const text = `⚠️ *The post-deploy checks of ${version} could not be read by their deadline.* tminus keeps trying every ${formatDuration(retryEvery)}. Read the dashboards, then \`/release confirm ${version} <what you checked>\` to complete the release, or \`/release rollback ${version}\`.`;
  return { text: `Post-deploy checks of ${version} could not be read: confirm by hand or roll back`, blocks: [section(text)] };
}
