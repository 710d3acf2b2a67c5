import { clockTime, link, section } from './format.js';
import { codeBlock, slackFallback, slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';

export interface ReleaseFailedInput {
  version: string;
  failedAt: Date;
  reason: string;
  failedJob?: { job: string; step?: string; url: string | null };
  runUrl: string | null;
  /** Whether production was touched before the failure: only then is a rollback needed. */
  productionTouched: boolean;
  previousVersion: string | null;
  rollbackCommand: string | null;
  rollbackTimeLimitMinutes: number;
  timeZone: string;
}

/** The end of a failed or cancelled release: what failed, where to look, and how to roll back. */
export function releaseFailedMessage(input: ReleaseFailedInput): SlackMessage {
  const title = `❌ Release ${input.version} FAILED`;
  const lines = [`*${title}*`, '', `⏱️ Failed at ${clockTime(input.failedAt, input.timeZone)}: ${slackMrkdwn(input.reason, 1000)}`];
  if (input.failedJob) {
    lines.push(
      `💥 Job ${link(input.failedJob.url, input.failedJob.job)} failed${input.failedJob.step ? ` at step “${slackMrkdwn(input.failedJob.step, 200)}”` : ''}.`,
    );
  }
  if (input.runUrl) lines.push(`🔗 ${link(input.runUrl, 'GitHub Actions run')}`);
  lines.push('');
  if (input.productionTouched && input.rollbackCommand) {
    lines.push(
      `⚠️ *Production was touched. Roll back to ${input.previousVersion ?? 'the previous version'} within ${input.rollbackTimeLimitMinutes} minutes* (guide: Immediate Rollback):`,
      codeBlock(input.rollbackCommand, 'slack', 1000),
      'Then verify: health checks passing, error rate back to normal, latency acceptable, data integrity confirmed.',
    );
  } else if (input.productionTouched) {
    lines.push(`⚠️ *Production was touched.* Roll back to ${input.previousVersion ?? 'the previous version'} within ${input.rollbackTimeLimitMinutes} minutes.`);
  } else {
    lines.push(`Production was not touched: ${input.previousVersion ?? 'the current version'} is still live. Fix the cause and start a new release.`);
  }
  return { text: `${title}: ${slackFallback(input.reason)}`, blocks: [section(lines.join('\n'))] };
}
