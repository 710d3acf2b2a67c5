import type { KnownBlock } from '@slack/web-api';
import { ROLLBACK_CHECKLIST } from '../domain/rollback.js';
import { rollbackItemValue } from './button-values.js';
import { clockTime, context, link, mention, section } from './format.js';
import { codeBlock, plainText, slackFallback, slackMrkdwn } from './text.js';
import type { SlackMessage } from './types.js';

export const ROLLBACK_CHECKLIST_ACTION = 'rollback_checklist';

export interface RollbackNoticeInput {
  version: string;
  toVersion: string;
  reason: string;
  by: string;
  startedAt: Date;
  limit: number;
  runUrl?: string;
  state: 'running' | 'done' | 'failed';
  restoredAt?: Date;
  now: Date;
  timeZone: string;
}

/** The guide's "Rollback Notice", with a countdown against the 5-minute limit while it runs. */
export function rollbackNoticeMessage(input: RollbackNoticeInput): SlackMessage {
  const tz = input.timeZone;
  const deadline = new Date(input.startedAt.getTime() + input.limit);
  const left = deadline.getTime() - input.now.getTime();
  const countdown =
    input.state === 'done'
      ? `✅ Rolled back at ${clockTime(input.restoredAt ?? input.now, tz)}: time to restore ${Math.round(((input.restoredAt ?? input.now).getTime() - input.startedAt.getTime()) / 1000)} s (limit ${Math.round(input.limit / 60_000)} min)`
      : input.state === 'failed'
        ? '❌ The rollback run failed: act now, by hand (see the thread).'
        : left >= 0
          ? `⏳ ${Math.floor(left / 60_000)}:${String(Math.floor((left % 60_000) / 1000)).padStart(2, '0')} left of the guide's ${Math.round(input.limit / 60_000)}-minute limit`
          : `⏰ ${Math.ceil(-left / 1000)} s over the guide's ${Math.round(input.limit / 60_000)}-minute limit`;
  const lines = [
    `*⚠️ ROLLBACK NOTICE*`,
    '',
    `We've identified an issue with ${input.version} and are rolling back to ${input.toVersion}.`,
    '',
    `Time: ${clockTime(input.startedAt, tz)}`,
    `Expected completion: ${clockTime(deadline, tz)}`,
    `ETA: ${Math.round(input.limit / 60_000)} minutes`,
    '',
    `*What happened:* ${slackMrkdwn(input.reason, 1500)}`,
    '*What we are doing:* rolling back to the stable version, investigating the root cause, preventing recurrence.',
    '*Next steps:* post-mortem analysis, a fix for the next release, communication with affected customers.',
  ];
  return {
    text: `⚠️ ROLLBACK NOTICE: ${input.version} → ${input.toVersion}`,
    blocks: [section(lines.join('\n')), section(countdown), context(`Started by ${input.by === 'tminus' ? 'tminus (automatic rollback)' : mention(input.by)}${input.runUrl ? ` · ${link(input.runUrl, 'rollback run')}` : ''}`)],
  };
}

export interface RollbackChecklistInput {
  releaseId: string;
  version: string;
  ticked: Record<string, { at: string; by: string; evidence?: string }>;
  timeZone: string;
}

/** The guide's Rollback Verification Checklist: tminus's own ticks with their evidence, checkboxes for the rest. */
export function rollbackChecklistMessage(input: RollbackChecklistInput): SlackMessage {
  const lines = ROLLBACK_CHECKLIST.map((item) => {
    const done = input.ticked[item.key];
    if (!done) return `☐ ${item.label}`;
    return `✅ ${item.label} — ${done.by === 'tminus' ? 'tminus' : mention(done.by)} at ${clockTime(new Date(done.at), input.timeZone)}${done.evidence ? ` (${slackMrkdwn(done.evidence, 300)})` : ''}`;
  });
  const open = ROLLBACK_CHECKLIST.filter((i) => !input.ticked[i.key]);
  const blocks: KnownBlock[] = [section(`*Rollback verification checklist for ${input.version}* (${ROLLBACK_CHECKLIST.length - open.length} of ${ROLLBACK_CHECKLIST.length})\n${lines.join('\n')}`)];
  if (open.length > 0) {
    blocks.push({
      type: 'actions',
      block_id: `rollback-checklist:${input.releaseId}`,
      elements: [
        {
          type: 'checkboxes',
          action_id: ROLLBACK_CHECKLIST_ACTION,
          options: open.slice(0, 10).map((i) => ({ text: { type: 'plain_text', text: plainText(i.label, 75) }, value: rollbackItemValue({ releaseId: input.releaseId, item: i.key }) })),
        },
      ],
    });
  }
  return { text: `Rollback verification checklist for ${input.version}: ${ROLLBACK_CHECKLIST.length - open.length} of ${ROLLBACK_CHECKLIST.length}`, blocks };
}

export interface ManualRollbackInput {
  version: string;
  toVersion: string;
  /** Why tminus gave up (may carry GitHub's error message). */
  why: string;
  /** The policy's rollback command, filled in; null when there is none. */
  command: string | null;
  runUrl?: string;
  /** Who is paged: the on-call engineer and the approvers. */
  people: string[];
}

/** The rollback did not complete: how to roll back by hand, and who must act. */
export function manualRollbackMessage(input: ManualRollbackInput): SlackMessage {
  const lines = [
    `❌ *The rollback of ${input.version} to ${input.toVersion} did not complete*: ${slackMrkdwn(input.why, 1000)}.`,
    input.command ? `Roll back by hand now:\n${codeBlock(input.command, 'slack', 1000)}` : `Roll back to ${input.toVersion} by hand now, with your runbook.`,
    input.runUrl ? `A rollback run exists (${link(input.runUrl, 'run')}): check whether it is still running before you act.` : '',
    `Once production is safe, \`/release rollback ${input.version}\` tries tminus's rollback again.`,
    input.people.length > 0 ? `Paging ${input.people.map(mention).join(', ')}.` : '_Nobody holds the on-call or approver roles in the policy: page your on-call engineer._',
  ].filter(Boolean);
  return { text: `❌ The rollback of ${input.version} did not complete: roll back by hand`, blocks: [section(lines.join('\n'))] };
}

/** The VP Eng turned the coordinated rollback down. */
export function rollbackTurnedDownMessage(version: string, userId: string, reason: string | null): SlackMessage {
  return {
    text: `The coordinated rollback of ${version} was turned down`,
    blocks: [section(`🚫 The coordinated rollback of ${version} was turned down by ${mention(userId)}: ${slackMrkdwn(reason ?? '', 2000)}`)],
  };
}

/** The coordinated rollback was approved and its revert pull request opened. */
export function revertOpenedMessage(input: { version: string; previous: string; approver: string; pullRequest: { url: string; number: number }; patch: string }): SlackMessage {
  const pr = input.pullRequest;
  return {
    text: `Revert pull request for ${input.version}: ${slackFallback(pr.url)}`,
    blocks: [
      section(
        `↩️ *Coordinated rollback approved* by ${mention(input.approver)}: ${link(pr.url, `pull request #${pr.number}`)} reverts ${input.version} to ${input.previous}. Merge it and ship it as the next patch release: \`/release start ${input.patch}\`.`,
      ),
    ],
  };
}
