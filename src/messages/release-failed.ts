import { formatDuration } from '../domain/duration.js';
import { clockTime, link, section } from './format.js';
import type { KnownBlock } from '@slack/web-api';
import { rollbackNowValue } from './button-values.js';
import { codeBlock, plainText, slackFallback, slackMrkdwn } from './text.js';
import { ROLLBACK_NOW_ACTION } from './verification.js';
import type { SlackMessage } from './types.js';

export interface ReleaseFailedInput {
  releaseId: string;
  version: string;
  failedAt: Date;
  reason: string;
  failedJob?: { job: string; step?: string; url: string | null };
  runUrl: string | null;
  /** Whether production was touched before the failure ('unknown': GitHub could not say): a rollback is offered unless it was not. */
  productionTouched: boolean | 'unknown';
  /** What the answer rests on (GitHub's deployments), shown when given. */
  productionEvidence?: string;
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
  const blocks: KnownBlock[] = [];
  if (input.productionEvidence) lines.push(`🔎 ${capitalised(slackMrkdwn(input.productionEvidence, 500))}.`);
  if (input.productionTouched === 'unknown') {
    lines.push(unknownLine(input));
  } else if (input.productionTouched) {
    const to = input.previousVersion;
    lines.push(
      to
        ? `⚠️ *Production was touched. Roll back to ${to} within ${formatDuration(input.rollbackTimeLimitMinutes * 60_000)} of detection* (guide: Immediate Rollback): press *Roll back to ${to}* or \`/release rollback ${input.version} [what happened]\`. tminus runs the rollback workflow, posts the Rollback Notice and its verification checklist.`
        : `⚠️ *Production was touched.* Roll back to the previous version within ${formatDuration(input.rollbackTimeLimitMinutes * 60_000)} of detection: tminus does not know which version ran before, so roll back by hand.`,
    );
  }
  if (input.productionTouched !== false) {
    if (input.rollbackCommand) lines.push('If the rollback workflow cannot run, by hand:', codeBlock(input.rollbackCommand, 'slack', 1000));
    blocks.push(section(lines.join('\n')));
    if (input.previousVersion) {
      blocks.push({
        type: 'actions',
        block_id: `rollback:${input.releaseId}:failed`,
        elements: [{ type: 'button', action_id: ROLLBACK_NOW_ACTION, style: 'danger', text: { type: 'plain_text', text: plainText(`Roll back to ${input.previousVersion}`, 75) }, value: rollbackNowValue(input) }],
      });
    }
  } else {
    lines.push(`Production was not touched: ${input.previousVersion ?? 'the current version'} is still live. Fix the cause and start a new release.`);
    blocks.push(section(lines.join('\n')));
  }
  return { text: `${title}: ${slackFallback(input.reason)}`, blocks };
}

/** GitHub could not say whether the deploy reached production: say so, and offer the rollback in case it did. */
function unknownLine(input: ReleaseFailedInput): string {
  const to = input.previousVersion;
  const said = `⚠️ *tminus could not tell whether production was touched.* Check what production runs; if it runs ${input.version}`;
  const within = `within ${formatDuration(input.rollbackTimeLimitMinutes * 60_000)} of detection`;
  return to
    ? `${said} (or half of it), roll back to ${to} ${within} (guide: Immediate Rollback): ` +
        `press *Roll back to ${to}* or \`/release rollback ${input.version} [what happened]\`.`
    : `${said}, roll back to the previous version by hand ${within}: tminus does not know which version ran before.`;
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
