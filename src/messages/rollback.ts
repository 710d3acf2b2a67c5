import type { KnownBlock } from '@slack/web-api';
import { ROLLBACK_CHECKLIST } from '../domain/rollback.js';
import { rollbackItemValue } from './button-values.js';
import { clockTime, context, escape, link, mention, section } from './format.js';
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
    `*What happened:* ${escape(input.reason)}`,
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
    return `✅ ${item.label} — ${done.by === 'tminus' ? 'tminus' : mention(done.by)} at ${clockTime(new Date(done.at), input.timeZone)}${done.evidence ? ` (${escape(done.evidence)})` : ''}`;
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
          options: open.slice(0, 10).map((i) => ({ text: { type: 'plain_text', text: i.label }, value: rollbackItemValue({ releaseId: input.releaseId, item: i.key }) })),
        },
      ],
    });
  }
  return { text: `Rollback verification checklist for ${input.version}: ${ROLLBACK_CHECKLIST.length - open.length} of ${ROLLBACK_CHECKLIST.length}`, blocks };
}
